"""Printed lines back into paragraphs, from their position on the page (OCR'd scans, OFD pages).

Pieces on one printed line (wide letter-spacing splits them) are merged left to right; a line
indented from the text's left edge starts a paragraph, and a line that stops short of the right edge
ends one. Chinese lines are joined without a space.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def rows(lines: list[Line]) -> list[Line]:
    """Merge boxes that sit on one printed line (wide letter-spacing splits them), top to bottom."""
    found: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.top + ln.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        row = found[-1] if found else None
        if row and abs(middle - sum((r.top + r.bottom) / 2 for r in row) / len(row)) < line.height * 0.5:
            row.append(line)
        else:
            found.append([line])
    merged = []
    for row in found:
        row.sort(key=lambda ln: ln.left)
        text = row[0].text
        for prev, cur in zip(row, row[1:], strict=False):
            text += _joiner(prev.text, cur.text) + cur.text
        merged.append(
            Line(
                text,
                min(r.left for r in row),
                min(r.top for r in row),
                max(r.right for r in row),
                max(r.bottom for r in row),
            )
        )
    return merged


def paragraphs(lines: list[Line]) -> list[str]:
    """Printed lines joined back into paragraphs from their geometry."""
    if not lines:
        return []
    body = sorted(ln.height for ln in lines)[len(lines) // 2]  # a body character's height
    left = min(ln.left for ln in lines)
    right = max(ln.right for ln in lines)
    # A column narrower than this many characters has no full lines (a page of short lines).
    column = right - left >= body * 12
    out: list[str] = []
    open_paragraph = False
    for line in lines:
        indented = line.left - left > body * 1.2
        if open_paragraph and not indented:
            out[-1] += _joiner(out[-1], line.text) + line.text
        else:
            out.append(line.text)
        # A full line goes on in the next one unless that one is indented, even after a full stop
        # (a paragraph's sentence can end exactly at the margin).
        open_paragraph = column and right - line.right < body * 1.5
    return out


def _joiner(before: str, after: str) -> str:
    """A space between two words of English text; Chinese text (a Latin word in it included, which
    Chinese layout may break anywhere) and numbers run on without one."""
    english = sum(ch.isascii() for ch in before) * 2 > len(before)
    return " " if english and _latin(before[-1]) and _latin(after[0]) else ""


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def stack(pages: list[list[Line]]) -> list[Line]:
    """The lines of consecutive pages as one column, so a paragraph can run on over a page break."""
    out: list[Line] = []
    offset = 0.0
    for lines in pages:
        out += [Line(ln.text, ln.left, ln.top + offset, ln.right, ln.bottom + offset) for ln in lines]
        offset = max((ln.bottom for ln in out), default=offset) + 1.0
    return out
