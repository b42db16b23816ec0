"""Chroma in client/server mode: a real ``chroma run`` process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from rag.service import build_service
from rag.settings import PROJECT_ROOT, Settings
from tests.factories import LETTER_001, LETTERS, REVENUE_DOC_NUMBER, free_port, running_server, serve_env

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(CHROMA),
        "run",
        "--path",
        str(tmp_path / "server"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with running_server(command, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log", env=env, timeout=60):
        yield url


def test_ingest_and_search_against_a_chroma_server(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    for name in (f"{LETTER_001}.txt", "003_082073f0f45fee86.txt"):
        shutil.copy(LETTERS / name, folder / name)
    monkeypatch.setenv("DAFU_CHROMA_URL", chroma_url)
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.chroma_url == chroma_url

    service = build_service(settings)
    report = service.ingest([folder])
    assert len(report.added) == 2 and report.failed == []
    assert service.ingest([folder]).unchanged == sorted(report.added)
    top = service.search("2023年全市生命健康产业总营收")[0]
    assert "1588亿元" in top.text and top.doc_number == REVENUE_DOC_NUMBER
    assert not settings.chroma_path.exists()  # nothing was written to the embedded store

    # A second service with a fresh data dir sees the same documents, its BM25 rebuilt from the server.
    other = build_service(Settings(data_dir=tmp_path / "other", chroma_url=chroma_url))
    assert other.store.versions() == service.store.versions()
    assert [h.chunk_id for h in other.search("医疗器械产业园区")] == [
        h.chunk_id for h in service.search("医疗器械产业园区")
    ]
    other.delete(LETTER_001)
    assert LETTER_001 not in {d.doc_id for d in build_service(settings).documents()}


NEW_LETTER = (
    "某某委函〔2025〕31号\n关于市政协某届某次会议第31号提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
    "2024年全市新建共享实验室十七个，向中小企业开放仪器设备四百余台套。\n"
)


def _found(client: httpx.Client, query: str, doc_id: str) -> bool:
    response = client.post("/v1/search", json={"query": query})
    assert response.status_code == 200, response.text
    return any(hit["doc_id"] == doc_id for hit in response.json()["hits"])


def _within(seconds: float, condition: Callable[[], bool]) -> float:
    """Seconds until ``condition()`` holds (fails the test after ``seconds``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            pytest.fail(f"not seen within {seconds} s")
        time.sleep(0.25)
    return time.monotonic() - start


def test_two_replicas_share_one_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    """Two ``dafu serve`` processes with their own data dirs on one Chroma server: a letter uploaded
    through one is found and answered through the other within a bounded delay (they look for each
    other's writes every 2 s), and a delete through the other disappears from the first likewise."""
    replicas = []
    with contextlib.ExitStack() as stack:
        for name in ("a", "b"):
            port = free_port()
            env = {**serve_env(tmp_path / name), "DAFU_CHROMA_URL": chroma_url}
            command = [
                sys.executable,
                "-c",
                "from rag.cli import main; main()",
                "serve",
                "--no-ingest-default",
            ]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            base = f"http://127.0.0.1:{port}"
            stack.enter_context(
                running_server(
                    command, f"{base}/healthz", tmp_path / f"{name}.log", env=env, cwd=PROJECT_ROOT
                )
            )
            replicas.append(stack.enter_context(httpx.Client(base_url=base, timeout=120, trust_env=False)))
        a, b = replicas
        uploaded = a.post(
            "/v1/documents", files={"file": ("共享实验室.txt", NEW_LETTER.encode(), "text/plain")}
        )
        assert uploaded.status_code == 201, uploaded.text
        doc_id = uploaded.json()["doc_id"]
        assert _found(a, "共享实验室 仪器设备", doc_id)
        _within(15, lambda: _found(b, "共享实验室 仪器设备", doc_id))
        answer = b.post("/v1/ask", json={"question": "2024年全市新建了多少个共享实验室？"}).json()
        assert answer["found"] and answer["citations"][0]["doc_id"] == doc_id

        assert b.delete(f"/v1/documents/{doc_id}").status_code == 204
        _within(15, lambda: not _found(a, "共享实验室 仪器设备", doc_id))
        assert doc_id not in {d["doc_id"] for d in a.get("/v1/documents").json()["documents"]}
