"""The OpenAI-compatible endpoint driven by the official ``openai`` package: through TestClient and
against a real ``dafu serve`` process, streaming and not, and a two-turn conversation."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.service import DafuService
from rag.vocabulary import NOT_FOUND
from tests.conftest import copy_service
from tests.factories import LOCAL, free_port, running_server, serve_env

TOWN = "龙湾眼谷小镇规划总面积多大？"
OTHER_TOWN = "那瓯海生命健康小镇呢？"


@pytest.fixture(scope="module")
def app_client(
    indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory, service: DafuService
) -> Iterator[TestClient]:
    svc = copy_service(indexed_dir, tmp_path_factory.mktemp("completions"), service.embedder)
    with TestClient(create_app(svc.settings, service=svc, ui=False), base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def client(app_client: TestClient) -> openai.OpenAI:
    # TestClient is an httpx.Client: the official client sends its requests through the app in-process.
    return openai.OpenAI(base_url=f"{LOCAL}/v1", api_key="unused", http_client=app_client, max_retries=0)


def two_turns(client: openai.OpenAI, *, stream: bool) -> tuple[str, str]:
    """Ask about the eye valley, then follow up about the gene valley with the history a chat client sends."""
    messages: list[dict[str, str]] = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": TOWN},
    ]
    answers = []
    for follow_up in (OTHER_TOWN, None):
        if stream:
            text = "".join(
                chunk.choices[0].delta.content or ""
                for chunk in client.chat.completions.create(model="dafu", messages=messages, stream=True)  # type: ignore[arg-type]
                if chunk.choices
            )
        else:
            text = (
                client.chat.completions.create(model="dafu", messages=messages).choices[0].message.content
                or ""
            )  # type: ignore[arg-type]
        answers.append(text)
        if follow_up:
            messages += [{"role": "assistant", "content": text}, {"role": "user", "content": follow_up}]
    return answers[0], answers[1]


def test_models_lists_the_extractive_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["dafu"]


def test_a_completion_carries_markers_sources_and_citations(
    client: openai.OpenAI, app_client: TestClient
) -> None:
    completion = client.chat.completions.create(model="dafu", messages=[{"role": "user", "content": TOWN}])
    content = completion.choices[0].message.content or ""
    assert completion.choices[0].finish_reason == "stop" and completion.object == "chat.completion"
    assert "11平方公里" in content and "[1]" in content and "\n\n出处：\n[1] 温科提复〔2024〕115号" in content
    extra = completion.model_extra or {}
    citation = extra["citations"][0]
    assert set(citation) == {"doc_id", "doc_number", "title", "section", "quote", "start", "end", "ocr"}
    text = app_client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert extra["dafu"]["turn_id"] == completion.id.removeprefix("chatcmpl-")
    assert extra["conversation_id"]
    feedback = app_client.post("/v1/feedback", json={"turn_id": completion.id, "rating": "up"})
    assert feedback.status_code == 201


@pytest.mark.parametrize("stream", [False, True])
def test_a_two_turn_conversation_gets_the_right_second_answer(client: openai.OpenAI, stream: bool) -> None:
    first, second = two_turns(client, stream=stream)
    assert "11平方公里" in first
    assert "5平方公里" in second and "（问题理解为：瓯海生命健康小镇规划总面积" in second
    assert "11平方公里" not in second


def test_streaming_follows_openais_chunk_format(app_client: TestClient) -> None:
    body = {"model": "dafu", "messages": [{"role": "user", "content": TOWN}], "stream": True}
    with app_client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    import json

    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
    assert len({c["id"] for c in chunks[1:]}) == 1


def test_stored_conversation_by_id(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="dafu", messages=[{"role": "user", "content": TOWN}])
    conversation_id = (first.model_extra or {})["conversation_id"]
    second = client.chat.completions.create(
        model="dafu",
        messages=[{"role": "user", "content": OTHER_TOWN}],
        extra_body={"conversation_id": conversation_id},
    )
    assert "5平方公里" in (second.choices[0].message.content or "")
    assert (second.model_extra or {})["conversation_id"] == conversation_id


def test_a_long_history_is_read_through_a_bounded_window(client: openai.OpenAI) -> None:
    messages: list[dict[str, str]] = []
    for n in range(200):
        messages += [{"role": "user", "content": f"第{n}个问题：对科技型中小企业有哪些支持政策？"},
                     {"role": "assistant", "content": NOT_FOUND}]  # fmt: skip
    messages += [{"role": "user", "content": TOWN}, {"role": "assistant", "content": "规划总面积扩容至11平方公里"},
                 {"role": "user", "content": OTHER_TOWN}]  # fmt: skip
    completion = client.chat.completions.create(model="dafu", messages=messages)  # type: ignore[arg-type]
    assert "5平方公里" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"messages": []}, openai.UnprocessableEntityError, "messages 为空"),
        (
            {"messages": [{"role": "assistant", "content": "你好"}]},
            openai.UnprocessableEntityError,
            "最后一条",
        ),
        ({"messages": [{"role": "user", "content": ""}]}, openai.UnprocessableEntityError, "不能为空"),
        (
            {"messages": [{"role": "user", "content": TOWN}], "model": "gpt-4"},
            openai.UnprocessableEntityError,
            "dafu",
        ),
        (
            {"messages": [{"role": "user", "content": TOWN}], "model": "dafu-llm"},
            openai.UnprocessableEntityError,
            "dafu-llm",
        ),
        (
            {
                "messages": [{"role": "user", "content": OTHER_TOWN}],
                "extra_body": {"conversation_id": "nope"},
            },
            openai.NotFoundError,
            "新对话",
        ),
        (
            {"messages": [{"role": "user", "content": "问"}] * 1001},
            openai.UnprocessableEntityError,
            "消息过多",
        ),
    ],
)
def test_bad_requests_get_openai_errors(
    client: openai.OpenAI, kwargs: dict[str, object], error: type[Exception], words: str
) -> None:
    kwargs = {"model": "dafu", **kwargs}
    with pytest.raises(error) as raised:
        client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    assert words in str(raised.value)


@pytest.mark.slow
def test_a_real_server_process_speaks_openai(indexed_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    port = free_port()
    env = {**serve_env(data_dir), "DAFU_API_KEY": "k-123"}
    command = [
        str(Path(sys.executable).with_name("dafu")),
        "serve",
        "--no-ingest-default",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/healthz", tmp_path / "server.log", env=env):
        client = openai.OpenAI(
            base_url=f"{base}/v1", api_key="k-123", max_retries=0, http_client=httpx.Client(trust_env=False)
        )
        assert [m.id for m in client.models.list()] == ["dafu"]
        for stream in (False, True):
            first, second = two_turns(client, stream=stream)
            assert "11平方公里" in first and "5平方公里" in second
        locked_out = openai.OpenAI(
            base_url=f"{base}/v1", api_key="wrong", max_retries=0, http_client=httpx.Client(trust_env=False)
        )
        with pytest.raises(openai.AuthenticationError, match="API 密钥"):
            locked_out.models.list()
