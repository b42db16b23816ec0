"""Summary questions ("这封答复函讲了哪几方面？", "张勇代表的建议主要讲了什么？"): the named letter's
sections — its 一、二、… headings, else its 关于“…”的建议 lines, else its 一是/二是 points — each cited."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.ask.particulars import describes_letter, label
from rag.ask.question import Question
from rag.types import Answer, Citation, Document, Hit

MAX_LETTERS = 3
MAX_POINTS = 10
_HEADING = re.compile(r"(?m)^[一二三四五六七八九十]+[、.．][^\n]*")
_ABOUT = re.compile(r"关于[“\"][^”\"\n]{2,60}[”\"]的(?:建议|提案|问题)")
_POINT = re.compile(r"(?:^|(?<=[。；\n]))[一二三四五六七八九十]是[^。；\n]*[。；]?")
_FIRST_SENTENCE = re.compile(r"[^。；！？]*[。；！？]?")
_MAX_QUOTE = 60
# Words of a summary question that ask for the gist rather than name a topic.
_GIST_WORDS = frozenset(
    """
    讲 说 谈 写 涉及 答复 答复函 回复 回应 复函 提 提了 提出 主要 内容 方面 部分 点 条 举措 措施 几个 哪几个 哪几 哪些 什么
    几条 几项 几点 几部分 概括 概述 总结 大意 要点 这封 这份 该 封 份 建议 提案 议案 问题 事 事情 委员 代表 了 的 都 一下 分 分为 有 对 给 关于
    """.split()  # noqa: SIM905
)


class SummaryAnswerer:
    """``answer(question, hits) -> Answer | None``: ``None`` unless it asks what a named letter says."""

    def __init__(self, fetch: Callable[[str], Document | None]) -> None:
        self.fetch = fetch

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer | None:
        letters = question.letters or (question.issuer_letters if len(question.issuer_letters) == 1 else ())
        if not question.summary or not letters:
            return None
        docs = [doc for doc in map(self.fetch, letters[:MAX_LETTERS]) if doc is not None]
        if not docs or not describes_letter(question, _GIST_WORDS, docs):
            return None
        citations: list[Citation] = []
        lines: list[str] = []
        for doc in docs:
            points = sections(doc)
            if not points:
                continue
            topic = f"（《{doc.meta.proposal_title}》）" if doc.meta.proposal_title else ""
            lines.append(f"{label(doc.meta, doc.source)}{topic}答复的主要方面：")
            for start, end in points:
                citations.append(Citation.in_document(doc, start, end, "正文"))
                lines.append(f"{doc.text[start:end]}[{len(citations)}]")
        if not citations:
            return None
        return Answer(
            answer="\n".join(lines), found=True, citations=tuple(citations), hits=tuple(hits), support=1.0
        )


def sections(doc: Document) -> list[tuple[int, int]]:
    """(start, end) of what the letter's body is organised by, at most ``MAX_POINTS``."""
    text = doc.text
    for pattern in (_HEADING, _ABOUT, _POINT):
        found = [_trim(text, m.start(), m.end()) for m in pattern.finditer(text)]
        found = [(a, b) for a, b in found if b - a >= 4]
        if len(found) >= 2:
            return found[:MAX_POINTS]
    return []


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A heading that runs on into its paragraph is quoted up to its first sentence end, at most
    ``_MAX_QUOTE`` characters (cut at a clause boundary)."""
    first = _FIRST_SENTENCE.match(text, start, end)
    stop = first.end() if first and first.end() > start else end
    if stop - start > _MAX_QUOTE:
        cut = max(text.rfind(p, start, start + _MAX_QUOTE) for p in "，,：:；")
        stop = cut if cut > start + 4 else start + _MAX_QUOTE
    while stop > start and text[stop - 1] in " \t，,：:；;。":
        stop -= 1
    return start, stop
