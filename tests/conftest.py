"""Shared fixtures. Real parts everywhere: real Chroma, the real bundled embedding model, real FastAPI."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.service import DafuService, build_service
from rag.settings import Settings
from tests.factories import LETTERS, FakeLLM, fake_llm_server

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
