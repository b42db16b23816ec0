"""Shared builders for tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.types import Hit


def make_hit(text: str, *, doc_id: str = "doc", start: int = 0, score: float = 1.0, **fields: object) -> Hit:
    values: dict[str, object] = {
        "chunk_id": f"{doc_id}:{start}",
        "doc_id": doc_id,
        "doc_number": "",
        "title": "",
        "section": "正文",
        "text": text,
        "start": start,
        "end": start + len(text),
        "score": score,
    }
    values.update(fields)
    return Hit.model_validate(values)


def serve_env(data_dir: Path) -> dict[str, str]:
    """Environment of a ``dafu serve`` process under test: its own data dir, offline, no LLM."""
    env = {
        **os.environ,
        "DAFU_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("DAFU_LLM_BASE_URL", None)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers the tests start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    command: list[str],
    health_url: str,
    log_path: Path,
    *,
    env: dict[str, str],
    timeout: float = 180.0,
    **popen: Any,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait until ``health_url`` answers 200, stop it on exit.

    Fails the test with the tail of the server's log when it exits or stays unhealthy."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(health_url, timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"{command[0]} did not start (exit code {process.poll()}):\n{tail}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
