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
    r"多少|几[家个项人名所次年场条]|金额|数量|规模|比例|比重|占比|增速|增长|百分|总额|总量|营收|产值|资金|奖励|补助|补贴"
)
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|\b)")
# A question with several asks: "…多少家？…多少钱？" or "…有几家，总市值多少？"
_PART_SPLIT = re.compile(r"(?<=[？?；;])|[，,](?=[^，,？?]*(?:多少|几|哪|什么|谁|是否|怎么|如何))")
_PLACES = re.compile(
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|宁波|厦门|成都|"
    "武汉|西安|合肥|青岛|济南|长沙|郑州|兰州|福州|鹿城|龙湾|瓯海|洞头|乐清|瑞安|永嘉|平阳|苍南|文成|泰顺|龙港"
)
_LETTER_REF = re.compile(r"(\d{2,4})\s*号")
_MAX_QUOTE = 100
_OTHER_PART_WEIGHT = 0.3


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

    ``threshold`` is the minimum support (the IDF-weighted share of the question's terms found in the
    quoted sentences and their passages) for ``found: true``; calibrated by the eval. ``idf`` weighs
    terms; without it a term weighs by its length.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        idf: Callable[[str], float] | None = None,
        max_quotes: int = 3,
        second_ratio: float = 0.9,
    ) -> None:
        self.threshold = threshold
        self.idf = idf or (lambda token: 1.0 + math.log(len(token) + 1))
        self.max_quotes = max_quotes
        self.second_ratio = second_ratio

    def answer(self, question: str, hits: list[Hit], *, per_letter: bool = False) -> Answer:
        """``per_letter``: the question names several letters; quote the best sentence of each."""
        chosen = self.select_per_letter(question, hits) if per_letter else self.select(question, hits)
        support = self.support(question, chosen)
        if not chosen or support < self.threshold:
            return Answer(answer=NOT_FOUND, found=False, hits=tuple(hits), support=round(support, 4))
        chosen.sort(key=lambda c: (c.hit_rank, c.start))
        citations = tuple(_citation(c) for c in chosen)
        parts = [
            f"{_display(c.quote)}（{c.doc_number}）[{i}]" if c.doc_number else f"{_display(c.quote)}[{i}]"
            for i, c in enumerate(citations, start=1)
        ]
        return Answer(
            answer="\n".join(parts),
            found=True,
            citations=tuple(citations),
            hits=tuple(hits),
            support=round(support, 4),
        )

    def select(self, question: str, hits: list[Hit]) -> list[_Candidate]:
        """The best sentence for each part of the question, plus a close runner-up for one-part questions."""
        parts = split_question(question)
        chosen: list[_Candidate] = []
        for part in parts:
            ranked = self.rank(part, question, hits)
            pick = next((c for c in ranked if not any(_overlaps(c, o) for o in chosen)), None)
            if pick is not None:
                chosen.append(pick)
            if len(parts) == 1 and pick is not None:
                for cand in ranked[1:]:
                    if len(chosen) >= self.max_quotes - 1 or cand.score < pick.score * self.second_ratio:
                        break
                    if not any(_overlaps(cand, o) for o in chosen):
                        chosen.append(cand)
        return chosen[: self.max_quotes]

    def select_per_letter(self, question: str, hits: list[Hit]) -> list[_Candidate]:
        chosen: list[_Candidate] = []
        for doc_id in dict.fromkeys(h.doc_id for h in hits):
            ranked = self.rank(question, question, [h for h in hits if h.doc_id == doc_id])
            if ranked:
                chosen.append(ranked[0])
        return chosen[: self.max_quotes]

    def rank(self, part: str, question: str, hits: list[Hit]) -> list[_Candidate]:
        """Every answer window of every hit, scored for one part of the question, best first."""
        weights = self._weights(part, question)
        # "126号" names the letter, not the answer: it counts for the passage, not for the sentence.
        refs = set(_LETTER_REF.findall(question))
        window_weights = {t: w for t, w in weights.items() if t not in refs}
        total = sum(weights.values())
        window_total = sum(window_weights.values())
        if not total or not window_total:
            return []
        quantity = bool(_QUANTITY_Q.search(part))
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits):
            context = set(tokenize(_context(hit)))
            context_cov = _coverage(weights, total, context)
            for start, end in _windows(hit.text):
                window = hit.text[start:end]
                if window == hit.doc_number:
                    continue
                tokens = frozenset(tokenize(window))
                score = 1.0 * _coverage(window_weights, window_total, tokens) + 0.5 * context_cov
                if quantity:
                    score += 0.15 if _DIGIT.search(window) else -0.2
                score += 0.05 / (rank + 1) - 0.0005 * len(window)
                out.append(_Candidate(rank, hit, start, end, score, tokens))
        out.sort(key=lambda c: -c.score)
        return out

    def support(self, question: str, chosen: list[_Candidate]) -> float:
        """How much of the question the chosen sentences and their passages cover (0..1)."""
        if not chosen:
            return 0.0
        weights = self._weights(question, question)
        total = sum(weights.values())
        if not total:
            return 0.0
        windows = set().union(*(c.tokens for c in chosen))
        contexts = set().union(*(tokenize(_context(c.hit)) for c in chosen))
        support = 0.5 * _coverage(weights, total, windows) + 0.5 * _coverage(
            weights, total, contexts | windows
        )
        texts = " ".join(_context(c.hit) for c in chosen)
        years = set(_YEAR.findall(question))
        if years and not all(y in texts for y in years):
            support *= 0.5  # the question is about a year the passages never mention
        places = set(_PLACES.findall(question))
        if places and not all(p in texts for p in places):
            support *= (
                0.75  # ... or about a place they never mention (softer: columns of a page can be misplaced)
            )
        return support

    def _weights(self, part: str, question: str) -> dict[str, float]:
        weights = {t: self.idf(t) for t in set(tokenize(question))}
        own = set(tokenize(part))
        if own and part != question:
            weights = {t: w * (1.0 if t in own else _OTHER_PART_WEIGHT) for t, w in weights.items()}
        return weights


def split_question(question: str) -> list[str]:
    """The asks of a question: '…有几家，总市值多少？' -> ['…有几家，', '总市值多少？']."""
    parts = [p.strip(" ，,") for p in _PART_SPLIT.split(question)]
    parts = [p for p in parts if len(p) >= 3]
    return parts or [question]


def _context(hit: Hit) -> str:
    return f"{hit.doc_number} {hit.title} {hit.section} {hit.text}"


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


def _citation(c: _Candidate) -> Citation:
    return Citation.of(c.hit, c.start, c.end, round(c.score, 4))
