"""What a reply letter says about the proposal it answers: its number, its title, its session."""

from __future__ import annotations

import re

from index.dates import chinese_number
from index.letter import LetterParts
from rag.vocabulary import DOC_NUMBER

_CN = "一二三四五六七八九十百千零〇两"
_NO = r"(?P<n>[A-Za-z]{0,4}\d+(?:-\d+)?)"
_CN_NO = rf"(?P<c>[{_CN}]+)"
_KIND_WORD = r"(?:提案|建议|议案)"
# The number of the proposal, as headings and openings write it. Leading zeros and letter prefixes are
# kept as printed (第0197号 -> 0197, 第TA2018059号 -> TA2018059): they are how the body files it.
_NUMBER = (
    re.compile(rf"第\s*(?:{_NO}|{_CN_NO})\s*号\s*的?\s*[\u4e00-\u9fa5]{{0,4}}?{_KIND_WORD}"),
    re.compile(rf"[（(]\s*第\s*{_NO}\s*号\s*[）)]"),
    re.compile(rf"{_KIND_WORD}\s*第?\s*{_NO}\s*号"),
    re.compile(rf"(?:会议|届)\s*第?\s*(?:{_NO}|{_CN_NO})\s*号"),
    re.compile(rf"编号\s*[:：]?\s*{_NO}"),
)
_FIELD_NUMBER = re.compile(r"[A-Za-z]{0,4}\d+(?:-\d+)?")
# The proposal's title in the opening: 《…》, “…” after 提出的 (关于“X”的建议 -> X), or unquoted
# 关于…建议 running up to 收悉.
_TITLE = (
    re.compile(r"《([^》]{2,150})》"),
    re.compile(r"(?:提出|所提|提交)的?\s*(?:关于)?“([^”]{2,150})”"),
    re.compile(
        r"(?:提出|所提|提交)的?\s*(关于[^，,。；;《》\n]{2,150}?(?:建议|提案|议案))(?:的(?:提案|建议|议案))?\s*已?收?悉"
    ),
)
_HEADING_TITLE = (
    re.compile(r"《([^》]{2,150})》"),
    re.compile(r"[（(](关于[^（()）]*(?:[（(][^（()）]*[）)][^（()）]*)*(?:建议|提案|议案))[）)]$"),
)
_NUM = "一二三四五六七八九十"
_SESSION = re.compile(
    rf"(?:全国|省|自治区|市|区|县|州|旗)?(?:政协|人大)?\s*第?[{_NUM}]+届\s*(?:人大|政协|人民代表大会|委员会)?"
    rf"\s*第?[{_NUM}]+次会议"
)


def proposal_number(parts: LetterParts) -> str:
    """From a 编号 field, else the header (heading, page title, opening) with its 文号 masked."""
    value = parts.fields.get("提案编号").strip()
    if _FIELD_NUMBER.fullmatch(value):
        return value
    sources = [parts.fields.get("标题"), parts.fields.get("文号"), *parts.header_text().split("\n")]
    for source in sources:
        text = DOC_NUMBER.sub(" ", source)
        for pattern in _NUMBER:
            match = pattern.search(text)
            if match:
                return _number(match)
    return ""


def _number(match: re.Match[str]) -> str:
    if match.groupdict().get("n"):
        return match.group("n")
    value = chinese_number(match.group("c"))
    return str(value) if value is not None else ""


def proposal_title(parts: LetterParts) -> str:
    """From a 提案标题 field, else the opening, else the heading or the page's title."""
    value = parts.fields.get("提案标题")
    if value:
        return value
    opening = parts.opening_text()
    found = [m for m in (p.search(opening) for p in _TITLE) if m]
    if found:
        return min(found, key=lambda m: m.start()).group(1).strip()
    for text in (parts.heading_text(), re.sub(r"\s+", "", parts.fields.get("标题"))):
        for pattern in _HEADING_TITLE:
            match = pattern.search(text)
            if match:
                return match.group(1)
    return ""


def session(parts: LetterParts) -> str:
    """The session the proposal was made at: 市政协十二届二次会议, 市十四届人大四次会议."""
    for text in (parts.fields.get("届次"), parts.heading_text(), parts.opening_text(), parts.header_text()):
        for match in _SESSION.finditer(text):
            value = re.sub(r"\s+", "", match.group(0))
            if re.search(r"政协|人大|人民代表大会", value):
                return value
    return ""
