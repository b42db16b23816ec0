"""The OpenAI-compatible client against a real HTTP server on loopback that returns canned replies."""

from __future__ import annotations

from typing import Any

import pytest

from rag.errors import LLMUnavailable
from rag.llm.client import OpenAICompatibleClient
from rag.settings import Settings
from tests.factories import FakeLLM, free_port


def client(fake: FakeLLM, **kwargs: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(fake.url, "qwen2.5-0.5b-instruct", **kwargs)


def test_chat_posts_openai_request_and_returns_content(fake_llm: FakeLLM) -> None:
    fake_llm.reply("2023年全市生命健康产业总营收1588亿元[1]。")
    messages = [{"role": "user", "content": "你好"}]
    assert (
        client(fake_llm, api_key="secret").chat(messages, max_tokens=64)
        == "2023年全市生命健康产业总营收1588亿元[1]。"
    )
    path, headers, body = fake_llm.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer secret"
    assert body == {
        "model": "qwen2.5-0.5b-instruct",
        "messages": messages,
        "max_tokens": 64,
        "temperature": 0,
    }


def test_healthy(fake_llm: FakeLLM) -> None:
    assert client(fake_llm).healthy() is True
    assert OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m").healthy() is False


def test_connection_refused_says_what_to_do() -> None:
    with pytest.raises(LLMUnavailable) as error:
        OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m").chat(
            [{"role": "user", "content": "?"}]
        )
    assert "无法连接大模型服务" in str(error.value)
    assert "DAFU_LLM_BASE_URL" in str(error.value)
    assert "dafu llm serve" in str(error.value)


def test_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.respond(200, {"choices": []}, delay=1.0)
    with pytest.raises(LLMUnavailable, match="0.2 秒内没有响应.*DAFU_LLM_TIMEOUT"):
        client(fake_llm, timeout=0.2).chat([{"role": "user", "content": "?"}])


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"error": "model crashed"}, "HTTP 500：.*model crashed.*DAFU_LLM_BASE_URL"),
        (401, {"error": "bad key"}, "HTTP 401.*DAFU_LLM_API_KEY"),
        (404, {"error": "no such model"}, "HTTP 404.*/v1.*DAFU_LLM_MODEL（当前为 qwen2.5-0.5b-instruct）"),
        (200, "<html>proxy login</html>", "不是 OpenAI chat completions 格式.*dafu llm serve"),
        (200, {"choices": []}, "不是 OpenAI chat completions 格式"),
    ],
)
def test_bad_responses_raise_llm_unavailable(
    fake_llm: FakeLLM, status: int, body: Any, expected: str
) -> None:
    fake_llm.respond(status, body)
    with pytest.raises(LLMUnavailable, match=expected):
        client(fake_llm).chat([{"role": "user", "content": "?"}])


def test_client_from_settings_needs_a_base_url() -> None:
    with pytest.raises(LLMUnavailable, match="未配置大模型服务.*DAFU_LLM_BASE_URL.*dafu llm serve"):
        OpenAICompatibleClient.from_settings(Settings(llm_base_url=None))
    made = OpenAICompatibleClient.from_settings(
        Settings(llm_base_url="http://127.0.0.1:8090/v1/", llm_timeout=7)
    )
    assert (made.base_url, made.timeout) == ("http://127.0.0.1:8090/v1", 7)


def test_stream_yields_the_pieces_as_they_come(fake_llm: FakeLLM) -> None:
    fake_llm.stream(["2023年", "全市生命健康产业", "总营收1588亿元[1]。"])
    pieces = list(client(fake_llm).stream([{"role": "user", "content": "你好"}], max_tokens=32))
    assert pieces == ["2023年", "全市生命健康产业", "总营收1588亿元[1]。"]
    assert fake_llm.requests[0][2]["stream"] is True


def test_stream_errors_before_the_first_piece(fake_llm: FakeLLM) -> None:
    fake_llm.respond(401, {"error": "bad key"})
    with pytest.raises(LLMUnavailable, match="DAFU_LLM_API_KEY"):
        client(fake_llm).stream([{"role": "user", "content": "你好"}])
    with pytest.raises(LLMUnavailable, match="无法连接"):
        OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m").stream([])


def test_a_stream_that_is_not_chat_chunks_is_an_error(fake_llm: FakeLLM) -> None:
    fake_llm.respond(200, "data: {not json}\n\n")
    with pytest.raises(LLMUnavailable, match="chat completions"):
        list(client(fake_llm).stream([{"role": "user", "content": "你好"}]))


def test_a_stream_cut_before_its_end_is_an_error(fake_llm: FakeLLM) -> None:
    fake_llm.stream(["2023年", "全市"], cut=True)
    pieces = client(fake_llm).stream([{"role": "user", "content": "你好"}])
    assert next(pieces) == "2023年"
    with pytest.raises(LLMUnavailable, match="中途中断"):
        list(pieces)
