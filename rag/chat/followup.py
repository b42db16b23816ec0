"""A follow-up question made standalone from the previous turns, by rules over the parsed question.

- "这封答复函是谁签发的？", "联系人是谁？" → the letter the previous answer cited, by its 文号;
- "那基因药谷呢？" → the previous question with its subject replaced ("基因药谷引进注册企业多少家？");
- "2022年的呢？" → the previous question with the year replaced (or added);
- "那115号呢？" → the previous question about another letter;
- "获批了几个国家级平台？", "它的目标是什么？" → the previous subject carried over;
- "出处在哪一段？" → the sources of the previous answer.

Words are classed by jieba's part-of-speech tagger, subjects come from the questions themselves and
letters from the indexed catalogue: nothing here knows a corpus.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jieba

from rag.ask.particulars import asked_field
from rag.ask.question import Question
from rag.chat.model import BY_RULES, STANDALONE, Previous
from rag.types import Filters, LetterMeta
from rag.vocabulary import person_name

jieba.setLogLevel(logging.WARNING)

# The letter the conversation is about: "这封答复函", "该复函", "上述答复".
_THIS_LETTER = re.compile(
    r"(?:这|该|此|上述|上面|刚才|前面|那)(?:的)?(?:一)?(?:封|份|件|个)?\s*(?:答复函|回复函|复函|答复|来函|函件|函|文件)"
)
# "那B园区呢", "2022年的呢", "如果是东城区呢", "换成115号又如何".
_ELLIPSIS = re.compile(
    r"^(?:那么?|那如果是|如果是|换成|改成|还有|再看看?)?(?P<x>.{1,30}?)(?:的情况|的数据|方面|的)?"
    r"(?:呢|又如何|又怎样|怎么样|如何|又是多少|是多少呢|是多少)$"
)
# "出处在哪一段？", "原文在哪里？", "这句话出自哪里？": where the previous answer came from.
_SOURCE = re.compile(
    r"^(?:这|那|上面|刚才)?.{0,6}(?:出处|出自哪|来源|原文在哪|原文是|哪一段|哪段|在哪里说|哪里说的)"
)
_PRONOUN = re.compile(r"^(?:它们|它|其(?![中他余实次])|他们|她们|该地|那里|这里|这些|那些)(?:的)?")
_LETTER_YEAR_LEAD = re.compile(r"^(?:19|20)\d{2}年的答复函中，")
_THEN = re.compile(r"^(?:那么|那|还有|另外)[，, ]?")
# "2022年的答复里": the letters of that year, not a year the text mentions.
_LETTER_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?:的|度)?(?:答复函|答复|回复|复函|来函)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
# What stays of an ellipsis once its years and letter words are gone: nothing to swap in.
_FILLER = re.compile(
    r"(?:的|年度?)?(?:答复函|答复|回复|来函)(?:里|中)?|那年|这一年|同期|当年|[，,、\s]|^(?:的|在|是)+|(?:的|里|中|份|年|度|了|吗|呢)+$"
)
_END = "？?。！!；; "
_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NOUN = ("n", "j", "eng", "b")  # POS flag prefixes of words that make up a subject
_PROPER = ("ns", "nr", "nt", "nz")  # places, people, organisations, other proper names
_SCOPE = re.compile(r"全(?:国|省|市|区|县|镇)")  # "全市": the whole of the place named before it
_NAMES = ("ns", "nr", "nt")  # a place, person or organisation: the question has its own subject
_NOT_SUBJECT_START = ("v", "d", "r", "m", "a", "c", "u", "y", "p")


@dataclass(frozen=True)
class Resolution:
    text: str  # the standalone question
    question: Question
    how: str = STANDALONE
    source_of: Previous | None = None  # the question asks where this earlier answer came from
    filters: Filters | None = None  # "2022年的答复里…": only the letters of that year

    @classmethod
    def of(cls, text: str, question: Question, how: str = STANDALONE) -> Resolution:
        years = [m.group(1) for m in _LETTER_YEAR.finditer(text)]
        filters = Filters(year=int(years[0])) if len(set(years)) == 1 else None
        return cls(text, question, how, filters=filters)


@dataclass(frozen=True)
class _Word:
    text: str
    flag: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def noun(self) -> bool:
        # Words added to jieba's dictionary without a tag (domain terms) come back as "x", like punctuation.
        return (self.flag.startswith(_NOUN) and self.flag != "vn") or (
            self.flag == "x" and bool(_WORD_CHAR.search(self.text))
        )

    @property
    def proper(self) -> bool:
        return self.flag.startswith(_PROPER)


def _words(text: str) -> list[_Word]:
    # Imported on first use (a follow-up resolved by rules): loading its tagger takes ~0.5 s, which a
    # server that is never asked a follow-up need not spend at start-up.
    import jieba.posseg as posseg

    out, at = [], 0
    for pair in posseg.cut(text):
        out.append(_Word(pair.word, pair.flag, at))
        at += len(pair.word)
    return out


class FollowUpResolver:
    """``resolve(text, history) -> Resolution``; ``parse`` parses a question once, ``letters`` lists the
    indexed letters (to name a cited letter by its 文号)."""

    def __init__(
        self, parse: Callable[[str], Question], letters: Callable[[], Sequence[tuple[str, LetterMeta]]]
    ) -> None:
        self.parse = parse
        self.letters = letters

    def resolve(self, text: str, history: Sequence[Previous]) -> Resolution:
        question = self.parse(text)
        if not history:
            return Resolution.of(text, question)
        previous = history[-1]
        core = text.strip().rstrip(_END)
        if _SOURCE.search(core) and len(core) <= 16 and not question.letters:
            return Resolution(text, question, BY_RULES, source_of=previous)
        rewritten = self._rewrite(core, question, previous)
        if rewritten is None or rewritten == core:
            return Resolution.of(text, question)
        rewritten += text.strip()[len(core) :] or "？"
        return Resolution.of(rewritten, self.parse(rewritten), BY_RULES)

    def _rewrite(self, core: str, question: Question, previous: Previous) -> str | None:
        letter = self._letter(previous)
        # 1. "这封答复函…": the letter cited last.
        this = _THIS_LETTER.search(core)
        if this and not question.letters and letter is not None:
            return core[: this.start()] + self._mention(letter, core) + core[this.end() :]
        # 2. "那…呢": the previous question with a new subject, year or letter.
        ellipsis = _ELLIPSIS.match(core)
        if ellipsis and len(core) <= 32:
            return self._swap(ellipsis.group("x"), previous.question)
        core = _THEN.sub("", core)
        words = _words(core)
        if question.letters or not words:
            return None
        # 3. A question about a letter's particulars with no letter named: the letter cited last.
        if letter is not None and asked_field(core) and not any(w.flag.startswith(_NAMES) for w in words):
            return f"{self._mention(letter, core)}的{core}" if not core.startswith("的") else None
        # 4. No subject of its own ("获批了几个国家级平台", "它的目标是什么"): the previous one's.
        subject = _subject(previous.question) or (self._mention(letter, core) if letter is not None else "")
        if not subject:
            return None
        pronoun = _PRONOUN.match(core)
        if pronoun:
            joint = "的" if pronoun.group(0).endswith("的") else ""
            return subject + joint + core[pronoun.end() :]
        if _lacks_subject(words):
            return subject + core
        return None

    def _swap(self, x: str, previous: str) -> str | None:
        """The previous question with the ellipsis's years, letter or subject in place of its own."""
        parsed = self.parse(x)
        out = previous.rstrip(_END)
        years = sorted(parsed.years)
        if _LETTER_YEAR.search(x) and len(years) == 1:
            return f"{years[0]}年的答复函中，{_LETTER_YEAR_LEAD.sub('', out)}"
        rest = _FILLER.sub("", _YEAR.sub("", x))
        if parsed.letters or parsed.refs:
            mention = x.rstrip("的")
            if parsed.refs and not mention.endswith("号"):
                mention += "号"
            named = self.parse(previous)
            names = [name for doc_id in named.letters if (meta := self._meta(doc_id))
                     for name in (meta.doc_number, meta.proposer, person_name(meta.proposer)) if name]  # fmt: skip
            spans = [m.span() for ref in named.refs for m in re.finditer(rf"{ref}\s*号", out)]
            spans += [m.span() for name in names for m in re.finditer(re.escape(name), out)]
            if spans:
                a, b = min(spans, key=lambda span: (span[0], -span[1]))
                return out[:a] + mention + out[b:]
            return f"{mention}的答复函里，{out}"
        if rest:
            out = _replace_subject(out, rest)
        if years:
            old = _YEAR.search(out)
            new = "、".join(years) + "年"
            out = out[: old.start()] + new + out[old.end() :] if old else new + out
        return out if (rest or years) else None

    def _letter(self, previous: Previous) -> tuple[str, LetterMeta] | None:
        for doc_id in previous.letters:
            meta = self._meta(doc_id)
            if meta is not None:
                return doc_id, meta
        return None

    def _meta(self, doc_id: str) -> LetterMeta | None:
        return next((meta for d, meta in self.letters() if d == doc_id), None)

    def _mention(self, letter: tuple[str, LetterMeta], question: str) -> str:
        """How a rewritten question names the letter: its 文号, or its title when the 文号 is what is
        asked (a question that writes the 文号 names the letter, it cannot ask for it)."""
        doc_id, meta = letter
        if asked_field(question) == "doc_number":
            title = meta.title if meta.title.endswith("函") else f"{meta.title}答复函"
            number = f"第{meta.proposal_number}号{meta.kind[-2:]}的答复函" if meta.proposal_number else ""
            proposer = f"{meta.proposer}的答复函" if meta.proposer else ""
            for mention in (title if meta.title else "", proposer, number):
                if mention and self.parse(mention).letters == (doc_id,):
                    return mention
        return f"{meta.doc_number}答复函"


def _subject(question: str) -> str:
    """The leading noun phrase of a question ("中国眼谷" of "中国眼谷引进注册企业多少家？"), after a year."""
    words = [w for w in _words(question) if not (w.flag == "x" and not w.text.strip())]
    i = 0
    while i < len(words) and (_YEAR.fullmatch(words[i].text + "年") or words[i].text in ("年", "全市")):
        i += 1
    j = i
    while j < len(words) and words[j].noun:
        j += 1
    return question[words[i].start : words[j - 1].end] if j > i else ""


def _replace_subject(previous: str, new: str) -> str:
    """``previous`` with ``new`` in place of its matching subject: the noun phrase ending in a word with
    the same head ("园区" for "B园区", "小镇" for "东城健康小镇"), else the proper name of the same
    kind ("甘肃" for "厦门"), else the leading noun phrase; else ``new`` goes in front."""
    words = _words(previous)
    mine = [w for w in _words(new) if _WORD_CHAR.search(w.text)]
    head = next((w for w in reversed(mine) if w.noun or w.proper), mine[-1] if mine else None)
    if head is None:
        return previous
    for k, w in enumerate(words):
        if len(w.text) >= 2 and (w.noun or w.proper) and w.text[-1] == head.text[-1]:
            first = k
            while first > 0 and (words[first - 1].noun or words[first - 1].proper):
                first -= 1
            start = words[first].start
            # A name the tagger cut ("市/住/建局"): start where it starts like the new one ("市商务局").
            start = next((i for i in range(max(0, start - 3), start) if previous[i] == new[0]), start)
            return previous[:start] + new + previous[w.end :]
    if head.proper:
        for w in words:
            if w.proper and w.flag[:2] == head.flag[:2]:
                return previous[: w.start] + new + previous[w.end :]
    subject = _subject(previous)
    if subject:
        at = previous.index(subject)
        scope = next(
            (w for w in words if at <= w.start < at + len(subject) and _SCOPE.fullmatch(w.text)), None
        )
        if scope is not None and not any(w.proper for w in mine):
            # "中心城区" after "商丘全市…": a part of the whole, the place the question was about stays.
            return previous[: scope.start] + new + previous[scope.end :]
        return previous[:at] + new + previous[at + len(subject) :]
    return new + previous


def _lacks_subject(words: list[_Word]) -> bool:
    """A question that starts with a verb, adverb or question word and names at most one thing."""
    first = words[0]
    if first.noun or first.proper or not first.flag.startswith(_NOT_SUBJECT_START):
        return False
    return sum(1 for w in words if (w.noun and w.flag != "b") or w.proper) <= 1
