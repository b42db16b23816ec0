"""An OpenAI-compatible chat client (llama.cpp, vLLM, Ollama, a cloud API)."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from rag.errors import LLMUnavailable
from rag.settings import Settings


class ChatClient(Protocol):
    """What answering and drafting need of a chat model."""

    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0) -> str: ...


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
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        try:
            response = self._http.post(url, json=body)
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(
                f"大模型服务 {url} 在 {self.timeout:g} 秒内没有响应。请稍后重试或调大 DAFU_LLM_TIMEOUT；{_WHAT_TO_DO}"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMUnavailable(f"无法连接大模型服务 {url}（{exc}）。{_WHAT_TO_DO}") from exc
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
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMUnavailable(
                f"大模型服务 {url} 的响应不是 OpenAI chat completions 格式。{_WHAT_TO_DO}"
            ) from exc
        return str(content or "")

    def healthy(self) -> bool:
        """Whether ``{base_url}/models`` answers with a success status."""
        try:
            return self._http.get(f"{self.base_url}/models", timeout=min(self.timeout, 5.0)).is_success
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()
