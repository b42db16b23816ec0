"""Metric functions. Pure: they see texts, offsets and ranks, never a service.

Ranks are 1-based; ``None`` means "not retrieved".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from rag.types import Hit

# A passage counts as relevant when it covers at least this share of the gold quote's span.
MIN_QUOTE_OVERLAP = 0.5


def compact(text: str) -> str:
    """Text without whitespace: letters keep spaces the cleaned canonical text may drop (``29 个``)."""
    return "".join(text.split())


def locate(text: str, quote: str, nth: int = 0) -> tuple[int, int] | None:
    """The span of the ``nth`` occurrence (from 0) of ``quote`` in ``text``, ignoring whitespace on both
    sides; ``None`` if absent."""
    needle = compact(quote)
    if not needle:
        return None
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    at = _find(compact(text), needle, nth)
    if at < 0:
        return None
    return positions[at], positions[at + len(needle) - 1] + 1


def occurrence(text: str, quote: str, start: int) -> int:
    """Which occurrence of ``quote`` (whitespace ignored) begins at ``start`` in ``text``: the number of
    occurrences that begin before it. Carries an offset into a raw file over to the file's cleaned text,
    where ``locate(clean, quote, nth=occurrence(raw, quote, start))`` finds the same passage."""
    needle, haystack, before = compact(quote), compact(text), len(compact(text[:start]))
    n, at = 0, haystack.find(needle)
    while 0 <= at < before:
        n, at = n + 1, haystack.find(needle, at + 1)
    return n


def _find(haystack: str, needle: str, nth: int) -> int:
    at = haystack.find(needle)
    for _ in range(nth):
        if at < 0:
            break
        at = haystack.find(needle, at + 1)
    return at


def covers(hit: Hit, quote: str, span: tuple[int, int] | None) -> bool:
    """Whether a passage of the gold document holds the quote: verbatim (whitespace removed), or by
    offsets overlapping at least half of the quote's span in the canonical text."""
    if compact(quote) and compact(quote) in compact(hit.text):
        return True
    if span is None:
        return False
    start, end = span
    overlap = min(end, hit.end) - max(start, hit.start)
    return end > start and overlap >= MIN_QUOTE_OVERLAP * (end - start)


def gold_ranks(
    hits: Sequence[Hit], gold: Sequence[tuple[str, str, tuple[int, int] | None]]
) -> list[int | None]:
    """For each gold item (doc_id, quote, span in canonical text), the rank of the first passage that
    covers it."""
    ranks: list[int | None] = []
    for doc_id, quote, span in gold:
        found = next(
            (r for r, h in enumerate(hits, start=1) if h.doc_id == doc_id and covers(h, quote, span)), None
        )
        ranks.append(found)
    return ranks


def doc_rank(hits: Sequence[Hit], doc_id: str) -> int | None:
    """Rank of a document when hits are deduplicated per document (each keeps its best rank)."""
    seen: list[str] = []
    for hit in hits:
        if hit.doc_id not in seen:
            seen.append(hit.doc_id)
            if hit.doc_id == doc_id:
                return len(seen)
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of gold items found in the top k (1.0 or 0.0 for a single gold item)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def reciprocal_rank(ranks: Sequence[int | None], k: int = 10) -> float:
    """1 / rank of the first relevant passage within the top k."""
    found = [r for r in ranks if r is not None and r <= k]
    return 1.0 / min(found) if found else 0.0


def ndcg(ranks: Sequence[int | None], k: int = 10) -> float:
    """Binary nDCG@k. A passage gains 1 when it is the first to cover some gold item; the ideal list
    covers one gold item per position. One passage covering two items gains once, so nDCG ≤ 1."""
    if not ranks:
        return 0.0
    positions = {r for r in ranks if r is not None and r <= k}
    dcg = sum(1.0 / math.log2(r + 1) for r in positions)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(ranks), k) + 1))
    return dcg / ideal


def facts_present(answer: str, facts: Sequence[str | Sequence[str]]) -> bool:
    """Every fact appears in the answer, whitespace ignored. A fact is a string, or the sequence of the
    forms it may take (any one counts)."""
    text = compact(answer)
    forms = [(fact,) if isinstance(fact, str) else fact for fact in facts]
    return bool(forms) and all(any(compact(form) in text for form in fact) for fact in forms)


def _squad_chars(text: str) -> list[str]:
    # SQuAD-style normalisation for Chinese: compare characters, drop whitespace and punctuation.
    return [ch for ch in text.lower() if not ch.isspace() and not unicodedata.category(ch).startswith("P")]


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    pred = _squad_chars(prediction)
    return 1.0 if any(pred == _squad_chars(a) for a in answers) else 0.0


def char_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best character-level F1 of the prediction against any reference answer."""
    pred = _squad_chars(prediction)
    best = 0.0
    for answer in answers:
        gold = _squad_chars(answer)
        common = sum((Counter(pred) & Counter(gold)).values())
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def refusal_errors(
    answerable: Sequence[float], unanswerable: Sequence[float], threshold: float
) -> tuple[float, float]:
    """(false refusal rate, false answer rate) when an answer is given iff support ≥ threshold."""
    false_refusals = sum(1 for s in answerable if s < threshold) / len(answerable) if answerable else 0.0
    false_answers = (
        sum(1 for s in unanswerable if s >= threshold) / len(unanswerable) if unanswerable else 0.0
    )
    return false_refusals, false_answers


def best_threshold(answerable: Sequence[float], unanswerable: Sequence[float]) -> tuple[float, float]:
    """The support threshold that maximises balanced accuracy, as (threshold, balanced accuracy).

    Every distinct support value is a candidate cut; the threshold reported is the midpoint between a
    cut and the next lower value, so that small score shifts do not flip the decision. Ties go to the
    lower threshold (fewer false refusals)."""
    values = sorted(set(answerable) | set(unanswerable))
    if not values:
        return 0.0, math.nan
    best_t, best_acc = values[0], -1.0
    for i, cut in enumerate([*values, values[-1] + 0.01]):
        fr, fa = refusal_errors(answerable, unanswerable, cut)
        acc = ((1 - fr) + (1 - fa)) / 2
        if acc > best_acc + 1e-12:
            lower = values[i - 1] if i > 0 else 0.0
            best_t, best_acc = (lower + cut) / 2, acc
    return best_t, best_acc


_WS = re.compile(r"\s+")


def one_line(text: str, width: int = 60) -> str:
    """A text shortened to one line for tables and reports."""
    flat = _WS.sub(" ", text).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"
