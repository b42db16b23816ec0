"""Read letter metadata from the canonical text (never from the file name; never invented)."""

from __future__ import annotations

import re

from rag.types import Article, LetterMeta
from rag.vocabulary import DOC_NUMBER, RENDA, ZHENGXIE, normalise_doc_number

_CN_NUM = "一二三四五六七八九十百零〇"
_SESSION = re.compile(
    rf"((?:全国|省|市|区|县)政协[{_CN_NUM}]+届[{_CN_NUM}]+次会议|(?:省|市|区|县)[{_CN_NUM}]+届人大[{_CN_NUM}]+次会议)"
)
_PROPOSAL_NO = re.compile(r"第?\s*(\d+)\s*号\s*(提案|建议)")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_SALUTATION = re.compile(r"^([^，。：:]{2,24})[：:]$")
_CO_HANDLERS = (
    re.compile(r"汇总(.{2,80}?)(?:的)?会办意见"),
    re.compile(r"会同(.{2,60}?)(?:认真|共同|进行|研究)"),
    re.compile(r"会办单位[：:]\s*([^。\n]{2,80})"),
)
_CONTACT = re.compile(r"联系人[：:]\s*([\u4e00-\u9fa5·]{2,6})")
_PHONE = re.compile(r"(?:联系)?电话[：:]\s*([\d\-－—\s,，、]{5,40}\d)")
_ISSUER = re.compile(r"^(\S{2,30}(?:局|厅|委员会|政府|办公室|委))$")
AUTHOR_LINE = re.compile(r"^([\u4e00-\u9fa5]{2,4}) (\S*?(?:省|市|区|县|自治区)\S*(?:厅|局|委|院|部)\S*)$")
_PHOTO_CREDIT = re.compile(r"(供图|摄影|摄)$")


def extract_meta(text: str) -> LetterMeta:
    """Metadata of a reply letter, or of another kind of document (articles only)."""
    lines = text.split("\n")
    head = lines[:12]
    doc_number = _first_doc_number(head)
    title = _title(head)
    if not doc_number and "答复" not in title:
        return _non_letter_meta(lines)
    opening = next((line for line in lines[:15] if "收悉" in line), "")
    proposal_no = _PROPOSAL_NO.search(title) or _PROPOSAL_NO.search(opening)
    session = _SESSION.search(title) or _SESSION.search(opening)
    kind = _kind(title + opening)
    date, year = _date(lines)
    if year is None and doc_number:
        year = int(DOC_NUMBER.search(doc_number).group(1))  # type: ignore[union-attr]
    contact = _CONTACT.search(text)
    phone = _PHONE.search(text)
    proposal_title = re.search(r"《([^》]{2,120})》", opening)
    return LetterMeta(
        doc_number=doc_number,
        title=title,
        kind=kind,
        session=session.group(1) if session else "",
        proposal_number=proposal_no.group(1) if proposal_no else "",
        proposer=_proposer(lines, title),
        proposal_title=proposal_title.group(1) if proposal_title else "",
        co_handlers=_co_handlers(opening),
        issuer=_issuer(lines),
        date=date,
        year=year,
        contact=contact.group(1) if contact else "",
        phone=re.sub(r"\s+", "", phone.group(1)) if phone else "",
    )


def _first_doc_number(lines: list[str]) -> str:
    for line in lines:
        match = DOC_NUMBER.search(line)
        if match:
            return normalise_doc_number(match.group(0))
    return ""


def _title(head: list[str]) -> str:
    for i, line in enumerate(head):
        if line.startswith("关于"):
            parts = [line]
            for nxt in head[i + 1 : i + 3]:
                if "函" in parts[-1] or _SALUTATION.match(nxt):
                    break
                parts.append(nxt)
            return re.sub(r"\s+", "", "".join(parts))
    return ""


def _kind(text: str) -> str:
    if re.search(r"人大|代表|建议\d*号|号建议", text):
        return RENDA
    if re.search(r"政协|委员|提案", text):
        return ZHENGXIE
    return ""


def _proposer(lines: list[str], title: str) -> str:
    start = next((i for i, line in enumerate(lines) if title and line.startswith("关于")), 0)
    for line in lines[start : start + 6]:
        match = _SALUTATION.match(line)
        if match and not match.group(1).startswith(("联系", "抄送")):
            return match.group(1).strip()
    return ""


def _co_handlers(opening: str) -> tuple[str, ...]:
    for pattern in _CO_HANDLERS:
        match = pattern.search(opening)
        if match:
            names = re.split(r"[、，,和及]", match.group(1))
            return tuple(n.strip() for n in names if len(n.strip()) >= 2)
    return ()


def _date(lines: list[str]) -> tuple[str, int | None]:
    """The signing date: a date standing alone near the end (not the 印发 line)."""
    for line in reversed(lines[-12:]):
        match = _DATE.fullmatch(line.strip())
        if match:
            y, m, d = (int(g) for g in match.groups())
            return f"{y:04d}-{m:02d}-{d:02d}", y
    return "", None


def _issuer(lines: list[str]) -> str:
    tail = lines[-10:]
    for i, line in enumerate(tail):
        if _ISSUER.match(line) and not line.endswith("办公室") and not line.startswith(("抄送", "联系")):
            nxt = tail[i + 1] if i + 1 < len(tail) else ""
            if _DATE.fullmatch(nxt.strip()) or i == len(tail) - 1 or "感谢" in tail[i - 1]:
                return line
    for line in lines[:3]:
        if line.endswith("文件"):
            return line[: -len("文件")]
    return ""


def _non_letter_meta(lines: list[str]) -> LetterMeta:
    """A document that is not a reply letter: split it into articles by their author lines."""
    articles = find_articles(lines)
    title = next((line for line in lines[:5] if not _PHOTO_CREDIT.search(line) and len(line) <= 40), "")
    return LetterMeta(title=title, articles=tuple(articles))


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
