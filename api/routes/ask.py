from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import AskRequest, AskResponse, SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse)
async def ask(body: AskRequest, service: ServiceDep) -> AskResponse:
    answer = await run_in_threadpool(service.ask, body.question, body.top_k, body.filters, body.mode)
    return AskResponse.model_validate(answer.model_dump())


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, service: ServiceDep) -> SearchResponse:
    hits = await run_in_threadpool(service.search, body.query, body.top_k, body.filters)
    return SearchResponse(hits=hits)
