"""LLM answer mode against a real HTTP server on loopback that returns canned OpenAI-format replies."""

from __future__ import annotations

from typing import Any

import pytest

from rag.ask.llm import LLMAnswerer, narrow_quote, sentence_spans
from rag.errors import LLMUnavailable
from rag.llm.client import OpenAICompatibleClient
from rag.types import Hit
from rag.vocabulary import NOT_FOUND
from tests.factories import (
    LETTER_001_HITS,
    LETTER_001_TEXT,
    REVENUE,
    FakeLLM,
    make_question,
)

HITS = LETTER_001_HITS
TEXT = LETTER_001_TEXT


def client(fake: FakeLLM, **kwargs: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(fake.url, "qwen2.5-0.5b-instruct", **kwargs)


def ask(
    fake: FakeLLM,
    reply: str,
    question: str = "2023年温州市生命健康产业总营收是多少？",
    hits: list[Hit] = HITS,
):
    fake.reply(reply)
    return LLMAnswerer(client(fake)).answer(make_question(question), hits)


def assert_exact(answer_citations: Any) -> None:
    for citation in answer_citations:
        assert TEXT[citation.start : citation.end] == citation.quote


def test_prompt_numbers_passages_with_doc_number(fake_llm: FakeLLM) -> None:
    ask(fake_llm, "总营收1588亿元[2]。")
    messages = fake_llm.requests[0][2]["messages"]
    assert messages[0]["role"] == "system" and NOT_FOUND in messages[0]["content"]
    last = messages[-1]["content"]
    assert last.startswith(
        "<资料>\n[1] 温科提复〔2024〕126号《关于市政协十二届三次会议395号提案的答复函》 章节：答复\n中国眼谷"
    )
    assert "</资料>\n\n<资料>\n[2] 温科提复〔2024〕126号" in last and "\n\n<资料>\n[3] " in last
    assert last.count("<资料>") == last.count("</资料>") == 3
    assert last.endswith("问题：2023年温州市生命健康产业总营收是多少？\n回答：")


def test_answer_cites_and_narrows_quote(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "2023年，全市生命健康产业实现总营收1588亿元[2]。")
    assert answer.found is True
    assert answer.mode == "llm"
    assert answer.answer == "2023年，全市生命健康产业实现总营收1588亿元[1]。"
    (citation,) = answer.citations
    assert (citation.doc_id, citation.doc_number, citation.section) == (
        REVENUE.doc_id,
        REVENUE.doc_number,
        "答复",
    )
    assert citation.quote == "2023年，全市生命健康产业实现总营收1588亿元；"
    assert citation.start == REVENUE.start and citation.score == REVENUE.score
    assert_exact(answer.citations)
    assert answer.hits == tuple(HITS)
    assert answer.unsupported == ()
    assert answer.support == REVENUE.score


def test_markers_are_renumbered_by_first_use(fake_llm: FakeLLM) -> None:
    reply = "2023年全市生命健康产业总营收1588亿元【2】。中国眼谷引进注册企业216家［1］，补助经费达526万元[资料3]。"
    answer = ask(fake_llm, reply)
    assert (
        answer.answer
        == "2023年全市生命健康产业总营收1588亿元[1]。中国眼谷引进注册企业216家[2]，补助经费达526万元[3]。"
    )
    assert [c.start for c in answer.citations] == [
        REVENUE.start,
        TEXT.index("目前已获批国家级平台6个"),
        TEXT.index("截至2023年"),
    ]
    assert (
        answer.citations[1].quote
        == "目前已获批国家级平台6个，引进注册企业216家，其中56家是世界500强或上市及头部企业。"
    )
    assert_exact(answer.citations)


def test_one_statement_citing_two_passages(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "全市生命健康产业总营收1588亿元，其中中国眼谷引进注册企业216家[2][1]。")
    assert answer.answer == "全市生命健康产业总营收1588亿元，其中中国眼谷引进注册企业216家[1][2]。"
    assert [c.start for c in answer.citations][0] == REVENUE.start
    assert_exact(answer.citations)


def test_dangling_markers_are_removed(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "我市已印发生命健康产业发展规划[7]。总营收1588亿元[2][0]。")
    assert answer.answer == "我市已印发生命健康产业发展规划。总营收1588亿元[1]。"
    assert [c.start for c in answer.citations] == [REVENUE.start]


def test_doc_numbers_in_brackets_are_not_markers(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "该答复函文号为温科提复【2024】126号[2]。")
    assert answer.answer == "该答复函文号为温科提复【2024】126号[1]。"
    assert answer.unsupported == ()  # the 文号 is in the cited passage's header


def test_unsupported_numbers_are_flagged(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "2023年全市生命健康产业总营收1688亿元，增速11.3%[2]。")
    assert answer.found is True
    assert answer.unsupported == ("1688亿元",)


def test_number_is_not_supported_by_a_longer_number(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "全市生命健康产业总营收158亿元[2]。")
    assert answer.unsupported == ("158亿元",)


def test_wrong_passage_is_reattributed_when_another_holds_the_claims(fake_llm: FakeLLM) -> None:
    answer = ask(fake_llm, "中国眼谷引进注册企业216家[3]。", question="中国眼谷引进了多少家注册企业？")
    assert answer.answer == "中国眼谷引进注册企业216家[1]。"
    assert answer.citations[0].quote.startswith("目前已获批国家级平台6个")
    assert answer.unsupported == ()


@pytest.mark.parametrize("reply", [NOT_FOUND, f"{NOT_FOUND}。", f"{NOT_FOUND}[2]。", f"  {NOT_FOUND}\n"])
def test_refusal(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply, question="温州的地铁S2线什么时候开通？")
    assert (answer.found, answer.answer, answer.citations) == (False, NOT_FOUND, ())
    assert answer.hits == tuple(HITS)
    assert answer.mode == "llm"


@pytest.mark.parametrize("reply", ["全市生命健康产业总营收1588亿元。", "全市生命健康产业总营收1588亿元[9]。"])
def test_uncited_answer_holding_a_passage_claim_is_attributed(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply)
    assert answer.answer == "全市生命健康产业总营收1588亿元[1]。"
    assert answer.citations[0].quote == "2023年，全市生命健康产业实现总营收1588亿元；"


@pytest.mark.parametrize(
    "reply", ["温州的地铁S2线将于2026年开通。", "温州的地铁S2线已经开通。", "见说明[9]。"]
)
def test_uncited_ungrounded_answer_is_not_found(fake_llm: FakeLLM, reply: str) -> None:
    answer = ask(fake_llm, reply, question="温州的地铁S2线什么时候开通？")
    assert (answer.found, answer.answer, answer.citations) == (False, NOT_FOUND, ())


def test_no_hits_does_not_call_the_model(fake_llm: FakeLLM) -> None:
    answer = LLMAnswerer(client(fake_llm)).answer(make_question("2023年总营收是多少？"), [])
    assert (answer.found, answer.answer, answer.hits) == (False, NOT_FOUND, ())
    assert fake_llm.requests == []


def test_unreachable_model_raises(fake_llm: FakeLLM) -> None:
    fake_llm.respond(503, {"error": "loading model"})
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        LLMAnswerer(client(fake_llm)).answer(make_question("2023年总营收是多少？"), HITS)


# --- quotes -------------------------------------------------------------------------------------------------


def test_sentence_spans_are_exact_and_trimmed() -> None:
    text = " 第一句。第二句；\n第三句！最后"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["第一句。", "第二句；", "第三句！", "最后"]


def test_narrow_quote_falls_back_to_whole_text() -> None:
    assert narrow_quote(REVENUE.text, "温州的地铁") == (0, len(REVENUE.text))
    assert narrow_quote("只有一句话", "只有") == (0, 5)


def test_narrow_quote_keeps_adjacent_supporting_sentences() -> None:
    a, b = narrow_quote(REVENUE.text, "总营收1588亿元，规上制造业产值531.7亿元")
    assert (
        REVENUE.text[a:b]
        == "2023年，全市生命健康产业实现总营收1588亿元；全年规上制造业产值531.7亿元，增速11.3%；"
    )


def stream(fake: FakeLLM, pieces: list[str], question: str = "2023年温州市生命健康产业总营收是多少？"):
    fake.stream(pieces)
    events = list(LLMAnswerer(client(fake)).stream(make_question(question), HITS))
    *texts, final = events
    assert all(isinstance(t, str) and t for t in texts)
    return "".join(texts), final


def test_stream_adds_up_to_the_checked_answer(fake_llm: FakeLLM) -> None:
    # [1] is the eye-valley passage, which lacks 1588亿元: the marker is re-attributed as it closes.
    pieces = ["2023年全市", "生命健康产业总营收1588亿元[", "1]。规上制造业", "产值531.7亿元[2]", "。"]
    streamed, final = stream(fake_llm, pieces)
    fake_llm.reply("".join(pieces))
    whole = LLMAnswerer(client(fake_llm)).answer(
        make_question("2023年温州市生命健康产业总营收是多少？"), HITS
    )
    assert final == whole
    assert final.found and streamed == final.answer
    assert final.answer == "2023年全市生命健康产业总营收1588亿元[1]。规上制造业产值531.7亿元[1]。"
    assert [c.doc_id for c in final.citations] == [REVENUE.doc_id]
    assert_exact(final.citations)
    assert fake_llm.requests[0][2]["stream"] is True


def test_stream_checks_numbers_when_it_ends(fake_llm: FakeLLM) -> None:
    streamed, final = stream(fake_llm, ["总营收", "1588亿元[2]，", "增速99.9%[2]。"])
    assert streamed == final.answer
    assert final.unsupported == ("99.9%",)


def test_stream_that_cites_nothing_ends_in_a_refusal(fake_llm: FakeLLM) -> None:
    streamed, final = stream(fake_llm, ["全市有", "三甲医院", "42家。"])
    assert streamed.startswith("全市有三甲医院42家")
    assert final.found is False and final.answer == NOT_FOUND


def test_stream_without_passages_calls_no_model(fake_llm: FakeLLM) -> None:
    events = list(LLMAnswerer(client(fake_llm)).stream(make_question("问题？"), []))
    assert len(events) == 1 and events[0].found is False
    assert fake_llm.requests == []


def test_stream_raises_before_streaming_when_the_model_is_down(fake_llm: FakeLLM) -> None:
    fake_llm.respond(500, {"error": "boom"})
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        LLMAnswerer(client(fake_llm)).stream(make_question("问题？"), HITS)
