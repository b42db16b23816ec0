"""Streamed LLM answers over HTTP (the fake OpenAI-compatible server streams), and the chat model
condensing follow-ups: /v1/ask with stream=true, /v1/chat, /v1/chat/completions with dafu-llm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.llm.client import OpenAICompatibleClient
from rag.service import DafuService, build_service
from tests.conftest import make_settings
from tests.factories import LOCAL, FakeLLM

REVENUE = "2023年全市生命健康产业总营收是多少？"


@pytest.fixture
def llm_service(indexed_dir: Path, tmp_path: Path, service: DafuService, fake_llm: FakeLLM) -> DafuService:
    import shutil

    shutil.copytree(indexed_dir, tmp_path / "data")
    client = OpenAICompatibleClient(fake_llm.url, "qwen2.5-0.5b-instruct", timeout=10)
    return build_service(make_settings(tmp_path / "data"), embedder=service.embedder, llm=client)


@pytest.fixture
def client(llm_service: DafuService) -> Iterator[TestClient]:
    with TestClient(
        create_app(llm_service.settings, service=llm_service, ui=False), base_url=LOCAL
    ) as test_client:
        yield test_client


def events(client: TestClient, path: str, body: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    with client.stream("POST", path, json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        out, name = [], "message"
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
        return out


def test_ask_streams_pieces_then_the_checked_answer(client: TestClient, fake_llm: FakeLLM) -> None:
    fake_llm.stream(["2023年全市生命健康产业", "总营收1588亿元[1]。", "增速99.9%[1]。"])
    got = events(client, "/v1/ask", {"question": REVENUE, "mode": "llm", "stream": True})
    deltas = [data["text"] for name, data in got if name == "delta"]
    name, answer = got[-1]
    assert name == "answer" and deltas
    assert answer["found"] is True and answer["mode"] == "llm"
    assert "".join(deltas) == answer["answer"]
    assert "1588亿元" in answer["answer"] and answer["citations"]
    # Each sentence is checked against the quote it cites: 99.9% is in none.
    assert answer["rewritten"] == ["增速99.9%。"] and answer["unsupported"] == []


def test_an_unreachable_model_is_a_503_before_the_stream(client: TestClient, fake_llm: FakeLLM) -> None:
    fake_llm.respond(500, {"error": "boom"})
    response = client.post("/v1/ask", json={"question": REVENUE, "mode": "llm", "stream": True})
    assert response.status_code == 503 and "HTTP 500" in response.json()["detail"]


def test_a_stream_cut_midway_ends_with_an_error_event(client: TestClient, fake_llm: FakeLLM) -> None:
    # Cut after a whole sentence was sent (a cut before any is a 503: nothing was streamed yet).
    fake_llm.stream(["2023年全市生命健康产业", "总营收1588亿元[1]。", "增速"], cut=True)
    got = events(client, "/v1/ask", {"question": REVENUE, "mode": "llm", "stream": True})
    assert got[-1][0] == "error" and "中途中断" in str(got[-1][1]["detail"])


def test_the_model_condenses_a_follow_up_and_the_condensed_question_is_shown(
    client: TestClient, fake_llm: FakeLLM
) -> None:
    first = client.post("/v1/chat", json={"question": "龙湾眼谷小镇规划总面积多大？"}).json()
    fake_llm.reply("瓯海生命健康小镇规划总面积扩容到了多少？")
    second = client.post(
        "/v1/chat", json={"question": "那瓯海的小镇呢？", "conversation_id": first["conversation_id"]}
    ).json()
    assert second["resolved_by"] == "llm"
    assert second["resolved_question"] == "瓯海生命健康小镇规划总面积扩容到了多少？"
    assert "5平方公里" in second["answer"]
    prompt = fake_llm.requests[-1][2]["messages"][-1]["content"]
    assert "龙湾眼谷小镇规划总面积多大？" in prompt and prompt.endswith("追问：那瓯海的小镇呢？\n改写：")


def test_openai_clients_stream_llm_answers(client: TestClient, fake_llm: FakeLLM) -> None:
    api = openai.OpenAI(base_url=f"{LOCAL}/v1", api_key="x", http_client=client, max_retries=0)
    assert [m.id for m in api.models.list()] == ["dafu", "dafu-llm"]
    fake_llm.stream(["2023年全市生命健康产业", "总营收1588亿元[1]。"])
    chunks = list(
        api.chat.completions.create(
            model="dafu-llm", messages=[{"role": "user", "content": REVENUE}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("2023年全市生命健康产业总营收1588亿元[1]。") and "\n\n出处：\n[1]" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"]
