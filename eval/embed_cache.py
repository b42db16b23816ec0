"""A memo in front of an embedder, so that the baseline's index of a large set is embedded once.

Vectors are those of the wrapped model; the file is keyed by the model name and the text's hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class CachedEmbedding(BaseEmbedding):
    """Passage vectors from ``path`` when known, else from ``inner``; queries always from ``inner``."""

    _inner: BaseEmbedding = PrivateAttr()
    _path: Path = PrivateAttr()
    _vectors: dict[str, list[float]] = PrivateAttr(default_factory=dict)
    _dirty: bool = PrivateAttr(default=False)

    def __init__(self, inner: BaseEmbedding, path: Path, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", inner.model_name)
        kwargs.setdefault("embed_batch_size", inner.embed_batch_size)
        super().__init__(**kwargs)
        self._inner = inner
        self._path = path
        if path.exists():
            with np.load(path) as data:
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"].tolist(), strict=True))

    def save(self) -> None:
        if not self._dirty or not self._vectors:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        tmp = self._path.with_suffix(".tmp.npz")
        np.savez(
            tmp, keys=np.array(keys), vectors=np.array([self._vectors[k] for k in keys], dtype=np.float32)
        )
        tmp.replace(self._path)
        self._dirty = False

    def has(self, text: str) -> bool:
        """Whether the passage vector of ``text`` is memoised."""
        return _key(text) in self._vectors

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if _key(t) not in self._vectors))
        if missing:
            for text, vector in zip(missing, self._inner.get_text_embedding_batch(missing), strict=True):
                self._vectors[_key(text)] = list(vector)
            self._dirty = True
        return [self._vectors[_key(t)] for t in texts]
