"""Conversations and feedback over HTTP (TestClient over a real service on a copy of the letters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.service import DafuService
from tests.conftest import copy_service
from tests.factories import LOCAL

TOWN = "龙湾眼谷小镇规划总面积多大？"
OTHER_TOWN = "那瓯海生命健康小镇呢？"


@pytest.fixture(scope="module")
def chat_service(
    indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory, service: DafuService
) -> DafuService:
    return copy_service(indexed_dir, tmp_path_factory.mktemp("chat"), service.embedder)


@pytest.fixture(scope="module")
def client(chat_service: DafuService) -> Iterator[TestClient]:
    with TestClient(
        create_app(chat_service.settings, service=chat_service, ui=False), base_url=LOCAL
    ) as test_client:
        yield test_client


def test_a_follow_up_is_answered_about_the_new_subject(client: TestClient) -> None:
    first = client.post("/v1/chat", json={"question": TOWN})
    assert first.status_code == 200, first.text
    one = first.json()
    assert one["found"] and "11平方公里" in one["answer"] and one["resolved_by"] == ""
    second = client.post("/v1/chat", json={"question": OTHER_TOWN, "conversation_id": one["conversation_id"]})
    assert second.status_code == 200, second.text
    two = second.json()
    assert two["index"] == 1 and two["resolved_by"] == "rules"
    assert two["resolved_question"] == "瓯海生命健康小镇规划总面积多大？"
    assert two["found"] and "5平方公里" in two["answer"]

    stored = client.get(f"/v1/conversations/{one['conversation_id']}").json()
    assert [t["question"] for t in stored["turns"]] == [TOWN, OTHER_TOWN]
    assert stored["turns"][1]["answer"]["answer"] == two["answer"]


def test_a_question_about_a_promise_is_answered_from_the_ledger(
    client: TestClient, chat_service: DafuService
) -> None:
    """In a conversation as in a single ask: the promise and what a later letter reported, both cited."""
    question = "去年答应的三张清单做了吗？"
    asked = chat_service.ask(question)
    response = client.post("/v1/chat", json={"question": question})
    assert response.status_code == 200, response.text
    turn = response.json()
    assert turn["found"] and turn["answer"] == asked.answer
    cited = [(c["doc_number"], c["quote"]) for c in turn["citations"]]
    assert cited == [(c.doc_number, c.quote) for c in asked.citations] and len(cited) == 2
    assert all("三张清单" in quote for _, quote in cited)


def test_feedback_is_stored_with_the_answer(client: TestClient) -> None:
    turn = client.post("/v1/chat", json={"question": "2023年全市生命健康产业总营收是多少？"}).json()
    response = client.post(
        "/v1/feedback", json={"turn_id": turn["turn_id"], "rating": "down", "comment": "想要2024年的目标"}
    )
    assert response.status_code == 201, response.text
    listed = client.get("/v1/feedback").json()["feedback"]
    mine = next(f for f in listed if f["turn_id"] == turn["turn_id"])
    assert mine["rating"] == -1 and mine["comment"] == "想要2024年的目标"
    assert mine["question"] == turn["question"] and mine["answer"] == turn["answer"]
    assert mine["citations"] == turn["citations"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("post", "/v1/chat", {"question": OTHER_TOWN, "conversation_id": "no-such-id"}, 404, "新对话"),
        ("get", "/v1/conversations/no-such-id", None, 404, "no-such-id"),
        ("post", "/v1/feedback", {"turn_id": "no-such-turn", "rating": "up"}, 404, "turn_id"),
        ("post", "/v1/chat", {"question": "  "}, 422, "不能为空"),
        ("post", "/v1/chat", {"question": "问" * 5000}, 422, "过长"),
    ],
)
def test_bad_input_gets_a_clear_error(
    client: TestClient, method: str, path: str, body: dict[str, object] | None, status: int, words: str
) -> None:
    response = client.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_streamed_turn_events(client: TestClient) -> None:
    with client.stream("POST", "/v1/chat", json={"question": TOWN, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert names[0] == "resolved" and names[-1] == "turn" and "delta" in names


def test_conversations_survive_a_restart(chat_service: DafuService) -> None:
    from rag.service import build_service

    turn = chat_service.chat(TOWN)
    chat_service.rate(turn.turn_id, 1)
    again = build_service(chat_service.settings, embedder=chat_service.embedder)
    assert again.conversation(turn.conversation_id).turns[0].answer.answer == turn.answer.answer
    assert any(f.turn_id == turn.turn_id and f.rating == 1 for f in again.feedback())
    follow = again.chat(OTHER_TOWN, turn.conversation_id)
    assert follow.index == 1 and "5平方公里" in follow.answer.answer


def test_the_api_key_is_required_when_set(chat_service: DafuService) -> None:
    keyed = chat_service.settings.model_copy(update={"api_key": "s3cret"})
    original = chat_service.settings
    chat_service.settings = keyed
    try:
        with TestClient(create_app(keyed, service=chat_service, ui=False), base_url=LOCAL) as client:
            missing = client.post("/v1/chat", json={"question": TOWN})
            assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
            assert missing.headers["www-authenticate"] == "Bearer"
            wrong = client.get("/v1/models", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 401
            assert client.get("/v1/documents", headers={"Authorization": "Bearer s3cret"}).status_code == 200
            assert client.get("/healthz").status_code == 200
    finally:
        chat_service.settings = original
