"""Follow-up questions made standalone by the rules, against the sample letters' real metadata."""

from __future__ import annotations

import pytest

from rag.ask.question import QuestionParser
from rag.chat.followup import FollowUpResolver
from rag.chat.model import BY_RULES, STANDALONE, Previous
from tests.factories import sample_catalogue

CATALOGUE = sample_catalogue()
NUMBERS = {doc_id: meta.doc_number for doc_id, meta in CATALOGUE}
BY_NUMBER = {number: doc_id for doc_id, number in NUMBERS.items()}
L126, L115, L121 = (
    BY_NUMBER["温科提复〔2024〕126号"],
    BY_NUMBER["温科提复〔2024〕115号"],
    BY_NUMBER["温科提复〔2023〕121号"],
)


@pytest.fixture(scope="module")
def resolver() -> FollowUpResolver:
    return FollowUpResolver(QuestionParser(lambda: CATALOGUE).parse, lambda: CATALOGUE)


def resolve(resolver: FollowUpResolver, previous: str, question: str, letters: tuple[str, ...] = ()) -> str:
    return resolver.resolve(question, [Previous(question=previous, letters=letters)]).text


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("中国眼谷引进注册企业多少家？", "那基因药谷呢？", "基因药谷引进注册企业多少家？"),
        ("中国基因药谷以建设什么为目标？", "中国眼谷呢？", "中国眼谷以建设什么为目标？"),
        (
            "商丘全市接入平台的公共充电站有多少座？",
            "中心城区呢？",
            "商丘中心城区接入平台的公共充电站有多少座？",
        ),
        ("龙湾眼谷小镇规划总面积多大？", "那瓯海生命健康小镇呢？", "瓯海生命健康小镇规划总面积多大？"),
        ("甘肃中药材市场年交易额多少？", "那厦门呢？", "厦门中药材市场年交易额多少？"),
        ("天津打造了多少家国家级重大创新平台？", "江苏呢", "江苏打造了多少家国家级重大创新平台？"),
        (
            "市住建局支持群众在居民小区内自建多少个充电桩？",
            "市商务局呢？",
            "市商务局支持群众在居民小区内自建多少个充电桩？",
        ),
    ],
)
def test_a_new_subject_takes_the_place_of_the_old(
    resolver: FollowUpResolver, previous: str, question: str, expected: str
) -> None:
    assert resolve(resolver, previous, question) == expected


def test_a_year_replaces_or_joins_the_previous_question(resolver: FollowUpResolver) -> None:
    assert (
        resolve(resolver, "中国眼谷引进注册企业多少家？", "2022年的呢？")
        == "2022年中国眼谷引进注册企业多少家？"
    )
    assert resolve(resolver, "2023年全市生命健康产业总营收是多少？", "那2024年呢？") == (
        "2024年全市生命健康产业总营收是多少？"
    )


def test_this_letter_is_the_letter_cited_last(resolver: FollowUpResolver) -> None:
    resolution = resolver.resolve(
        "这封答复函是谁签发的？",
        [Previous(question="中国基因药谷获批了几个国家级平台？", letters=(L115, L126))],
    )
    assert resolution.text == "温科提复〔2024〕115号答复函是谁签发的？"
    assert resolution.how == BY_RULES
    assert resolution.question.letters == (L115,)


def test_a_particular_without_a_letter_asks_about_the_letter_cited_last(resolver: FollowUpResolver) -> None:
    assert resolve(resolver, "中国眼谷引进注册企业多少家？", "联系人是谁？", (L115,)) == (
        "温科提复〔2024〕115号答复函的联系人是谁？"
    )
    # Asking for the 文号 itself: the letter is named by its title, which names it without the 文号.
    resolution = resolver.resolve(
        "文号是什么？", [Previous(question="中国眼谷引进注册企业多少家？", letters=(L126,))]
    )
    assert "温科提复" not in resolution.text and resolution.question.letters == (L126,)


def test_another_letter_by_its_number(resolver: FollowUpResolver) -> None:
    resolution = resolver.resolve(
        "那115号呢？", [Previous(question="121号答复函抄送了哪些单位？", letters=(L121,))]
    )
    assert resolution.text == "115号答复函抄送了哪些单位？"
    assert resolution.question.letters == (L115,)


def test_a_question_without_a_subject_borrows_the_previous_one(resolver: FollowUpResolver) -> None:
    previous = "中国基因药谷引进注册企业多少家？"
    assert resolve(resolver, previous, "获批了几个国家级平台？") == "中国基因药谷获批了几个国家级平台？"
    assert (
        resolve(resolver, "中国基因药谷的目标是什么？", "它发展哪几个方向？")
        == "中国基因药谷发展哪几个方向？"
    )


def test_standalone_questions_stay_as_they_are(resolver: FollowUpResolver) -> None:
    history = [Previous(question="中国眼谷引进注册企业多少家？", letters=(L126,))]
    for question in (
        "对科技型中小企业有哪些支持政策？",
        "支持眼健康领域的科研项目有多少项？",
        "126号答复函的联系人是谁？",
    ):
        resolution = resolver.resolve(question, history)
        assert (resolution.text, resolution.how) == (question, STANDALONE)
    assert resolver.resolve("那基因药谷呢？", []).text == "那基因药谷呢？"


def test_where_the_previous_answer_came_from(resolver: FollowUpResolver) -> None:
    previous = Previous(question="中国眼谷引进注册企业多少家？", letters=(L126,))
    resolution = resolver.resolve("出处在哪一段？", [previous])
    assert resolution.source_of == previous


def test_the_answers_of_a_year_are_the_letters_of_that_year(resolver: FollowUpResolver) -> None:
    resolution = resolver.resolve(
        "2022年的答复里是多少？", [Previous(question="中国眼谷引进注册企业多少家？")]
    )
    assert resolution.text == "2022年的答复函中，中国眼谷引进注册企业多少家？"
    assert resolution.filters is not None and resolution.filters.year == 2022
    # A year the letters mention is no filter.
    assert (
        resolver.resolve("2022年的呢？", [Previous(question="中国眼谷引进注册企业多少家？")]).filters is None
    )


def test_another_letter_by_its_proposer(resolver: FollowUpResolver) -> None:
    resolution = resolver.resolve(
        "那蔡跃飘委员的呢？", [Previous(question="张勇代表的建议题目是什么？", letters=(L115,))]
    )
    assert resolution.text == "蔡跃飘委员的建议题目是什么？"
    assert resolution.question.letters == (L121,)


def test_then_and_whose_part_are_not_subjects(resolver: FollowUpResolver) -> None:
    previous = [Previous(question="121号答复函是哪天签发的？", letters=(L121,))]
    assert (
        resolver.resolve("那印发日期是哪天？", previous).text
        == "温科提复〔2023〕121号答复函的印发日期是哪天？"
    )
    previous = [Previous(question="2020-2022年农社类科技项目立项共多少项？", letters=(L121,))]
    assert resolver.resolve("其中重大科技创新攻关项目多少项？", previous).how == STANDALONE


def test_the_doc_number_of_the_letter_cited_last_is_asked_by_another_name(resolver: FollowUpResolver) -> None:
    for doc_id, meta in CATALOGUE:
        resolution = resolver.resolve(
            "这封答复函的文号是什么？", [Previous(question="问题？", letters=(doc_id,))]
        )
        assert meta.doc_number not in resolution.text and resolution.question.letters == (doc_id,)
