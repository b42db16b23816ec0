"""An OpenAI-compatible chat client (llama.cpp, vLLM, Ollama, a cloud API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from rag.errors import LLMUnavailable
from rag.settings import Settings


class ChatClient(Protocol):
    """What answering and drafting need of a chat model."""

    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0) -> str: ...

    def stream(
        self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0
    ) -> Iterator[str]:
        """The reply's text in pieces as the model writes it."""
        ...


_WHAT_TO_DO = (
    "请检查 DAFU_LLM_BASE_URL（例如 http://127.0.0.1:8090/v1），或运行 `dafu llm serve` 启动本机模型。"
)


class OpenAICompatibleClient:
    """Chat completions over HTTP against any OpenAI-compatible server (llama.cpp, vLLM, Ollama, ...).

    ``base_url`` includes the API version, e.g. ``http://127.0.0.1:8090/v1``.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatibleClient:
        if not settings.llm_base_url:
            raise LLMUnavailable(f"未配置大模型服务。{_WHAT_TO_DO}")
        return cls(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout)

    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0) -> str:
        """Return the assistant message content of one chat completion."""
        url = f"{self.base_url}/chat/completions"
        try:
            response = self._http.post(url, json=self._body(messages, max_tokens, temperature))
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc
        self._check(response, url)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _not_chat(url) from exc
        return str(content or "")

    def stream(
        self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0
    ) -> Iterator[str]:
        """The reply's text in pieces (``stream: true``, server-sent events). The request is sent and its
        status checked before this returns, so an unreachable or refusing server raises here; a stream
        cut off later raises ``LLMUnavailable`` from the iterator."""
        url = f"{self.base_url}/chat/completions"
        body = {**self._body(messages, max_tokens, temperature), "stream": True}
        try:
            response = self._http.send(self._http.build_request("POST", url, json=body), stream=True)
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc
        if not response.is_success:
            response.read()
            response.close()
            self._check(response, url)
        return self._pieces(response, url)

    def _pieces(self, response: httpx.Response, url: str) -> Iterator[str]:
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    raise _not_chat(url) from exc
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    yield str(piece)
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc
        finally:
            response.close()
        raise LLMUnavailable(f"大模型服务 {url} 的回答中途中断（没有收到结束标记）。请重试；{_WHAT_TO_DO}")

    def _body(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }

    def _unreachable(self, url: str, exc: httpx.HTTPError) -> LLMUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            return LLMUnavailable(
                f"大模型服务 {url} 在 {self.timeout:g} 秒内没有响应。请稍后重试或调大 DAFU_LLM_TIMEOUT；{_WHAT_TO_DO}"
            )
        return LLMUnavailable(f"无法连接大模型服务 {url}（{exc}）。{_WHAT_TO_DO}")

    def _check(self, response: httpx.Response, url: str) -> None:
        if response.status_code in (401, 403):
            raise LLMUnavailable(
                f"大模型服务拒绝了请求（HTTP {response.status_code}）。请检查 DAFU_LLM_API_KEY；{_WHAT_TO_DO}"
            )
        if response.status_code == 404:
            raise LLMUnavailable(
                f"大模型服务 {url} 返回 HTTP 404：请确认 DAFU_LLM_BASE_URL 以 /v1 结尾、"
                f"DAFU_LLM_MODEL（当前为 {self.model}）是该服务提供的模型。{_WHAT_TO_DO}"
            )
        if not response.is_success:
            raise LLMUnavailable(
                f"大模型服务 {url} 返回 HTTP {response.status_code}：{response.text[:200]}。{_WHAT_TO_DO}"
            )

    def healthy(self) -> bool:
        """Whether ``{base_url}/models`` answers with a success status."""
        try:
            return self._http.get(f"{self.base_url}/models", timeout=min(self.timeout, 5.0)).is_success
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()


def _not_chat(url: str) -> LLMUnavailable:
    return LLMUnavailable(f"大模型服务 {url} 的响应不是 OpenAI chat completions 格式。{_WHAT_TO_DO}")
