from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api import sse
from api.deps import ServiceDep
from api.schemas import AskRequest, AskResponse, SearchRequest, SearchResponse
from rag.errors import DafuError
from rag.types import Answer

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "JSON, or events with stream=true"}
    },
)
async def ask(body: AskRequest, service: ServiceDep) -> AskResponse | StreamingResponse:
    if body.stream:
        stream = await run_in_threadpool(
            service.ask_stream, body.question, body.top_k, body.filters, body.mode
        )
        return sse.response(_events(await sse.started(stream)))
    answer = await run_in_threadpool(service.ask, body.question, body.top_k, body.filters, body.mode)
    return AskResponse.model_validate(answer.model_dump())


def _events(stream: Iterator[str | Answer]) -> Iterator[str]:
    """``delta`` events ({"text"}), then one ``answer`` event (the AskResponse), or an ``error`` event."""
    try:
        for item in stream:
            if isinstance(item, Answer):
                yield sse.event(
                    AskResponse.model_validate(item.model_dump()).model_dump(mode="json"), "answer"
                )
            else:
                yield sse.event({"text": item}, "delta")
    except DafuError as exc:
        yield sse.event({"detail": str(exc), "error": type(exc).__name__}, "error")


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, service: ServiceDep) -> SearchResponse:
    hits = await run_in_threadpool(service.search, body.query, body.top_k, body.filters)
    return SearchResponse(hits=hits)
