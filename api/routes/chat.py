"""Conversations and feedback: ``POST /v1/chat`` (one turn, follow-ups resolved against the earlier
turns), ``GET /v1/conversations/{id}``, ``POST /v1/feedback`` and ``GET /v1/feedback``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import sse
from api.deps import ServiceDep
from rag.chat.model import Conversation, Feedback, Resolved, Turn
from rag.errors import DafuError
from rag.types import Citation, Filters, Hit

router = APIRouter(prefix="/v1", tags=["chat"])
# The id of a chat completion is its turn's id with this prefix; feedback accepts either.
COMPLETION_PREFIX = "chatcmpl-"


class ChatRequest(BaseModel):
    question: str = Field(description="The question or follow-up, in Chinese.")
    conversation_id: str | None = Field(
        default=None, description="Continue this conversation; empty starts a new one."
    )
    top_k: int | None = Field(default=None, ge=1, le=50)
    filters: Filters | None = None
    mode: Literal["extractive", "llm"] = "extractive"
    stream: bool = Field(
        default=False, description="Server-sent events: `delta` events, then one `turn` event."
    )


class ChatResponse(BaseModel):
    conversation_id: str
    turn_id: str
    index: int
    question: str
    resolved_question: str = Field(description="The standalone question that was answered.")
    resolved_by: str = Field(description="'' (standalone), 'rules' or 'llm'.")
    answer: str
    found: bool
    mode: str
    support: float
    citations: list[Citation]
    hits: list[Hit]
    unsupported: list[str] = []
    rewritten: list[str] = []

    @classmethod
    def of(cls, turn: Turn) -> ChatResponse:
        a = turn.answer
        return cls(
            conversation_id=turn.conversation_id, turn_id=turn.turn_id, index=turn.index,
            question=turn.question, resolved_question=turn.resolved, resolved_by=turn.resolved_by,
            answer=a.answer, found=a.found, mode=a.mode, support=a.support, citations=list(a.citations),
            hits=list(a.hits), unsupported=list(a.unsupported), rewritten=list(a.rewritten),
        )  # fmt: skip


class FeedbackRequest(BaseModel):
    turn_id: str = Field(description="The turn_id of an answer (or the id of a chat completion).")
    rating: Literal["up", "down"]
    comment: str = ""


class FeedbackList(BaseModel):
    feedback: list[Feedback]


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "JSON, or events with stream=true"}
    },
)
async def chat(body: ChatRequest, service: ServiceDep) -> ChatResponse | StreamingResponse:
    options = {"mode": body.mode, "top_k": body.top_k, "filters": body.filters}
    if body.stream:
        stream = await run_in_threadpool(
            lambda: service.chat_stream(body.question, body.conversation_id, **options)  # type: ignore[arg-type]
        )
        return sse.response(_events(await sse.started(stream)))
    turn = await run_in_threadpool(
        lambda: service.chat(body.question, body.conversation_id, **options)  # type: ignore[arg-type]
    )
    return ChatResponse.of(turn)


def _events(stream: Iterator[Resolved | str | Turn]) -> Iterator[str]:
    """A ``resolved`` event (the question as understood), ``delta`` events ({"text"}), then one ``turn``
    event (the ChatResponse), or an ``error`` event."""
    try:
        for item in stream:
            if isinstance(item, Resolved):
                yield sse.event(item.model_dump(mode="json"), "resolved")
            elif isinstance(item, Turn):
                yield sse.event(ChatResponse.of(item).model_dump(mode="json"), "turn")
            else:
                yield sse.event({"text": item}, "delta")
    except DafuError as exc:
        yield sse.event({"detail": str(exc), "error": type(exc).__name__}, "error")


@router.get("/conversations/{conversation_id}", response_model=Conversation)
def conversation(conversation_id: str, service: ServiceDep) -> Conversation:
    return service.conversation(conversation_id)


@router.post("/feedback", response_model=Feedback, status_code=201)
def feedback(body: FeedbackRequest, service: ServiceDep) -> Feedback:
    turn_id = body.turn_id.removeprefix(COMPLETION_PREFIX)
    return service.rate(turn_id, 1 if body.rating == "up" else -1, body.comment)


@router.get("/feedback", response_model=FeedbackList)
def feedback_list(service: ServiceDep) -> FeedbackList:
    return FeedbackList(feedback=service.feedback())
