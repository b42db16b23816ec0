"""Figures that two letters state differently for the same subject (企业216家 in one letter, 企业203家 in
another), each with its citation, so that a drafter uses the newest one knowingly.

A figure is a number with a counting unit (index.commitments.FIGURE) in a sentence that reports (not
in a promise: a target is not a figure the letter states). Its subject is the words before it in its
clause; its context, the clause's segment (between 。 and ；) and the sentence before. For every
figure of one letter the best match of the same unit in another letter is found, by the subject's
words (the share of the shorter subject's bigrams found in the other) and the context's (Dice of
bigrams, digits left out); when the best match states another value, the pair is flagged. The best
match decides: 平台6个 of one place is not compared with 平台3个 of another when the other letter also
states 平台6个 of the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.chunking import NEXT_STEP
from index.commitments import FIGURE, body_units
from rag.ledger.model import FigureChange
from rag.text import bigrams, dice
from rag.types import Citation, Document
from rag.vocabulary import PROMISE

_SEGMENT = re.compile(r"[^。；;！？]+[。；;！？]?")
_CLAUSE_END = re.compile(r"[，,：:（(]")
_LEADING = re.compile(r"^(?:\d{4}\s*年|目前|截至目前|截止目前|累计|共|已|已经|其中|全年|今年|去年)+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_UNIT = re.compile(r"[^\d.\s]+$")


@dataclass(frozen=True)
class FigureWeights:
    subject: float = 0.6  # share of the subject's words in the match score (the rest: context)
    threshold: float = 0.45  # a best match scoring below it is another subject
    min_subject: int = 3  # bigrams a subject needs (a bare "共" counts nothing)


@dataclass(frozen=True)
class _Figure:
    doc: Document
    start: int  # of the segment cited
    end: int
    value: str  # as printed: 216家
    number: float
    unit: str
    subject: str
    subject_grams: frozenset[str]
    context_grams: frozenset[str]


def figure_changes(
    documents: Sequence[Document], weights: FigureWeights = FigureWeights()
) -> list[FigureChange]:
    """Every figure two letters state differently, earlier letter first where the dates tell."""
    figures = [f for doc in documents if not doc.meta.articles for f in _figures(doc, weights)]
    by_doc: dict[str, list[_Figure]] = {}
    for f in figures:
        by_doc.setdefault(f.doc.doc_id, []).append(f)
    seen: set[frozenset[tuple[str, int]]] = set()
    out = []
    for a in figures:
        for other, candidates in by_doc.items():
            if other == a.doc.doc_id:
                continue
            scored = [(_match(a, b, weights), b) for b in candidates if b.unit == a.unit]
            if not scored:
                continue
            score, b = max(scored, key=lambda p: p[0])
            if score < weights.threshold or b.number == a.number:
                continue
            first, second = (a, b) if _before(a.doc, b.doc) else (b, a)
            key = frozenset({(first.doc.doc_id, first.start), (second.doc.doc_id, second.start)})
            if key in seen:
                continue
            seen.add(key)
            out.append(
                FigureChange(
                    subject=first.subject,
                    earlier=_citation(first, score),
                    later=_citation(second, score),
                    earlier_value=first.value,
                    later_value=second.value,
                )
            )
    return out


def _before(a: Document, b: Document) -> bool:
    """True when ``a`` is known to be the older letter (by date, else by year); ties keep the order."""
    if a.meta.date and b.meta.date:
        return a.meta.date <= b.meta.date
    if a.meta.year is not None and b.meta.year is not None and a.meta.year != b.meta.year:
        return a.meta.year < b.meta.year
    return True


def _match(a: _Figure, b: _Figure, weights: FigureWeights) -> float:
    shorter, longer = sorted((a.subject_grams, b.subject_grams), key=len)
    subject = len(shorter & longer) / len(shorter) if shorter else 0.0
    return weights.subject * subject + (1 - weights.subject) * dice(
        set(a.context_grams), set(b.context_grams)
    )


def _figures(doc: Document, weights: FigureWeights) -> Iterator[_Figure]:
    text = doc.text
    previous = ""
    for unit in body_units(text, doc.meta):
        sentence = text[unit.start : unit.end]
        if NEXT_STEP in unit.section or PROMISE.search(sentence):
            previous = sentence
            continue
        for segment in _SEGMENT.finditer(sentence):
            seg_start = unit.start + segment.start()
            words = segment.group(0)
            context = frozenset(bigrams(previous + words, digits=False))
            for match in FIGURE.finditer(words):
                clause = words[: match.start()]
                clause = _CLAUSE_END.split(clause)[-1]
                subject = _LEADING.sub("", clause.strip())
                grams = frozenset(bigrams(subject, digits=False))
                number = _NUMBER.search(match.group(0))
                unit_match = _UNIT.search(
                    match.group(0).replace("以上", "").replace("左右", "").replace("以内", "")
                )
                if len(grams) < weights.min_subject or number is None or unit_match is None:
                    continue
                yield _Figure(
                    doc=doc,
                    start=seg_start,
                    end=seg_start + len(words.rstrip("。；;！？")),
                    value=match.group(0).replace(" ", ""),
                    number=float(number.group(0)),
                    unit=unit_match.group(0),
                    subject=subject,
                    subject_grams=grams,
                    context_grams=context,
                )
        previous = sentence


def _citation(figure: _Figure, score: float) -> Citation:
    return Citation.in_document(figure.doc, figure.start, figure.end, "", round(score, 4))
