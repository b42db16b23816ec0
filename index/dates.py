"""Dates and numbers as letters print them: 2022-07-12, 2022年7月12日, 二〇二二年七月十二日, 20211123."""

from __future__ import annotations

import re

_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0, "两": 2}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN = "〇零○Ｏ一二三四五六七八九十百千两"
_TIME = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
_FORMS = (
    re.compile(rf"(\d{{4}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日{_TIME}"),
    re.compile(rf"(\d{{4}})\s*[-/.．]\s*(\d{{1,2}})\s*[-/.．]\s*(\d{{1,2}}){_TIME}"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(rf"([{_CN}]{{4}})\s*年\s*([{_CN}]{{1,3}})\s*月\s*([{_CN}]{{1,3}})\s*日"),
)


def parse_date(value: str) -> tuple[int, int, int] | None:
    """(year, month, day) when ``value`` is a date and nothing else (a time of day may follow)."""
    value = value.strip()
    for form in _FORMS:
        match = form.fullmatch(value)
        if not match:
            continue
        parts = [_number(g) for g in match.groups()]
        if None in parts:
            return None
        year, month, day = (p for p in parts if p is not None)
        if 1949 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
            return year, month, day
    return None


def iso(date: tuple[int, int, int]) -> str:
    return f"{date[0]:04d}-{date[1]:02d}-{date[2]:02d}"


def chinese_number(value: str) -> int | None:
    """一百三十三 -> 133, 二〇二二 -> 2022 (digit by digit), 十二 -> 12; None if not a numeral."""
    if not value or any(c not in _DIGIT and c not in _UNIT for c in value):
        return None
    if not any(c in _UNIT for c in value):
        return int("".join(str(_DIGIT[c]) for c in value))
    total, digit = 0, None
    for c in value:
        if c in _UNIT:
            total += (digit if digit is not None else 1) * _UNIT[c]
            digit = None
        else:
            digit = _DIGIT[c]
    return total + (digit or 0)


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else chinese_number(value)
