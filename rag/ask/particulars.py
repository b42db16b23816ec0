"""Questions about a letter's own particulars (文号, proposer, dates, 会办单位, contact, 抄送, proposal title),
answered from the metadata read off the letter and cited where its text says it.

Returns ``None`` when the question does not name a letter or does not ask for such a field, so the
extractive answerer takes over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.ask.question import Question
from rag.types import Answer, Citation, Document
from rag.vocabulary import NOT_FOUND


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    pattern: re.Pattern[str]


# Order matters: the first field whose pattern matches is the one asked for.
_FIELDS = (
    _Field("co_handlers", "会办单位", re.compile(r"会办")),
    _Field("cc", "抄送", re.compile(r"抄送")),
    _Field("contact", "联系人", re.compile(r"联系人|联系电话|电话")),
    _Field(
        "issuer",
        "发文单位",
        re.compile(r"谁签发|哪个(?:单位|部门)(?:签发|发文|答复|回复)|发文(?:单位|机关)|落款单位"),
    ),
    _Field("date", "落款日期", re.compile(r"落款|签发|哪天|哪一天|什么时候|何时|(?<!印发)日期")),
    _Field("issued", "印发日期", re.compile(r"印发(?:日期|时间)|(?:哪天|何时|什么时候)印发")),
    _Field("proposal_title", "提案（建议）题目", re.compile(r"题目|标题|叫什么|叫啥|名称")),
    _Field("session", "会议届次", re.compile(r"哪次会议|哪一次会议|届次|哪届")),
    _Field("doc_number", "文号", re.compile(r"文号|哪封|哪份|哪个答复函|哪一封")),
    _Field("proposer", "提出人", re.compile(r"谁|哪位|哪个单位|哪个党派|哪家单位|提案人|提出人")),
)


def asked_field(question: str) -> str | None:
    """The particular a question asks for ("文号", "proposer", ...), or ``None``."""
    return next((f.name for f in _FIELDS if f.pattern.search(question)), None)


class ParticularsAnswerer:
    """``answer(question) -> Answer | None``; ``fetch`` reads a named letter with its text."""

    def __init__(self, fetch: Callable[[str], Document | None]) -> None:
        self.fetch = fetch

    def answer(self, question: Question) -> Answer | None:
        field = next((f for f in _FIELDS if f.pattern.search(question.text)), None)
        if field is None or not question.letters:
            return None
        if field.name == "doc_number" and question.names_doc_number:
            return None  # the 文号 is written in the question: it names the letter, the ask is elsewhere
        letters = [doc for doc in map(self.fetch, question.letters) if doc is not None]
        citations: list[Citation] = []
        parts: list[str] = []
        missing: list[str] = []
        for doc in letters:
            found = _locate(doc, field.name)
            if not found:
                missing.append(doc.meta.doc_number)
                continue
            for value, start, end in found:
                citations.append(
                    Citation(
                        doc_id=doc.doc_id,
                        doc_number=doc.meta.doc_number,
                        title=doc.meta.title,
                        section="落款"
                        if field.name in ("cc", "contact", "issued", "date", "issuer")
                        else "来文",
                        quote=doc.text[start:end],
                        start=start,
                        end=end,
                        score=1.0,
                        ocr=doc.from_ocr(start, end),
                    )
                )
                parts.append(f"{doc.meta.doc_number}的{field.label}：{value}[{len(citations)}]")
        if not citations:
            names = "、".join(missing)
            return Answer(answer=f"{NOT_FOUND}（{names}中没有写明{field.label}）", found=False, support=0.0)
        if missing:
            parts.append(f"{'、'.join(missing)}中没有写明{field.label}。")
        return Answer(answer="\n".join(parts), found=True, citations=tuple(citations), support=1.0)


def _locate(doc: Document, field: str) -> list[tuple[str, int, int]]:
    """(value, start, end) of where the letter's text states the field."""
    text, meta = doc.text, doc.meta

    def span(value: str) -> list[tuple[str, int, int]]:
        i = text.find(value) if value else -1
        return [(value, i, i + len(value))] if i >= 0 else []

    if field == "doc_number":
        return span(meta.doc_number)
    if field == "proposer":
        return span(meta.proposer)
    if field == "issuer":
        # The signature under the letter: the last place its text names the issuer.
        i = text.rfind(meta.issuer) if meta.issuer else -1
        return [(meta.issuer, i, i + len(meta.issuer))] if i >= 0 else []
    if field == "proposal_title":
        return [(f"《{v}》", s, e) for v, s, e in span(meta.proposal_title)]
    if field == "session":
        return span(meta.session)
    if field == "contact":
        line = re.search(r"联系人[^\n]*", text)
        return [(line.group(0), line.start(), line.end())] if line else []
    if field == "cc":
        line = re.search(r"抄送[：:][^\n]*", text)
        return [(line.group(0).split("：", 1)[-1], line.start(), line.end())] if line else []
    if field == "issued":
        line = re.search(r"\d{4}年\d{1,2}月\d{1,2}日印发", text)
        return [(line.group(0)[:-2], line.start(), line.end())] if line else []
    if field == "date":
        if not meta.date:
            return []
        y, m, d = (int(x) for x in meta.date.split("-"))
        line = re.search(rf"^{y}年{m}月{d}日$", text, re.M)
        out = [(line.group(0), line.start(), line.end())] if line else []
        return out + _locate(doc, "issued")
    if field == "co_handlers":
        if not meta.co_handlers:
            return []
        first, last = text.find(meta.co_handlers[0]), text.find(meta.co_handlers[-1])
        if first < 0 or last < first:
            return []
        return [("、".join(meta.co_handlers), first, last + len(meta.co_handlers[-1]))]
    return []
