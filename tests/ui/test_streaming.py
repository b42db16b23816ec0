"""LLM answers appear in the 问答 tab as they are written: a real ``dafu serve`` process whose LLM is the
fake OpenAI-compatible server (streaming with pauses), driven in Chromium."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT
from tests.factories import FakeLLM, fake_llm_server, free_port, running_server, serve_env
from tests.ui.conftest import STARTUP_SECONDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REVENUE = "2023年全市生命健康产业总营收是多少？"


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with fake_llm_server() as fake:
        yield fake


@pytest.fixture(scope="module")
def llm_server(indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory, llm: FakeLLM) -> Iterator[str]:
    root = tmp_path_factory.mktemp("llm-ui")
    shutil.copytree(indexed_dir, root / "data")
    port = free_port()
    env = {**serve_env(root / "data"), "DAFU_LLM_BASE_URL": llm.url, "DAFU_CHAT_CONDENSE": "rules"}
    command = [sys.executable, "-c", "from rag.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-ingest-default"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with running_server(
        command, f"{base}/healthz", root / "serve.log", env=env, timeout=STARTUP_SECONDS, cwd=PROJECT_ROOT
    ):
        yield base


def test_an_llm_answer_streams_into_the_conversation(browser, llm_server: str, llm: FakeLLM) -> None:  # type: ignore[no-untyped-def]
    pieces = ["2023年全市", "生命健康产业", "总营收1588亿元[1]。", "规上制造业", "产值", "1588亿元[1]。"]
    llm.stream(pieces, pause=0.6)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{llm_server}/ui/")
    page.wait_for_selector("#ask-question textarea")
    page.get_by_text("大模型生成（附引文核对）").click()
    page.fill("#ask-question textarea", REVENUE)
    page.click("#ask-submit")
    # Part of the answer is on screen before the model has finished writing it.
    partial = page.wait_for_selector("#ask-answer .dafu-pending .dafu-partial")
    seen = partial.inner_text()
    assert seen and "规上" not in seen
    page.wait_for_selector('#ask-answer .dafu-turn[data-turn="0"] .dafu-answer')
    final = page.inner_text('#ask-answer .dafu-turn[data-turn="0"] .dafu-answer')
    assert "1588亿元" in final and "规上制造业产值1588亿元" not in final
    # Each sentence was checked against its quote: the one that put the figure on another subject is out.
    assert "规上制造业产值1588亿元" in page.inner_text('#ask-answer .dafu-turn[data-turn="0"] .dafu-warn')
    assert llm.requests[-1][2]["stream"] is True
    context.close()
