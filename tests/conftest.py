"""Shared fixtures. Real parts everywhere: real Chroma, the real bundled embedding model, real FastAPI."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT, Settings
from tests.factories import (
    INTERNAL_LETTER,
    INTERNAL_NAME,
    LETTERS,
    FakeLLM,
    fake_llm_server,
    free_port,
    running_server,
    serve_env,
)

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:  # type: ignore[override]
    """Only loopback and Unix sockets: nothing in dafu may reach a model hub or any other host."""
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise AssertionError(f"test tried to reach the network: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A fake OpenAI-compatible server on loopback; tests queue its replies."""
    with fake_llm_server() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, letters_dir=LETTERS, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def indexed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the sample letters indexed once per session (copy it before writing)."""
    data_dir = tmp_path_factory.mktemp("indexed")
    service = build_service(make_settings(data_dir))
    report = service.ingest([LETTERS])
    assert not report.failed, report.failed
    return data_dir


@pytest.fixture(scope="session")
def service(indexed_dir: Path) -> Iterator[DafuService]:
    """A read-only service over the indexed sample letters. Tests that write use ``writable_service``."""
    yield build_service(make_settings(indexed_dir))


def copy_service(indexed_dir: Path, tmp_path: Path, embedder: object) -> DafuService:
    """A service over a copy of the indexed letters, embedding with ``embedder``."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    return build_service(make_settings(data_dir), embedder=embedder)  # type: ignore[arg-type]


@pytest.fixture
def writable_service(indexed_dir: Path, tmp_path: Path, service: DafuService) -> DafuService:
    """A service over a copy of the indexed letters, free to write (shares the session's model)."""
    return copy_service(indexed_dir, tmp_path, service.embedder)


@dataclass
class AccountsServer:
    """A ``dafu serve`` process with accounts: the sample letters (公开), one letter labelled 内部, and
    keys of an admin, an editor and an insider (both in the 内部 group) and a reader (in no group)."""

    url: str
    data_dir: Path
    keys: dict[str, str]
    log: Path

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[user]}"} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=180, trust_env=False)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from rag.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)


def issued_key(output: str) -> str:
    return next(line.strip() for line in output.splitlines() if line.strip().startswith("dafu_"))


@pytest.fixture(scope="session")
def accounts_server(indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    root = tmp_path_factory.mktemp("accounts-server")
    data_dir = root / "data"
    shutil.copytree(indexed_dir, data_dir)
    env = {**serve_env(data_dir), "DAFU_RATE_LIMIT": "100"}
    created = run_cli("users", "add", "admin", "--role", "admin", env=env)
    assert created.returncode == 0, created.stderr
    keys = {"admin": issued_key(created.stdout)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", "from rag.cli import main; main()", "serve", "--no-ingest-default"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = root / "serve.log"
    with running_server(command, f"{base}/healthz", log, env=env, cwd=PROJECT_ROOT):
        server = AccountsServer(base, data_dir, keys, log)
        with server.client("admin") as admin:
            for name, role, groups in (
                ("editor", "editor", ["内部"]), ("insider", "reader", ["内部"]), ("reader", "reader", []),
                ("burst", "reader", []), ("leaver", "reader", []),
            ):  # fmt: skip
                made = admin.post("/v1/users", json={"name": name, "role": role, "groups": groups})
                assert made.status_code == 201, made.text
                keys[name] = made.json()["secret"]
        with server.client("editor") as editor:
            added = editor.post(
                "/v1/documents", params={"label": "内部"},
                files={"file": (INTERNAL_NAME, INTERNAL_LETTER.encode(), "text/plain")},
            )  # fmt: skip
            assert added.status_code == 201, added.text
            assert added.json()["document"]["label"] == "内部"
        yield server
