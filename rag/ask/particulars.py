"""Questions about a letter's own particulars (文号, proposer, dates, 会办单位, contact, 抄送, proposal title),
answered from the metadata read off the letter and cited where its text says it.

Returns ``None`` when the question does not name a letter or does not ask for such a field, so the
extractive answerer takes over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.dates import parse_date
from index.tokenize import tokenize
from rag.ask.question import Question, without
from rag.types import Answer, Citation, Document, LetterMeta
from rag.vocabulary import NOT_FOUND


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    pattern: re.Pattern[str]
    # Words that ask for this field only when no other field is asked for ("是谁" of "联系人是谁").
    alone: re.Pattern[str] | None = None

    def asked(self, text: str, others: bool) -> bool:
        if self.pattern.search(text):
            return True
        return self.alone is not None and not others and bool(self.alone.search(text))


# Order matters where two fields share words: the first field whose pattern matches is asked for first.
_FIELDS = (
    _Field(
        "co_handlers", "会办单位", re.compile(r"会办|共同研究|一起研究|联合研究|共同办理|会同|协办|配合单位")
    ),
    _Field("cc", "抄送", re.compile(r"抄送|抄报")),
    _Field("contact", "联系人", re.compile(r"联系人|联系电话|电话")),
    _Field("signer", "签发人", re.compile(r"审签|签发人|责任领导|分管领导|哪位领导签")),
    _Field(
        "issuer",
        "发文单位",
        re.compile(
            r"(?:谁|哪个(?:单位|部门|机关)|哪家单位|哪一个部门)(?:答复|回复|办理|签发|主办|承办|发文)"
            r"|答复单位|主办单位|承办单位|办理单位|签发单位|发文单位|发文机关|落款单位"
        ),
    ),
    _Field("published", "发布日期", re.compile(r"发布(?:日期|时间)|(?:哪天|何时|什么时候)发布|发布于")),
    _Field(
        "date",
        "落款日期",
        re.compile(
            r"落款(?!单位)|(?<!谁)签发(?!人|单位)|哪天|哪一天|哪一年|什么时候|何时|(?<!印发)日期|发布时间"
        ),
    ),
    _Field("issued", "印发日期", re.compile(r"印发(?:日期|时间)|(?:哪天|何时|什么时候)印发")),
    _Field("proposal_title", "提案（建议）题目", re.compile(r"题目|标题|叫什么|叫啥|名称")),
    _Field("session", "会议届次", re.compile(r"哪次会议|哪一次会议|届次|哪届|什么会议")),
    _Field(
        "proposal_number",
        "提案（建议）编号",
        re.compile(r"第几号|几号(?:提案|建议|议案)|(?:提案|建议|议案)(?:编号|号)"),
    ),
    _Field("doc_number", "文号", re.compile(r"文号|哪封|哪份|哪个答复函|哪一封")),
    _Field(
        "proposer",
        "提出人",
        re.compile(r"谁提|谁写|哪个党派|提案人|提出人|建议人"),
        re.compile(r"哪几位|几位|哪位|哪个单位|哪家单位|谁的|是谁"),
    ),
)
_BODY = re.compile(r"[\u4e00-\u9fa5]{2,14}?(?:局|厅|委员会|委|办公室|政府)")
# The share of the remaining words that must come from the letter's own title, body or proposer.
_ABOUT_SHARE = 0.6
# Words of a particulars question that name the letter or its parts rather than a topic of its text.
_LETTER_WORDS = frozenset(
    """
    提案 建议 议案 代表建议 政协提案 人大建议 答复 答复函 复函 回复 答复意见 办理 这份 这封 该 份 封 件 的 是 对 给 哪 哪次 哪个 哪些 哪天 委员 代表 关于 提 提出
    提的 发 发布 发的 印发 签发 落款 时候 什么 时间 日期 单位 部门 联名 会议 第 号 几号 编号 谁 审签 由 了 分别 和 与 及 写 写明 共同 研究 抄报 抄送 领导 责任
    联系人 联系 电话 汇总 意见 会办意见 基础 形成 一起 是否 名称 题目 标题 叫 叫什么 叫啥 啥 那条 那个 那份 这个 条 个 那篇 对应 具体 一下 时
    """.split()  # noqa: SIM905
)


def asked_field(question: str) -> str | None:
    """The particular a question asks for ("文号", "proposer", ...), or ``None``."""
    fields = _asked(question)
    return fields[0].name if fields else None


class ParticularsAnswerer:
    """``answer(question) -> Answer | None``; ``fetch`` reads a named letter with its text.

    Only a question about the letter itself counts: once the field words, the names that name the
    letter and the words of its own title are taken away, nothing may remain ("…时说，县委哪位领导
    带队调研？" asks about the text, not the letter's proposer)."""

    def __init__(self, fetch: Callable[[str], Document | None]) -> None:
        self.fetch = fetch

    def answer(self, question: Question) -> Answer | None:
        fields = _asked(question.ask)
        named = question.letters or (question.issuer_letters if len(question.issuer_letters) == 1 else ())
        if not fields or not named:
            return None
        if [f.name for f in fields] == ["doc_number"] and question.names_doc_number:
            return None  # the 文号 is written in the question: it names the letter, the ask is elsewhere
        letters = [doc for doc in map(self.fetch, named) if doc is not None]
        if not letters or not _about_the_letter(question, fields, letters):
            return None
        fields = fields[:2]  # "哪次会议第几号提案": two fields at most in one ask
        citations: list[Citation] = []
        parts: list[str] = []
        missing: list[str] = []
        for field in fields:
            for doc in letters:
                found = _locate(doc, field.name)
                if not found:
                    missing.append(f"{label(doc.meta, doc.source)}中没有写明{field.label}")
                    continue
                for value, start, end in found:
                    signature = field.name in ("cc", "contact", "issued", "date", "signer", "issuer")
                    citations.append(Citation.in_document(doc, start, end, "落款" if signature else "来文"))
                    parts.append(f"{label(doc.meta, doc.source)}的{field.label}：{value}[{len(citations)}]")
        if not citations:
            return Answer(answer=f"{NOT_FOUND}（{'；'.join(missing)}）", found=False, support=0.0)
        if missing:
            parts.append("；".join(missing) + "。")
        return Answer(answer="\n".join(parts), found=True, citations=tuple(citations), support=1.0)


def _asked(text: str) -> list[_Field]:
    """The fields ``text`` asks for, in ``_FIELDS`` order."""
    specific = [f for f in _FIELDS if f.pattern.search(text)]
    return [f for f in _FIELDS if f.asked(text, others=bool(set(specific) - {f}))]


def _about_the_letter(question: Question, fields: list[_Field], letters: list[Document]) -> bool:
    rest = question.ask
    for field in fields:
        rest = field.pattern.sub(" ", rest)
        if field.alone is not None:
            rest = field.alone.sub(" ", rest)
    return describes_letter(question, _LETTER_WORDS, letters, rest)


def describes_letter(
    question: Question, words: frozenset[str], letters: list[Document], text: str | None = None
) -> bool:
    """Whether what ``text`` (default: the ask) says beyond ``words`` only describes these letters: most
    of its remaining words come from their titles, issuers or proposers, the bodies and places that
    answer them excepted ("新密市住建局对金博大商业区提案的答复…")."""
    rest = _BODY.sub(" ", without(question.ask if text is None else text, question.mentions))
    for place in question.places:
        rest = rest.replace(place, " ")
    own: set[str] = set()
    for doc in letters:
        own |= set(
            tokenize(f"{doc.meta.title} {doc.meta.proposal_title} {doc.meta.issuer} {doc.meta.proposer}")
        )
    leftover = {t for t in tokenize(rest) if t not in words and t not in question.naming and not t.isdigit()}
    covered = sum(len(t) for t in leftover if t in own or any(t in o for o in own))
    return covered >= _ABOUT_SHARE * sum(len(t) for t in leftover)


def label(meta: LetterMeta, source: str = "") -> str:
    """How an answer names a letter: its 文号, else its title, else the proposal's title."""
    if meta.doc_number:
        return meta.doc_number
    if meta.title:
        return meta.title if meta.title.startswith("《") else f"《{meta.title}》"
    return f"《{meta.proposal_title}》" if meta.proposal_title else source


def _locate(doc: Document, field: str) -> list[tuple[str, int, int]]:
    """(value, start, end) of where the letter's text states the field."""
    text, meta = doc.text, doc.meta

    def span(value: str) -> list[tuple[str, int, int]]:
        i = text.find(value) if value else -1
        return [(value, i, i + len(value))] if i >= 0 else []

    if field == "doc_number":
        return span(meta.doc_number)
    if field == "proposal_number":
        if not meta.proposal_number:
            return []
        digits = re.escape(meta.proposal_number.lstrip("0") or "0")
        found = re.search(rf"第?\s*0*{digits}\s*号(?:提案|建议|议案)?", text, re.I)
        if found:
            return [(found.group(0), found.start(), found.end())]
        return [(meta.proposal_number, s, e) for _, s, e in span(meta.proposal_number)]
    if field == "published":
        line = re.search(r"(?:发布(?:日期|时间)|^日期)\s*[\]】]?\s*[:：]?\s*([^\n]{6,25})", text, re.M)
        return [(line.group(1).strip(), line.start(), line.end())] if line else []
    if field == "signer":
        line = re.search(r"[^。\n]*(?:审签|签发人|责任领导|分管领导)[^。\n]*", text)
        return [(line.group(0).strip(), line.start(), line.end())] if line else []
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
        # "（联系人：王芳，电话：…）": the line without the bracket that closes around it.
        line = re.search(r"联\s*系\s*人[^\n]*?(?=[）)]?\s*$)|联系电话[^\n]*?(?=[）)]?\s*$)", text, re.M)
        return [(line.group(0), line.start(), line.end())] if line else []
    if field == "cc":
        line = re.search(r"抄\s*[送报]\s*[：:][^\n]*", text)
        return (
            [(re.split(r"[：:]", line.group(0), maxsplit=1)[-1].strip(), line.start(), line.end())]
            if line
            else []
        )
    if field == "issued":
        line = re.search(r"\d{4}年\d{1,2}月\d{1,2}日印发", text)
        return [(line.group(0)[:-2], line.start(), line.end())] if line else []
    if field == "date":
        if not meta.date:
            return []
        wanted = tuple(int(x) for x in meta.date.split("-"))
        return _date_spans(text, wanted)[:1] + _locate(doc, "issued")
    if field == "co_handlers":
        if not meta.co_handlers:
            return []
        sentence = re.search(
            rf"[^。\n]*{re.escape(meta.co_handlers[0])}[^。\n]*?(?:会办|共同研究|研究办理|会同|协办)[^。\n，,]*",
            text,
        )
        if sentence:
            return [("、".join(meta.co_handlers), sentence.start(), sentence.end())]
        first, last = text.find(meta.co_handlers[0]), text.find(meta.co_handlers[-1])
        if first < 0 or last < first:
            return []
        return [("、".join(meta.co_handlers), first, last + len(meta.co_handlers[-1]))]
    return []


_DATE_IN_LINE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}\s*[-/.．]\s*\d{1,2}\s*[-/.．]\s*\d{1,2}|\d{8}"
    r"|[〇零○一二三四五六七八九]{4}\s*年\s*[〇零一二三四五六七八九十]{1,3}\s*月\s*[〇零一二三四五六七八九十]{1,3}\s*日"
)


def proposer_span(doc: Document) -> tuple[str, int, int] | None:
    """Where the letter names its proposer(s) as ``meta.proposer`` writes them, if it does."""
    spans = _locate(doc, "proposer")
    return spans[0] if spans else None


def date_span(doc: Document) -> tuple[str, int, int] | None:
    """Where the letter writes its own date (``meta.date``) as printed, if it does."""
    if not doc.meta.date:
        return None
    spans = _date_spans(doc.text, tuple(int(x) for x in doc.meta.date.split("-")))
    return spans[0] if spans else None


def _date_spans(text: str, wanted: tuple[int, ...]) -> list[tuple[str, int, int]]:
    """Where ``text`` writes the date ``wanted`` (in any printed form): a line that is the date first,
    then the date inside a line (a web page's 成文日期 field)."""
    alone: list[tuple[str, int, int]] = []
    inside: list[tuple[str, int, int]] = []
    for match in _DATE_IN_LINE.finditer(text):
        if parse_date(match.group(0)) != wanted:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end < 0 else line_end
        bucket = alone if text[line_start:line_end].strip() == match.group(0) else inside
        bucket.append((match.group(0), match.start(), match.end()))
    return alone + inside
