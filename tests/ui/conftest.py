"""A real dafu server process and Debian's headless Chromium, driven through Playwright.

The server serves a copy of the session's indexed sample letters, so it starts without re-indexing.
Chromium may only reach the server: every other request is blocked and recorded, which proves the
page works with no internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from rag.settings import PROJECT_ROOT
from tests.factories import free_port, running_server, serve_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 180


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="Write the UI screenshots to docs/screenshots/ instead of a temp dir.",
    )


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.config.getoption("--screenshots", default=False):
        folder = PROJECT_ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, trust_env=False)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="session")
def ui_server(indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``dafu serve`` in its own process on a free loopback port, over a copy of the indexed letters."""
    root = tmp_path_factory.mktemp("ui-server")
    data_dir = root / "data"
    shutil.copytree(indexed_dir, data_dir)
    port = free_port()
    env = serve_env(data_dir)
    log = root / "serve.log"
    command = [sys.executable, "-c", "from rag.cli import main; main()", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-ingest-default"]
    base = f"http://127.0.0.1:{port}"
    with running_server(
        command, f"{base}/healthz", log, env=env, timeout=STARTUP_SECONDS, cwd=PROJECT_ROOT
    ) as process:
        yield Server(base, process, log)


@dataclass
class Offline:
    """Requests the page tried to send anywhere but the dafu server (all blocked)."""

    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make install-browser` installs Debian's chromium.")
        pytest.skip("Chromium not installed; run `make install-browser`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline() -> Offline:
    return Offline()


@pytest.fixture
def page(browser, ui_server: Server, offline: Offline) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh 1280×900 page on /ui/ whose requests may only go to the dafu server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    own = urlsplit(ui_server.url).netloc

    def guard(route, request):  # type: ignore[no-untyped-def]
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob") or url.netloc == own:
            route.continue_()
        else:
            offline.blocked.append(request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{ui_server.url}/ui/")
    page.wait_for_selector("#ask-question textarea")
    yield page
    context.close()
    assert not offline.blocked, f"the page tried to reach the network: {offline.blocked}"
