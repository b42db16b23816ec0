"""A real server process: ``dafu serve --no-ingest-default`` on a free loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import free_port

pytestmark = pytest.mark.slow

DAFU = Path(sys.executable).with_name("dafu")


def test_served_api_answers(indexed_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    port = free_port()
    env = {
        **os.environ,
        "DAFU_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(DAFU), "serve", "--no-ingest-default", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    health = httpx.get(f"{base}/healthz", timeout=2)
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"dafu serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.5)
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
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
