"""POST /v1/draft through FastAPI's TestClient over the real service and sample letters."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.service import DafuService
from tests.factories import api_client

PROPOSAL = (
    "关于提升医疗器械注册审评服务效能的建议\n提出人：黄志远代表（市十四届人大五次会议）\n"
    "我市医疗器械企业以中小企业为主，普遍缺少熟悉注册法规的专业人员。\n具体建议如下：\n"
    "1. 进一步发挥医药创新和审评柔性服务站作用，为企业提供注册前辅导和体系预检查服务。\n"
    "2. 对首次取得二、三类医疗器械注册证并在本市产业化的企业，提高奖励标准并加快兑现进度。"
)


@pytest.fixture(scope="module")
def client(service: DafuService) -> Iterator[TestClient]:
    with api_client(service) as test_client:
        yield test_client


def test_draft_json(client: TestClient) -> None:
    response = client.post("/v1/draft", json={"proposal": PROPOSAL, "number": "21"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "关于市十四届人大五次会议第21号建议的答复函"
    assert body["kind"] == "人大建议" and body["proposer"] == "黄志远代表"
    assert [s["heading"][:2] for s in body["sections"]] == ["一、", "二、"]
    assert all(s["status"] and s["next_steps"].startswith("下一步") for s in body["sections"])
    assert body["similar"][0]["doc_number"] == "温科提复〔2024〕115号"
    assert {"doc_id", "doc_number", "title", "score"} <= set(body["similar"][0])
    assert "【待填：文号】" in body["placeholders"]
    assert body["markdown"].startswith("【待填：文号】")
    for citation in body["citations"]:
        document = client.get(f"/v1/documents/{citation['doc_id']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    cited = "".join(c["quote"] for c in body["citations"])
    assert "审评柔性服务站" in cited


def test_draft_docx(client: TestClient) -> None:
    import docx

    response = client.post("/v1/draft", json={"proposal": PROPOSAL, "format": "docx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "attachment" in response.headers["content-disposition"]
    document = docx.Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    assert "黄志远代表：" in texts
    assert any(t.startswith("一、关于“进一步发挥医药创新和审评柔性服务站作用") for t in texts)


@pytest.mark.parametrize("proposal", ["", "  \n "])
def test_empty_proposal_is_422_in_chinese(client: TestClient, proposal: str) -> None:
    response = client.post("/v1/draft", json={"proposal": proposal})
    assert response.status_code == 422
    assert "提案内容不能为空" in response.json()["detail"]


def test_llm_mode_without_llm_is_503(client: TestClient) -> None:
    response = client.post("/v1/draft", json={"proposal": PROPOSAL, "mode": "llm"})
    assert response.status_code == 503
    assert "DAFU_LLM_BASE_URL" in response.json()["detail"]
