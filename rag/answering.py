"""Extractive answers (the offline default): pick the sentences of the retrieved passages that answer
the question, cite each one, and refuse when the passages do not support an answer.

A quote is always an exact slice of its document's canonical text: ``text[start:end]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.tokenize import tokenize
from rag.types import Answer, Citation, Hit

NOT_FOUND = "已收录的答复函中未找到相关内容。"

_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]+[”’」』）)]*|[^。！？；!?;\n]+")
_CLAUSE = re.compile(r"[^，,：:]*[，,：:]|[^，,：:]+$")
_QUANTITY_Q = re.compile(
    r"多少|几[家个项人名所次年]|金额|数量|规模|比例|比重|占比|增速|增长|百分|总额|总量|营收|产值|资金|奖励|补助|补贴"
)
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|\b)")
_MAX_QUOTE = 100


@dataclass
class _Candidate:
    hit_rank: int
    hit: Hit
    start: int  # offset within hit.text
    end: int
    score: float
    support: float


class ExtractiveAnswerer:
    """``answer(question, hits) -> Answer``.

    ``threshold`` is the minimum support (share of the question's weighted terms found in the cited
    passage) for ``found: true``; calibrated by the eval. ``idf`` weights question terms; without
    it every term weighs by its length.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        idf: Callable[[str], float] | None = None,
        max_quotes: int = 2,
        second_ratio: float = 0.85,
    ) -> None:
        self.threshold = threshold
        self.idf = idf or (lambda token: 1.0 + math.log(len(token) + 1))
        self.max_quotes = max_quotes
        self.second_ratio = second_ratio

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        candidates = self.candidates(question, hits)
        if not candidates:
            return Answer(answer=NOT_FOUND, found=False, hits=tuple(hits), support=0.0)
        best = candidates[0]
        support = best.support
        if support < self.threshold:
            return Answer(answer=NOT_FOUND, found=False, hits=tuple(hits), support=round(support, 4))
        chosen = [best]
        for cand in candidates[1:]:
            if len(chosen) >= self.max_quotes or cand.score < best.score * self.second_ratio:
                break
            if cand.support >= self.threshold and not any(_overlaps(cand, c) for c in chosen):
                chosen.append(cand)
        chosen.sort(key=lambda c: (c.hit_rank, c.start))
        citations = tuple(_citation(c) for c in chosen)
        parts = [f"{c.quote.strip()}[{i}]" for i, c in enumerate(citations, start=1)]
        return Answer(
            answer="\n".join(parts),
            found=True,
            citations=citations,
            hits=tuple(hits),
            support=round(support, 4),
        )

    def candidates(self, question: str, hits: list[Hit]) -> list[_Candidate]:
        """Every answer window of every hit, best first."""
        q_tokens = set(tokenize(question))
        if not q_tokens:
            return []
        weights = {t: self.idf(t) for t in q_tokens}
        total = sum(weights.values())
        quantity = bool(_QUANTITY_Q.search(question))
        years = set(_YEAR.findall(question))
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits):
            context_tokens = set(tokenize(f"{hit.doc_number} {hit.title} {hit.section} {hit.text}"))
            context_cov = _coverage(weights, total, context_tokens)
            for start, end in _windows(hit.text):
                window = hit.text[start:end]
                tokens = set(tokenize(window))
                cov = _coverage(weights, total, tokens)
                support = 0.5 * cov + 0.5 * context_cov
                if years and not all(y in hit.text or y in hit.doc_number for y in years):
                    support *= 0.5  # the question is about a year this passage does not mention
                score = support + 0.5 * cov
                if quantity:
                    score += 0.15 if _DIGIT.search(window) else -0.2
                score += 0.05 / (rank + 1) - 0.0005 * len(window)
                out.append(_Candidate(rank, hit, start, end, score, support))
        out.sort(key=lambda c: -c.score)
        return out


def _coverage(weights: dict[str, float], total: float, tokens: set[str]) -> float:
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


def _citation(c: _Candidate) -> Citation:
    hit = c.hit
    return Citation(
        doc_id=hit.doc_id,
        doc_number=hit.doc_number,
        title=hit.title,
        section=hit.section,
        quote=hit.text[c.start : c.end],
        start=hit.start + c.start,
        end=hit.start + c.end,
        score=round(c.score, 4),
    )
