"""The parts of a reply letter, found on its canonical lines.

A letter is: a header (web-page fields, 文号, heading, salutation and the opening paragraph that ends
"…收悉，现答复如下"), the body (一、 sections …), the closing thanks and the signature block (issuer,
date, contact and 抄送 lines). Real files lack parts: excerpts stop before the signature, some open with
no salutation ("首先感谢某某委员…"), some with no 收悉, some with neither (they start at 一、). Metadata
and chunking both read the parts from here, so the header the chunker files as 来文 is the header the
metadata was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.dates import parse_date
from index.pagefields import PageFields, is_field_line, read_fields

# How far into a letter its header may reach (web exports put up to ~20 field lines first).
_HEAD_LINES = 40
_HONORIFIC = re.compile(r"^(?:尊敬的|敬爱的|亲爱的)\s*")
SALUTATION = re.compile(
    r"^(?:尊敬的|敬爱的|亲爱的)?\s*(?P<name>[^\s，。,；;！？!?：:《》“”（）()]{2,40}?)\s*[：:]\s*(?P<rest>.*)$"
)
# The title after a name in a salutation: a member, or a body that proposes as a whole.
MEMBER = re.compile(r"(?:委员|代表|同志|先生|女士|委员会|委会|支部|代表团)$")
_ADDRESSING = re.compile(r"^(?:您|你|贵|首先|非常感谢|衷心感谢|感谢|谢谢|现将|现就|对您|关于您)")
_NOT_A_NAME = re.compile(r"如下|答复|收悉|以下|现将|措施|情况|工作|问题|意见")
OPENING = re.compile(r"收悉|[》”]\s*悉|复如下|汇报如下")
_STRUCTURAL = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|[一二三四五六七八九十]+是)"
)
_SENTENCE = re.compile(r"[。，,；;！？]")
# A heading names the kind of document; lines of a heading carry no sentence punctuation.
_REPLY_WORD = re.compile(r"答复|复函|回复|的函")
_HEADING_START = re.compile(r"^(?:关于|对)|^\S{2,40}?(?:局|厅|委员会|委|政府|办公室|院|中心)\s*(?:关于|对)")
# A body's name alone on a line (signature, letterhead): 某某市教育局, 某某区人民政府.
ORG_NAME = r"[\u4e00-\u9fa5（）()]{2,40}?(?:局|厅|委员会|委|政府|办公室|院|中心|署|联合会|联|办)"
ORG_LINE = re.compile(rf"^[-•·]?\s*(?P<org>{ORG_NAME})(?:文件|[（(]盖章[）)])?$")
_CLOSING = re.compile(r"^(?:最后[，,]|再次|此复|特此|真挚|衷心|诚挚|非常感谢|感谢|谢谢|在此)")
_PUBLICITY = re.compile(r"^[（(]此件[^）)]{0,10}[）)]$")


@dataclass(frozen=True)
class LetterParts:
    """Line indices of a letter's parts; ``body_start`` ends the header, ``closing_start`` the body."""

    lines: list[str]
    fields: PageFields  # the page fields of the header
    tail_fields: PageFields  # fields of the signature block (承办单位, 联系人 …)
    heading: tuple[int, int] | None  # lines [a, b) of the heading
    salutation: int | None
    opening: int | None  # the line that acknowledges the proposal (…收悉，现答复如下)
    body_start: int
    closing_start: int
    signature_start: int

    @property
    def is_letter(self) -> bool:
        return self.heading is not None or self.salutation is not None or self.opening is not None

    def heading_text(self) -> str:
        if self.heading is None:
            return ""
        return re.sub(r"\s+", "", "".join(self.lines[self.heading[0] : self.heading[1]]))

    def header_lines(self) -> list[int]:
        """The header's own lines (heading, 文号, salutation, opening), not its page fields."""
        return [i for i in range(self.body_start) if i not in self.fields.lines]

    def header_text(self) -> str:
        return "\n".join(self.lines[i] for i in self.header_lines())

    def opening_text(self) -> str:
        """The salutation through the opening, cut where the opening ends (…收悉 / …如下)."""
        first = self.salutation if self.salutation is not None else self.opening
        if first is None:
            return ""
        last = self.opening if self.opening is not None else first
        text = "\n".join(self.lines[first : last + 1])
        ends = [m.end() for m in OPENING.finditer(text)]
        return text[: ends[-1]] if ends else text


def split_letter(lines: list[str]) -> LetterParts:
    head = min(len(lines), _HEAD_LINES)
    salutation = _salutation(lines, head)
    opening = _opening(lines, head, salutation)
    last_header = next((i for i in (opening, salutation) if i is not None), None)
    if last_header is None:
        first_body = _first_body_line(lines, 0, head)
        heading = _heading(lines, head if first_body is None else first_body)
    else:
        heading = _heading(lines, last_header)
    body_start = _body_start(lines, head, last_header, heading)
    signature_start = _signature_start(lines, body_start)
    return LetterParts(
        lines=lines,
        fields=read_fields(lines, range(body_start)),
        tail_fields=read_fields(lines, range(signature_start, len(lines))),
        heading=heading,
        salutation=salutation,
        opening=opening,
        body_start=body_start,
        closing_start=_closing_start(lines, body_start, signature_start),
        signature_start=signature_start,
    )


def salutation_name(line: str) -> str:
    """The addressee of a salutation line, without 尊敬的: 某某委员, 某某、某某代表, 民盟某市委会."""
    match = SALUTATION.match(line)
    return _HONORIFIC.sub("", match.group("name")) if match else ""


def _salutation(lines: list[str], head: int) -> int | None:
    for i in range(head):
        line = lines[i]
        if _STRUCTURAL.match(line):
            return None
        if is_field_line(line):
            continue
        match = SALUTATION.match(line)
        if match and not _NOT_A_NAME.search(match.group("name")):
            rest = match.group("rest") or (lines[i + 1] if i + 1 < len(lines) else "")
            if MEMBER.search(match.group("name")) or _ADDRESSING.match(rest):
                return i
        if OPENING.search(line):
            return None
    return None


def _opening(lines: list[str], head: int, salutation: int | None) -> int | None:
    first = salutation if salutation is not None else 0
    for i in range(first, min(head, first + 4 if salutation is not None else head)):
        if not is_field_line(lines[i]) and OPENING.search(lines[i]):
            return i
        if salutation is None and _STRUCTURAL.match(lines[i]):
            return None
    if salutation is None:
        return None
    if SALUTATION.match(lines[salutation]).group("rest"):  # type: ignore[union-attr]
        return salutation
    nxt = salutation + 1
    return nxt if nxt < len(lines) and _ADDRESSING.match(lines[nxt]) else None


def _heading(lines: list[str], before: int) -> tuple[int, int] | None:
    """The heading: the first header line naming a reply (答复, 复函 …), with the lines above it that
    start it when it is printed over two or three lines."""
    for i in range(before):
        line = re.sub(r"\s+", "", lines[i])
        if is_field_line(lines[i]) or re.search(r"[。！？]", line) or len(line) > 150:
            continue
        if not _REPLY_WORD.search(line):
            continue
        first = i
        while first > 0 and i - first < 2 and not _HEADING_START.search(_joined(lines, first, i + 1)):
            above = lines[first - 1]
            if is_field_line(above) or re.search(r"[。！？：:]", above) or len(above) > 60:
                break
            first -= 1
        if not _HEADING_START.search(_joined(lines, first, i + 1)):
            first = i
        return first, i + 1
    return None


def _joined(lines: list[str], a: int, b: int) -> str:
    return re.sub(r"\s+", "", "".join(lines[a:b]))


def _body_start(lines: list[str], head: int, last_header: int | None, heading: tuple[int, int] | None) -> int:
    if last_header is not None:
        return last_header + 1
    first = heading[1] if heading else 0
    found = _first_body_line(lines, first, head)
    return first if found is None else found


def _first_body_line(lines: list[str], first: int, head: int) -> int | None:
    """In a letter without salutation or opening: the first section heading or sentence paragraph."""
    for i in range(first, head):
        line = lines[i]
        if is_field_line(line):
            continue
        if _STRUCTURAL.match(line) or (len(line) >= 40 and "。" in line):
            return i
    return None


def is_signature_line(line: str) -> bool:
    """A line of the signature block: issuer, date, contact, 抄送, 印发, (此件主动公开), and the note
    in brackets under the date (附注, e.g. "（联系人：王芳，电话：…）")."""
    return bool(
        parse_date(line)
        or ORG_LINE.match(line)
        or is_field_line(line)
        or is_field_line(_bracketed(line))
        or _PUBLICITY.match(line)
        or (line.endswith("印发") and len(line) <= 40)
    )


def _bracketed(line: str) -> str:
    """The inside of a line wrapped in one pair of brackets, else ""."""
    line = line.strip()
    if len(line) > 2 and line[0] in "（(" and line[-1] in "）)":
        return line[1:-1]
    return ""


def _signature_start(lines: list[str], body_start: int) -> int:
    start = len(lines)
    while start > body_start and is_signature_line(lines[start - 1]):
        start -= 1
    return start


def _closing_start(lines: list[str], body_start: int, signature_start: int) -> int:
    start = signature_start
    while start > body_start + 1 and signature_start - start < 2 and _CLOSING.match(lines[start - 1]):
        start -= 1
    if start == signature_start and signature_start < len(lines) and start > body_start + 1:
        last = lines[start - 1]
        if "感谢" in last and len(last) <= 150:
            start -= 1
    return start
