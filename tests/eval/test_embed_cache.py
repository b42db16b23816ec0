"""The baseline's vector memo: a second index of the same texts embeds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from eval.embed_cache import CachedEmbedding


class _Counting(BaseEmbedding):
    calls: int = 0

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(len(query)), 1.0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        self.calls += 1
        return [float(len(text)), 0.0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [self._get_text_embedding(t) for t in texts]


def test_vectors_are_reused_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    inner: Any = _Counting(model_name="counting")
    first = CachedEmbedding(inner, path)
    assert first.get_text_embedding_batch(["甲", "乙乙", "甲"]) == [[1.0, 0.0], [2.0, 0.0], [1.0, 0.0]]
    assert inner.calls == 2
    first.save()
    second = CachedEmbedding(inner, path)
    assert second.get_text_embedding_batch(["乙乙", "甲"]) == [[2.0, 0.0], [1.0, 0.0]]
    assert second.get_query_embedding("问") == [1.0, 1.0]
    assert inner.calls == 2
