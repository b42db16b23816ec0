"""Retrievers: dense (Chroma), lexical (BM25 over jieba tokens) and their fusion.

Each has one public method, ``retrieve(question, k, filters) -> list[Hit]`` over a parsed
:class:`~rag.ask.question.Question`. ``as_llama_index()`` wraps any of them as a llama-index
``BaseRetriever`` so llama-index components can use dafu's Chinese parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.lexical import LexicalIndex
from index.store import ChromaStore
from index.tokenize import tokenize
from rag.ask.question import Question
from rag.ask.vectors import Vectors
from rag.text import coverage
from rag.types import Filters, Hit


class Retriever(Protocol):
    name: str

    def retrieve(self, question: Question, k: int, filters: Filters | None = None) -> list[Hit]: ...


class DenseRetriever:
    name = "dense"

    def __init__(self, store: ChromaStore, vectors: Vectors) -> None:
        self.store = store
        self.vectors = vectors

    def retrieve(self, question: Question, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.store.query(self.vectors.query(question.text).tolist(), k, filters)


class LexicalRetriever:
    name = "lexical"

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    def retrieve(self, question: Question, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.index.search(question.tokens, k, filters)

    def coverage(self, question: Question, hits: list[Hit]) -> float:
        """The largest IDF-weighted share of the question's ask terms that one of ``hits`` contains (0..1):
        how far the question's own words are found at all. A question asked in other words than the
        letters' finds only its names (a place, a body), and its keyword ranking then says little."""
        weights = {t: self.index.idf(t) for t in question.ask_tokens or question.token_set}
        total = sum(weights.values())
        return max(
            (coverage(weights, total, frozenset(tokenize(hit.text)), partial=0.0) for hit in hits),
            default=0.0,
        )


@dataclass(frozen=True)
class FusionWeights:
    """How dense and lexical candidates are fused; ``method`` and ``dense_weight`` chosen by the eval."""

    method: str = "weighted"  # weighted (min-max normalised scores) | rrf
    dense_weight: float = 0.2
    # When the best keyword hits hold little of the question's words (it is asked in other words than
    # the letters use), the dense side's share rises linearly from ``dense_weight`` at ``coverage_high``
    # to ``dense_weight_max`` at ``coverage_low`` and below, the coverage taken over the first
    # ``coverage_hits`` keyword hits.
    dense_weight_max: float = 0.7
    coverage_low: float = 0.25
    coverage_high: float = 0.45
    coverage_hits: int = 5
    rrf_k: int = 60
    candidates: int = 30  # fetched from each side: fusion needs more than the final top-k
    letter_boost: float = 0.3  # added to the passages of a letter the question names


class HybridRetriever:
    """Min-max weighted fusion (or reciprocal rank fusion) of dense and lexical results."""

    name = "hybrid"

    def __init__(
        self,
        dense: Retriever,
        lexical: Retriever,
        weights: FusionWeights = FusionWeights(),
        coverage: Callable[[Question, list[Hit]], float] | None = None,
    ) -> None:
        """``coverage(question, lexical_hits)``: how much of the question the keyword hits hold (0..1),
        e.g. ``LexicalRetriever.coverage``; without it the dense share is always ``dense_weight``."""
        if weights.method not in ("rrf", "weighted"):
            raise ValueError(f"unknown fusion method {weights.method!r}; use 'rrf' or 'weighted'")
        self.dense = dense
        self.lexical = lexical
        self.weights = weights
        self.coverage = coverage

    def dense_share(self, question: Question, lexical_hits: list[Hit]) -> float:
        """The dense side's weight for this question (see ``FusionWeights``)."""
        w = self.weights
        if self.coverage is None or w.dense_weight_max <= w.dense_weight:
            return w.dense_weight
        covered = self.coverage(question, lexical_hits[: w.coverage_hits])
        span = max(w.coverage_high - w.coverage_low, 1e-9)
        poor = min(max((w.coverage_high - covered) / span, 0.0), 1.0)
        return w.dense_weight + (w.dense_weight_max - w.dense_weight) * poor

    def retrieve(self, question: Question, k: int, filters: Filters | None = None) -> list[Hit]:
        w = self.weights
        n = max(k, w.candidates)
        lexical = self.lexical.retrieve(question, n, filters)
        share = self.dense_share(question, lexical)
        lists = [(self.dense.retrieve(question, n, filters), share), (lexical, 1.0 - share)]
        fused: dict[str, float] = {}
        best: dict[str, Hit] = {}
        sources: dict[str, set[str]] = {}
        for hits, weight in lists:
            for hit, score in zip(hits, self._scores(hits), strict=True):
                fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight * score
                best.setdefault(hit.chunk_id, hit)
                sources.setdefault(hit.chunk_id, set()).update(hit.sources)
        named = set(question.preferred)
        for cid, hit in best.items():
            if hit.doc_id in named:
                fused[cid] += w.letter_boost
        order = sorted(fused, key=lambda cid: -fused[cid])
        kept = merge_near_duplicates([best[cid] for cid in order], limit=k)
        return [
            hit.model_copy(
                update={
                    "score": round(fused[hit.chunk_id], 6),
                    "sources": tuple(sorted(sources[hit.chunk_id])),
                }
            )
            for hit in kept
        ]

    def _scores(self, hits: list[Hit]) -> list[float]:
        if self.weights.method == "rrf":
            # Scaled so that rank 1 on both sides scores 1.0.
            rrf_k = self.weights.rrf_k
            return [(rrf_k + 1) / (rrf_k + rank) for rank in range(1, len(hits) + 1)]
        if not hits:
            return []
        values = [h.score for h in hits]
        lo, hi = min(values), max(values)
        return [(v - lo) / (hi - lo) if hi > lo else 1.0 for v in values]


def merge_near_duplicates(hits: list[Hit], threshold: float = 0.8, limit: int | None = None) -> list[Hit]:
    """Drop a hit whose text is (almost) the same as a better-ranked one: overlapping spans of one
    document, or the same passage repeated in another letter. ``limit``: stop when that many are kept
    (the fusion keeps its top k of about 60 candidates: the rest are never compared)."""
    kept: list[Hit] = []
    grams: list[frozenset[str]] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break
        g = _trigrams(hit.text)
        duplicate = any(
            (other.doc_id == hit.doc_id and hit.start < other.end and other.start < hit.end)
            or (g and og and _jaccard_at_least(g, og, threshold))
            for other, og in zip(kept, grams, strict=True)
        )
        if not duplicate:
            kept.append(hit)
            grams.append(g)
    return kept


def _jaccard_at_least(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) / len(large) < threshold:  # |a∩b|/|a∪b| ≤ |small|/|large|: no need to intersect
        return False
    common = len(small & large)
    return common / (len(a) + len(b) - common) >= threshold


@lru_cache(maxsize=16384)
def _trigrams(text: str) -> frozenset[str]:
    compact = "".join(text.split())
    return frozenset(compact[i : i + 3] for i in range(max(0, len(compact) - 2)))


class _LlamaIndexAdapter(BaseRetriever):
    def __init__(
        self, retriever: Retriever, parse: Callable[[str], Question], k: int, filters: Filters | None
    ) -> None:
        super().__init__()
        self._inner = retriever
        self._parse = parse
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._inner.retrieve(self._parse(query_bundle.query_str), self._k, self._filters)
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


def as_llama_index(
    retriever: Retriever, parse: Callable[[str], Question], k: int = 5, filters: Filters | None = None
) -> BaseRetriever:
    """A llama-index ``BaseRetriever`` over a dafu retriever; ``parse`` turns its query strings into
    parsed questions (``QuestionParser.parse``)."""
    return _LlamaIndexAdapter(retriever, parse, k, filters)
