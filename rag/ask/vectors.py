"""Vectors of the embedding model for questions and sentences, remembered.

One question is embedded once per ask however many times it is retrieved (filters, per-letter answers,
drafting); a sentence compared with questions is embedded once per process while it stays in the memo.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding


class Vectors:
    """``query(text)`` and ``passages(texts)``: L2-normalised float32 vectors, memoised (LRU)."""

    def __init__(self, embedder: BaseEmbedding, size: int = 4096) -> None:
        self.embedder = embedder
        self.size = size
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

    def query(self, text: str) -> np.ndarray:
        vector = self._queries.get(text)
        if vector is None:
            vector = _normalised(self.embedder.get_query_embedding(text))
            _remember(self._queries, text, vector, self.size)
        else:
            self._queries.move_to_end(text)
        return vector

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (``passage`` side of the model)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
        if missing:
            for text, vector in zip(missing, self.embedder.get_text_embedding_batch(missing), strict=True):
                _remember(self._passages, text, _normalised(vector), self.size)
        rows = []
        for text in texts:
            self._passages.move_to_end(text)
            rows.append(self._passages[text])
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def forget(self) -> None:
        """Forget every memoised vector (benchmarks time a first ask)."""
        self._queries.clear()
        self._passages.clear()


def _normalised(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array


def _remember(memo: OrderedDict[str, np.ndarray], key: str, value: np.ndarray, size: int) -> None:
    memo[key] = value
    while len(memo) > size:
        memo.popitem(last=False)
