"""Tables as text a reader and the answerer can use: one row a line, a row reading as a sentence.

A data table's first row names its columns when it looks like a header (every cell short and
filled, not all numbers: "指标 | 2023年"); each later row then reads "列名：值，列名：值。", so "2023年全市生命健康产业总营收" finds the row
that holds the figure. A table used for layout (one column, or a cell holding a long passage) is
not data: its paragraphs are read as ordinary paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.formats.model import Block

_LAYOUT_CELL = 200  # a cell longer than this holds prose, not a value
_HEADER_CELL = 20
_NUMBER = re.compile(r"^[\d.,，%％\s()（）+\-—~～亿万元个项家人年月日]*$")
_TRAILING = "。；;，,、 "


def table_blocks(rows: Sequence[Sequence[str]]) -> list[Block]:
    """Blocks for a table given as rows of cell texts (cell paragraphs joined by newlines)."""
    rows = [list(r) for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if width < 2 or any(len(c) > _LAYOUT_CELL for r in rows for c in r):
        return [Block(line) for r in rows for c in r for line in c.split("\n") if line.strip()]
    header = rows[0] if len(rows) > 1 and _is_header(rows[0]) else None
    blocks = []
    for n, row in enumerate(rows):
        cells = [_cell(c) for c in row]
        if header is not None and n > 0:
            labels = [_cell(h) for h in header] + [""] * (len(cells) - len(header))
            parts = [f"{h}：{c}" if h and h != c else c for h, c in zip(labels, cells, strict=False) if c]
        else:
            parts = [c for c in cells if c]
        if parts:
            blocks.append(Block("，".join(parts) + "。", row=True))
    return blocks


def _cell(text: str) -> str:
    return " ".join(line.strip() for line in text.split("\n") if line.strip()).strip(_TRAILING)


def _is_header(row: Sequence[str]) -> bool:
    cells = [_cell(c) for c in row]
    short = all(c and len(c) <= _HEADER_CELL for c in cells)
    return short and any(not _NUMBER.match(c) for c in cells)
