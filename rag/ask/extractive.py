"""Extractive answers (the offline default): pick the sentences of the retrieved passages that answer
the question, cite each one, and refuse when the passages do not support an answer.

A quote is always an exact slice of its document's canonical text: ``text[start:end]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.instructions import instruction_spans, overlaps
from index.tokenize import tokenize
from rag.ask.places import LetterPlaces, elsewhere
from rag.ask.question import RELATIVE_YEARS, Part, Question, unit_families
from rag.ask.vectors import Vectors
from rag.text import coverage
from rag.types import Answer, Citation, Hit
from rag.vocabulary import NOT_FOUND

_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]+[”’」』）)]*|[^。！？；!?;\n]+")
# Clauses end at a comma or a colon (not the colon of a time: 下午6:30).
_CLAUSE = re.compile(
    r"(?:[^，,：:]|(?<=\d)[：:](?=\d))*(?:[，,]|[：:](?!\d))|(?:[^，,：:]|(?<=\d)[：:](?=\d))+$"
)
# A letter's formulas ("…收悉", "现答复如下", "感谢…") are not answers.
_FORMULA = re.compile(r"收悉|感谢您|感谢你|非常感谢|衷心感谢|再次感谢")
# A line that ends at its colon with nothing after it: the salutation ("李明委员：") or a bare label.
_BARE_LABEL = re.compile(r"[^，。；！？\n]{1,30}[：:]\s*")
# Values that answer a question about a kind of thing, though the word for the kind is not written:
# "文号是什么" is answered by 〔2021〕73号, "哪天" by a date.
_SHAPES = (
    ("文号", re.compile(r"〔\d{4}〕\s*第?\s*\d+\s*号|[\[［【(（]\d{4}[\]］】)）]\s*第?\s*\d+\s*号")),
    ("日期", re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}-\d{1,2}-\d{1,2}")),
    ("时间", re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*点")),
    ("电话", re.compile(r"\d{3,4}-?\d{7,8}|1\d{10}")),
)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d[\d.,]*\s*(?:万|亿|千|百)?")
_CN_NUMBER = "[一二三四五六七八九十百千万两]+"
_TARGET = re.compile(r"力争|确保|目标|计划|预计|拟|将")
# "超额完成年度任务目标": a target met is said of what happened.
_TARGET_MET = re.compile(r"完成[^，,。；;！？]{0,10}(?:目标|任务|计划)")
# "计划改造5000户以上，全年共完成7638户": a clause that says a figure was reached, with no target word
# of its own, states what happened beside the plan.
_CLAUSE = re.compile(r"[^，,。；;！？]+")
# (实现, 达到 alone are as often said of targets: "确保…实现580亿元以上".)
_DONE = re.compile(r"(?:已经|已|共计|共|累计|完成了|建成了)[^，,。；;！？]{0,8}\d")
# A question that asks when, and what a quote must hold to tell it. Times are written in too many ways
# (1650年时, 19世纪晚期, 元宵节前后, 秋季, 当天下午, 宋代末, 年底) for a pattern of dates: a quote with none
# of the characters that any of them uses cannot tell when.
_WHEN = re.compile(r"什么时候|何时|什么时间|哪一?年|哪一?天|几月")
_TIME = re.compile(r"[年月日时季节代期前后晚早午夜春夏秋冬今]|世纪|以来|目前|现在|届时")
# A year a window states on its own ("2020年"; not a period such as "2021-2023年", which covers several).
_STATED_YEAR = re.compile(
    r"(?<![\d\-—–~～])(?<!年至)(?<!年到)((?:19|20)\d{2})(?=\s*年)(?!\s*年?\s*[-—–~～至到]\s*\d)"
)


def _unit_pattern(units: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(map(re.escape, units), key=len, reverse=True))
    return re.compile(rf"(?:\d[\d.,]*|{_CN_NUMBER})\s*(?:多|余|左右)?\s*(?:{alternatives})")


_UNITS = {family: _unit_pattern(units) for family, units in unit_families().items()}
# "融资总额超5亿，": 亿/万 with nothing after them is money too (2万方, 3万人 are not).
_UNITS["money"] = re.compile(
    _UNITS["money"].pattern + r"|\d[\d.,]*\s*(?:多|余)?\s*(?:亿|万)(?![\u4e00-\u9fa5])"
)
_ANY_UNIT = _unit_pattern([u for units in unit_families().values() for u in units] + ["方面", "批次", "倍"])


# Numbers that date or file rather than count: 2024年, 2024-05-27, 〔2024〕70号, 第3号.
_NOT_QUANTITY = re.compile(
    r"(?:19|20)\d{2}\s*(?:年|-\d{1,2}-\d{1,2})|〔\d{4}〕\s*\d+\s*号|第\s*\d+\s*号|\d{4}[-/.]\d{1,2}"
)


def has_number(text: str, unit: str = "") -> bool:
    """Whether ``text`` states a number (digits, or a Chinese numeral with a measure word); with
    ``unit``, a number of that kind (money, people, count, percent, area). Years and file numbers
    are not quantities."""
    text = _NOT_QUANTITY.sub(" ", text)
    if unit:
        return bool(_UNITS[unit].search(text))
    return bool(_DIGIT.search(text) or _ANY_UNIT.search(text))


_MAX_QUOTE = 100
_TITLE_LINE = re.compile(
    r"[^。！？；\n]{0,40}关于[^。！？；\n]{2,100}(?:答复函?|复函|回复|答复意见|办理情况)[^。！？；\n]{0,20}"
    r"|答\s*复\s*函|[^，,。：:\n]{2,20}[：:]"
)
_HEADING_LINE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．](?!\d)|关于[“\"])"
)
_ENUMERATED = re.compile(
    r"^(?:[一二三四五六七八九十]+是|[（(]?[一二三四五六七八九十]+[）)、]|第[一二三四五六七八九十]+[，,、])"
)
_HEADING_MAX = 60
_SHORT_POINT = 16  # "三是强化资金保障。"


@dataclass(frozen=True)
class ExtractiveWeights:
    """The sentence score and the refusal's support; calibrated on the eval sets."""

    # Refusal: a question the passages contradict in nothing (no other year, place, kind of number,
    # counted thing, plan for a fact) is answered on less of its words than one they contradict in
    # something; both thresholds calibrated on the letter sets and DRCD together (docs/evaluation.md).
    threshold: float = 0.2  # minimum support when nothing contradicts the question
    threshold_mismatch: float = 0.6  # minimum support when something does
    window: float = 1.0  # share of the question's terms in the sentence
    context: float = 0.5  # ... in its passage (文号, title, section, text)
    number_bonus: float = 0.15  # a quantity question and a sentence with a number
    number_penalty: float = 0.2  # a quantity question and a sentence without one
    counted_bonus: float = 0.15  # ... and a sentence whose number counts what the question counts
    other_year: float = 0.2  # a year is asked and the sentence states only other years
    asked_year: float = 0.15  # ... or states it
    rank_bonus: float = 0.05  # / (rank + 1) of the passage
    length_penalty: float = 0.0005  # per character: prefer the shorter of two equal sentences
    other_part: float = 0.3  # weight of another part's terms when scoring one part
    max_quotes: int = 3
    second_ratio: float = 0.9  # a runner-up within this ratio of the best is quoted too
    missing_year: float = 0.5  # support factor when the question's year is nowhere in the passages
    missing_place: float = 0.75  # ... its place (softer: columns of a page can be misplaced)
    missing_number: float = 0.6  # a quantity is asked and no quoted sentence states a number
    missing_time: float = 0.6  # a time is asked (什么时候, 何时) and no quoted sentence states one
    wrong_unit: float = 0.7  # ... or none states one of the kind asked for (money, people, …)
    target_for_actual: float = 0.7  # what happened is asked and the quotes only state targets
    other_relative_year: float = 0.6  # 去年 is asked and the quotes speak of 今年 (and no 去年)
    uncounted: float = 0.85  # a count of X is asked and no quoted number counts X
    answer_type: float = 0.3  # weight of the kind of answer asked for ("文件" of 什么文件)
    partial: float = 0.6  # credit for a question word found only inside a longer word (放 in 发放)
    # Meaning (the embedding model), for questions asked in other words than the letter's: when the
    # best sentence covers less than ``semantic_below`` of the question's words and does not contradict
    # the question, the ``semantic_candidates`` best by words (of ``semantic_min_chars`` or more) are
    # ranked again: ``semantic_words`` × their words' score + ``semantic`` per standard deviation of their
    # cosine to the question above the mean. A close runner-up may then take ``semantic_room`` more
    # quotes, and support may come from the cosine: 0 at ``cos_floor``, ``semantic_support`` at
    # ``cos_full`` and above.
    semantic: float = 0.5
    semantic_below: float = 0.5
    semantic_candidates: int = 24  # how many of the words' best are embedded
    semantic_min_chars: int = 12  # shorter sentences are not weighed by meaning
    semantic_words: float = 0.5  # weight of the words' score beside meaning's
    semantic_room: int = 1  # quotes allowed beyond max_quotes - 1 when meaning chose
    semantic_support: float = 0.5
    cos_floor: float = 0.84
    cos_full: float = 0.95


@dataclass
class _Candidate:
    hit_rank: int
    hit: Hit
    start: int  # offset within hit.text
    end: int
    score: float
    tokens: frozenset[str]
    cos: float | None = None  # cosine to the question, when meaning was consulted


class ExtractiveAnswerer:
    """``answer(question, hits) -> Answer``.

    Support is the IDF-weighted share of the question's terms found in the quoted sentences and their
    passages; below ``weights.threshold`` the answer is a refusal. ``idf`` weighs terms; without it a
    term weighs by its length.
    """

    def __init__(
        self,
        weights: ExtractiveWeights = ExtractiveWeights(),
        *,
        idf: Callable[[str], float] | None = None,
        issuer_of: Callable[[str], str] | None = None,
        places_of: LetterPlaces | None = None,
        vectors: Vectors | None = None,
    ) -> None:
        """``places_of``: the places a hit's letter names (``rag.ask.places.LetterPlaces``); without it a
        question's place missing from the quoted passages always counts against the answer."""
        self.weights = weights
        self.idf = idf or (lambda token: 1.0 + math.log(len(token) + 1))
        self.issuer_of = issuer_of or (lambda doc_id: "")
        self.places_of = places_of
        self.vectors = vectors

    @property
    def threshold(self) -> float:
        return self.weights.threshold

    def answer(self, question: Question, hits: list[Hit], *, per_letter: bool = False) -> Answer:
        """``per_letter``: the question names several letters; quote the best sentence of each."""
        contexts = _Contexts()
        chosen = (
            self._select_per_letter(question, hits, contexts)
            if per_letter
            else self._select(question, hits, contexts)
        )
        support = self._scaled_support(question, chosen, contexts)
        if not chosen or support < self.weights.threshold:
            return Answer(answer=NOT_FOUND + "。", found=False, hits=tuple(hits), support=round(support, 4))
        chosen.sort(key=lambda c: (c.hit_rank, c.start))
        citations = tuple(Citation.of(c.hit, c.start, c.end, round(c.score, 4)) for c in chosen)
        return Answer(
            answer="\n".join(quote_line(c, i) for i, c in enumerate(citations, start=1)),
            found=True,
            citations=citations,
            hits=tuple(hits),
            support=round(support, 4),
        )

    def _select(self, question: Question, hits: list[Hit], contexts: _Contexts) -> list[_Candidate]:
        """The best sentence for each part of the question, plus a close runner-up for one-part questions."""
        w = self.weights
        chosen: list[_Candidate] = []
        for part in question.parts:
            by_words = self._rank(part, question, hits, contexts)
            ranked = self._by_meaning(question, by_words, contexts)
            pick = next((c for c in ranked if not any(_overlaps(c, o) for o in chosen)), None)
            if pick is not None:
                chosen.append(pick)
                # Meaning chose another sentence than the words did: both are quoted, so the reader
                # sees each and support is never less than the words' own choice had.
                first = by_words[0]  # ranked, and so by_words, holds pick
                if first is not pick and not any(_overlaps(first, o) for o in chosen):
                    chosen.append(first)
            if len(question.parts) == 1 and pick is not None:
                # Chosen by meaning, the answer is less sure: a close runner-up may take one more place.
                room = w.max_quotes - 1 + (w.semantic_room if pick.cos is not None else 0)
                for cand in ranked[1:]:
                    if len(chosen) >= room or cand.score < pick.score * w.second_ratio:
                        break
                    if not any(_overlaps(cand, o) for o in chosen):
                        chosen.append(cand)
        return chosen[: w.max_quotes]

    def _select_per_letter(
        self, question: Question, hits: list[Hit], contexts: _Contexts
    ) -> list[_Candidate]:
        chosen: list[_Candidate] = []
        whole = question.as_part()
        for doc_id in dict.fromkeys(h.doc_id for h in hits):
            ranked = self._rank(whole, question, [h for h in hits if h.doc_id == doc_id], contexts)
            if ranked:
                chosen.append(ranked[0])
        return chosen[: self.weights.max_quotes]

    def _rank(self, part: Part, question: Question, hits: list[Hit], contexts: _Contexts) -> list[_Candidate]:
        """Every answer window of every hit, scored for one part of the question, best first."""
        w = self.weights
        # "126号" names the letter and "强化资金保障方面，" says where to look: they count for the
        # passage, not for the sentence that answers.
        window_weights = {t: v for t, v in self._weights(part, question).items() if t not in question.refs}
        weights = {**window_weights, **{t: self.idf(t) for t in question.locator | question.refs}}
        total = sum(weights.values())
        window_total = sum(window_weights.values())
        if not total or not window_total:
            return []
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits):
            context_cov = coverage(weights, total, contexts.tokens(hit), w.partial)
            flagged = contexts.flagged(hit)
            for start, end in _windows(hit.text):
                window = hit.text[start:end]
                if (
                    window == hit.doc_number
                    or overlaps(flagged, start, end)
                    or _FORMULA.search(window)
                    or _BARE_LABEL.fullmatch(window)
                ):
                    continue
                tokens = frozenset(tokenize(window)) | _shapes(window, question.token_set)
                window_cov = coverage(window_weights, window_total, tokens, w.partial)
                score = w.window * window_cov + w.context * context_cov
                if part.quantity:
                    score += w.number_bonus if _DIGIT.search(window) else -w.number_penalty
                    if part.counted and counts(window, part.counted):
                        score += w.counted_bonus
                if question.years and (stated := set(_STATED_YEAR.findall(window))):
                    score += w.asked_year if stated & question.years else -w.other_year
                score += w.rank_bonus / (rank + 1) - w.length_penalty * len(window)
                out.append(_Candidate(rank, hit, start, end, score, tokens))
        out.sort(key=lambda c: -c.score)
        return out

    def _by_meaning(
        self, question: Question, ranked: list[_Candidate], contexts: _Contexts
    ) -> list[_Candidate]:
        """``ranked`` again with the candidates' meaning when their words cover the question poorly."""
        w = self.weights
        if self.vectors is None or not w.semantic or not ranked:
            return ranked
        # The words' best sentence contradicts the question (another year, place, no number): meaning
        # must not trade it for a sentence that merely says nothing about it.
        if self._mismatch(question, ranked[:1], contexts) < 1.0:
            return ranked
        if self._coverage_support(question, ranked[:1], contexts) >= w.semantic_below:
            return ranked
        # Only the words' best few are weighed by meaning (each one is embedded): the rest follow as ranked.
        # A short line (a signature, 承办单位:…) is mostly the names the question shares with every
        # line of its letter: its cosine says little, so it is not weighed by meaning and goes last.
        short = [c for c in ranked if c.end - c.start < w.semantic_min_chars]
        ranked = [c for c in ranked if c.end - c.start >= w.semantic_min_chars]
        if not ranked:
            return short
        head, tail = ranked[: w.semantic_candidates], ranked[w.semantic_candidates :] + short
        query = self.vectors.query(question.text)
        cos = self.vectors.passages([c.hit.text[c.start : c.end] for c in head]) @ query
        mean, spread = float(cos.mean()), float(cos.std()) or 1.0
        for c, value in zip(head, cos.tolist(), strict=True):
            c.cos = value
            c.score = w.semantic_words * c.score + w.semantic * (value - mean) / spread
        return sorted(head, key=lambda c: -c.score) + tail

    def _meaning_support(self, chosen: list[_Candidate]) -> float:
        """Support from the chosen sentences' cosine to the question (0 when meaning was not consulted)."""
        w = self.weights
        values = [c.cos for c in chosen if c.cos is not None]
        if not values or w.cos_full <= w.cos_floor:
            return 0.0
        share = (max(values) - w.cos_floor) / (w.cos_full - w.cos_floor)
        return w.semantic_support * min(max(share, 0.0), 1.0)

    def _scaled_support(self, question: Question, chosen: list[_Candidate], contexts: _Contexts) -> float:
        """Support on the scale of ``threshold``: coverage lowered by the mismatch factor when the chosen
        passages contradict the question, and then scaled down by ``threshold / threshold_mismatch``, since a
        contradicted question needs ``threshold_mismatch`` of raw support (one number to report and sweep)."""
        if not chosen:
            return 0.0
        w = self.weights
        mismatch = self._mismatch(question, chosen, contexts)
        support = self._coverage_support(question, chosen, contexts) * mismatch
        if mismatch < 1.0:
            support *= w.threshold / w.threshold_mismatch
        return support

    def _coverage_support(self, question: Question, chosen: list[_Candidate], contexts: _Contexts) -> float:
        """How much of the question the chosen sentences and their passages cover (0..1), by their words
        or, where meaning was consulted, their cosine to it."""
        if not chosen:
            return 0.0
        kind = self.weights.answer_type
        # The names that chose the letter (its number, proposer, body, or a preamble) neither support nor
        # weaken an answer: the ask, and where it says to look, is what the passages must support.
        terms = (question.ask_tokens or question.token_set) | question.locator
        weights = {t: self.idf(t) * (kind if t in question.answer_type else 1.0) for t in terms}
        total = sum(weights.values())
        if not total:
            return 0.0
        windows = set().union(*(c.tokens for c in chosen))
        passages = set().union(*(contexts.tokens(c.hit) for c in chosen))
        partial = self.weights.partial
        support = 0.5 * coverage(weights, total, windows, partial) + 0.5 * coverage(
            weights, total, passages | windows, partial
        )
        return max(support, self._meaning_support(chosen))

    def _mismatch(self, question: Question, chosen: list[_Candidate], contexts: _Contexts) -> float:
        """A factor below 1 when the chosen passages (with their letters' issuers) contradict the
        question: another year or place, no number or the wrong unit for a quantity, a target for an
        actual figure, a number that counts something else, another relative year."""
        w = self.weights
        texts = " ".join(
            [
                *(_context(c.hit, contexts.flagged(c.hit)) for c in chosen),
                *(self.issuer_of(c.hit.doc_id) for c in chosen),
            ]
        )
        factor = 1.0
        if question.years and not all(y in texts for y in question.years):
            factor *= w.missing_year
        if self._other_place(question, chosen, texts):
            factor *= w.missing_place
        quotes = [c.hit.text[c.start : c.end] for c in chosen]
        for part in question.parts:
            if part.quantity and not any(has_number(q) for q in quotes):
                factor *= w.missing_number
            elif part.unit and not any(has_number(q, part.unit) for q in quotes):
                factor *= w.wrong_unit
            # What happened in a year is asked: the quotes about that year must not all be targets.
            dated = [q for q in quotes if any(y in q for y in question.years)] or quotes
            if part.actual and dated and all(_target_only(q) for q in dated):
                factor *= w.target_for_actual
            if (
                part.counted
                and any(has_number(q) for q in quotes)
                and not any(counts(q, part.counted) for q in quotes)
            ):
                factor *= w.uncounted
        if _WHEN.search(question.text) and not any(_TIME.search(q) for q in quotes):
            factor *= w.missing_time
        said = {y for y in RELATIVE_YEARS for q in quotes if y in q}
        if question.relative_years and said and not question.relative_years & said:
            factor *= w.other_relative_year
        return factor

    def _other_place(self, question: Question, chosen: list[_Candidate], texts: str) -> bool:
        """A place the question names is in none of the quoted passages and their issuers, and these
        say they are elsewhere: the passages name another place, or, naming none, their letters name
        places and never the one asked."""
        missing = [p for p in question.places if p not in texts]
        if not missing or self.places_of is None:
            return bool(missing)
        named_here = set(self.places_of.known(texts))
        letters = [self.places_of(c.hit) for c in {c.hit.doc_id: c for c in chosen}.values()]
        return any(
            elsewhere(p, named_here)
            or (not any(n.names(p) for n in letters) and any(n.contradicts(p) for n in letters))
            for p in missing
        )

    def _weights(self, part: Part, question: Question) -> dict[str, float]:
        kind = self.weights.answer_type
        terms = (question.ask_tokens or question.token_set) - question.locator
        weights = {t: self.idf(t) * (kind if t in question.answer_type else 1.0) for t in terms}
        if part.tokens and not part.whole:
            other = self.weights.other_part
            weights = {t: v * (1.0 if t in part.tokens else other) for t, v in weights.items()}
        return weights


class _Contexts:
    """Per hit, computed once per answer: the tokens of its passage with its letter's 文号, title and
    section, and the spans of its instruction-shaped sentences (never quoted, and their words support
    nothing: a letter is data, not instructions)."""

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str]] = {}
        self._flagged: dict[str, tuple[tuple[int, int], ...]] = {}

    def flagged(self, hit: Hit) -> tuple[tuple[int, int], ...]:
        if hit.chunk_id not in self._flagged:
            self._flagged[hit.chunk_id] = instruction_spans(hit.text)
        return self._flagged[hit.chunk_id]

    def tokens(self, hit: Hit) -> frozenset[str]:
        if hit.chunk_id not in self._tokens:
            self._tokens[hit.chunk_id] = frozenset(tokenize(_context(hit, self.flagged(hit))))
        return self._tokens[hit.chunk_id]


def _target_only(quote: str) -> bool:
    """The quote states a target (力争, 计划, …) and no clause of it says, without one, what was done."""
    if not _TARGET.search(_TARGET_MET.sub("", quote)):
        return False
    return not any(_DONE.search(c) and not _TARGET.search(c) for c in _CLAUSE.findall(quote))


def counts(window: str, counted: frozenset[str]) -> bool:
    """Whether a number in ``window`` counts one of ``counted``: "注册企业216家", "216家企业"."""
    numbers = [(m.start(), m.end()) for m in _NUMBER.finditer(window)]
    for token in counted:
        for found in re.finditer(re.escape(token), window):
            for start, end in numbers:
                # "企业216家", "企业数已超过1300家"; "216家企业", "216所中小学"
                between = window[found.end() : start] if start >= found.end() else None
                if between is not None and _COUNT_LINK.fullmatch(between):
                    return True
                if 0 <= found.start() - end <= 1:
                    return True
    return False


# What may stand between a counted noun and its number: "企业数已超过1300家", "学生共计129人".
_COUNT_LINK = re.compile(
    r"[数量]?(?:已经|已|超过|超|达到|达|为|共计|共|总计|合计|约|近|逾|累计|是|有|在|\s)*[(（:：]?"
)


def _context(hit: Hit, flagged: tuple[tuple[int, int], ...] = ()) -> str:
    text = hit.text
    for a, b in reversed(flagged):
        text = text[:a] + " " + text[b:]
    return f"{hit.doc_number} {hit.title} {hit.section} {text}"


def _windows(text: str) -> list[tuple[int, int]]:
    """Sentences of a passage; a long sentence is offered as windows of 1-3 consecutive clauses.

    A heading (a line such as "二、关于“…”的建议", or a short "三是强化资金保障。") says what follows
    rather than answering: it is offered only together with the sentence after it.
    """
    sentences = []
    for match in _SENTENCE.finditer(text):
        start, end = _strip(text, match.start(), match.end())
        if start < end:
            sentences.append((start, end))
    out: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(sentences):
        if _is_label_line(text, start, end):
            continue  # a title, a signature, "答 复 函": no sentence in it
        if _is_heading(text, start, end):
            if i + 1 < len(sentences) and sentences[i + 1][1] - start <= 2 * _MAX_QUOTE:
                out.append((start, sentences[i + 1][1]))
            continue
        if end - start <= _MAX_QUOTE:
            out.append((start, end))
            continue
        clauses = [_strip(text, m.start(), m.end()) for m in _CLAUSE.finditer(text, start, end)]
        clauses = [(a, b) for a, b in clauses if a < b]
        for i in range(len(clauses)):
            for j in range(i, min(i + 3, len(clauses))):
                a, b = clauses[i][0], clauses[j][1]
                if b - a <= _MAX_QUOTE or i == j:
                    out.append((a, b))
    return out


def _shapes(window: str, asked: frozenset[str]) -> frozenset[str]:
    """The words for the kinds of value the window states, among those the question asks for."""
    return frozenset(word for word, shape in _SHAPES if word in asked and shape.search(window))


def _is_label_line(text: str, start: int, end: int) -> bool:
    """A whole line that only labels the letter: its title ("关于…的答复函", "答 复 函") or its
    salutation ("张慧委员:"). A byline or a "承办人: …" line states a fact and stays."""
    line_start = start == 0 or text[start - 1] == "\n"
    line_end = end >= len(text) or text[end] == "\n"
    return line_start and line_end and bool(_TITLE_LINE.fullmatch(text[start:end]))


def _is_heading(text: str, start: int, end: int) -> bool:
    """A heading line of the letter, or a short enumerated point that only names a topic."""
    line_start = start == 0 or text[start - 1] == "\n"
    line_end = end >= len(text) or text[end] == "\n"
    sentence = text[start:end]
    if line_start and line_end and len(sentence) <= _HEADING_MAX and _HEADING_LINE.match(sentence):
        return True
    return len(sentence) <= _SHORT_POINT and bool(_ENUMERATED.match(sentence))


def quote_line(citation: Citation, n: int) -> str:
    """A quote as a line of an answer: "quote（文号）[n]"."""
    where = f"（{citation.doc_number}）" if citation.doc_number else ""
    return f"{_display(citation.quote)}{where}[{n}]"


def _display(quote: str) -> str:
    """A quote as a line of the answer: a clause-ending ；or ，reads as the end of the sentence."""
    return quote.strip().rstrip("；;，,、：:")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "，,："):
        end -= 1
    return start, end


def _overlaps(a: _Candidate, b: _Candidate) -> bool:
    return (
        a.hit.doc_id == b.hit.doc_id
        and (a.hit.start + a.start) < (b.hit.start + b.end)
        and (b.hit.start + b.start) < (a.hit.start + a.end)
    )
