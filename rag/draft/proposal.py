"""Read a new proposal (提案 / 建议): its title, proposer, session, number, kind and suggestions.

Nothing is guessed: a field the text does not state stays empty and the reply shows a placeholder.
"""

from __future__ import annotations

import re

from index.cleaning import clean_text
from rag.errors import InvalidInput
from rag.types import Frozen
from rag.vocabulary import RENDA, ZHENGXIE

MAX_PROPOSAL_CHARS = 20000  # the default of DAFU_MAX_PROPOSAL_CHARS

_CN = "一二三四五六七八九十"
_BOOK_TITLE = re.compile(r"《([^》]{4,120})》")
_BARE_TITLE = re.compile(r"^(关于[^。；]{2,118}(?:提案|建议))$")
_SESSION = re.compile(
    rf"((?:市|省|区|县)政协[{_CN}百零]+届[{_CN}百零]+次会议|(?:市|省|区|县)[{_CN}百零]+届人大[{_CN}百零]+次会议)"
)
_NUMBER = re.compile(r"第?\s*(\d{1,5})\s*号\s*(?:提案|建议)")
_LABELLED = re.compile(r"(?:提案人|提出人|提案单位|建议人|领衔人|领衔代表)[：:]\s*([^\s，,（(；;。]{2,24})")
# A person with title (林海峰委员, 周敏代表) or a party / group committee (民进市委会, 九三学社市委会).
_PERSON = re.compile(r"(?<![\u4e00-\u9fa5])([\u4e00-\u9fa5]{2,4}(?:委员|代表))(?![\u4e00-\u9fa5])")
_COMMITTEE = re.compile(
    r"((?:民革|民盟|民建|民进|农工党|致公党|九三学社|台盟|工商联|[\u4e00-\u9fa5]{2,6}界)市委会?)"
)
_COMMITTEE_ANY = re.compile(r"([\u4e00-\u9fa5]{2,8}(?:市委会|界别|工商联|总工会|团市委|妇联))")

# "为此，建议：" / "具体建议如下：" / "对此提出如下建议：" / "建议从以下方面加以推进："
_INTRO = re.compile(r"^[^。；]{0,20}(?:建议|如下|以下)[^。；]{0,12}[：:]")
# The same inside a paragraph, after a sentence ("…采购渠道不畅。建议：一、…"), or a heading line of
# its own ("三、对策建议", "具体办法").
_INLINE_INTRO = re.compile(
    r"(?<=[。；！？])\s*[^。；！？：:]{0,20}(?:建议|对策|办法|措施)[^。；！？：:]{0,12}[：:]"
)
_LINE_INTRO = re.compile(r"^[^。；！？：:]{0,20}(?:建议|对策|办法|措施)[^。；！？：:]{0,12}[：:]")
_INTRO_HEADING = re.compile(
    rf"^(?:[{_CN}]+、|[（(][{_CN}]+[）)])?\s*(?:具体|主要|几点|对策|相关)*(?:建议|对策|办法|措施)(?:如下)?[：:]?$"
)
# A title that opens the paragraph it is typed in: "关于…的建议：本地企业…".
_LEAD_TITLE = re.compile(r"^(关于[^。；：:]{2,118}(?:提案|建议))[：:]\s*")
# Items enumerated inside a paragraph, after a sentence end or a colon: 一、…；二、… / （一）… / 1.… / ①…
_INLINE_MARKS = (
    re.compile(rf"(?:^|(?<=[。；;！？：:]))\s*([{_CN}]+)、"),
    re.compile(rf"(?:^|(?<=[。；;！？：:]))\s*[（(]([{_CN}]+)[）)]"),
    re.compile(r"(?:^|(?<=[。；;！？：:]))\s*(\d{1,2})[、.．](?!\d)"),
    re.compile(r"(?:^|(?<=[。；;！？：:]))\s*([①②③④⑤⑥⑦⑧⑨⑩])"),
    re.compile(rf"(?:^|(?<=[。；;！？：:]))\s*第([{_CN}]+)[，,、：:]"),
)
_LINE_ITEM = re.compile(
    rf"^(?:[{_CN}]+[、.．]|\d{{1,2}}(?:[、．]|\.(?!\d))|[（(][{_CN}\d]{{1,2}}[）)]|第[{_CN}]+[，,、：:])\s*"
)
_INLINE_ITEM = re.compile(rf"(?:^|(?<=[。；！]))\s*[{_CN}]是")
_SUGGEST_LINE = re.compile(r"^(?:建议|另建议|同时建议)")
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_HEADING_MAX = 40


class Suggestion(Frozen):
    text: str  # the full suggestion, enumerator removed
    summary: str  # its first sentence (or clause), used as the reply's section heading


class Proposal(Frozen):
    """A parsed proposal. Empty fields were not stated in the text."""

    text: str
    title: str = ""
    proposer: str = ""
    session: str = ""
    number: str = ""
    kind: str = ""  # 政协提案 | 人大建议 | "" when nothing tells
    background: str = ""
    suggestions: tuple[Suggestion, ...] = ()


def parse_proposal(
    text: str,
    *,
    title: str | None = None,
    proposer: str | None = None,
    session: str | None = None,
    number: str | None = None,
    kind: str | None = None,
    max_chars: int = MAX_PROPOSAL_CHARS,
) -> Proposal:
    """Parse a proposal; a keyword given here overrides what the text says. Longer than ``max_chars``
    characters (spaces and blank lines not counted) is refused."""
    lines = [_SPACES.sub(" ", line.strip(" \t\u00a0\u3000")) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InvalidInput("提案内容不能为空：请粘贴提案全文，或提供 .txt/.docx/.pdf 文件。")
    chars = sum(len(line) for line in lines)
    if chars > max_chars:
        raise InvalidInput(f"提案过长（{chars} 字，上限 {max_chars} 字）。请只保留提案正文后重试。")
    header = _header_count(lines)
    # Header lines stay as typed; only the body is re-joined (a PDF page break may cut a sentence),
    # since a long title line would otherwise be glued to the proposer line.
    lines = lines[:header] + clean_text("\n".join(lines[header:])).split("\n")
    text = "\n".join(lines)
    head_text = "\n".join(lines[: max(header, 1)])
    found_title = _title(lines[:3])
    lead = _LEAD_TITLE.match(lines[header]) if header < len(lines) else None
    if lead is not None:  # "关于…的建议：正文…" typed as one paragraph
        found_title = found_title or lead.group(1)
        rest = lines[header][lead.end() :]
        lines = lines[: header + 1] + ([rest] if rest else []) + lines[header + 1 :]
        lines[header] = lead.group(1)
        header += 1
        text = "\n".join(lines)
    found_session = _search(_SESSION, head_text) or _search(_SESSION, text[:300])
    found_number = _search(_NUMBER, head_text)
    found_proposer = _proposer(lines[: max(header, 3)])
    body = lines[header:]
    background, suggestions = split_suggestions(body)
    values = {
        "title": title if title is not None else found_title,
        "proposer": proposer if proposer is not None else found_proposer,
        "session": session if session is not None else found_session,
        "number": number if number is not None else found_number,
    }
    return Proposal(
        text=text,
        **{k: (v or "").strip() for k, v in values.items()},
        kind=kind or _kind(values["session"] or "", values["proposer"] or "", values["title"] or "", text),
        background=background,
        suggestions=tuple(suggestions),
    )


def _search(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(1) if match else ""


def _header_count(lines: list[str]) -> int:
    """Leading lines that are the title, proposer or session line (short, not sentences)."""
    count = 0
    for line in lines[:4]:
        short = len(line) <= 80 and not re.search(r"[。；]", line.rstrip("。"))
        is_head = bool(
            _BOOK_TITLE.fullmatch(line.strip())
            or _BARE_TITLE.match(line)
            or _LABELLED.search(line)
            or _SESSION.search(line)
            or _PERSON.fullmatch(line.strip())
            or _COMMITTEE_ANY.fullmatch(line.strip())
        )
        if not (short and is_head):
            break
        count += 1
    return count


def _title(lines: list[str]) -> str:
    for line in lines:
        match = _BOOK_TITLE.search(line)
        if match and not _INTRO.match(line):
            return match.group(1).strip()
        bare = _BARE_TITLE.match(line.strip())
        if bare:
            return bare.group(1)
    return ""


def _proposer(lines: list[str]) -> str:
    for line in lines:
        labelled = _LABELLED.search(line)
        if labelled:
            return labelled.group(1)
    for line in lines:
        if _BARE_TITLE.match(line) or _BOOK_TITLE.search(line):
            continue
        for pattern in (_PERSON, _COMMITTEE, _COMMITTEE_ANY):
            match = pattern.search(line)
            if match:
                return match.group(1)
    return ""


def _kind(session: str, proposer: str, title: str, text: str) -> str:
    if session:
        return RENDA if "人大" in session else ZHENGXIE
    if proposer.endswith("代表"):
        return RENDA
    if proposer.endswith(("委员", "委会")):
        return ZHENGXIE
    if title.endswith("提案"):
        return ZHENGXIE
    if title.endswith("建议"):
        return RENDA
    if "政协" in text[:300] or "提案" in text[:300]:
        return ZHENGXIE
    if "人大" in text[:300]:
        return RENDA
    return ""


def split_suggestions(body: list[str]) -> tuple[str, list[Suggestion]]:
    """(background, suggestions) of the body lines (header removed).

    Suggestions follow an intro line ("为此，建议：") when there is one; the background's own
    "一是…二是…" (problems, not suggestions) before it is never split.
    """
    body = _split_inline_intro(body)
    intro = next((i for i, line in enumerate(body) if _intro_end(line) is not None), None)
    if intro is not None:
        rest = body[intro][_intro_end(body[intro]) or 0 :].strip()
        region = ([rest] if rest else []) + body[intro + 1 :]
        background = body[:intro]
    else:
        first = next(
            (i for i, line in enumerate(body) if _LINE_ITEM.match(line) or _SUGGEST_LINE.match(line)),
            len(body),
        )
        background, region = body[:first], body[first:]
    items = _items(region)
    if not items and background:
        # No suggestion stated as such: the proposal's own paragraphs are the points to answer.
        return "", [_suggestion(line) for line in background if line.strip()]
    return "\n".join(background).strip(), [_suggestion(item) for item in items if item.strip()]


def _intro_end(line: str) -> int | None:
    """Where the intro that opens ``line`` ends ("建议：", "对策：", a heading line "三、对策建议"), or None."""
    if _INTRO_HEADING.match(line):
        return len(line)
    match = _INTRO.match(line) or _LINE_INTRO.match(line)
    return match.end() if match else None


def _split_inline_intro(body: list[str]) -> list[str]:
    """A paragraph that runs on into its suggestions ("…不畅。建议：一、…") is cut before the intro."""
    if any(_intro_end(line) is not None for line in body):
        return body
    for i, line in enumerate(body):
        match = _INLINE_INTRO.search(line)
        if match:
            return body[:i] + [line[: match.start()].strip(), line[match.start() :].strip()] + body[i + 1 :]
    return body


def _items(region: list[str]) -> list[str]:
    if sum(1 for line in region if _LINE_ITEM.match(line)) >= 2:
        items: list[str] = []
        for line in region:
            if _LINE_ITEM.match(line) or not items:
                items.append(_LINE_ITEM.sub("", line, count=1))
            else:
                items[-1] += line
        return items
    joined = "".join(region)
    starts = [m.end() - 2 for m in _INLINE_ITEM.finditer(joined)]
    if len(starts) >= 2:
        return [joined[a:b] for a, b in zip(starts, [*starts[1:], len(joined)], strict=True)]
    inline = _inline_items(joined)
    if inline:
        return inline
    if sum(1 for line in region if _SUGGEST_LINE.match(line)) >= 2:
        return [line for line in region if _SUGGEST_LINE.match(line)]
    return [joined] if joined.strip() else []


def _inline_items(joined: str) -> list[str]:
    """Items numbered in sequence inside one paragraph (一、…；二、…), markers removed; [] if none."""
    for pattern in _INLINE_MARKS:
        marks = list(pattern.finditer(joined))
        if len(marks) >= 2 and _in_sequence([m.group(1) for m in marks]):
            ends = [m.start() for m in marks[1:]] + [len(joined)]
            return [joined[m.end() : end].strip().rstrip("；;") for m, end in zip(marks, ends, strict=True)]
    return []


def _in_sequence(labels: list[str]) -> bool:
    """一, 二, 三 … or 1, 2, 3 … or ①, ② … from the first."""
    values = [_ordinal(label) for label in labels]
    return values == list(range(1, len(values) + 1))


def _ordinal(label: str) -> int:
    if label in "①②③④⑤⑥⑦⑧⑨⑩":  # before isdigit(), which is true of them
        return "①②③④⑤⑥⑦⑧⑨⑩".index(label) + 1
    if label.isascii() and label.isdigit():
        return int(label)
    if label in _CN:
        return _CN.index(label) + 1
    if label.startswith("十") and len(label) == 2 and label[1] in _CN:
        return 10 + _CN.index(label[1]) + 1
    return -1


def _suggestion(item: str) -> Suggestion:
    text = re.sub(rf"^\s*[{_CN}]是", "", item.strip()).strip()
    return Suggestion(text=text, summary=summarise(text))


def summarise(text: str) -> str:
    """The first sentence of a suggestion, cut at a clause boundary when long, without 建议/是 lead-ins."""
    first = _SENTENCE.match(text)
    sentence = (first.group(0) if first else text).rstrip("。；！？ ")
    sentence = re.sub(r"^(?:另|同时)?建议", "", sentence).strip("，, ")
    if len(sentence) > _HEADING_MAX:
        cut = max(sentence.rfind(p, 0, _HEADING_MAX) for p in "，,、")
        sentence = sentence[:cut] if cut >= 8 else sentence[:_HEADING_MAX]
    return sentence
