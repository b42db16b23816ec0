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


def test_a_clause_that_asks_is_not_a_locator(catalogue: list[tuple[str, LetterMeta]]) -> None:
    # "…方面，" locates the ask in the letter; "…在哪里，" is an ask of its own, though it ends in 里.
    located = make_question("强化资金保障方面，今年安排了多少经费？", catalogue)
    assert located.ask == "今年安排了多少经费？" and "资金" in located.locator
    asking = make_question("市特殊教育学校在哪里，离城区多远？", catalogue)
    assert asking.ask == "市特殊教育学校在哪里，离城区多远？" and not asking.locator


def test_intents_and_years(catalogue: list[tuple[str, LetterMeta]]) -> None:
    listing = make_question("2023年答复了哪些建议？", catalogue)
    assert listing.catalogue and not listing.summary and listing.years == {"2023"}
    summary = make_question("李明委员的提案主要讲了什么？", catalogue)
    assert summary.summary and not summary.catalogue
    assert make_question("去年建成了多少充电桩？", catalogue).relative_years == {"去年"}
    plain = make_question("全市累计建成多少个公共充电桩？", catalogue)
    assert not plain.catalogue and not plain.summary


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # The place is cut where its words are, not four characters before its level.
        ("宏碁和浩汉的公司都位于新北市的哪一地方？", {"新北"}),
        ("搭乘渡轮从南竿到东引区要花费多少时间？", {"东引"}),
        ("会通过汐止区和深坑区的捷运站目前的建设状态为？", {"汐止", "深坑"}),
        ("多少毫米为长崎县的年降水量？", {"长崎"}),
        ("盘锦市的特殊教育学校离兴隆台区多远？", {"盘锦", "兴隆台"}),
        # A place whose name ends in an area word's first character keeps its own.
        ("鹿城区和晋城市各有多少家企业？", {"鹿城", "晋城"}),
        # Kinds of area and words that end in a level name no place.
        ("哪一座城市位于最北端的位置？", set()),
        ("国家创新型城市排名要进入全国前多少？", set()),
        ("临沂统筹利用城市公共资源建5G基站按照什么原则？", set()),
        ("有几家企业进了国家生物医药产业园区？", set()),
        ("这篇论文是研究哪一区的民间传说？", set()),
    ],
)
def test_places_are_named_with_their_level(
    catalogue: list[tuple[str, LetterMeta]], text: str, places: set[str]
) -> None:
    assert make_question(text, catalogue).places == places


def test_the_letter_index_finds_what_a_pass_over_every_letter_finds() -> None:
    """Many letters of invented bodies and people (the scale benchmark's generator): each lookup of
    the index equals the plain pass over the catalogue it replaces, and keeps to what the read may see."""
    import re

    from eval import synth
    from index.metadata import extract_meta
    from index.visibility import only
    from rag.ask.question import _ORG, LetterIndex, abbreviates
    from rag.settings import PROJECT_ROOT
    from rag.vocabulary import doc_number_serial, issuer_places, person_names, proposal_key

    pool = synth.pool_of([PROJECT_ROOT / "data" / "letters"])
    letters = [(name, extract_meta(text)) for name, text in synth.letters(150, pool, seed=11)]
    index = LetterIndex.of(letters)
    metas = dict(letters)
    texts = [f"{m.doc_number}的答复" for _, m in letters[:10]]
    texts += [f"{person_names(m.proposer)[0]}提的建议说了什么？" for _, m in letters[10:20]]
    texts += [f"{m.issuer}答复第{m.proposal_number}号时说了什么？" for _, m in letters[20:30] if m.issuer]
    texts += ["第12号建议", "第0007号提案", "全市有多少家企业？"]
    for text in texts:
        full = set(re.findall(r"\S+〔\d{4}〕\d+号", text)) & {m.doc_number for m in metas.values()}
        refs = frozenset(re.findall(r"第0*(\d+)号", text))
        if full:
            want_number = [d for d, m in letters if m.doc_number in full]
        else:
            keys = {proposal_key(r) for r in refs}
            want_number = [
                d
                for d, m in letters
                if proposal_key(doc_number_serial(m.doc_number) or "-") in keys
                or (m.proposal_number and proposal_key(m.proposal_number) in keys)
            ]
        assert index.named_by_number(full, refs) == want_number, text
        people = [d for d, m in letters if any(n in text for n in person_names(m.proposer) if len(n) >= 2)]
        assert index.naming_person(text) == people, text
        orgs = [g.group(1) for g in _ORG.finditer(text)]
        issuers = [d for d, m in letters if m.issuer and any(abbreviates(o, m.issuer) for o in orgs)]
        assert index.of_issuer(text) == issuers, text
        assert index.places_in(text) == {p for _, m in letters for p in issuer_places(m.issuer) if p in text}
    seen = [d for d, _ in letters[::2]]
    with only(seen):
        named = index.naming_person(texts[10])
        assert named == [d for d in [letters[10][0]] if d in seen]
