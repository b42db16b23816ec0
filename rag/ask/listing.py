"""Catalogue questions ("2024年答复了哪些提案？", "张勇代表提过哪些建议？"): the matching letters, each
cited at its header line, filtered by the year, kind, person, body and topic the question names."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from index.tokenize import tokenize
from rag.ask.particulars import date_span, label, proposer_span
from rag.ask.question import LetterCatalogue, Question, without
from rag.claims import find_claims
from rag.types import Answer, Citation, Document, Hit, LetterMeta
from rag.vocabulary import NOT_FOUND, RENDA, ZHENGXIE, person_names

MAX_LISTED = 20
# Words of a catalogue question that ask for the list rather than name its topic.
_LIST_WORDS = frozenset(
    """
    哪些 哪几 几件 几份 几封 多少件 多少份 答复 答复函 复函 回复 办理 提案 建议 议案 提过 提出 提出过 年 共 一共 件 份 封 委员
    代表 来信 收到 了 过 的 有 方面 关于 单位 部门 是 政协 人大 政协提案 人大建议 联名 提 几名 几位 多名 多位 共同 哪 些
    """.split()  # noqa: SIM905
)


class CatalogueAnswerer:
    """``answer(question, hits) -> Answer | None``: ``None`` when the question does not ask for a list.

    ``idf`` weighs the words of a topic ("防治校园欺凌") when matching it to the letters' titles."""

    def __init__(
        self,
        letters: LetterCatalogue,
        fetch: Callable[[str], Document | None],
        idf: Callable[[str], float] | None = None,
    ) -> None:
        self.letters = letters
        self.fetch = fetch
        self.idf = idf or (lambda token: 1.0)

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer | None:
        if not question.catalogue:
            return None
        chosen = self._filter(question, list(self.letters()))
        if not chosen:
            what = _describe(question)
            return Answer(answer=f"{NOT_FOUND}（没有{what}的答复函）。", found=False, hits=tuple(hits))
        citations: list[Citation] = []
        lines: list[str] = []
        for doc_id, meta in chosen[:MAX_LISTED]:
            doc = self.fetch(doc_id)
            if doc is None:
                continue
            start, end = header_span(doc)
            citations.append(Citation.in_document(doc, start, end, "来文"))
            header = len(citations)
            details = meta.proposer
            named = proposer_span(doc) if find_claims(meta.proposer) else None
            if named:  # "刘志军等5名代表": a figure shown is cited where the letter writes it
                citations.append(Citation.in_document(doc, named[1], named[2], "来文"))
                details = f"{meta.proposer}[{len(citations)}]"
            dated = date_span(doc)
            if dated:  # shown as the letter prints it, with its own citation
                citations.append(Citation.in_document(doc, dated[1], dated[2], "落款"))
                details = "，".join(x for x in (details, f"{citations[-1].quote}[{len(citations)}]") if x)
            topic = (
                f"《{meta.proposal_title}》"
                if meta.proposal_title and meta.proposal_title not in label(meta)
                else ""
            )
            lines.append(f"{len(lines) + 1}. {label(meta, doc.source)}{topic}" + (f"（{details}）" if details else "")
                         + f"[{header}]")  # fmt: skip
        if not citations:
            return None
        head = f"共{len(chosen)}件{_describe(question)}的答复函"
        if len(chosen) > MAX_LISTED:
            head += f"，列出前{MAX_LISTED}件"
        return Answer(
            answer=head + "：\n" + "\n".join(lines), found=True, citations=tuple(citations),
            hits=tuple(hits), support=1.0,
        )  # fmt: skip

    def _filter(
        self, question: Question, catalogue: list[tuple[str, LetterMeta]]
    ) -> list[tuple[str, LetterMeta]]:
        out = catalogue
        if question.letters:
            out = [(d, m) for d, m in out if d in question.letters]
        elif question.issuer_letters:
            out = [(d, m) for d, m in out if d in question.issuer_letters]
        if question.places:
            out = [(d, m) for d, m in out if all(p in f"{m.issuer}{m.title}" for p in question.places)]
        if question.years:
            out = [(d, m) for d, m in out if m.year is not None and str(m.year) in question.years]
        kind = _kind(question)
        if kind:
            out = [(d, m) for d, m in out if m.kind == kind]
        if _JOINT.search(question.ask):
            out = [(d, m) for d, m in out if len(person_names(m.proposer)) > 1 or _GROUP.search(m.proposer)]
        topic = _topic(question)
        if topic:
            by_proposer = [(d, m) for d, m in out if any(t in m.proposer for t in topic if len(t) >= 2)]
            if by_proposer:
                out = by_proposer
            else:
                alternatives = [{t: self.idf(t) for t in words} for words in _topic_words(question)]
                out = [(d, m) for d, m in out if self._on_topic(alternatives, m, d)]
        return sorted(out, key=lambda pair: (pair[1].date or str(pair[1].year or ""), pair[0]), reverse=True)

    def _on_topic(self, alternatives: list[dict[str, float]], meta: LetterMeta, doc_id: str) -> bool:
        """The letter's proposal (its title, then its text) is about one of the topics the question lists
        ("防治校园欺凌、霸凌": either); ``alternatives``: per topic, its words' weights (IDF)."""
        named = f"{meta.title} {meta.proposal_title}"
        lowered = named.lower()
        # A token is a substring of the text it comes from, so the words found in the title as substrings
        # bound its share from above: a title below the least share that could pass is not tokenized
        # (a catalogue of many letters then costs a substring test per letter).
        if not any(_share(weights, lowered.__contains__) >= _LEAST_TITLE_SHARE for weights in alternatives):
            return False
        title = set(tokenize(named))
        body: set[str] | None = None
        for weights in alternatives:
            in_title = _share(weights, title.__contains__)
            if in_title >= _TITLE_SHARE:
                return True
            if in_title > 0:
                if body is None:
                    doc = self.fetch(doc_id)
                    body = set(tokenize(doc.text)) if doc else set()
                in_body = _share(weights, body.__contains__)
                if _TITLE_WEIGHT * in_title + (1 - _TITLE_WEIGHT) * in_body >= _TOPIC_SHARE:
                    return True
        return False


def _share(weights: dict[str, float], held: Callable[[str], bool]) -> float:
    return sum(w for t, w in weights.items() if held(t)) / sum(weights.values())


# Joint proposals: "几名代表联名提的", "多位委员共同提出".
_JOINT = re.compile(r"联名|共同提出|几名代表|几位代表|几名委员|几位委员|多名|多位")
_GROUP = re.compile(r"等\s*\d+\s*[名位人]")
# How much of a topic a letter's proposal title must name (IDF-weighted), or, when the title names
# part of it, its title and text together.
_TITLE_SHARE = 0.6
_TITLE_WEIGHT = 0.7
_TOPIC_SHARE = 0.5
# The least share of a topic's words in a title that can pass, with the whole topic in the letter's text.
_LEAST_TITLE_SHARE = min(_TITLE_SHARE, (_TOPIC_SHARE - (1 - _TITLE_WEIGHT)) / _TITLE_WEIGHT)
_SPLIT_TOPICS = re.compile(r"[、，,/（）()]|(?<=[\u4e00-\u9fa5]{2})[和及与或](?=[\u4e00-\u9fa5]{2})")


def _kind(question: Question) -> str:
    if "政协" in question.ask or question.kind_words == {"提案"}:
        return ZHENGXIE
    if "人大" in question.ask or question.kind_words == {"建议"}:
        return RENDA
    return ""


def _topic(question: Question) -> set[str]:
    """Tokens of the question that name a topic ("医疗器械" of "关于医疗器械的提案有哪些？")."""
    return {t for t in tokenize(_rest(question)) if t not in _LIST_WORDS and not t.isdigit() and len(t) > 1}


def _topic_words(question: Question) -> list[frozenset[str]]:
    """Per topic the question lists ("防治校园欺凌、霸凌": two), the words that name it."""
    alternatives = (
        frozenset(t for t in tokenize(alternative) if t not in _LIST_WORDS and not t.isdigit())
        for alternative in _alternatives(question)
    )
    return [words for words in alternatives if words]


def _alternatives(question: Question) -> list[str]:
    return [part for part in _SPLIT_TOPICS.split(_rest(question)) if part.strip()]


def _rest(question: Question) -> str:
    """The ask without the names of letters and the places it names."""
    rest = without(question.ask, question.mentions)
    for place in question.places:
        rest = re.sub(rf"{re.escape(place)}(?:自治区|省|市|区|县|旗)?", " ", rest)
    return rest


def _describe(question: Question) -> str:
    words = []
    if question.years:
        words.append("、".join(sorted(question.years)) + "年")
    kind = _kind(question)
    if kind:
        words.append(kind)
    return "".join(words) or "符合条件"


def header_span(doc: Document) -> tuple[int, int]:
    """The line that identifies a letter: the one with its 文号, else its title line, else the first."""
    text = doc.text
    for needle in (doc.meta.doc_number, doc.meta.title[:12] if doc.meta.title else ""):
        at = text.find(needle) if needle else -1
        if at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            return start, end if end >= 0 else len(text)
    end = text.find("\n")
    return 0, end if end >= 0 else len(text)
