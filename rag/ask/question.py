"""A question parsed once per ask: its tokens, its parts, what it asks for, and the letters, people,
years and places it names.

Every later stage (retrieval, the answerers, the refusal check) reads this object instead of
re-parsing the text, so "which letter does it name" is decided in one place. Letters, issuers, people
and places are recognised from the indexed letters' metadata (the catalogue), never from lists written
for one corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, cast

from index.tokenize import tokenize, words
from index.visibility import visible
from rag.types import LetterMeta
from rag.vocabulary import (
    DOC_NUMBER,
    LETTER_REF,
    PROVINCES,
    doc_number_serial,
    issuer_places,
    letter_refs,
    normalise_doc_number,
    person_names,
    proposal_key,
)

# Asks about a quantity prefer sentences with numbers.
_QUANTITY = re.compile(
    r"多少|(?<!哪)几[家个项人名所次年场条件类批座台套万亿]|第几|金额|数量|规模|比例|比重|占比|增速|增长|百分|总额|总量|营收|产值|资金|奖励|补助|补贴|经费|投入"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|\b)")
# The kind of quantity asked for: by the unit after 多少/几, else by what is counted (资金 → money).
_UNIT_FAMILIES = {
    "money": ["亿元", "万元", "千元", "元", "美元"],
    "people": ["人次", "人", "名", "位"],
    "count": [
        "家",
        "个",
        "项",
        "所",
        "座",
        "台",
        "套",
        "件",
        "条",
        "批",
        "场",
        "次",
        "类",
        "种",
        "款",
        "张",
        "处",
    ],
    "percent": ["%", "％", "百分点"],
    "area": ["平方公里", "平方米", "公顷", "亩", "万方"],
}
_ASKED_UNIT = re.compile(
    r"(?:多少|几)\s*("
    + "|".join(sorted((u for us in _UNIT_FAMILIES.values() for u in us), key=len, reverse=True))
    + "|亿|万)"
)
_MONEY_WORDS = re.compile(
    r"钱|金额|资金|经费|补贴|补助|资助|预算|投资|投入|营收|产值|交易额|出口额|收入|贷款|融资|税收|总额|奖励|奖补"
)
# "什么文件", "哪位市领导", "哪个单位": the kind of answer wanted; the answer names an instance, not
# the kind, so these words weigh less when judging whether a sentence answers.
_ANSWER_TYPE = re.compile(
    r"(?:什么|哪位|哪个|哪家|哪种|哪类|哪些|哪一个|哪一家|哪一位)([\u4e00-\u9fa5]{1,6})"
)
# "参与率是多少", "占比多少": a percentage.
_RATE = re.compile(r"(?:率|比例|占比|比重|百分比)(?:是|为|达到|有)?(?:多少|几)")
# Years named relative to the letter: 去年 asks about another year than 今年.
RELATIVE_YEARS = ("前年", "去年", "今年", "明年", "后年")
# An ask about what actually happened (not what was planned).
_ACTUAL = re.compile(r"实际|实际完成|完成了|实现了|已经达到|最终")
# Words that ask rather than say ("多长时间", "几名", "为什么"): no answer contains them.
_INTERROGATIVE = re.compile(
    r"^(?:多少|几|多长|多久|多大|多高|多远|多重|多宽|多深|多快|哪|什么|啥|怎么|怎样|咋|为什么|为何|是否|是不是|有没有"
    r"|能不能|会不会|要不要|可不可以|吗|呢)"
)
# What a quantity question counts: "多少(家)企业", "企业(有)多少(家)".
_COUNTED_AFTER = re.compile(r"(?:多少|几)[家个项名人所次条件类批座台套场万亿元]?([\u4e00-\u9fa5]{2,6})")
_COUNTED_BEFORE = re.compile(
    r"([\u4e00-\u9fa5]{2,4}?)(?:了|共|有|达到|达|为|是|总共|一共|累计|现在|目前|已经|已|办|举办|开展|新增|培训|建成)*(?:多少|几)"
)
# A question with several asks: "…多少家？…多少钱？" or "…有几家，总市值多少？"
_PART_SPLIT = re.compile(r"(?<=[？?；;])|[，,](?=[^，,？?]*(?:多少|几|哪|什么|谁|是否|怎么|如何))")
# A place named with its level: 郑州市, 惠济区, 永仁县 (not 全市, 本市, 我区, 地区 …).
_STEM_CHAR = r"(?:(?![的了和与及在是年月日个这那该各全本我其此地省市区县级哪每])[\u4e00-\u9fa5])"
_STEM = re.compile(rf"{_STEM_CHAR}{{2,4}}")
_LEVELS = "省市区县旗"
_NOT_AFTER_LEVEL = frozenset("长委民级属内外域场")  # 市长, 区委, 市民, 省级, 区属, 区域 …
# Words ending in 区/市/县 that name a kind of area, not a place.
_AREA_WORDS = frozenset(
    """
    开发 高新 经开 示范 保护 自贸 功能 试验 先行 核心 产业 城市 农村 山区 老城 新城 主城 中心 市辖 城乡 学区 景区
    街区 园区 社区 小区 片区 辖区 城区 郊区 市区 县区 灾区 校区 营区 工业 商业 物流 保税 综合 旅游 度假 生态 文化
    创业 科技 软件 高教 大学 智慧 居住 生活 住宅 行政 商务 金融 港区 新区 城市群 风景 都会
    """.split()  # noqa: SIM905
)
# An organisation named in a question: 郑州市科技局, 市教育局, 住建部门.
_ORG = re.compile(r"([\u4e00-\u9fa5]{2,14}?(?:局|厅|委员会|委|办公室|政府|中心))")
# "…答复…时说，", "在给…的答复中，": a preamble that names the letter before the ask.
_PREAMBLE = re.compile(
    r"^(?P<pre>[^，,：:？?]{2,60}?(?:说|称|提到|表示|指出|写道|中|里|时))[，,：:]\s*(?P<ask>.+)$"
)
# "强化资金保障方面，…": a leading clause that locates the ask in the letter (it counts for the passage,
# not for the sentence that answers).
_LOCATOR = re.compile(
    r"^(?:(?:在|关于|针对|对于|就)(?P<topic>[^，,？?。]{2,40}?)(?:方面|上|中|里|领域|问题上|部分)?"
    r"|(?P<place>[^，,？?。]{2,30}?)(?:方面|上|中|里|领域|问题上|部分))[，,]\s*(?P<ask>.+)$"
)
# A clause that asks ("…学校在哪里，离…多远？"): a question of its own, never a locator.
_ASKING = re.compile(r"哪|什么|多少|几|谁|怎么|怎样|如何|是否|吗")
# The question lists letters ("2024年答复了哪些提案？", "张勇代表提过哪些建议？").
_CATALOGUE = re.compile(
    r"哪些(?:人大|政协|代表)?(?:提案|建议|议案|答复函?|来信)|哪几(?:件|份|封|个|条)?(?:提案|建议|议案|答复函?)"
    r"|(?:提案|建议|议案|答复函?)(?:有|共有|一共有)?(?:哪些|几件|几份|几封|多少件|多少份)"
    r"|(?:答复|办理|回复)(?:了|过)?(?:哪些|几件|几份|多少件)"
    r"|哪些(?:单位|部门|地方|人)?的?(?:答复|提案|建议)|(?:提案|建议|答复函?)是(?:关于|有关)"
)
# The question asks what a letter (or the proposal it answers) is about or how it is organised; the
# summary answerer checks that nothing more specific is asked.
_SUMMARY = re.compile(
    r"(?:主要)?(?:讲|说|谈|写|涉及|答复|回应|提)(?:了|的|到|出了)?(?:些)?(?:什么|哪些|哪几)(?:个)?(?:方面|内容|问题|事|事情|建议)?"
    r"|分(?:了|为|成)?(?:哪|几)(?:几)?(?:个)?(?:方面|部分|点|条)|哪几(?:个)?(?:方面|部分|点|条|项)|几个方面|哪些方面"
    r"|主要内容|概括|概述|总结|大意|要点"
)

# The indexed reply letters as (doc_id, metadata), in a stable order.
LetterCatalogue = Callable[[], Sequence[tuple[str, LetterMeta]]]


@dataclass(frozen=True)
class Part:
    """One ask of a question ("…有几家，" of "…有几家，总市值多少？")."""

    text: str
    tokens: frozenset[str]
    quantity: bool  # asks for a number
    whole: bool  # the part is the whole ask
    counted: frozenset[str] = frozenset()  # tokens of what a quantity question counts ("企业")
    unit: str = ""  # the kind of quantity asked for: money, people, count, percent, area, or ""
    actual: bool = False  # asks what actually happened, not what was planned


@dataclass(frozen=True)
class Question:
    text: str
    tokens: tuple[str, ...]  # search tokens of the whole text, in order (the lexical index scores repeats)
    ask: str  # the text without a preamble that names the letter
    parts: tuple[Part, ...]  # the asks of ``ask``
    refs: frozenset[str]  # numbers that name a letter ("126号"): they name it, they do not answer
    naming: frozenset[str]  # tokens of the names of the letters, people and bodies the question names
    letters: tuple[str, ...]  # doc ids of the indexed letters the question names
    mentions: tuple[str, ...] = ()  # those names as written in the question (longest first)
    ask_tokens: frozenset[str] = frozenset()  # tokens of the ask without the names (they name, not ask)
    locator: frozenset[str] = frozenset()  # tokens of a clause that says where in the letter to look
    answer_type: frozenset[str] = frozenset()  # tokens of the kind of answer wanted ("文件" of 什么文件)
    issuer_letters: tuple[str, ...] = ()  # letters of a body the question names (a softer choice)
    names_doc_number: bool = False  # a full 文号 is written in the question
    years: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    catalogue: bool = False  # asks which letters there are
    summary: bool = False  # asks what a letter is about
    kind_words: frozenset[str] = field(default_factory=frozenset)  # 提案 / 建议 as the thing asked about
    relative_years: frozenset[str] = frozenset()  # 去年, 今年, … named in the ask

    @property
    def token_set(self) -> frozenset[str]:
        return frozenset(self.tokens)

    @property
    def preferred(self) -> tuple[str, ...]:
        """Letters to lift in retrieval: those named, else those of a named body."""
        return self.letters or self.issuer_letters

    def as_part(self) -> Part:
        """The whole ask as one part."""
        return _part(self.ask, self.ask_tokens or self.token_set, True)


@dataclass(frozen=True)
class LetterIndex:
    """The catalogue's letters looked up by what a question can name them by — 文号, serial or proposal
    number, person, issuer, place — so that parsing a question costs the names it could contain, not
    a pass over every letter. Built once per committed state, then changed by the letters that change
    (``updated``); answers keep the catalogue's order."""

    letters: tuple[tuple[str, LetterMeta], ...] = ()
    order: dict[str, int] = field(default_factory=dict)
    meta: dict[str, LetterMeta] = field(default_factory=dict)
    by_doc_number: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_key: dict[str, tuple[str, ...]] = field(default_factory=dict)  # proposal_key of serial or number
    by_person: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_issuer: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_place: dict[str, tuple[str, ...]] = field(default_factory=dict)  # places in the issuers' names

    @classmethod
    def of(cls, letters: Sequence[tuple[str, LetterMeta]]) -> LetterIndex:
        tables: tuple[dict[str, list[str]], ...] = ({}, {}, {}, {}, {})
        for doc_id, meta in letters:
            for table, keys in zip(tables, _names(meta), strict=True):
                for key in keys:
                    table.setdefault(key, []).append(doc_id)
        return cls(
            tuple(letters),
            {doc_id: i for i, (doc_id, _) in enumerate(letters)},
            dict(letters),
            *({k: tuple(v) for k, v in table.items()} for table in tables),
        )

    def updated(self, letters: Sequence[tuple[str, LetterMeta]], changed: Iterable[str]) -> LetterIndex:
        """The index of ``letters``, which differ from this index's letters only in ``changed`` (doc ids
        added, removed or with other metadata) and keep the others in the same relative order: equal to
        ``of(letters)``, at the cost of the changed letters' names and one pass to number the letters."""
        order = {doc_id: i for i, (doc_id, _) in enumerate(letters)}
        meta = dict(letters)
        tables = tuple(
            dict(t) for t in (self.by_doc_number, self.by_key, self.by_person, self.by_issuer, self.by_place)
        )
        touched: list[set[str]] = [set() for _ in tables]
        for doc_id in set(changed):
            old, new = self.meta.get(doc_id), meta.get(doc_id)
            was = _names(old) if old is not None else _NO_NAMES
            now = _names(new) if new is not None else _NO_NAMES
            for table, out, into, seen in zip(tables, was, now, touched, strict=True):
                for key in out:
                    table[key] = tuple(d for d in table[key] if d != doc_id)
                for key in into:
                    table[key] = (*table.get(key, ()), doc_id)
                seen.update(out, into)
        for table, seen in zip(tables, touched, strict=True):
            for key in seen:
                if table[key]:
                    table[key] = tuple(sorted(table[key], key=order.__getitem__))
                else:
                    del table[key]
        return LetterIndex(tuple(letters), order, meta, *tables)

    def _ordered(self, groups: Iterable[tuple[str, ...]]) -> list[str]:
        ids = {d for group in groups for d in group if visible(d)}
        return sorted(ids, key=self.order.__getitem__)

    def named_by_number(self, full: set[str], refs: frozenset[str]) -> list[str]:
        """By 文号 when the text writes one; else by serial or proposal number ("121号", "第0197号")."""
        if full:
            return self._ordered(self.by_doc_number.get(n, ()) for n in full)
        return self._ordered(self.by_key.get(proposal_key(r), ()) for r in refs)

    def naming_person(self, text: str) -> list[str]:
        return self._ordered(ids for name, ids in self.by_person.items() if name in text)

    def of_issuer(self, text: str) -> list[str]:
        """Letters of a body the text names, in full or abbreviated (科技局 for 科学技术局)."""
        mentions = [m.group(1) for m in _ORG.finditer(text)]
        issuers = {m for m in mentions if m in self.by_issuer}
        for mention in mentions:
            # An abbreviation starts with a place of the body's name: only those bodies are tried.
            for end in range(2, len(mention)):
                issuers.update(
                    i for i in self._by_place_of_issuer.get(mention[:end], ()) if abbreviates(mention, i)
                )
        return self._ordered(self.by_issuer[i] for i in issuers)

    @cached_property
    def _by_place_of_issuer(self) -> dict[str, tuple[str, ...]]:
        """The issuers by the places in their names (built on first use, once per index)."""
        out: dict[str, list[str]] = {}
        for issuer in self.by_issuer:
            for place in dict.fromkeys(issuer_places(issuer)):
                out.setdefault(place, []).append(issuer)
        return {place: tuple(issuers) for place, issuers in out.items()}

    def places_in(self, text: str) -> set[str]:
        return {p for p, ids in self.by_place.items() if p in text and any(visible(d) for d in ids)}


def _names(meta: LetterMeta) -> tuple[tuple[str, ...], ...]:
    """What a question can name a letter by, one tuple per table of ``LetterIndex`` (in field order):
    文号; proposal keys of its serial and proposal numbers; people; issuer; places of the issuer."""
    serial = doc_number_serial(meta.doc_number)
    keys = [proposal_key(n) for n in (serial, meta.proposal_number) if n]
    return (
        (meta.doc_number,) if meta.doc_number else (),
        tuple(dict.fromkeys(keys)),
        tuple(dict.fromkeys(n for n in person_names(meta.proposer) if len(n) >= 2)),
        (meta.issuer,) if meta.issuer else (),
        tuple(dict.fromkeys(issuer_places(meta.issuer))) if meta.issuer else (),
    )


_NO_NAMES: tuple[tuple[str, ...], ...] = ((),) * 5


class _Indexed(Protocol):
    """A catalogue that keeps its own ``LetterIndex`` (``rag.ask.catalogue.Catalogue``)."""

    def __call__(self) -> Sequence[tuple[str, LetterMeta]]: ...

    def index(self) -> LetterIndex: ...


class QuestionParser:
    """``parse(text) -> Question``; ``letters`` lists the indexed letters a question may name.

    ``known`` tells whether a word occurs in the indexed letters: a question word they never contain
    that splits into words they do ("专班设" of "专班设了几个小组") is read as those words."""

    def __init__(self, letters: LetterCatalogue, known: Callable[[str], bool] | None = None) -> None:
        self.letters = letters
        self.known = known

    def _known(self, tokens: Sequence[str]) -> list[str]:
        if self.known is None:
            return list(tokens)
        out: list[str] = []
        for token in tokens:
            out += token_pieces(token, self.known) if len(token) >= 3 and not self.known(token) else [token]
        return out

    def _index(self) -> LetterIndex:
        index = getattr(self.letters, "index", None)
        if callable(index):
            return cast(_Indexed, self.letters).index()
        return LetterIndex.of(list(self.letters()))

    def known_places(self, text: str) -> set[str]:
        """The places ``text`` names that need no guessing: provinces and places of indexed issuers."""
        return {p for p in PROVINCES if p in text} | self._index().places_in(text)

    def parse(self, text: str) -> Question:
        letters = self._index()
        tokens = tuple(self._known(asked(text)))
        full = {normalise_doc_number(m.group(0)) for m in DOC_NUMBER.finditer(text)}
        refs = letter_refs(text)
        named: list[str] = []
        by_person = letters.naming_person(text)
        by_issuer = letters.of_issuer(text)
        if full or refs:
            named = letters.named_by_number(full, refs)
        elif by_person:
            named = [d for d in by_person if d in by_issuer] or by_person
        chosen = set(named) | set(by_issuer)
        mentions = _mentions(text, [(d, letters.meta[d]) for d in letters._ordered([tuple(chosen)])])
        naming = set(refs) | {t for mention in mentions for t in tokenize(mention)}
        ask = text
        preamble = _PREAMBLE.match(text)
        if preamble and any(m in preamble.group("pre") for m in mentions):
            ask = preamble.group("ask")
        locator: frozenset[str] = frozenset()
        located = _LOCATOR.match(ask)
        if (
            located
            and len(located.group("ask")) >= 4
            and not _ASKING.search(located.group(0)[: located.start("ask")])
        ):
            where = located.group("topic") or located.group("place")
            locator = frozenset(self._known(asked(without(where, mentions))))
            ask = located.group("ask")
        parts = []
        for part in split_question(ask):
            own = frozenset(self._known(asked(without(part, mentions))))
            parts.append(_part(part, own or frozenset(self._known(asked(part))), part == ask))
        ask_tokens = frozenset(self._known(asked(without(ask, mentions)))) or frozenset(
            self._known(asked(ask))
        )
        return Question(
            text=text,
            tokens=tokens,
            ask=ask,
            parts=tuple(parts),
            refs=refs,
            naming=frozenset(naming),
            mentions=tuple(mentions),
            letters=tuple(named),
            issuer_letters=tuple(by_issuer),
            names_doc_number=bool(full),
            years=frozenset(_YEAR.findall(text)),
            places=frozenset(_places(ask, letters)),
            ask_tokens=ask_tokens,
            locator=locator,
            answer_type=frozenset(t for m in _ANSWER_TYPE.finditer(ask) for t in tokenize(m.group(1))),
            catalogue=bool(_CATALOGUE.search(text)),
            summary=bool(_SUMMARY.search(ask)) and not _CATALOGUE.search(ask),
            kind_words=frozenset(w for w in ("提案", "建议") if w in text),
            relative_years=frozenset(w for w in RELATIVE_YEARS if w in ask),
        )


def abbreviates(mention: str, name: str) -> bool:
    """Whether ``mention`` names the body ``name``: equal, or its characters appear in order in ``name``
    with the same place (a mention that starts with a place) and the same kind of body (last character).

    郑州市科技局 → 郑州市科学技术局; 市教育局 → 宝鸡市教育局 is too vague (no place) and does not count.
    """
    if mention == name:
        return True
    name = name.removesuffix("委员会") + "委" if name.endswith("委员会") else name
    if len(mention) < 4 or mention[-1] != name[-1]:
        return False
    places = issuer_places(name)
    if not any(mention.startswith(p) for p in places):
        return False
    it = iter(name)
    return all(ch in it for ch in mention)


def _mentions(text: str, letters: Sequence[tuple[str, LetterMeta]]) -> list[str]:
    """The substrings of ``text`` that name these letters: 文号, numbers ("121号"), people, bodies."""
    found = [m.group(0) for m in DOC_NUMBER.finditer(text)]
    found += [m.group(0) for m in LETTER_REF.finditer(text)]
    for _, meta in letters:
        found += [name for name in person_names(meta.proposer) if len(name) >= 2 and name in text]
        found += [
            m.group(1) for m in _ORG.finditer(text) if meta.issuer and abbreviates(m.group(1), meta.issuer)
        ]
    # Longest first, so that removing one mention does not leave half of a longer one.
    return sorted(set(found), key=len, reverse=True)


def without(text: str, mentions: Sequence[str]) -> str:
    for mention in mentions:
        text = text.replace(mention, " ")
    return text


def _places(text: str, letters: LetterIndex) -> set[str]:
    """Places the question names: with their level (郑州市), a province, or a place of an indexed issuer."""
    found = _leveled(text)
    found |= {p for p in PROVINCES if p in text}
    found |= letters.places_in(text)
    # A place inside another one found (惠济 in 惠济区 was found as 惠济) is the same mention.
    return {p for p in found if len(p) >= 2}


def _leveled(text: str) -> set[str]:
    """Places named with their level, cut where the words are: "位于新北市" names 新北 (not 位于新北),
    "从南竿到东引区" names 东引, "哪一座城市" names none (城市 is a word, not 城 with its level)."""
    found: set[str] = set()
    cut = words(text)
    end = 0
    for i, word in enumerate(cut):
        end += len(word)
        if word[-1] not in _LEVELS or text[end : end + 1] in _NOT_AFTER_LEVEL:
            continue
        stem = word[:-1]
        if not stem:  # the level is a word of its own (惠济/区): the stem is the words before it
            before = i
            while len(stem) < 2 and before > 0:
                before -= 1
                stem = cut[before] + stem
        if _STEM.fullmatch(stem) and "多少" not in stem and not _area(stem + word[-1]):
            found.add(stem)
    return found


def _area(named: str) -> bool:
    """A kind of area, not a place: 高新区, 产业园区, 创新型城市 (but 龙城区 and 盐城市 are places: what
    is left before the area word is a single character, the place's own)."""
    stem = named[:-1]
    return any(stem.endswith(w) for w in _AREA_WORDS) or any(
        named.endswith(w) and len(named) - len(w) >= 2 for w in _AREA_WORDS
    )


def _part(text: str, tokens: frozenset[str], whole: bool) -> Part:
    quantity = bool(_QUANTITY.search(text))
    return Part(
        text, tokens, quantity, whole, counted(text) if quantity else frozenset(), asked_unit(text) if quantity else "",
        bool(_ACTUAL.search(text)),
    )  # fmt: skip


def asked_unit(text: str) -> str:
    """The kind of quantity a question asks for: "多少亿元" → money, "几所" → count, "经费多少" → money."""
    words = set(tokenize(text))
    for match in _ASKED_UNIT.finditer(text):
        unit = match.group(1)
        if text[match.start(1) : match.end(1) + 1] in words - {unit}:
            continue  # "多少家长": 家 begins a word here, it is not the measure word
        return next((f for f, units in _UNIT_FAMILIES.items() if unit in units), "money")  # 多少亿/万
    if _RATE.search(text):
        return "percent"
    return "money" if _MONEY_WORDS.search(text) else ""


def unit_families() -> dict[str, list[str]]:
    return _UNIT_FAMILIES


def counted(text: str) -> frozenset[str]:
    """Tokens of the noun a quantity question counts: 企业 of "眼谷现在有多少企业了？"."""
    after = frozenset(t for m in _COUNTED_AFTER.finditer(text) for t in tokenize(m.group(1)))
    if after:
        return after
    return frozenset(t for m in _COUNTED_BEFORE.finditer(text) for t in tokenize(m.group(1)))


def token_pieces(token: str, known: Callable[[str], bool]) -> list[str]:
    """An unknown word as the known words it starts or ends with ("专班设" -> 专班), else as it is."""
    for size in range(len(token) - 1, 1, -1):
        head, tail = token[:size], token[-size:]
        if known(head):
            return [head]
        if known(tail):
            return [tail]
    return [token]


def asked(text: str) -> list[str]:
    """Search tokens of a question without the words that only ask (多长时间, 几名, 为什么)."""
    return [t for t in tokenize(text) if not _INTERROGATIVE.match(t)]


def split_question(question: str) -> list[str]:
    """The asks of a question: '…有几家，总市值多少？' -> ['…有几家，', '总市值多少？']."""
    parts = [p.strip(" ，,") for p in _PART_SPLIT.split(question)]
    parts = [p for p in parts if len(p) >= 3]
    return parts or [question]
