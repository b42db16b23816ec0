"""Documents that are not reply letters (a newspaper page): articles found by their author lines."""

from __future__ import annotations

import re

from index.dates import parse_date
from index.pagefields import is_field_line
from rag.types import Article, LetterMeta

# "王秦 江苏省科学技术厅党组书记、厅长": a name, then an office of a province, city or county.
AUTHOR_LINE = re.compile(r"^([\u4e00-\u9fa5]{2,4}) (\S*?(?:省|市|区|县|自治区)\S*(?:厅|局|委|院|部)\S*)$")
_PHOTO_CREDIT = re.compile(r"(供图|摄影|摄)$")
_SECTION = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d))"
)


def non_letter_meta(lines: list[str]) -> LetterMeta:
    """A document that is not a reply letter: its title, and its articles by their author lines."""
    articles = find_articles(lines)
    title = next((line for line in lines[:5] if _is_title(line)), "")
    return LetterMeta(title=title, articles=tuple(articles))


def _is_title(line: str) -> bool:
    """A page's title: a short line that is no sentence, section heading, page field or date."""
    return (
        len(line) <= 40
        and not _PHOTO_CREDIT.search(line)
        and not re.search(r"[。！？；，,:：]", line)
        and not _SECTION.match(line)
        and not is_field_line(line)
        and parse_date(line) is None
    )


def find_articles(lines: list[str]) -> list[Article]:
    """Articles of a page: each begins with its short title lines, then an author line."""
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    starts: list[tuple[int, str, str]] = []  # (line index where the article starts, title, author)
    for i, line in enumerate(lines):
        match = AUTHOR_LINE.match(line)
        if not match or i == 0:
            continue
        first = i
        while (
            first > 0 and _is_heading_line(lines[first - 1]) and first > (starts[-1][0] + 1 if starts else 0)
        ):
            first -= 1
        starts.append((first, lines[i - 1], f"{match.group(1)} {match.group(2)}"))
    articles = []
    for n, (first, title, author) in enumerate(starts):
        end_line = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        start = offsets[first]
        end = offsets[end_line] - 1 if end_line < len(lines) else pos - 1
        articles.append(Article(title=title, author=author, start=start, end=end))
    return articles


def _is_heading_line(line: str) -> bool:
    return len(line) <= 40 and not re.search(r"[。！？；]", line) and not _PHOTO_CREDIT.search(line)
