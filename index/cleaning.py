"""Turn converted text into one canonical text per document.

Every offset in dafu refers to the canonical text this module returns: one paragraph per line,
no blank lines, conversion artifacts removed, sentences broken by page breaks re-joined. Punctuation is
kept as printed (ASCII ``,:;()`` mixed with full-width stays: readers of the text accept both), and so
are the labelled fields a web page prints above a letter (索引号, 发布机构, 成文日期 …): they are part of
what the user indexed, and the chunker files them under the letter's header.
Cleaning works line by line so that marks set by the readers survive it: which lines were read by OCR
(their spans are recorded on the document) and which are table rows (one unit each: never split or
glued to a neighbour, never cut by the chunker).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.articles import AUTHOR_LINE
from index.formats.model import Block
from index.letter import is_signature_line
from index.pagefields import is_field_line

_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
_BOLD = re.compile(r"\*\*")
# Reprint sites mask digits with asterisks (****年, 第**号, *台): a run of one or three-plus asterisks
# between other characters. A document that has one uses "*" as a mask, not as bold markers.
_MASK = re.compile(r"(?<=[^\s*])\*(?=[^\s*])|(?<=[^\s*])\*{3,}|\*{3,}(?=[^\s*])")
# A web export may run the opening and the first sections into one line: the opening ends at
# "现答复如下：", and an enumerated heading (一、 二、 …) after a sentence end starts a paragraph.
_OPENING_END = re.compile(r"(?:复如下|汇报如下)[:：]")
_INLINE_HEADING = re.compile(r"(?<=[。！？；;!?])([一二三四五六七八九十]{1,3})、")
_NUMERALS = "一二三四五六七八九十"
# A heading of a reply letter ends with the kind of document it is; it is complete without a full stop.
_HEADING_END = re.compile(r"(?:答复|答复函|复函|回复|答复意见|的函)$")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# A paragraph that ends with one of these is complete.
_TERMINAL = "。！？；：:!?;…”’」』）)】>"
# A line that starts a new structural unit is never glued to the previous one.
_STRUCTURAL_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]|下一步|最后|联系人|抄送|附件)"
)
# Lines of the signature block are complete even without punctuation.
_BLOCK_LINE = re.compile(
    r"^(?:联系人|联系电话|抄送|附件)|^\S{2,24}(?:局|厅|委员会|办公室|政府)$|^\d{4}年\d{1,2}月\d{1,2}日"
)
_CLAUSE_PUNCT = re.compile(r"[。！？；，、：]")
# Body paragraphs are long; header lines (文号, title, signature) are short.
_MIN_BODY_LINE = 30


@dataclass(frozen=True)
class Cleaned:
    """The canonical text and the spans of it that came from OCR and that are table rows."""

    text: str
    ocr_spans: tuple[tuple[int, int], ...] = ()
    row_spans: tuple[tuple[int, int], ...] = ()


@dataclass
class _Para:
    text: str
    ocr: bool = False
    row: bool = False


def clean_text(raw: str) -> str:
    """Return the canonical text of a converted document."""
    return clean_blocks([Block(raw)]).text


def clean_blocks(blocks: Iterable[Block]) -> Cleaned:
    """The canonical text of a reader's blocks, with the OCR and table-row marks carried through."""
    texts = [
        (
            _BOOKMARK.sub(
                "", b.text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\f", "\n")
            ),
            b,
        )
        for b in blocks
    ]
    masked = any(_MASK.search(text) for text, _ in texts)
    paragraphs: list[_Para] = []
    for text, block in texts:
        if not masked:
            text = _BOLD.sub("", text)
        for line in text.split("\n"):
            line = _normalise_line(line)
            if not line:
                continue
            parts = [line] if block.row else _split_run_on(line)
            paragraphs += [_Para(part, block.ocr, block.row) for part in parts]
    return _assemble(_rejoin(paragraphs))


def _assemble(paragraphs: Sequence[_Para]) -> Cleaned:
    ocr: list[tuple[int, int]] = []
    rows: list[tuple[int, int]] = []
    pos = 0
    for para in paragraphs:
        start, end = pos, pos + len(para.text)
        if para.ocr:
            if ocr and ocr[-1][1] == start - 1:  # the next line of an OCR'd run: one span
                ocr[-1] = (ocr[-1][0], end)
            else:
                ocr.append((start, end))
        if para.row:
            rows.append((start, end))
        pos = end + 1
    return Cleaned("\n".join(p.text for p in paragraphs), tuple(ocr), tuple(rows))


def _normalise_line(line: str) -> str:
    line = line.strip(" \t\u00a0\u3000")
    # Runs of spaces inside a line are layout (signature blocks, "答 复 函"); keep one.
    return _SPACES.sub(" ", line)


def _split_run_on(line: str) -> list[str]:
    """A line holding the opening and the body (as web exports print it) as separate paragraphs."""
    end = _OPENING_END.search(line)
    if not end or end.end() == len(line):
        return [line]
    parts = [line[: end.end()]]
    rest = line[end.end() :]
    expected = 0  # the index of the next enumerated heading: 一、 first, then 二、 …
    pos = 0
    for match in _INLINE_HEADING.finditer(rest):
        if match.group(1) != _NUMERALS[expected : expected + 1]:
            continue
        if match.start() > pos:
            parts.append(rest[pos : match.start()])
        pos = match.start()
        expected += 1
    parts.append(rest[pos:])
    return [part for part in parts if part]


def _rejoin(paragraphs: list[_Para]) -> list[_Para]:
    """Glue a body paragraph cut mid-sentence (by a page break) to its continuation."""
    out: list[_Para] = []
    for para in paragraphs:
        last = out[-1] if out else None
        if last and not last.row and not para.row and _is_cut(last.text) and not _starts_unit(para.text):
            out[-1] = _Para(last.text + para.text, last.ocr or para.ocr, False)
        else:
            out.append(para)
    return out


def _starts_unit(line: str) -> bool:
    """A line that cannot be the continuation of a cut sentence: heading, byline, signature."""
    return bool(
        _STRUCTURAL_START.match(line)
        or _BLOCK_LINE.match(line)
        or AUTHOR_LINE.match(line)
        or is_signature_line(line)
        or re.search(r"[：:]$", line)
        or (len(line) <= _MIN_BODY_LINE and not _CLAUSE_PUNCT.search(line))
    )


def _is_cut(paragraph: str) -> bool:
    return (
        len(paragraph) >= _MIN_BODY_LINE
        and not paragraph.endswith(tuple(_TERMINAL))
        and not _BLOCK_LINE.match(paragraph)
        and not is_field_line(paragraph)
        and not _HEADING_END.search(re.sub(r"\s", "", paragraph))
    )
