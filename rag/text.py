"""Small text measures shared by answering and drafting."""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w]+")
_NOT_WORD_OR_DIGIT = re.compile(r"[\d\W_]+")


def bigrams(text: str, *, digits: bool = True) -> set[str]:
    """Character bigrams of ``text`` without punctuation or spaces; ``digits=False`` also drops digits
    (two sentences on the same topic with other numbers then share their bigrams)."""
    clean = (_NOT_WORD if digits else _NOT_WORD_OR_DIGIT).sub("", text)
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def dice(a: set[str], b: set[str]) -> float:
    """Dice overlap of two sets (0 when either is empty)."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def coverage(
    weights: dict[str, float], total: float, tokens: set[str] | frozenset[str], partial: float = 0.6
) -> float:
    """The weighted share of the question's terms found in ``tokens``; a term found only inside a
    longer word (放 in 发放) counts ``partial``."""
    if not total:
        return 0.0
    found = 0.0
    for term, weight in weights.items():
        if term in tokens:
            found += weight
        elif partial and any(inside(term, token) for token in tokens if len(token) > len(term)):
            found += partial * weight
    return found / total


def inside(term: str, token: str) -> bool:
    """``term`` is part of ``token`` (放 in 发放) or abbreviates it (科技厅 for 科学技术厅: same first and last
    character, the rest in order)."""
    if term in token:
        return True
    if len(term) < 3 or term[0] != token[0] or term[-1] != token[-1]:
        return False
    rest = iter(token)
    return all(ch in rest for ch in term)
