"""LLM mode over the real index: the offline answer decides whether the letters hold an answer; the
model (a fake OpenAI-compatible server on loopback) only phrases found extractive answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.llm.client import OpenAICompatibleClient
from rag.service import DafuService, build_service
from rag.types import Answer
from rag.vocabulary import NOT_FOUND
from tests.conftest import make_settings
from tests.factories import FakeLLM

REVENUE = "2023年全市生命健康产业总营收是多少？"
UNANSWERABLE = "温州的地铁S2线什么时候开通？"


@pytest.fixture
def llm_service(indexed_dir: Path, tmp_path: Path, service: DafuService, fake_llm: FakeLLM) -> DafuService:
    shutil.copytree(indexed_dir, tmp_path / "data")
    client = OpenAICompatibleClient(fake_llm.url, "qwen2.5-0.5b-instruct", timeout=10)
    return build_service(make_settings(tmp_path / "data"), embedder=service.embedder, llm=client)


def test_a_question_the_offline_answerer_refuses_is_refused_without_the_model(
    llm_service: DafuService, service: DafuService, fake_llm: FakeLLM
) -> None:
    fake_llm.reply("温州地铁S2线于2023年8月开通[1]。")  # what a model that answers anything would say
    offline = service.ask(UNANSWERABLE)
    answer = llm_service.ask(UNANSWERABLE, mode="llm")
    assert offline.found is False
    assert (answer.found, answer.answer, answer.mode) == (False, offline.answer, "llm")
    # the same nearest passages
    assert [h.chunk_id for h in answer.hits] == [h.chunk_id for h in offline.hits]
    assert fake_llm.requests == []


def test_a_found_answer_is_phrased_from_the_offline_quotes_only(
    llm_service: DafuService, service: DafuService, fake_llm: FakeLLM
) -> None:
    offline = service.ask(REVENUE)
    assert offline.found and "1588亿元" in offline.answer
    fake_llm.reply("2023年全市生命健康产业总营收1588亿元[1]。")
    answer = llm_service.ask(REVENUE, mode="llm")
    assert answer.found and answer.mode == "llm" and answer.rewritten == ()
    assert answer.answer.startswith("2023年全市生命健康产业总营收1588亿元[1]。")
    assert {c.quote for c in answer.citations} == {c.quote for c in offline.citations}
    assert answer.support == offline.support
    user = fake_llm.requests[0][2]["messages"][-1]["content"]
    assert user.count("<资料>") == len(offline.citations)
    for citation in offline.citations:
        assert citation.quote in user
        text = llm_service.document(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.quote


def test_a_right_number_on_the_wrong_subject_becomes_the_quote(
    llm_service: DafuService, service: DafuService, fake_llm: FakeLLM
) -> None:
    offline = service.ask(REVENUE)
    fake_llm.reply("2023年全市规上制造业产值1588亿元[1]。")
    answer = llm_service.ask(REVENUE, mode="llm")
    assert answer.found and answer.rewritten == ("2023年全市规上制造业产值1588亿元。",)
    assert answer.answer == offline.answer  # every quote as the offline answer gave it


def test_the_model_may_only_refuse_more(llm_service: DafuService, fake_llm: FakeLLM) -> None:
    fake_llm.reply(NOT_FOUND)
    answer = llm_service.ask(REVENUE, mode="llm")
    assert (answer.found, answer.answer, answer.citations) == (False, NOT_FOUND + "。", ())
    assert answer.hits


def test_answers_from_the_metadata_are_returned_as_they_are(
    llm_service: DafuService, service: DafuService, fake_llm: FakeLLM
) -> None:
    question = "温科提复〔2024〕115号是哪天发的？"
    offline = service.ask(question)
    answer = llm_service.ask(question, mode="llm")
    assert offline.found and answer.model_copy(update={"mode": "extractive"}) == offline
    assert fake_llm.requests == []


def test_streamed_llm_answers_take_the_same_decisions(llm_service: DafuService, fake_llm: FakeLLM) -> None:
    *texts, refused = llm_service.ask_stream(UNANSWERABLE, mode="llm")
    assert (
        isinstance(refused, Answer) and refused.found is False and "".join(map(str, texts)) == refused.answer
    )
    fake_llm.stream(["2023年全市生命健康产业", "总营收1588亿元[1]。", "规上制造业企业1588家[1]。"])
    *texts, final = llm_service.ask_stream(REVENUE, mode="llm")
    assert isinstance(final, Answer) and final.found and "".join(map(str, texts)) == final.answer
    assert final.answer.startswith("2023年全市生命健康产业总营收1588亿元[1]。")
    assert final.rewritten == ("规上制造业企业1588家。",)
    assert len(fake_llm.requests) == 1
