"""Extractive answers (the offline default): pick the sentences of the retrieved passages that answer
the question, cite each one, and refuse when the passages do not support an answer.

A quote is always an exact slice of its document's canonical text: ``text[start:end]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.instructions import instruction_spans, overlaps
from index.tokenize import tokenize
from rag.ask.question import Part, Question
from rag.types import Answer, Citation, Hit
from rag.vocabulary import NOT_FOUND

_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]+[”’」』）)]*|[^。！？；!?;\n]+")
_CLAUSE = re.compile(r"[^，,：:]*[，,：:]|[^，,：:]+$")
_DIGIT = re.compile(r"\d")
_MAX_QUOTE = 100


@dataclass(frozen=True)
class ExtractiveWeights:
    """The sentence score and the refusal's support; calibrated on the eval sets."""

    threshold: float = 0.55  # minimum support for an answer
    window: float = 1.0  # share of the question's terms in the sentence
    context: float = 0.5  # ... in its passage (文号, title, section, text)
    number_bonus: float = 0.15  # a quantity question and a sentence with a number
    number_penalty: float = 0.2  # a quantity question and a sentence without one
    rank_bonus: float = 0.05  # / (rank + 1) of the passage
    length_penalty: float = 0.0005  # per character: prefer the shorter of two equal sentences
    other_part: float = 0.3  # weight of another part's terms when scoring one part
    max_quotes: int = 3
    second_ratio: float = 0.9  # a runner-up within this ratio of the best is quoted too
    missing_year: float = 0.5  # support factor when the question's year is nowhere in the passages
    missing_place: float = 0.75  # ... its place (softer: columns of a page can be misplaced)


@dataclass
class _Candidate:
    hit_rank: int
    hit: Hit
    start: int  # offset within hit.text
    end: int
    score: float
    tokens: frozenset[str]


class ExtractiveAnswerer:
    """``answer(question, hits) -> Answer``.

    Support is the IDF-weighted share of the question's terms found in the quoted sentences and their
    passages; below ``weights.threshold`` the answer is a refusal. ``idf`` weighs terms; without it a
    term weighs by its length.
    """

    def __init__(
        self, weights: ExtractiveWeights = ExtractiveWeights(), *, idf: Callable[[str], float] | None = None
    ) -> None:
        self.weights = weights
        self.idf = idf or (lambda token: 1.0 + math.log(len(token) + 1))

    @property
    def threshold(self) -> float:
        return self.weights.threshold

    def answer(self, question: Question, hits: list[Hit], *, per_letter: bool = False) -> Answer:
        """``per_letter``: the question names several letters; quote the best sentence of each."""
        contexts = _Contexts()
        chosen = (
            self._select_per_letter(question, hits, contexts)
            if per_letter
            else self._select(question, hits, contexts)
        )
        support = self._support(question, chosen, contexts)
        if not chosen or support < self.weights.threshold:
            return Answer(answer=NOT_FOUND + "。", found=False, hits=tuple(hits), support=round(support, 4))
        chosen.sort(key=lambda c: (c.hit_rank, c.start))
        citations = tuple(Citation.of(c.hit, c.start, c.end, round(c.score, 4)) for c in chosen)
        parts = [
            f"{_display(c.quote)}（{c.doc_number}）[{i}]" if c.doc_number else f"{_display(c.quote)}[{i}]"
            for i, c in enumerate(citations, start=1)
        ]
        return Answer(
            answer="\n".join(parts),
            found=True,
            citations=citations,
            hits=tuple(hits),
            support=round(support, 4),
        )

    def _select(self, question: Question, hits: list[Hit], contexts: _Contexts) -> list[_Candidate]:
        """The best sentence for each part of the question, plus a close runner-up for one-part questions."""
        w = self.weights
        chosen: list[_Candidate] = []
        for part in question.parts:
            ranked = self._rank(part, question, hits, contexts)
            pick = next((c for c in ranked if not any(_overlaps(c, o) for o in chosen)), None)
            if pick is not None:
                chosen.append(pick)
            if len(question.parts) == 1 and pick is not None:
                for cand in ranked[1:]:
                    if len(chosen) >= w.max_quotes - 1 or cand.score < pick.score * w.second_ratio:
                        break
                    if not any(_overlaps(cand, o) for o in chosen):
                        chosen.append(cand)
        return chosen[: w.max_quotes]

    def _select_per_letter(
        self, question: Question, hits: list[Hit], contexts: _Contexts
    ) -> list[_Candidate]:
        chosen: list[_Candidate] = []
        whole = question.as_part()
        for doc_id in dict.fromkeys(h.doc_id for h in hits):
            ranked = self._rank(whole, question, [h for h in hits if h.doc_id == doc_id], contexts)
            if ranked:
                chosen.append(ranked[0])
        return chosen[: self.weights.max_quotes]

    def _rank(self, part: Part, question: Question, hits: list[Hit], contexts: _Contexts) -> list[_Candidate]:
        """Every answer window of every hit, scored for one part of the question, best first."""
        w = self.weights
        weights = self._weights(part, question)
        # "126号" names the letter, not the answer: it counts for the passage, not for the sentence.
        window_weights = {t: v for t, v in weights.items() if t not in question.refs}
        total = sum(weights.values())
        window_total = sum(window_weights.values())
        if not total or not window_total:
            return []
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits):
            context_cov = _coverage(weights, total, contexts.tokens(hit))
            flagged = contexts.flagged(hit)
            for start, end in _windows(hit.text):
                window = hit.text[start:end]
                if window == hit.doc_number or overlaps(flagged, start, end):
                    continue
                tokens = frozenset(tokenize(window))
                score = w.window * _coverage(window_weights, window_total, tokens) + w.context * context_cov
                if part.quantity:
                    score += w.number_bonus if _DIGIT.search(window) else -w.number_penalty
                score += w.rank_bonus / (rank + 1) - w.length_penalty * len(window)
                out.append(_Candidate(rank, hit, start, end, score, tokens))
        out.sort(key=lambda c: -c.score)
        return out

    def _support(self, question: Question, chosen: list[_Candidate], contexts: _Contexts) -> float:
        """How much of the question the chosen sentences and their passages cover (0..1)."""
        if not chosen:
            return 0.0
        w = self.weights
        weights = self._weights(question.as_part(), question)
        total = sum(weights.values())
        if not total:
            return 0.0
        windows = set().union(*(c.tokens for c in chosen))
        passages = set().union(*(contexts.tokens(c.hit) for c in chosen))
        support = 0.5 * _coverage(weights, total, windows) + 0.5 * _coverage(
            weights, total, passages | windows
        )
        texts = " ".join(_context(c.hit, contexts.flagged(c.hit)) for c in chosen)
        if question.years and not all(y in texts for y in question.years):
            support *= w.missing_year
        if question.places and not all(p in texts for p in question.places):
            support *= w.missing_place
        return support

    def _weights(self, part: Part, question: Question) -> dict[str, float]:
        weights = {t: self.idf(t) for t in question.token_set}
        if part.tokens and not part.whole:
            other = self.weights.other_part
            weights = {t: v * (1.0 if t in part.tokens else other) for t, v in weights.items()}
        return weights


class _Contexts:
    """Per hit, computed once per answer: the tokens of its passage with its letter's 文号, title and
    section, and the spans of its instruction-shaped sentences (never quoted, and their words support
    nothing: a letter is data, not instructions)."""

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str]] = {}
        self._flagged: dict[str, tuple[tuple[int, int], ...]] = {}

    def flagged(self, hit: Hit) -> tuple[tuple[int, int], ...]:
        if hit.chunk_id not in self._flagged:
            self._flagged[hit.chunk_id] = instruction_spans(hit.text)
        return self._flagged[hit.chunk_id]

    def tokens(self, hit: Hit) -> frozenset[str]:
        if hit.chunk_id not in self._tokens:
            self._tokens[hit.chunk_id] = frozenset(tokenize(_context(hit, self.flagged(hit))))
        return self._tokens[hit.chunk_id]


def _context(hit: Hit, flagged: tuple[tuple[int, int], ...] = ()) -> str:
    text = hit.text
    for a, b in reversed(flagged):
        text = text[:a] + " " + text[b:]
    return f"{hit.doc_number} {hit.title} {hit.section} {text}"


def _coverage(weights: dict[str, float], total: float, tokens: set[str] | frozenset[str]) -> float:
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def _windows(text: str) -> list[tuple[int, int]]:
    """Sentences of a passage; a long sentence is offered as windows of 1-3 consecutive clauses."""
    out: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text):
        start, end = _strip(text, match.start(), match.end())
        if start >= end:
            continue
        if end - start <= _MAX_QUOTE:
            out.append((start, end))
            continue
        clauses = [_strip(text, m.start(), m.end()) for m in _CLAUSE.finditer(text, start, end)]
        clauses = [(a, b) for a, b in clauses if a < b]
        for i in range(len(clauses)):
            for j in range(i, min(i + 3, len(clauses))):
                a, b = clauses[i][0], clauses[j][1]
                if b - a <= _MAX_QUOTE or i == j:
                    out.append((a, b))
    return out


def _display(quote: str) -> str:
    """A quote as a line of the answer: a clause-ending ；or ，reads as the end of the sentence."""
    return quote.strip().rstrip("；;，,、：:")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "，,："):
        end -= 1
    return start, end


def _overlaps(a: _Candidate, b: _Candidate) -> bool:
    return (
        a.hit.doc_id == b.hit.doc_id
        and (a.hit.start + a.start) < (b.hit.start + b.end)
        and (b.hit.start + b.start) < (a.hit.start + a.end)
    )
