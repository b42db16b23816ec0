"""Checkable claims in Chinese text: numbers with units, dates and 文号.

Generated text (LLM answers, drafts) is checked against its sources by comparing claims, not substrings:
``1588亿元`` is supported by ``1588亿元`` but not by ``15880亿元`` or ``1588万元``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# Length-preserving normalisation, so that a match in the normalised text slices the original text.
_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    "％": "%",
    "．": ".",
    "［": "〔",
    "[": "〔",
    "（": "〔",
    "(": "〔",
    "【": "〔",
    "﹝": "〔",
    "〖": "〔",
    "］": "〕",
    "]": "〕",
    "）": "〕",
    ")": "〕",
    "】": "〕",
    "﹞": "〕",
    "〗": "〕",
    "\u3000": " ",
    "—": "-",
    "–": "-",
    "－": "-",
    "～": "-",
    "~": "-",
}
_TABLE = str.maketrans(_FULLWIDTH)

_WS = r"[ \t\n]*"
_YEAR = r"(?:19|20)\d{2}"
# 文号: issuer abbreviation, 〔year〕, serial number, 号. Brackets are already normalised to 〔〕.
_DOC_NUMBER = re.compile(
    rf"(?P<prefix>[\u4e00-\u9fff]{{0,12}}){_WS}〔{_WS}(?P<year>{_YEAR}){_WS}〕{_WS}第?{_WS}(?P<serial>\d{{1,5}}){_WS}号"
)
# Words that end the text before an issuer abbreviation ("根据渝科局函〔2022〕242号").
_PREFIX_CUT = re.compile(r".*(?:[的和及与是在了据照见为即将把以从向对由经按]|文件|文号|字号|编号)")
_MAX_PREFIX = 8

_DATE = re.compile(
    rf"(?<![\d.])(?P<y>{_YEAR}){_WS}年(?:{_WS}(?P<m>1[0-2]|0?[1-9]){_WS}月(?:{_WS}(?P<d>3[01]|[12]\d|0?[1-9]){_WS}[日号])?)?"
    rf"|(?<![\d.])(?P<iy>{_YEAR})[-./](?P<im>1[0-2]|0?[1-9])[-./](?P<id>3[01]|[12]\d|0?[1-9])(?!\d)"
    rf"|(?<!\d)(?P<mm>1[0-2]|0?[1-9]){_WS}月(?:{_WS}(?P<md>3[01]|[12]\d|0?[1-9]){_WS}[日号])?"
)
# "2023-2027年": the first year of a range is a year too.
_YEAR_RANGE = re.compile(rf"(?P<y>{_YEAR}){_WS}[-至到]{_WS}(?={_YEAR}{_WS}年)")

# Citation markers ([1], 【2】, (3)) and list enumerators (1、) are not claims.
_NOT_CLAIMS = re.compile(
    r"〔 *\d{1,3}(?: *[,，、-] *\d{1,3})* *〕|^[ \t]*\d{1,2}(?:、|\.(?!\d))", re.MULTILINE
)

_MAGNITUDE = r"万亿|千万|百万|亿|万|千|百"
_UNITS = (
    "元 美元 人民币 % ‰ 个百分点 百分点 倍 家 项 个 人次 人 名 位 件 次 所 户 座 台 套 条 篇 部 批 类 种 "
    "支 只 场 期 届 年 月 日 天 周 小时 分钟 岁 亩 公顷 平方公里 平方米 立方米 吨 公斤 千克 公里 千米 米 "
    "千瓦时 千瓦 兆瓦 号 辆 艘 架 株 棵 头 处 块 栋 间 张 本 册 份 门 班 校 床 例 元/月 元/人"
)
# Longest first, so that 平方米 wins over 米.
_BASE_UNITS = "|".join(re.escape(u) for u in sorted(_UNITS.split(), key=len, reverse=True))
_NUMBER = re.compile(
    r"(?<![\dA-Za-z.])(?P<num>\d+/\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\dA-Za-z]|[./]\d)"
    rf"(?:{_WS}(?:余|多)(?=(?:{_MAGNITUDE}|{_BASE_UNITS})))?(?:[ \t]*(?P<mag>{_MAGNITUDE}))?"
    rf"(?:(?:余|多)(?={_BASE_UNITS}))?(?:[ \t]*(?P<base>{_BASE_UNITS}))?"
)


@dataclass(frozen=True)
class Claim:
    """One claim: its text as written and a key that identifies the fact it states."""

    text: str
    kind: str  # "doc_number" | "date" | "number"
    key: tuple[object, ...]


def normalise(text: str) -> str:
    """Full-width digits, brackets and dashes to one form; same length as ``text``."""
    return text.translate(_TABLE)


def extract_claims(text: str) -> list[str]:
    """Numbers (with their unit where present), dates and 文号 of ``text``, as written, in order."""
    return [claim.text for claim in find_claims(text)]


def unsupported_claims(text: str, passages: list[str]) -> list[str]:
    """The claims of ``text`` that no passage states.

    A 文号 is supported by the same year and serial number (one issuer abbreviation may be a suffix of
    the other); a date by a date with the same year/month/day (a bare year also by the same four-digit
    number); a number by the same value with the same unit (a number written without a unit by the same
    value with any unit).
    """
    known = [claim for passage in passages for claim in find_claims(passage)]
    return [claim.text for claim in find_claims(text) if not any(_supports(k, claim) for k in known)]


def find_claims(text: str) -> list[Claim]:
    """Like :func:`extract_claims` with the kind and comparison key of each claim; one claim per key."""
    norm = normalise(text)
    taken = [False] * len(norm)
    found: list[tuple[int, Claim]] = []

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(start: int, end: int, kind: str, key: tuple[object, ...]) -> None:
        taken[start:end] = [True] * (end - start)
        found.append((start, Claim(_compact(text[start:end]), kind, key)))

    for m in _NOT_CLAIMS.finditer(norm):
        taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    for m in _DOC_NUMBER.finditer(norm):
        prefix = m.group("prefix")
        cut = _PREFIX_CUT.match(prefix)
        if cut:
            prefix = prefix[cut.end() :]
        prefix = prefix[-_MAX_PREFIX:]
        start = m.start("prefix") + len(m.group("prefix")) - len(prefix)
        take(start, m.end(), "doc_number", (prefix, int(m.group("year")), int(m.group("serial"))))
    for m in _DATE.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        if m.group("y"):
            parts = (m.group("y"), m.group("m"), m.group("d"))
        elif m.group("iy"):
            parts = (m.group("iy"), m.group("im"), m.group("id"))
        else:
            parts = (None, m.group("mm"), m.group("md"))
        take(m.start(), m.end(), "date", tuple(int(p) if p else None for p in parts))
    for m in _YEAR_RANGE.finditer(norm):
        if free(m.start("y"), m.end("y")):
            take(m.start("y"), m.end("y"), "date", (int(m.group("y")), None, None))
    for m in _NUMBER.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        value = _decimal(m.group("num"))
        if value is None:
            continue
        unit = (m.group("mag") or "") + (m.group("base") or "")
        take(m.start(), m.end(), "number", (value, unit))

    claims: list[Claim] = []
    seen: set[tuple[str, tuple[object, ...]]] = set()
    for _, claim in sorted(found, key=lambda item: item[0]):
        if (claim.kind, claim.key) not in seen:
            seen.add((claim.kind, claim.key))
            claims.append(claim)
    return claims


def _supports(known: Claim, claim: Claim) -> bool:
    if claim.kind == "doc_number":
        if known.kind != "doc_number" or known.key[1:] != claim.key[1:]:
            return False
        a, b = str(known.key[0]), str(claim.key[0])
        return a.endswith(b) or b.endswith(a)
    if claim.kind == "date":
        year, month, day = claim.key
        if known.kind == "number" and month is None and day is None:
            return known.key == (Decimal(str(year)), "")
        return known.kind == "date" and all(
            want is None or want == have for want, have in zip(claim.key, known.key, strict=True)
        )
    if known.kind != "number" or known.key[0] != claim.key[0]:
        return False
    return claim.key[1] in ("", known.key[1])


def _decimal(number: str) -> Decimal | Fraction | None:
    try:
        if "/" in number:
            return Fraction(number)
        return Decimal(number.replace(",", "")).normalize()
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return None


def _compact(surface: str) -> str:
    return re.sub(r"\s+", "", surface)
