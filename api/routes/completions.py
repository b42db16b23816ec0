"""OpenAI-compatible chat: ``GET /v1/models`` and ``POST /v1/chat/completions`` (with ``stream: true``
as server-sent chunks ending in ``data: [DONE]``), so that any chat client can use dafu as a provider.

The last user message is the question; earlier user/assistant messages are the conversation it may
follow up on (a bounded window of the latest), unless ``conversation_id`` names a stored conversation.
The message text carries [n] markers and ends with a short 出处 list; the citations also come as a
``citations`` field, with ``conversation_id`` and a ``dafu`` object (turn id, resolved question, ...).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api import sse
from api.deps import ServiceDep
from api.routes.chat import COMPLETION_PREFIX
from rag.chat.model import STANDALONE, Resolved, Turn
from rag.errors import DafuError, InvalidInput
from rag.service import DafuService
from rag.types import Citation
from rag.vocabulary import NOT_FOUND

router = APIRouter(prefix="/v1", tags=["openai"])

EXTRACTIVE, LLM = "dafu", "dafu-llm"
MAX_MESSAGES = 1000  # a longer request is refused; of the accepted ones only the latest turns are read
_QUOTE_CHARS = 60


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        """The text of a message; content given as parts keeps its text parts."""
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, max_tokens, ... do not apply
    model: str = EXTRACTIVE
    messages: list[Message] = Field(default_factory=list)
    stream: bool = False
    conversation_id: str | None = Field(
        default=None, description="dafu extension: continue a stored conversation (its history is used)."
    )
    top_k: int | None = Field(default=None, ge=1, le=50, description="dafu extension: passages to use.")


class ModelCard(BaseModel):
    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "dafu"


class ModelList(BaseModel):
    object: str = "list"
    data: list[ModelCard]


def models_of(service: DafuService) -> list[str]:
    return [EXTRACTIVE, LLM] if service.llm_available else [EXTRACTIVE]


@router.get("/models", response_model=ModelList)
def models(service: ServiceDep) -> ModelList:
    return ModelList(data=[ModelCard(id=name) for name in models_of(service)])


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
async def completions(body: CompletionRequest, service: ServiceDep) -> Any:
    question, history = _conversation(body)
    if body.model not in models_of(service):
        raise InvalidInput(f"没有名为“{body.model}”的模型。可用的模型：{'、'.join(models_of(service))}。")
    mode = "llm" if body.model == LLM else "extractive"
    stream = await run_in_threadpool(
        lambda: service.chat_stream(
            question, body.conversation_id, history=history, mode=mode, top_k=body.top_k
        )
    )
    if body.stream:
        return sse.response(_chunks(await sse.started(stream), body.model))
    turn = await run_in_threadpool(lambda: [*stream][-1])
    assert isinstance(turn, Turn)
    return _completion(turn, body.model)


def _conversation(body: CompletionRequest) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the (question, answer) pairs before it."""
    if len(body.messages) > MAX_MESSAGES:
        raise InvalidInput(
            f"消息过多（{len(body.messages)} 条，上限 {MAX_MESSAGES} 条）。只需发送最近的几轮对话，"
            "或用 conversation_id 继续已保存的对话。"
        )
    messages = [m for m in body.messages if m.role in ("user", "assistant")]
    if not messages:
        raise InvalidInput("messages 为空：请至少发送一条 role 为 user 的消息（要问的问题）。")
    if messages[-1].role != "user":
        raise InvalidInput("最后一条消息须是 role 为 user 的问题；请把要问的问题放在 messages 的最后。")
    pairs: list[tuple[str, str]] = []
    for message in messages[:-1]:
        if message.role == "user":
            pairs.append((message.text, ""))
        elif pairs and not pairs[-1][1]:
            pairs[-1] = (pairs[-1][0], message.text)
    return messages[-1].text, pairs


def content(turn: Turn) -> str:
    """The message for clients that show only text: the answer with [n], then a short 出处 list."""
    return _lead(turn) + turn.answer.answer + _tail(turn)


def _lead(turn: Turn) -> str:
    return f"（问题理解为：{turn.resolved}）\n\n" if turn.resolved_by != STANDALONE else ""


def _tail(turn: Turn) -> str:
    a = turn.answer
    out = ""
    if a.unsupported:
        out += f"\n\n注意：以下内容未在引文中找到，请核对：{'、'.join(a.unsupported)}"
    if a.rewritten:
        out += f"\n\n注意：大模型的以下表述与所引原文不符，已改为原文引用或删去：{'；'.join(a.rewritten)}"
    if a.citations:
        out += "\n\n出处：\n" + "\n".join(_source(n, c) for n, c in enumerate(a.citations, start=1))
    return out


def _source(n: int, c: Citation) -> str:
    quote = c.quote if len(c.quote) <= _QUOTE_CHARS else c.quote[: _QUOTE_CHARS - 1] + "…"
    section = f" · {c.section}" if c.section else ""
    return f"[{n}] {c.doc_number or c.title}{section}：“{quote}”"


def _extra(turn: Turn) -> dict[str, Any]:
    a = turn.answer
    return {
        "conversation_id": turn.conversation_id,
        "citations": [c.model_dump(exclude={"score"}) for c in a.citations],
        "dafu": {
            "turn_id": turn.turn_id, "question": turn.question, "resolved_question": turn.resolved,
            "resolved_by": turn.resolved_by, "found": a.found, "mode": a.mode,
            "unsupported": list(a.unsupported), "rewritten": list(a.rewritten),
        },
    }  # fmt: skip


def _completion(turn: Turn, model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content(turn)}
    return {
        "id": COMPLETION_PREFIX + turn.turn_id,
        "object": "chat.completion",
        "created": int(turn.created),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        **_extra(turn),
    }


def _chunks(stream: Iterator[Resolved | str | Turn], model: str) -> Iterator[str]:
    """OpenAI's chunk format: the role, pieces of text, the 出处 list, a last chunk with
    ``finish_reason`` and the citations, then ``data: [DONE]``. An error after the start is an
    ``error`` object, which OpenAI clients raise."""
    created = int(time.time())
    cid = COMPLETION_PREFIX + "pending"

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [choice], **extra}  # fmt: skip
        return sse.event(body)

    yield chunk({"role": "assistant", "content": ""})
    shown = ""
    try:
        for item in stream:
            if isinstance(item, Resolved):
                cid = COMPLETION_PREFIX + item.turn_id
                if item.resolved_by != STANDALONE:
                    yield chunk({"content": f"（问题理解为：{item.resolved}）\n\n"})
            elif isinstance(item, Turn):
                final = item.answer.answer
                if not final.startswith(shown):  # the check at the end refused what was streamed
                    note = "" if final.startswith(NOT_FOUND) else "核对引文后的回答："
                    yield chunk({"content": f"\n\n{note}{final}"})
                elif len(final) > len(shown):
                    yield chunk({"content": final[len(shown) :]})
                if _tail(item):
                    yield chunk({"content": _tail(item)})
                yield chunk({}, "stop", **_extra(item))
            else:
                shown += item
                yield chunk({"content": item})
    except DafuError as exc:
        yield sse.event({"error": {"message": str(exc), "type": type(exc).__name__, "code": None}})
    yield sse.event("[DONE]")
