"""LLM answer mode: an OpenAI-compatible chat client and an answerer that cites retrieved passages."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from rag.claims import find_claims, unsupported_claims
from rag.errors import LLMUnavailable
from rag.settings import Settings
from rag.types import Answer, Citation, Hit

log = logging.getLogger(__name__)

NOT_FOUND = "已收录的答复函中未找到相关内容"
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


# [1], [1,2], [1][2], ［1］, 【1】, [资料1]; parentheses only with 资料, since (1) also enumerates.
_MARKER = re.compile(
    r"(?:[\[［【]\s*(?:资料|来源|段落)?\s*(?P<a>\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]］】]"
    r"|[（(]\s*(?:资料|来源|段落)\s*(?P<b>\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[)）])"
)
_SENTENCE_END = re.compile(r"[。！？；\n]")
_NOT_TEXT = re.compile(r"[^\w]+")


class LLMAnswerer:
    """Answers a question from retrieved hits with an LLM that must cite them as [n]."""

    def __init__(
        self, client: OpenAICompatibleClient, *, max_tokens: int = 512, max_passage_chars: int = 1200
    ):
        self.client = client
        self.max_tokens = max_tokens
        self.max_passage_chars = max_passage_chars

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        support = max((hit.score for hit in hits), default=0.0)
        if not hits:
            return Answer(answer=NOT_FOUND, found=False, mode="llm", support=support)
        reply = self.client.chat(
            build_messages(question, hits, self.max_passage_chars), max_tokens=self.max_tokens
        )
        log.debug("LLM reply: %s", reply)
        text, cited, statements = parse_reply(reply, len(hits))
        if not cited or _is_refusal(text):
            return Answer(answer=NOT_FOUND, found=False, hits=tuple(hits), mode="llm", support=support)
        citations = tuple(_citation(hits[i], statements[i]) for i in cited)
        passages = [_header(hits[i]) + "\n" + hits[i].text for i in cited]
        return Answer(
            answer=text,
            found=True,
            citations=citations,
            hits=tuple(hits),
            mode="llm",
            support=support,
            unsupported=tuple(unsupported_claims(strip_markers(text), passages)),
        )


def build_messages(question: str, hits: list[Hit], max_passage_chars: int = 1200) -> list[dict[str, Any]]:
    """The chat messages: numbered passages with their 文号/section, the question and the rules."""
    blocks = [f"[{n}] {_header(hit)}\n{hit.text[:max_passage_chars]}" for n, hit in enumerate(hits, start=1)]
    rules = (
        "回答要求：\n"
        "1. 只能根据上面的资料回答，不要使用资料以外的知识，不要编造。\n"
        "2. 每句话后面用方括号写出所依据资料的编号，例如：……[1]。\n"
        "3. 数字、日期、文号必须照抄资料原文。\n"
        f"4. 如果资料中没有问题的答案，只回答：{NOT_FOUND}"
    )
    user = "\n\n".join(["资料：\n" + "\n\n".join(blocks), f"问题：{question.strip()}", rules])
    system = "你是政府答复函问答助手，只依据给出的资料用中文简洁作答，并标注资料编号。"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_reply(reply: str, n_hits: int) -> tuple[str, list[int], dict[int, list[str]]]:
    """Renumber valid [n] markers by first use, drop markers that point at no passage.

    Returns the answer text, the cited hit indices (0-based, in citation order) and, per cited hit, the
    statements (text since the previous marker) that cite it.
    """
    order: list[int] = []
    statements: dict[int, list[str]] = {}
    pieces: list[str] = []
    last = 0
    statement = ""
    for m in _MARKER.finditer(reply):
        pieces.append(reply[last : m.start()])
        # A statement runs from the previous marker (or the start) to its marker: "A[1]。B[2]" and "A。[1]B。[2]";
        # adjacent markers ("A[1][2]") share one.
        if reply[last : m.start()].strip():
            statement = reply[last : m.start()]
        numbers = [int(x) for x in re.findall(r"\d+", m.group("a") or m.group("b"))]
        marks = []
        for n in dict.fromkeys(numbers):
            if not 1 <= n <= n_hits:
                continue
            if n - 1 not in statements:
                order.append(n - 1)
                statements[n - 1] = []
            statements[n - 1].append(statement)
            marks.append(f"[{order.index(n - 1) + 1}]")
        pieces.append("".join(marks))
        last = m.end()
    pieces.append(reply[last:])
    text = re.sub(r"[ \t]+([。，；！？])", r"\1", "".join(pieces)).strip()
    return text, order, statements


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def _is_refusal(text: str) -> bool:
    return _NOT_TEXT.sub("", strip_markers(text)).startswith(NOT_FOUND)


def _header(hit: Hit) -> str:
    parts = [
        hit.doc_number,
        f"《{hit.title}》" if hit.title else "",
        f"章节：{hit.section}" if hit.section else "",
    ]
    return " ".join(part for part in parts if part)


def _citation(hit: Hit, statements: list[str]) -> Citation:
    a, b = narrow_quote(hit.text, " ".join(statements))
    return Citation(
        doc_id=hit.doc_id,
        doc_number=hit.doc_number,
        title=hit.title,
        section=hit.section,
        quote=hit.text[a:b],
        start=hit.start + a,
        end=hit.start + b,
        score=hit.score,
    )


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, split after 。！？； and newlines, whitespace trimmed."""
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


def narrow_quote(text: str, statement: str) -> tuple[int, int]:
    """The span of ``text`` (its best sentence, plus adjacent sentences nearly as good) supporting ``statement``.

    Falls back to the whole text when no sentence shares anything with the statement.
    """
    spans = sentence_spans(text)
    if len(spans) <= 1:
        return 0, len(text)
    scores = [_support_score(text[a:b], statement) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: scores[i])
    if scores[best] <= 0:
        return 0, len(text)
    first = last = best
    while first > 0 and scores[first - 1] >= 0.6 * scores[best]:
        first -= 1
    while last < len(spans) - 1 and scores[last + 1] >= 0.6 * scores[best]:
        last += 1
    return spans[first][0], spans[last][1]


def _support_score(sentence: str, statement: str) -> float:
    """Shared claims weigh most; shared character bigrams break ties."""
    wanted = find_claims(statement)
    shared_claims = len(wanted) - len(unsupported_claims(statement, [sentence])) if wanted else 0
    grams = _bigrams(statement)
    overlap = len(grams & _bigrams(sentence)) / len(grams) if grams else 0.0
    return shared_claims + overlap


def _bigrams(text: str) -> set[str]:
    clean = _NOT_TEXT.sub("", text)
    return {clean[i : i + 2] for i in range(len(clean) - 1)}
