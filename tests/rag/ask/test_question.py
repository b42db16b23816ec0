"""Parsing a question once: which letters it names (by 文号, proposal number, person, body), the ask
after a preamble, catalogue and summary intents, years — on letters of invented bodies."""

from __future__ import annotations

import pytest

from rag.types import LetterMeta
from tests.factories import make_question, synthetic_letters


@pytest.fixture(scope="module")
def catalogue() -> list[tuple[str, LetterMeta]]:
    return [(d.doc_id, d.meta) for d in synthetic_letters().values()]


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("川发改函〔2024〕56号答复的是哪位委员的提案？", ("fgw56",)),
        ("第118号建议的提出人是谁？", ("jyj118",)),
        ("李明委员的提案主要讲了什么？", ("fgw56",)),
        ("张华代表提的建议是哪天答复的？", ("jyj118",)),
        ("全市累计建成多少个公共充电桩？", ()),
    ],
)
def test_letters_are_named_by_number_or_person(
    catalogue: list[tuple[str, LetterMeta]], text: str, letters: tuple[str, ...]
) -> None:
    assert make_question(text, catalogue).letters == letters


def test_a_preamble_that_names_the_letter_is_not_the_ask(catalogue: list[tuple[str, LetterMeta]]) -> None:
    q = make_question("临海市教育局答复张华代表时说，全市有多少所中小学设立了心理辅导室？", catalogue)
    assert q.letters == ("jyj118",)
    assert q.ask == "全市有多少所中小学设立了心理辅导室？"
    # The names chose the letter: they are not words the answer must contain.
    assert "张华" not in q.ask_tokens and "中小学" in q.ask_tokens


def test_intents_and_years(catalogue: list[tuple[str, LetterMeta]]) -> None:
    listing = make_question("2023年答复了哪些建议？", catalogue)
    assert listing.catalogue and not listing.summary and listing.years == {"2023"}
    summary = make_question("李明委员的提案主要讲了什么？", catalogue)
    assert summary.summary and not summary.catalogue
    assert make_question("去年建成了多少充电桩？", catalogue).relative_years == {"去年"}
    plain = make_question("全市累计建成多少个公共充电桩？", catalogue)
    assert not plain.catalogue and not plain.summary
