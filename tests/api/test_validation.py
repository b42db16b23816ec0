"""Every malformed request gets a 422 with a Chinese message that says what to fix: bad JSON, wrong
types, unknown fields and filters, over-long text, lone surrogates. Never a 500, never pydantic's
English ``loc/msg``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.service import DafuService
from tests.factories import api_client

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def client(service: DafuService) -> Iterator[TestClient]:
    with api_client(service) as test_client:
        yield test_client


def _problem(response: object) -> str:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"detail", "error"} and body["error"] == "InvalidInput", body
    detail = body["detail"]
    assert isinstance(detail, str) and CHINESE.search(detail), detail
    assert "Field required" not in detail and "loc" not in detail
    return detail


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/v1/ask", '{"question": "总营收是多少？"', "不是有效的 JSON"),
        ("/v1/ask", '["总营收"]', "应为 JSON 对象"),
        ("/v1/ask", "{}", "缺少必填字段“question”"),
        ("/v1/ask", '{"question": 42}', "字段“question”应为文字"),
        ("/v1/ask", '{"question": "总营收？", "top_k": "五"}', "字段“top_k”应为整数"),
        ("/v1/ask", '{"question": "总营收？", "top_k": 500}', "字段“top_k”应不大于 50"),
        ("/v1/ask", '{"question": "总营收？", "mode": "poetry"}', "字段“mode”只能是"),
        ("/v1/ask", '{"question": "总营收？", "qestion": "x"}', "不认识的字段“qestion”"),
        ("/v1/ask", '{"question": "总营收？", "filters": {"yaer": 2023}}', "不认识的过滤条件“yaer”"),
        ("/v1/search", '{"query": "总营收", "filters": {"year": "去年"}}', "字段“filters.year”应为整数"),
        ("/v1/search", '{"query": "总营收", "filters": []}', "字段“filters”应为 JSON 对象"),
        ("/v1/draft", '{"proposal": "建议", "top_k": 0}', "字段“top_k”应不小于 1"),
        ("/v1/draft", '{"proposal": "建议", "format": "pdf"}', "字段“format”只能是"),
    ],
)
def test_malformed_requests_are_explained_in_chinese(
    client: TestClient, path: str, body: str, expected: str
) -> None:
    response = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    detail = _problem(response)
    assert expected in detail and "请修正后重试" in detail


def test_an_over_long_draft_is_refused_in_chinese(client: TestClient, service: DafuService) -> None:
    limit = service.settings.max_proposal_chars
    detail = _problem(client.post("/v1/draft", json={"proposal": "建议加强科技创新。" * (limit // 9 + 1)}))
    assert str(limit) in detail


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", '{"question": "\\ud800温州GDP是多少？"}'),
        ("/v1/search", '{"query": "总营收\\udfff"}'),
        ("/v1/draft", '{"proposal": "建议：\\ud83d加强"}'),
        ("/v1/ask", '{"question": "总营收？", "filters": {"doc_number": "\\ud800"}}'),
        ("/v1/ask", '{"\\ud800": 1, "question": "总营收？"}'),
    ],
)
def test_lone_surrogates_are_a_422_not_a_500(client: TestClient, path: str, body: str) -> None:
    response = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    detail = _problem(response)
    assert "\ud800" not in detail


def test_surrogates_in_a_document_id(client: TestClient) -> None:
    response = client.get("/v1/documents/%ED%A0%80")  # the UTF-8-like bytes of \ud800
    assert response.status_code in (404, 422)
    assert CHINESE.search(response.json()["detail"])


def test_a_multipart_upload_without_a_file(client: TestClient) -> None:
    detail = _problem(client.post("/v1/documents", data={"name": "x"}))
    assert "file 字段" in detail


def test_unknown_routes_and_methods_answer_in_chinese(client: TestClient) -> None:
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and "接口列表见 /docs" in missing.json()["detail"]
    wrong = client.get("/v1/ask")
    assert wrong.status_code == 405 and "不支持 GET" in wrong.json()["detail"]
