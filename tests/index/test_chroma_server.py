"""Chroma in client/server mode: a real ``chroma run`` process on a free loopback port."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.service import build_service
from rag.settings import Settings
from tests.factories import LETTER_001, LETTERS, REVENUE_DOC_NUMBER, free_port, running_server

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
