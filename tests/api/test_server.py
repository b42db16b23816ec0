"""A real server process: ``dafu serve --no-ingest-default`` on a free loopback port."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories import free_port, running_server, serve_env

pytestmark = pytest.mark.slow

DAFU = Path(sys.executable).with_name("dafu")


def test_served_api_answers(indexed_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    port = free_port()
    env = serve_env(data_dir)
    command = [str(DAFU), "serve", "--no-ingest-default", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/healthz", tmp_path / "server.log", env=env):
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert health.json()["documents"] == 5

        response = httpx.post(
            f"{base}/v1/ask", json={"question": "2023年全市生命健康产业总营收是多少？"}, timeout=60
        )
        assert response.status_code == 200
        body = response.json()
        assert body["found"] is True and "1588亿元" in body["answer"]
        assert any(c["doc_number"] == "温科提复〔2024〕126号" for c in body["citations"])
        empty = httpx.post(f"{base}/v1/ask", json={"question": ""}, timeout=10)
        assert empty.status_code == 422
