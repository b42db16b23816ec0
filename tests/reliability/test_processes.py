"""A served process beside ``dafu rm`` and ``dafu ingest`` of other processes: no 500, the server picks
up their writes at once, /healthz tells the truth, and the index stays consistent."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from rag.service import DafuService, build_service
from tests.conftest import make_settings
from tests.factories import LETTER_001
from tests.reliability.conftest import api, dafu, letter, run_dafu, served, write_letters
from tests.reliability.consistency import check

pytestmark = pytest.mark.slow

REVENUE = "2023年全市生命健康产业总营收是多少？"


@pytest.fixture
def data_dir(indexed_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(indexed_dir, target)
    return target


def test_the_server_picks_up_rm_and_ingest_of_another_process(
    data_dir: Path, tmp_path: Path, service: DafuService
) -> None:
    with served(data_dir, tmp_path / "serve.log") as (base, _), api(base) as client:
        hits = client.post("/v1/search", json={"query": REVENUE}).json()["hits"]
        assert hits[0]["doc_id"] == LETTER_001

        run_dafu(data_dir, "rm", LETTER_001, "--yes")
        for _ in range(5):
            search = client.post("/v1/search", json={"query": REVENUE, "top_k": 10})
            ask = client.post("/v1/ask", json={"question": REVENUE})
            assert search.status_code == ask.status_code == 200, (search.text, ask.text)
            assert all(h["doc_id"] != LETTER_001 for h in search.json()["hits"])
            assert all(h["doc_id"] != LETTER_001 for h in ask.json()["hits"])
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.json()["documents"] == 4
        assert client.get(f"/v1/documents/{LETTER_001}").status_code == 404

        folder = write_letters(tmp_path / "new", ["园区一.txt", "园区二.txt"], variant=0)
        run_dafu(data_dir, "ingest", str(folder))
        search = client.post("/v1/search", json={"query": "第2批科创园区", "filters": {"doc_id": "园区二"}})
        assert search.status_code == 200 and search.json()["hits"], search.text
        assert client.get("/healthz").json()["documents"] == 6

        # The server writes too, after the other process: nothing of either is lost.
        files = {"file": ("园区三.txt", letter(3).encode(), "text/plain")}
        assert client.post("/v1/documents", files=files).status_code == 201
    state = check(build_service(make_settings(data_dir), embedder=service.embedder))
    assert state.ok and state.documents == 7, state


def test_cli_ingest_and_api_uploads_at_once(data_dir: Path, tmp_path: Path, service: DafuService) -> None:
    """`dafu ingest` of six letters while six are uploaded to the server: all twelve present, whole,
    and found by a filtered dense search after a restart ("Error finding id" before)."""
    folder = write_letters(tmp_path / "cli", [f"命令行{n}.txt" for n in range(6)], variant=1)
    statuses: list[int] = []
    with served(data_dir, tmp_path / "serve.log") as (base, _), api(base) as client:

        def upload() -> None:
            for n in range(6):
                files = {"file": (f"接口{n}.txt", letter(n + 20, 2).encode(), "text/plain")}
                statuses.append(client.post("/v1/documents", files=files).status_code)

        cli = dafu(data_dir, "ingest", str(folder))
        uploader = threading.Thread(target=upload)
        uploader.start()
        out, _ = cli.communicate(timeout=300)
        uploader.join()
        assert cli.returncode == 0, out.decode(errors="replace")[-2000:]
        assert statuses == [201] * 6
        for name in [*(f"命令行{n}" for n in range(6)), *(f"接口{n}" for n in range(6))]:
            response = client.post("/v1/search", json={"query": "科创园区", "filters": {"doc_id": name}})
            assert response.status_code == 200 and response.json()["hits"], (name, response.text)
    restarted = build_service(make_settings(data_dir), embedder=service.embedder)
    state = check(restarted)
    assert state.ok and state.documents == 17, state
