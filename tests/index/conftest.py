"""Fixtures of the ingestion and store tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.service import DafuService
from tests.conftest import copy_service
from tests.factories import CountingEmbedder


@pytest.fixture
def counting(service: DafuService) -> CountingEmbedder:
    """The session's real embedder, wrapped to count the passages it embeds."""
    return CountingEmbedder(service.embedder)


@pytest.fixture
def writable_service(indexed_dir: Path, tmp_path: Path, counting: CountingEmbedder) -> DafuService:
    """In the index tests, a writable service embeds through ``counting``."""
    return copy_service(indexed_dir, tmp_path, counting)
