"""Grounded phrasing: whether a sentence a model wrote rests on the quotes it cites.

A sentence passes when
- every number, date and 文号 it states is stated by a cited quote (or by the cited letter's 文号 and
  title);
- every 《title》 and “named thing” it writes is written in a cited quote, its header or the question;
- each number is said of what the quote says it of: the words of the sentence's clause around the number
  are (mostly) the words of the quote's clause holding that number (and of the clauses before it that
  state no other number), or words of the question that the passage's number-free sentences or the
  letter's title also use ("世界500强企业216家" is not grounded by "引进注册企业216家，其中56家是世界500强");
- and, taken as a whole, its words are mostly the quotes' and the question's (no invented statement);
- a sentence with no number, date or 文号 must say more than the question ("瓯江实验室启航楼多大[1]。"
  answers nothing).

Only what the model writes is checked; what counts as support is the offline answerer's quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.claims import find_claims, unsupported_claims

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CLAUSE = re.compile(r"[^，,；;。！？!?：:\n]+")
_DIGITS = re.compile(r"\d[\d.,]*\d|\d")
_SENTENCE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?]*")
_NAMED = re.compile(r"《[^》]{2,80}》|“[^”]{2,40}”|\"[^\"]{2,40}\"")
# Words any answer may add around a quoted fact: they state nothing of their own.
_CONNECTIVES = (
    "其中 共有 共计 总计 合计 累计 达到 约为 超过 以上 左右 目前 已经 实现 分别 包括 主要 全年 截至 为止 "
    "根据 答复 答复函 显示 表示 提到 指出 介绍 说明 情况 方面 相关 有关 我们 我局 该局 本局 其 是 为 有 了 的 "
    "和 与 及 在 对 将 已 共 达 约 等 个 年 月 日"
)
_GENERIC = {g for word in _CONNECTIVES.split() for g in (word[i : i + 2] for i in range(len(word) - 1))}


@dataclass(frozen=True)
class Grounds:
    """What one sentence may rest on: its cited quotes, their letters' headers, the passages the quotes
    come from, and the question."""

    quotes: tuple[str, ...]
    headers: tuple[str, ...]
    passages: tuple[str, ...]
    question: str


@dataclass(frozen=True)
class Weights:
    subject: float = 0.6  # share of a number's clause words found in the quote's clause holding it
    overall: float = 0.5  # share of a sentence's words found in the quotes, headers and question
    echo: float = 0.2  # a sentence with no figure whose words are the question's but this share restates it


def check(sentence: str, grounds: Grounds, weights: Weights = Weights()) -> str | None:
    """``None`` when the sentence is grounded, else what is not (a short Chinese reason)."""
    stated = [*grounds.quotes, *grounds.headers]
    own = _grams(sentence) - _GENERIC - _grams(grounds.question)
    new_claims = unsupported_claims(sentence, [grounds.question])
    if not new_claims and len(own) <= weights.echo * len(_grams(sentence) - _GENERIC):
        return "该句只是复述问题"
    missing = unsupported_claims(sentence, stated)
    if missing:
        return f"“{missing[0]}”不在所引原文中"
    for name in _NAMED.findall(sentence):
        if not any(name[1:-1] in text for text in (*stated, grounds.question)):
            return f"{name}不在所引原文中"
    topic = _grams(grounds.question) & _topic_words(grounds)
    for clause in _CLAUSE.findall(sentence):
        numbers = [c for c in find_claims(clause) if c.kind == "number"]
        words = _grams(clause) - _GENERIC
        if not numbers or not words:
            continue
        # Each number on its own: "世界500强企业216家" puts 216家 with words that go with 500.
        for number in numbers:
            allowed = set(topic)
            for quote, passage in zip(grounds.quotes, grounds.passages, strict=True):
                allowed |= _subject_words(number.text, quote, passage)
            if len(words & allowed) < weights.subject * len(words):
                return f"“{clause.strip()}”与所引原文说的不是同一件事"
    words = _grams(sentence) - _GENERIC
    known = set().union(*map(_grams, (*stated, grounds.question)))
    if words and len(words & known) < weights.overall * len(words):
        return "该句内容不在所引原文中"
    return None


def _subject_words(claim: str, quote: str, passage: str) -> set[str]:
    """The words a number may be said with: those of the clause of the quote's sentence that states
    it, and of the clauses before it in that sentence that state no other number ("2023年，全市生命健康
    产业实现总营收1588亿元"; not "目前已获批国家级平台6个，" for the 216家 after it)."""
    at = passage.find(quote)
    if at < 0:
        passage, at = quote, 0
    out: set[str] = set()
    for sentence in _SENTENCE.finditer(passage):
        if sentence.end() <= at or sentence.start() >= at + len(quote):
            continue
        clauses = _CLAUSE.findall(sentence.group())
        for i, clause in enumerate(clauses):
            if unsupported_claims(claim, [clause]):
                continue
            out |= _around(claim, clause)
            for before in clauses[:i]:
                if not any(c.kind == "number" for c in find_claims(before)):
                    out |= _grams(before)
    return out


def _around(claim: str, clause: str) -> set[str]:
    """The words of ``clause`` from the number before ``claim`` to the clause's end ("城市社区15分钟健身圈和
    县城社区10分钟健身圈建设": 10分钟 goes with 县城社区 and 健身圈, not with 城市社区; the subject of a
    number comes before it, what it counts may follow another number: "其中56家是世界500强…企业")."""
    numbers = list(_DIGITS.finditer(clause))
    for i, m in enumerate(numbers):
        if not unsupported_claims(claim, [clause[m.start() : m.end() + 6]]):
            return _grams(clause[numbers[i - 1].end() if i else 0 :])
    return _grams(clause)


def _topic_words(grounds: Grounds) -> set[str]:
    """The words of the cited letters' headers and of their passages' sentences that state no number:
    what the passage is about ("中国眼谷以打造…为目标"), which a sentence may name with a quoted number
    when the question names it too."""
    out = set().union(*map(_grams, grounds.headers))
    for passage in grounds.passages:
        for sentence in _SENTENCE.findall(passage):
            if not any(c.kind == "number" for c in find_claims(sentence)):
                out |= _grams(sentence)
    return out


def _grams(text: str) -> set[str]:
    """Character bigrams of the Chinese runs of ``text`` (digits and punctuation break a run)."""
    return {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
