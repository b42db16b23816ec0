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
