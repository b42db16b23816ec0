"""Retrievers: dense (Chroma), lexical (BM25 over jieba tokens) and their fusion.

Each has one public method, ``retrieve(query, k, filters) -> list[Hit]``. ``as_llama_index()`` wraps
any of them as a llama-index ``BaseRetriever`` so llama-index components can use dafu's Chinese parts.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.lexical import LexicalIndex
from index.store import ChromaStore
from rag.types import Chunk, Filters, Hit

# Candidates fetched from each side before fusion: fusion needs more than the final top-k.
_CANDIDATES = 30


class Retriever(Protocol):
    name: str

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


def to_hit(chunk: Chunk, meta: dict[str, Any], score: float, source: str) -> Hit:
    year = meta.get("year")
    return Hit(
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        doc_number=str(meta.get("doc_number", "")),
        title=str(meta.get("title", "")),
        section=chunk.section,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        score=score,
        year=int(year) if isinstance(year, int) and year > 0 else None,
        kind=str(meta.get("kind", "")),
        proposer=str(meta.get("proposer", "")),
        sources=(source,),
    )


class DenseRetriever:
    name = "dense"

    def __init__(self, store: ChromaStore, embedder: BaseEmbedding) -> None:
        self.store = store
        self.embedder = embedder
        # One question is often retrieved several times (filters, per-letter answers): embed it once.
        self._embed = lru_cache(maxsize=256)(embedder.get_query_embedding)

    def forget_queries(self) -> None:
        """Empty the query-vector memo (benchmarks time a first ask)."""
        self._embed.cache_clear()

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        vector = self._embed(query)
        return [to_hit(c, m, s, self.name) for c, m, s in self.store.query(vector, k, filters)]


class LexicalRetriever:
    name = "lexical"

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return [to_hit(c, m, s, self.name) for c, m, s in self.index.search(query, k, filters)]


class HybridRetriever:
    """Reciprocal rank fusion (or min-max weighted fusion) of dense and lexical results."""

    name = "hybrid"

    def __init__(
        self,
        dense: Retriever,
        lexical: Retriever,
        *,
        method: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        candidates: int = _CANDIDATES,
        letter_boost: float = 0.3,
    ) -> None:
        if method not in ("rrf", "weighted"):
            raise ValueError(f"unknown fusion method {method!r}; use 'rrf' or 'weighted'")
        self.dense = dense
        self.lexical = lexical
        self.method = method
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.candidates = candidates
        # A question that names a letter ("121号答复函…", a 文号, its proposer) prefers that letter.
        self.letter_boost = letter_boost

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        n = max(k, self.candidates)
        lists = [(self.dense.retrieve(query, n, filters), self.dense_weight),
                 (self.lexical.retrieve(query, n, filters), 1.0 - self.dense_weight)]  # fmt: skip
        fused: dict[str, float] = {}
        best: dict[str, Hit] = {}
        sources: dict[str, set[str]] = {}
        for hits, weight in lists:
            scores = self._scores(hits)
            for hit, score in zip(hits, scores, strict=True):
                fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight * score
                best.setdefault(hit.chunk_id, hit)
                sources.setdefault(hit.chunk_id, set()).update(hit.sources)
        named = _named_letters(query, list(best.values()))
        for cid, hit in best.items():
            if hit.doc_id in named:
                fused[cid] += self.letter_boost
        order = sorted(fused, key=lambda cid: -fused[cid])
        hits = [
            best[cid].model_copy(
                update={"score": round(fused[cid], 6), "sources": tuple(sorted(sources[cid]))}
            )
            for cid in order
        ]
        return merge_near_duplicates(hits)[:k]

    def _scores(self, hits: list[Hit]) -> list[float]:
        if self.method == "rrf":
            # Scaled so that rank 1 on both sides scores 1.0.
            return [(self.rrf_k + 1) / (self.rrf_k + rank) for rank in range(1, len(hits) + 1)]
        if not hits:
            return []
        values = [h.score for h in hits]
        lo, hi = min(values), max(values)
        return [(v - lo) / (hi - lo) if hi > lo else 1.0 for v in values]


_REF_NUMBER = re.compile(r"(\d{2,4})\s*号")


def _named_letters(query: str, hits: list[Hit]) -> set[str]:
    """Documents among the hits that the query names by 文号 serial, proposal number or proposer."""
    numbers = set(_REF_NUMBER.findall(query))
    named = set()
    for hit in hits:
        if not hit.doc_number:
            continue
        serial = _REF_NUMBER.search(hit.doc_number)
        proposal = _REF_NUMBER.search(hit.title)
        proposer = re.sub(r"(委员|代表)$", "", hit.proposer)
        if (
            (serial and serial.group(1) in numbers)
            or (proposal and proposal.group(1) in numbers)
            or (proposer and proposer in query)
        ):
            named.add(hit.doc_id)
    return named


def merge_near_duplicates(hits: list[Hit], threshold: float = 0.8) -> list[Hit]:
    """Drop a hit whose text is (almost) the same as a better-ranked one: overlapping spans of one
    document, or the same passage repeated in another letter."""
    kept: list[Hit] = []
    grams: list[set[str]] = []
    for hit in hits:
        g = _trigrams(hit.text)
        duplicate = False
        for other, og in zip(kept, grams, strict=True):
            if (
                other.doc_id == hit.doc_id
                and hit.start < other.end
                and other.start < hit.end
                or g
                and og
                and len(g & og) / len(g | og) >= threshold
            ):
                duplicate = True
            if duplicate:
                break
        if not duplicate:
            kept.append(hit)
            grams.append(g)
    return kept


def _trigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 3] for i in range(max(0, len(compact) - 2))}


class _LlamaIndexAdapter(BaseRetriever):
    def __init__(self, retriever: Retriever, k: int, filters: Filters | None) -> None:
        super().__init__()
        self._inner = retriever
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._inner.retrieve(query_bundle.query_str, self._k, self._filters)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=h.chunk_id,
                    text=h.text,
                    metadata={
                        "doc_id": h.doc_id,
                        "doc_number": h.doc_number,
                        "section": h.section,
                        "start": h.start,
                        "end": h.end,
                    },  # fmt: skip
                ),
                score=h.score,
            )
            for h in hits
        ]


def as_llama_index(retriever: Retriever, k: int = 5, filters: Filters | None = None) -> BaseRetriever:
    """A llama-index ``BaseRetriever`` over a dafu retriever."""
    return _LlamaIndexAdapter(retriever, k, filters)
