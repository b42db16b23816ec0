"""What each section of a draft quotes: per suggestion, the cited sentences of past letters that report
what has been done (现状) and what was promised (下一步), and figures that changed across years.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from index.instructions import instruction_spans, overlaps
from index.store import ChromaStore
from index.tokenize import tokenize
from rag.ask.question import Question
from rag.ask.retrieval import Retriever
from rag.ask.vectors import Vectors
from rag.claims import find_claims
from rag.draft.proposal import Proposal
from rag.text import bigrams, dice
from rag.types import Citation, Hit

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


@dataclass(frozen=True)
class MaterialWeights:
    """How sentences are chosen for a section; set by the drafting eval (eval/data/drafts.jsonl)."""

    per_part: int = 3  # 现状 sentences per suggestion (下一步: one fewer)
    min_score: float = 0.12  # a sentence scoring less is not quoted
    rerank: int = 8  # best candidates of each kind re-scored with the embedding model
    dense: float = 3.0  # weight of the embedding similarity (e5 cosines of related sentences spread ~0.1)
    min_candidates: int = 30  # passages retrieved per suggestion (at least 3 × top-k)


class MaterialFinder:
    """``find(proposal, top_k) -> list[Material]``, one per suggestion, no sentence used twice."""

    def __init__(
        self,
        retriever: Retriever,
        parse: Callable[[str], Question],
        store: ChromaStore,
        vectors: Vectors,
        weights: MaterialWeights = MaterialWeights(),
    ) -> None:
        self.retriever = retriever
        self.parse = parse
        self.store = store
        self.vectors = vectors
        self.weights = weights

    def find(self, proposal: Proposal, top_k: int = 5) -> list[Material]:
        used: set[tuple[str, int]] = set()
        commit_from: dict[str, int | None] = {}
        out = []
        w = self.weights
        for suggestion in proposal.suggestions:
            hits = self.retriever.retrieve(self.parse(suggestion.text), max(3 * top_k, w.min_candidates))
            hits = [h for h in hits if h.doc_number and h.section not in _SKIP_SECTIONS]
            for hit in hits:
                if hit.doc_id not in commit_from:
                    commit_from[hit.doc_id] = self._commit_from(hit.doc_id)
            picks = [p for p in candidates(suggestion.text, hits, commit_from) if p.score >= w.min_score]
            picks = [p for p in picks if (p.citation.doc_id, p.citation.start) not in used]
            picks = self._rerank(suggestion.text, picks)
            status = _choose([p for p in picks if not p.commitment], w.per_part)
            status, conflicts = resolve_conflicts(status, [p for p in picks if not p.commitment])
            next_steps = _choose([p for p in picks if p.commitment], w.per_part - 1)
            for pick in [*status, *next_steps, *(old for _, old in conflicts)]:
                used.add((pick.citation.doc_id, pick.citation.start))
            out.append(Material(status, next_steps, conflicts))
        return out

    def _rerank(self, query: str, picks: list[Pick]) -> list[Pick]:
        """Add the embedding similarity of query and sentence to the lexical score of the best
        ``rerank`` candidates of each part (lexical overlap alone favours long, wordy sentences)."""
        n = self.weights.rerank
        top = [p for p in picks if not p.commitment][:n]
        top += [p for p in picks if p.commitment][:n]
        if not top:
            return picks
        cos = (self.vectors.passages([p.citation.quote for p in top]) @ self.vectors.query(query)).tolist()
        mean = float(np.mean(cos))
        rescored = [
            replace(p, score=round(p.score + self.weights.dense * (c - mean), 4))
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
        flagged = instruction_spans(hit.text)  # a letter is quoted, never obeyed
        for a, b in quote_spans(hit.text):
            if overlaps(flagged, a, b):
                continue
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
                Pick(
                    Citation.of(hit, a, b, round(score, 4)),
                    _display(text),
                    hit.year,
                    round(score, 4),
                    commitment,
                )
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
    return dice(bigrams(a.citation.quote, digits=False), bigrams(b.citation.quote, digits=False))


def _overlap(a: Pick, b: Pick) -> bool:
    x, y = a.citation, b.citation
    return x.doc_id == y.doc_id and x.start < y.end and y.start < x.end
