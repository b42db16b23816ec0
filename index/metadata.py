"""Read letter metadata from the canonical text (never from the file name; never invented).

Each field is read from the part of the letter that states it (``index.letter``): the letter's own
words first (heading, salutation, opening, signature), the fields of a web page's metadata block only
where the letter is silent. A field no part states stays empty.
"""

from __future__ import annotations

import re

from index.articles import non_letter_meta
from index.dates import iso, parse_date
from index.letter import LetterParts, split_letter
from index.names import issuer, kind, proposer
from index.proposals import proposal_number, proposal_title, session
from rag.types import LetterMeta
from rag.vocabulary import DOC_NUMBER, normalise_doc_number

__all__ = ["extract_meta", "normalise_doc_number"]

_CO_HANDLERS = (
    re.compile(r"汇总(.{2,80}?)(?:的)?会办意见"),
    re.compile(r"会同(.{2,60}?)(?:认真|共同|进行|研究)"),
    re.compile(r"会办单位[：:]\s*([^。\n]{2,80})"),
    re.compile(r"(?:经|由)(?:我[局委厅办])?与(.{2,60}?)(?:共同|联合|协同)(?:研究|办理)"),
)
# Names of a list; 和 joins two bodies only after a body's name (not in 市规划和自然资源局).
_LIST = re.compile(r"[、，,及]|(?<=[局委厅办院府部])和")
# "多部门", "相关单位": no name of a body.
_VAGUE = re.compile(r"^(?:多|各|相关|有关|其他)")
_CONTACT = re.compile(r"联系人[：:]\s*([\u4e00-\u9fa5·]{2,6})")
_PHONE = re.compile(r"(?:联系)?电话[：:]\s*([\d\-－—\s,，、]{5,40}\d)")
# How near the end a signing date may stand.
_TAIL_LINES = 12


def extract_meta(text: str) -> LetterMeta:
    """Metadata of a reply letter, or of another kind of document (articles only)."""
    lines = text.split("\n")
    parts = split_letter(lines)
    doc_number = _doc_number(parts)
    if not doc_number and not parts.is_letter:
        return non_letter_meta(lines)
    opening = parts.opening_text()
    date = _date(parts)
    year = date[0] if date else None
    if year is None and doc_number:
        year = int(DOC_NUMBER.search(doc_number).group(1))  # type: ignore[union-attr]
    name = proposer(parts)
    return LetterMeta(
        doc_number=doc_number,
        title=parts.heading_text() or re.sub(r"\s+", "", parts.fields.get("标题")),
        kind=kind(parts, name),
        session=session(parts),
        proposal_number=proposal_number(parts),
        proposer=name,
        proposal_title=proposal_title(parts),
        co_handlers=_co_handlers(opening),
        issuer=issuer(parts),
        date=iso(date) if date else "",
        year=year,
        contact=_contact(text, parts),
        phone=_phone(text, parts),
    )


def _doc_number(parts: LetterParts) -> str:
    """The 文号: a 发文字号 field, or a line of the header above the salutation."""
    match = DOC_NUMBER.search(parts.fields.get("文号"))
    if match:
        return normalise_doc_number(match.group(0))
    first = next((i for i in (parts.salutation, parts.opening) if i is not None), parts.body_start)
    for i in parts.header_lines():
        if i >= first:
            break
        match = DOC_NUMBER.search(parts.lines[i])
        if match:
            return normalise_doc_number(match.group(0))
    return ""


def _date(parts: LetterParts) -> tuple[int, int, int] | None:
    """The signing date: a date standing alone near the end (not the 印发 line), else the page's
    成文日期 (the date the letter was written; a page's 发布日期 is when it was put online)."""
    lines = parts.lines
    for line in lines[max(parts.body_start, len(lines) - _TAIL_LINES) :]:
        date = parse_date(line)
        if date:
            return date
    for fields in (parts.tail_fields, parts.fields):
        date = parse_date(fields.get("成文日期"))
        if date:
            return date
    return None


def _co_handlers(opening: str) -> tuple[str, ...]:
    for pattern in _CO_HANDLERS:
        match = pattern.search(opening)
        if match:
            names = [n.strip() for n in _LIST.split(match.group(1))]
            names = [n for n in names if len(n) >= 2 and not _VAGUE.match(n)]
            if names:
                return tuple(names)
    return ()


def _contact(text: str, parts: LetterParts) -> str:
    match = _CONTACT.search(text)
    if match:
        return match.group(1)
    value = re.split(r"[、，,\s]*\d", parts.tail_fields.get("联系人"), maxsplit=1)[0]
    return re.sub(r"\s+", "", value) if re.fullmatch(r"[\u4e00-\u9fa5·\s]{2,8}", value) else ""


def _phone(text: str, parts: LetterParts) -> str:
    match = _PHONE.search(text)
    if match:
        return re.sub(r"\s+", "", match.group(1))
    digits = re.search(r"\d[\d\-－—]{4,}\d", parts.tail_fields.get("联系人"))
    return digits.group(0) if digits else ""
