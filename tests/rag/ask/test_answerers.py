"""The answerers over whole letters — lists of letters, what a letter is about, a letter's particulars —
and the extractive answer's quantity checks, on letters of invented bodies (not the samples)."""

from __future__ import annotations

import pytest

from eval.runner import uncited_claims
from index.dates import parse_date
from rag.ask.extractive import ExtractiveAnswerer, ExtractiveWeights, _target_only, counts, has_number
from rag.ask.listing import CatalogueAnswerer
from rag.ask.particulars import ParticularsAnswerer
from rag.ask.question import Question, asked_unit
from rag.ask.summary import SummaryAnswerer
from rag.ask.vectors import Vectors
from rag.service import DafuService
from rag.types import Answer, Document, Hit
from tests.factories import SYNTHETIC_LETTERS, make_hit, make_letter, make_question, synthetic_letters

LETTERS = synthetic_letters()
CATALOGUE = [(d.doc_id, d.meta) for d in LETTERS.values()]


def _cited(answer: Answer | None) -> list[tuple[str, str]]:
    assert answer is not None
    for c in answer.citations:
        assert LETTERS[c.doc_id].text[c.start : c.end] == c.quote
    return [(c.doc_id, c.quote) for c in answer.citations]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023年答复了哪些建议？", ["jyj118"]),
        ("2024年答复了哪些提案？", ["fgw56"]),
        ("关于校园欺凌的建议有哪些？", ["jyj118"]),
    ],
)
def test_catalogue_questions_list_the_matching_letters(text: str, expected: list[str]) -> None:
    answer = CatalogueAnswerer(lambda: CATALOGUE, LETTERS.get).answer(make_question(text, CATALOGUE), [])
    assert answer is not None and answer.found
    cited = _cited(answer)
    headers = [c for c in answer.citations if c.section == "来文"]
    assert [c.doc_id for c in headers] == expected
    # Each letter is cited at its header; the date shown is cited where the letter prints it.
    assert all(c.quote == LETTERS[c.doc_id].meta.doc_number for c in headers)
    dates = [c for c in answer.citations if c.section == "落款"]
    assert [c.doc_id for c in dates] == [d for d in expected if LETTERS[d].meta.date]
    assert all(
        parse_date(c.quote) == tuple(int(x) for x in LETTERS[c.doc_id].meta.date.split("-")) for c in dates
    )
    assert all(c.quote in answer.answer for c in dates) and len(cited) == len(headers) + len(dates)
    assert uncited_claims(answer) == []


def test_a_catalogue_question_with_no_matching_letter_is_refused() -> None:
    answer = CatalogueAnswerer(lambda: CATALOGUE, LETTERS.get).answer(
        make_question("2022年答复了哪些提案？", CATALOGUE), []
    )
    assert answer is not None and not answer.found and "2022年" in answer.answer


def test_a_summary_cites_the_letters_sections() -> None:
    answer = SummaryAnswerer(LETTERS.get).answer(make_question("张华代表的建议主要讲了什么？", CATALOGUE), [])
    assert answer is not None and answer.found
    assert _cited(answer) == [("jyj118", "一、建立预防机制"), ("jyj118", "二、加强家校合作")]


def test_a_non_summary_question_is_left_to_the_others() -> None:
    question = make_question("全市有多少所中小学设立了心理辅导室？", CATALOGUE)
    assert SummaryAnswerer(LETTERS.get).answer(question, []) is None
    assert CatalogueAnswerer(lambda: CATALOGUE, LETTERS.get).answer(question, []) is None
    assert ParticularsAnswerer(LETTERS.get).answer(question) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("川发改函〔2024〕56号的联系人是谁？", [("fgw56", "联系人：王芳，电话：0871-1234567")]),
        ("临教建〔2023〕8号是哪天签发的？", [("jyj118", "2023年6月30日")]),
        ("第118号建议是谁提的？", [("jyj118", "张华代表")]),
        ("临教建〔2023〕8号是哪个单位答复的？", [("jyj118", "临海市教育局")]),
    ],
)
def test_particulars_answer_only_the_field_asked(text: str, expected: list[tuple[str, str]]) -> None:
    answer = ParticularsAnswerer(LETTERS.get).answer(make_question(text, CATALOGUE))
    assert answer is not None and answer.found
    assert _cited(answer) == expected


def _hits(doc: Document) -> list[Hit]:
    """One hit per line of the letter's body, as a retriever would return its passages."""
    return [
        make_hit(
            line.strip(),
            doc_id=doc.doc_id,
            start=doc.text.find(line.strip()),
            doc_number=doc.meta.doc_number,
            title=doc.meta.title,
        )
        for line in doc.text.split("\n")
        if len(line.strip()) > 10
    ]


HITS = [hit for doc in LETTERS.values() for hit in _hits(doc)]


def _extractive() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        ExtractiveWeights(), idf=lambda token: 1.0, issuer_of=lambda doc_id: LETTERS[doc_id].meta.issuer
    )


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("全市有多少所中小学设立了心理辅导室？", "全市216所中小学均已设立心理辅导室。"),
        ("2023年开展了多少场家长培训？", "2023年共开展家长培训530场。"),
        ("2024年要新建多少公共充电桩？", "我委将会同市住建局，在2024年新建公共充电桩1000个。"),
    ],
)
def test_extractive_answers_quote_the_sentence_with_the_figure(text: str, quote: str) -> None:
    answer = _extractive().answer(make_question(text, CATALOGUE), HITS)
    assert answer.found
    assert answer.citations[0].quote == quote


@pytest.mark.parametrize("text", ["2021年开展了多少场家长培训？", "全市有多少个加氢站？"])
def test_extractive_refuses_another_year_or_an_unmentioned_thing(text: str) -> None:
    answer = _extractive().answer(make_question(text, CATALOGUE), HITS)
    assert not answer.found and answer.support < _extractive().threshold


def test_a_figure_in_a_listed_proposer_is_cited_where_the_letter_writes_it() -> None:
    joint = make_letter(
        "jyj9", SYNTHETIC_LETTERS["jyj118"].replace("张华代表：", "张华等5名代表：").replace("8号", "9号")
    )
    letters = {"jyj9": joint}
    catalogue = [("jyj9", joint.meta)]
    answer = CatalogueAnswerer(lambda: catalogue, letters.get).answer(
        make_question("哪些建议是几名代表联名提的？", catalogue), []
    )
    assert answer is not None and answer.found and joint.meta.proposer == "张华等5名代表"
    assert [c.quote for c in answer.citations] == ["临教建〔2023〕9号", "张华等5名代表", "2023年6月30日"]
    for c in answer.citations:
        assert joint.text[c.start : c.end] == c.quote
    assert "张华等5名代表[2]" in answer.answer and uncited_claims(answer) == []


def test_a_number_with_a_multiplier_states_its_unit() -> None:
    assert has_number("覆盖家长超5万人次。", "people")
    assert has_number("培训教职工3千余名。", "people")
    assert not has_number("覆盖家长超5万人次。", "money")


def test_a_measure_word_that_begins_a_word_is_not_the_unit_asked() -> None:
    assert asked_unit("家长法治课堂覆盖了多少家长？") == ""  # 家长, not 家 of 多少家企业
    assert asked_unit("园区有多少家企业？") == "count"
    assert asked_unit("培训了多少人次？") == "people"


@pytest.mark.parametrize(
    ("body", "text", "figure", "clause", "without"),
    [
        # "超额完成年度任务目标": a target met is said of what happened.
        ("全年计划改造供热管网500公里。\n供热管道改造完成612公里，超额完成年度任务目标。",
         "供热管道改造完成了多少公里？", "612公里", "，超额完成年度任务目标", ""),
        # A plan and, in a clause of its own, what was done.
        ("计划对全市5000户以上的问题点位实施户内改造，全年共完成7638户，超额完成任务。",
         "户内改造全年完成了多少户？", "7638户", "计划对全市", "对全市"),
    ],
)  # fmt: skip
def test_a_clause_beside_what_happened_does_not_make_it_a_target(
    body: str, text: str, figure: str, clause: str, without: str
) -> None:
    letter = make_letter("gr1", f"关于供热管网改造的答复\n王强代表：\n{body}\n")
    question = make_question(text)
    answer = _plain().answer(question, _hits(letter))
    assert answer.found and figure in answer.citations[0].quote
    # The clause does not weaken the answer (a target for an actual figure would).
    plain = make_letter("gr2", letter.text.replace(clause, without))
    assert answer.support == pytest.approx(_plain().answer(question, _hits(plain)).support, rel=0.1)


def test_a_target_stays_a_target_where_its_words_govern_the_figure() -> None:
    assert not _target_only("计划对全市5000户以上的问题点位实施户内改造，全年共完成7638户")
    assert _target_only("确保2024年全市实现产业总营收1700亿元以上，规上制造业产值实现580亿元以上")
    # A figure that the target words govern is still a target: "确保…实现580亿元以上".
    target = make_letter(
        "gr4",
        "关于产业发展的答复\n王强代表：\n确保2024年全市实现产业总营收1700亿元以上，规上制造业产值实现580亿元以上。\n",
    )
    refused = _plain().answer(make_question("2024年全市实际完成产业总营收多少？"), _hits(target))
    assert not refused.found


def test_a_figure_in_brackets_after_its_noun_counts_it() -> None:
    letter = make_letter(
        "bz1",
        "关于创业扶持的答复\n李明委员：\n对高校毕业生给予创业培训补贴(免费)、创业孵化基地场租补贴(1元/天/平米)等扶持。\n",
    )
    answer = _plain().answer(make_question("创业孵化基地的场租补贴标准是多少？"), _hits(letter))
    assert answer.found and "1元/天/平米" in answer.citations[0].quote
    assert counts("创业孵化基地场租补贴(1元/天/平米)", frozenset({"补贴"}))
    assert counts("学生共计129人", frozenset({"学生"}))
    assert not counts("补贴政策覆盖全市，共有129人受益", frozenset({"补贴"}))


def test_the_sentence_of_the_year_asked_is_quoted_before_one_of_another_year() -> None:
    letter = make_letter(
        "yr1",
        "关于关注残疾儿童成长的答复\n李明委员：\n"
        "江川区2020年6-15周岁残疾学生共计129人，其中随班就读80人。\n"
        "2021年残疾学生共计100人。\n",
    )
    answer = _plain().answer(make_question("2021年6-15周岁残疾学生共有多少人？"), _hits(letter))
    assert answer.found
    assert any("100人" in c.quote for c in answer.citations)


def _plain() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(ExtractiveWeights(), idf=lambda token: 1.0, issuer_of=lambda doc_id: "")


def test_a_question_in_other_words_quotes_the_sentence_that_means_it(service: DafuService) -> None:
    """The words of "放假的时候学校操场对市民开放吗？" point at the wrong sentences (学校, 体育); the bundled
    model's meaning finds the one that answers, and the words' own choice is quoted beside it."""
    letter = (
        "关于加强中小学体育设施建设的建议收悉。我局高度重视学生体质健康工作，学校体育课开足开齐，学校食堂管理规范。"
        "今年全市新建改建运动场地32处，校园体育场馆在节假日向周边居民免费开放。"
        "下一步，我们将继续推动学校体育设施建设。"
    )
    answering = "校园体育场馆在节假日向周边居民免费开放"
    question, hits = make_question("放假的时候学校操场对市民开放吗？"), [make_hit(letter)]
    by_words = ExtractiveAnswerer(ExtractiveWeights(threshold=0.0, semantic=0.0)).answer(question, hits)
    assert by_words.found and not any(answering in c.quote for c in by_words.citations)
    by_meaning = ExtractiveAnswerer(ExtractiveWeights(threshold=0.0), vectors=Vectors(service.embedder))
    answer = by_meaning.answer(question, hits)
    assert answer.found and answering in max(answer.citations, key=lambda c: c.score).quote
    assert answer.support >= by_words.support


def test_a_question_that_asks_when_needs_a_quote_that_tells_a_time() -> None:
    letter = make_letter(
        "wn1",
        "关于轨道交通建设的答复\n李明委员：\n市域铁路S1线已建成并投入运营，全线设站12座。\n",
    )
    dated = make_letter("wn2", letter.text.replace("已建成并投入运营", "于2019年1月建成并投入运营"))
    question = make_question("市域铁路S1线什么时候投入运营？")
    undated, with_time = (_plain().answer(question, _hits(doc)) for doc in (letter, dated))
    assert with_time.found and "2019年1月" in with_time.citations[0].quote
    # The same words without a time: the quote cannot tell when, and is refused on that alone.
    assert not undated.found
    ignoring_time = ExtractiveAnswerer(ExtractiveWeights(missing_time=1.0), idf=lambda token: 1.0)
    assert ignoring_time.answer(question, _hits(letter)).found


def test_a_catalogue_by_topic_over_many_letters_tokenizes_only_titles_that_can_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Letters of the scale benchmark's generator: with the bound, a topic lists the letters it lists
    when every title is tokenized, and far fewer titles are tokenized."""
    from eval import synth
    from index.tokenize import tokenize
    from rag.ask import listing
    from rag.settings import PROJECT_ROOT

    pool = synth.pool_of([PROJECT_ROOT / "data" / "letters"])
    docs = {name: make_letter(name, text) for name, text in synth.letters(300, pool, seed=5)}
    catalogue = [(d.doc_id, d.meta) for d in docs.values()]
    weights = {t: 1.0 + len(t) % 3 for _, m in catalogue for t in tokenize(m.title)}
    answerer = CatalogueAnswerer(lambda: catalogue, docs.get, lambda t: weights.get(t, 4.0))
    tokenized: list[str] = []

    def counted(text: str) -> list[str]:
        tokenized.append(text)
        return tokenize(text)

    def listed(question: Question, least: float) -> tuple[list[str], int]:
        tokenized.clear()
        with monkeypatch.context() as patch:
            patch.setattr(listing, "tokenize", counted)
            patch.setattr(listing, "_LEAST_TITLE_SHARE", least)
            got = [d for d, _ in answerer._filter(question, catalogue)]
        return got, sum(1 for t in tokenized if t in titles)

    titles = {f"{m.title} {m.proposal_title}" for _, m in catalogue}
    asked = listed_any = 0
    tokenized_titles = [0, 0]  # with the bound, without
    for topic in sorted({m.proposal_title.strip("《》") for _, m in catalogue if m.proposal_title})[:12]:
        question = make_question(f"{topic}有哪些？", catalogue)
        if not listing._topic(question):
            continue
        got, bounded = listed(question, listing._LEAST_TITLE_SHARE)
        expected, every = listed(question, 0.0)
        assert got == expected, topic
        assert bounded <= every, topic
        tokenized_titles[0] += bounded
        tokenized_titles[1] += every
        asked += 1
        listed_any += bool(got)
    assert asked >= 8 and listed_any >= 5
    assert tokenized_titles[0] < tokenized_titles[1] / 3
