"""Fixtures of the ingestion and store tests."""

from __future__ import annotations

import pytest

from rag.service import DafuService
from tests.index.builders import CountingEmbedder


@pytest.fixture
def counting(writable_service: DafuService) -> CountingEmbedder:
    """The writable service's ingestion embedder, wrapped to count calls."""
    wrapper = CountingEmbedder(writable_service.embedder)
    writable_service.ingestor.embedder = wrapper  # type: ignore[assignment]
    return wrapper
