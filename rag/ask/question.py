"""A question parsed once per ask: its tokens, its parts, and the letters, years and places it names.

Every later stage (retrieval, the answerers, the refusal check) reads this object instead of
re-parsing the text, so "which letter does it name" is decided in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.tokenize import tokenize
from rag.types import LetterMeta
from rag.vocabulary import DOC_NUMBER, LETTER_REF, doc_number_serial, normalise_doc_number, person_name

# Asks about a quantity prefer sentences with numbers.
_QUANTITY = re.compile(
    r"多少|几[家个项人名所次年场条]|金额|数量|规模|比例|比重|占比|增速|增长|百分|总额|总量|营收|产值|资金|奖励|补助|补贴"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|\b)")
# A question with several asks: "…多少家？…多少钱？" or "…有几家，总市值多少？"
_PART_SPLIT = re.compile(r"(?<=[？?；;])|[，,](?=[^，,？?]*(?:多少|几|哪|什么|谁|是否|怎么|如何))")
_PLACES = re.compile(
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|深圳|广州|杭州|南京|苏州|宁波|厦门|成都|"
    "武汉|西安|合肥|青岛|济南|长沙|郑州|兰州|福州|鹿城|龙湾|瓯海|洞头|乐清|瑞安|永嘉|平阳|苍南|文成|泰顺|龙港"
)

# The indexed reply letters as (doc_id, metadata), in a stable order.
LetterCatalogue = Callable[[], Sequence[tuple[str, LetterMeta]]]


@dataclass(frozen=True)
class Part:
    """One ask of a question ("…有几家，" of "…有几家，总市值多少？")."""

    text: str
    tokens: frozenset[str]
    quantity: bool  # asks for a number
    whole: bool  # the part is the whole question


@dataclass(frozen=True)
class Question:
    text: str
    tokens: tuple[str, ...]  # search tokens in order (the lexical index scores repeats)
    parts: tuple[Part, ...]
    refs: frozenset[str]  # numbers that name a letter ("126号"): they name it, they do not answer
    letters: tuple[str, ...]  # doc ids of the indexed letters the question names
    names_doc_number: bool  # a full 文号 is written in the question
    years: frozenset[str]
    places: frozenset[str]

    @property
    def token_set(self) -> frozenset[str]:
        return frozenset(self.tokens)

    def as_part(self) -> Part:
        """The whole question as one ask."""
        return Part(self.text, self.token_set, bool(_QUANTITY.search(self.text)), True)


class QuestionParser:
    """``parse(text) -> Question``; ``letters`` lists the indexed letters a question may name."""

    def __init__(self, letters: LetterCatalogue) -> None:
        self.letters = letters

    def parse(self, text: str) -> Question:
        tokens = tuple(tokenize(text))
        parts = []
        for part in split_question(text):
            whole = part == text
            own = frozenset(tokens) if whole else frozenset(tokenize(part))
            parts.append(Part(part, own, bool(_QUANTITY.search(part)), whole))
        full = {normalise_doc_number(m.group(0)) for m in DOC_NUMBER.finditer(text)}
        refs = frozenset(LETTER_REF.findall(text))
        return Question(
            text=text,
            tokens=tokens,
            parts=tuple(parts),
            refs=refs,
            letters=tuple(doc_id for doc_id, meta in self.letters() if _names(meta, text, full, refs)),
            names_doc_number=bool(full),
            years=frozenset(_YEAR.findall(text)),
            places=frozenset(_PLACES.findall(text)),
        )


def _names(meta: LetterMeta, text: str, full: set[str], refs: frozenset[str]) -> bool:
    """Whether a question names a letter: by its 文号; else by its serial or proposal number
    ("121号"); else, when it names no number at all, by its proposer."""
    if not meta.doc_number:
        return False
    if full:
        return meta.doc_number in full
    if refs:
        serial = doc_number_serial(meta.doc_number)
        return bool(serial and serial in refs) or bool(meta.proposal_number and meta.proposal_number in refs)
    proposer = person_name(meta.proposer)
    return bool(proposer and proposer in text)


def split_question(question: str) -> list[str]:
    """The asks of a question: '…有几家，总市值多少？' -> ['…有几家，', '总市值多少？']."""
    parts = [p.strip(" ，,") for p in _PART_SPLIT.split(question)]
    parts = [p for p in parts if len(p) >= 3]
    return parts or [question]
