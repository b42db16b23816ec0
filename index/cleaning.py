"""Turn converted text into one canonical text per document.

Every offset in dafu refers to the canonical text this module returns: one paragraph per line,
no blank lines, conversion artifacts removed, sentences broken by page breaks re-joined.
"""

from __future__ import annotations

import re

from index.metadata import AUTHOR_LINE

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_BOLD = re.compile(r"\*\*")
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


def clean_text(raw: str) -> str:
    """Return the canonical text of a converted document."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\f", "\n")
    text = _BOOKMARK.sub("", text)
    text = _BOLD.sub("", text)
    lines = [_normalise_line(line) for line in text.split("\n")]
    paragraphs = [line for line in lines if line]
    return "\n".join(_rejoin(paragraphs))


def _normalise_line(line: str) -> str:
    line = line.strip(" \t\u00a0\u3000")
    # Runs of spaces inside a line are layout (signature blocks, "答 复 函"); keep one.
    return _SPACES.sub(" ", line)


def _rejoin(paragraphs: list[str]) -> list[str]:
    """Glue a body paragraph cut mid-sentence (by a page break) to its continuation."""
    out: list[str] = []
    for para in paragraphs:
        if out and _is_cut(out[-1]) and not _starts_unit(para):
            out[-1] = out[-1] + para
        else:
            out.append(para)
    return out


def _starts_unit(line: str) -> bool:
    """A line that cannot be the continuation of a cut sentence: heading, byline, signature."""
    return bool(
        _STRUCTURAL_START.match(line)
        or _BLOCK_LINE.match(line)
        or AUTHOR_LINE.match(line)
        or (len(line) <= _MIN_BODY_LINE and not _CLAUSE_PUNCT.search(line))
    )


def _is_cut(paragraph: str) -> bool:
    return (
        len(paragraph) >= _MIN_BODY_LINE
        and not paragraph.endswith(tuple(_TERMINAL))
        and not _BLOCK_LINE.match(paragraph)
    )
