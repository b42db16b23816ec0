"""What a reply draft draws on: the most similar past letters, and per suggestion the cited sentences
that report what has been done (现状) and what was promised (下一步).

Similar letters (query by document): the proposal is embedded in pieces (title, each suggestion,
background in pieces of at most ``_PIECE`` characters, nothing truncated). Each piece queries the chunk
vectors; a letter's piece score is its best chunk, its chunk score the mean over pieces. The mean of
the piece vectors also queries the letters' centroid vectors. Score = 0.7 × chunk score + 0.3 × centroid
similarity. Only reply letters (with a 文号) are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import BaseModel, ConfigDict

from index.store import ChromaStore
from index.tokenize import tokenize
from rag.claims import find_claims
from rag.proposal import Proposal
from rag.retrieval import Retriever
from rag.types import Citation, Hit

_PIECE = 300
_CHUNK_WEIGHT = 0.7
_DENSE_WEIGHT = 3.0  # e5 cosines of related sentences spread over ~0.1
_SKIP_SECTIONS = ("来文", "结语", "落款")
_BOILERPLATE = re.compile(r"收悉|答复如下|感谢|联系人|联系电话|抄送")
_H1_LINE = re.compile(r"(?m)^[一二三四五六七八九十]+、")
# Lead-ins a quote starts after: enumerators, connectives, "…如下：".
_LEAD = re.compile(
    r"(?:[一二三四五六七八九十]+是|[一二三四五六七八九十]+、|另一方面[，,]|一方面[，,]|同时[，,]|此外[，,]|"
    r"下一步[，,]?|[^。；“”]{0,30}(?:如下|以下工作|以下[一二三四五六七八九十]方面开展工作)[：:])"
)
_COMMIT_START = re.compile(r"^(?:下一步|我[市局们]将|将进一步|将会同|力争|拟|到20\d\d年底)")
_SHORT_HEAD = 18  # "一是加大财政科技投入。" is a heading; it is quoted together with the next sentence
_MAX_QUOTE = 220
_HEADING_SENTENCE = re.compile(r"关于“[^”]+”的建议[。，]?$")


class SimilarLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    doc_id: str
    doc_number: str
    title: str
    proposal_title: str = ""
    year: int | None = None
    score: float


class QueryVectors:
    """Query embeddings, remembered: a suggestion is embedded once for the letters and its sentences."""

    def __init__(self, embedder: BaseEmbedding, size: int = 256) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: dict[str, list[float]] = {}

    def get(self, text: str) -> list[float]:
        if text not in self._cache:
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = self.embedder.get_query_embedding(text)
        return self._cache[text]


class SimilarLetters:
    """``find(proposal, k) -> list[SimilarLetter]``."""

    def __init__(self, store: ChromaStore, queries: QueryVectors) -> None:
        self.store = store
        self.queries = queries

    def find(self, proposal: Proposal, k: int = 5) -> list[SimilarLetter]:
        letters = {d.doc_id: d.meta for d in self.store.list_documents() if d.meta.doc_number}
        pieces = proposal_pieces(proposal)
        if not letters or not pieces:
            return []
        vectors = [self.queries.get(piece) for piece in pieces]
        best = {doc_id: [0.0] * len(pieces) for doc_id in letters}
        for i, vector in enumerate(vectors):
            for chunk, _meta, score in self.store.query(vector, 60):
                if chunk.doc_id in best:
                    best[chunk.doc_id][i] = max(best[chunk.doc_id][i], score)
        mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
        mean /= float(np.linalg.norm(mean)) or 1.0
        centroid = dict(self.store.similar_documents(mean.tolist(), len(letters) + 10))
        scored = [
            (_CHUNK_WEIGHT * float(np.mean(best[d])) + (1 - _CHUNK_WEIGHT) * centroid.get(d, 0.0), d)
            for d in letters
        ]
        scored.sort(key=lambda item: -item[0])
        return [
            SimilarLetter(
                doc_id=d,
                doc_number=letters[d].doc_number,
                title=letters[d].title,
                proposal_title=letters[d].proposal_title,
                year=letters[d].year,
                score=round(score, 4),
            )
            for score, d in scored[:k]
        ]


def proposal_pieces(proposal: Proposal) -> list[str]:
    """Title, each suggestion, and the background cut at sentence ends into pieces of ≤ ``_PIECE`` chars."""
    pieces = [proposal.title] if proposal.title else []
    pieces += [s.text for s in proposal.suggestions]
    current = ""
    for sentence in re.findall(r"[^。！？；\n]+[。！？；]?", proposal.background):
        if current and len(current) + len(sentence) > _PIECE:
            pieces.append(current)
            current = ""
        current += sentence
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


@dataclass(frozen=True)
class Pick:
    """One quoted sentence: its citation, the text shown in the draft, and why it was chosen."""

    citation: Citation
    display: str
    year: int | None
    score: float
    commitment: bool


@dataclass
class Material:
    status: list[Pick]
    next_steps: list[Pick]
    conflicts: list[tuple[Pick, Pick]]  # (newer, used; older, cited in a note)


class MaterialFinder:
    """``find(proposal, top_k) -> list[Material]``, one per suggestion, no sentence used twice."""

    def __init__(
        self,
        retriever: Retriever,
        store: ChromaStore,
        queries: QueryVectors,
        *,
        per_part: int = 3,
        min_score: float = 0.12,
        rerank: int = 8,
    ) -> None:
        self.retriever = retriever
        self.store = store
        self.queries = queries
        self.embedder = queries.embedder
        self.per_part = per_part
        self.min_score = min_score
        self.rerank = rerank

    def find(self, proposal: Proposal, top_k: int = 5) -> list[Material]:
        used: set[tuple[str, int]] = set()
        commit_from: dict[str, int | None] = {}
        vectors: dict[str, np.ndarray] = {}
        out = []
        for suggestion in proposal.suggestions:
            hits = self.retriever.retrieve(suggestion.text, max(3 * top_k, 30))
            hits = [h for h in hits if h.doc_number and h.section not in _SKIP_SECTIONS]
            for hit in hits:
                if hit.doc_id not in commit_from:
                    commit_from[hit.doc_id] = self._commit_from(hit.doc_id)
            picks = [p for p in candidates(suggestion.text, hits, commit_from) if p.score >= self.min_score]
            picks = [p for p in picks if (p.citation.doc_id, p.citation.start) not in used]
            picks = self._rerank(suggestion.text, picks, vectors)
            status = _choose([p for p in picks if not p.commitment], self.per_part)
            status, conflicts = resolve_conflicts(status, [p for p in picks if not p.commitment])
            next_steps = _choose([p for p in picks if p.commitment], self.per_part - 1)
            for pick in [*status, *next_steps, *(old for _, old in conflicts)]:
                used.add((pick.citation.doc_id, pick.citation.start))
            out.append(Material(status, next_steps, conflicts))
        return out

    def _rerank(self, query: str, picks: list[Pick], vectors: dict[str, np.ndarray]) -> list[Pick]:
        """Add the embedding similarity of query and sentence to the lexical score of the best
        ``rerank`` candidates of each part (lexical overlap alone favours long, wordy sentences)."""
        top = [p for p in picks if not p.commitment][: self.rerank]
        top += [p for p in picks if p.commitment][: self.rerank]
        if not top:
            return picks
        new = [p.citation.quote for p in top if p.citation.quote not in vectors]
        if new:
            for text, vector in zip(new, self.embedder.get_text_embedding_batch(new), strict=True):
                vectors[text] = np.asarray(vector, dtype=np.float32)
        q = np.asarray(self.queries.get(query), dtype=np.float32)
        cos = [float(q @ vectors[p.citation.quote]) for p in top]
        mean = float(np.mean(cos))
        rescored = [
            replace(p, score=round(p.score + _DENSE_WEIGHT * (c - mean), 4))
            for p, c in zip(top, cos, strict=True)
        ]
        return sorted(rescored, key=lambda p: -p.score)

    def _commit_from(self, doc_id: str) -> int | None:
        """Where a letter's promises begin when its 下一步 comes before its numbered sections (139号)."""
        doc = self.store.get_document(doc_id)
        if doc is None:
            return None
        first_h1 = _H1_LINE.search(doc.text)
        at = doc.text.find("下一步")
        return at if at >= 0 and first_h1 is not None and at < first_h1.start() else None


def candidates(query: str, hits: list[Hit], commit_from: dict[str, int | None]) -> list[Pick]:
    """Every quotable sentence of the hits, scored against the query, best first."""
    weights = {t: 1.0 + np.log1p(len(t)) for t in set(tokenize(query))}
    total = sum(weights.values())
    if not total or not hits:
        return []
    top = max(h.score for h in hits) or 1.0
    out = []
    for hit in hits:
        section_rel = _relevance(weights, total, hit.section)
        for a, b in quote_spans(hit.text):
            text = hit.text[a:b]
            commitment = bool(
                hit.section.endswith("下一步")
                or (commit_from.get(hit.doc_id) or 10**9) <= hit.start + a
                or _COMMIT_START.match(_raw_lead(hit.text, a))
            )
            score = _relevance(weights, total, text) + 0.15 * section_rel + 0.15 * hit.score / top
            if not commitment and re.search(r"\d", text):
                score += 0.05
            score -= 0.0003 * (b - a)
            out.append(
                Pick(_citation(hit, a, b, score), _display(text), hit.year, round(score, 4), commitment)
            )
    out.sort(key=lambda p: -p.score)
    return out


def _raw_lead(text: str, a: int) -> str:
    """The sentence start before its lead-in was cut (so "下一步，将…" still reads as a promise)."""
    start = max(text.rfind(ch, 0, a) for ch in "。！？；\n") + 1
    return text[start:]


def _relevance(weights: dict[str, float], total: float, text: str) -> float:
    tokens = set(tokenize(text))
    if not tokens:
        return 0.0
    shared = sum(w for t, w in weights.items() if t in tokens)
    own = sum(1.0 + np.log1p(len(t)) for t in tokens)
    return float(shared / np.sqrt(total * own))


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of quotable sentences of a passage: lead-ins cut, headings and formulas skipped,
    a short "一是…。" heading joined to the sentence after it."""
    spans = []
    for m in re.finditer(r"[^。！？；\n]+(?:[。！？；]+[”’」』）)]*)?", text):
        a, b = m.start(), m.end()
        line_end = b >= len(text) or text[b] == "\n"
        if not re.search(r"[。！？；]", text[a:b]) and line_end and b - a < 50:
            continue  # a heading line
        spans.append((a, b))
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        a, b = spans[i]
        while True:
            lead = _LEAD.match(text, a, b)
            if not lead or lead.end() == a:
                break
            a = lead.end()
        while a < b and text[a] in " ，,：:":
            a += 1
        if b - a <= _SHORT_HEAD or _HEADING_SENTENCE.search(text, a, b):
            if i + 1 >= len(spans) or "\n" in text[b : spans[i + 1][0]]:
                i += 1
                continue  # a heading with nothing after it in this passage
            b = spans[i + 1][1]
            i += 1
        i += 1
        if b - a >= 8 and b - a <= _MAX_QUOTE and not _BOILERPLATE.search(text[a:b]):
            out.append((a, b))
    return out


def _display(quote: str) -> str:
    """The quote as a sentence of the draft: a trailing ；/， becomes 。."""
    return re.sub(r"[；;，,：:]$", "。", quote.strip())


def _citation(hit: Hit, a: int, b: int, score: float) -> Citation:
    return Citation.of(hit, a, b, round(score, 4))


def _choose(picks: list[Pick], n: int) -> list[Pick]:
    chosen: list[Pick] = []
    for pick in picks:
        if len(chosen) >= n:
            break
        if not any(_overlap(pick, c) or _similar(pick, c) >= 0.8 for c in chosen):
            chosen.append(pick)
    # Reading order within a letter; letters by best score.
    return sorted(chosen, key=lambda p: (-max(q.score for q in chosen if q.citation.doc_id == p.citation.doc_id),
                                         p.citation.doc_id, p.citation.start))  # fmt: skip


def resolve_conflicts(chosen: list[Pick], pool: list[Pick]) -> tuple[list[Pick], list[tuple[Pick, Pick]]]:
    """When a chosen sentence and one of another year's letter state the same thing with different
    numbers, keep the newer and return (newer, older) so the draft can say so and cite both."""
    result = list(chosen)
    conflicts: list[tuple[Pick, Pick]] = []
    for i, pick in enumerate(chosen):
        for other in pool:
            if other.citation.doc_id == pick.citation.doc_id or other.year == pick.year:
                continue
            if other in result or not _disagree(pick, other):
                continue
            newer, older = (pick, other) if (pick.year or 0) > (other.year or 0) else (other, pick)
            result[i] = newer
            conflicts.append((newer, older))
            break
    return result, conflicts


def _disagree(a: Pick, b: Pick) -> bool:
    """Same topic (shared wording) and a count of the same unit with another value."""
    if _similar(a, b) < 0.3:
        return False
    units_a = {c.key[1]: c.key[0] for c in find_claims(a.citation.quote) if c.kind == "number" and c.key[1]}
    units_b = {c.key[1]: c.key[0] for c in find_claims(b.citation.quote) if c.kind == "number" and c.key[1]}
    return any(unit in units_b and units_b[unit] != value for unit, value in units_a.items())


def _similar(a: Pick, b: Pick) -> float:
    """Dice overlap of the two quotes' character bigrams, digits removed (same topic, other numbers)."""
    ga, gb = _bigrams(a.citation.quote), _bigrams(b.citation.quote)
    return 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0


def _bigrams(text: str) -> set[str]:
    clean = re.sub(r"[\d\W_]+", "", text)
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def _overlap(a: Pick, b: Pick) -> bool:
    x, y = a.citation, b.citation
    return x.doc_id == y.doc_id and x.start < y.end and y.start < x.end
