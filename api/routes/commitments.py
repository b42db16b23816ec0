"""``GET /v1/commitments``: what the letters promised, what later letters report, which figures moved."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from rag.ledger.model import Entry, FigureChange, LedgerFilters, Status

router = APIRouter(prefix="/v1", tags=["commitments"])


class CommitmentsResponse(BaseModel):
    commitments: list[Entry]
    changed_figures: list[FigureChange]


@router.get("/commitments", response_model=CommitmentsResponse)
async def commitments(
    service: ServiceDep,
    topic: Annotated[
        str | None, Query(max_length=200, description="Words of the topic or the promise.")
    ] = None,
    year: Annotated[int | None, Query(ge=1949, le=2100, description="Year of the promising letter.")] = None,
    doc_id: Annotated[str | None, Query(max_length=200)] = None,
    doc_number: Annotated[str | None, Query(max_length=200, description="文号 of the letter.")] = None,
    status: Annotated[Status | None, Query(description="done | in_progress | not_mentioned")] = None,
) -> CommitmentsResponse:
    """Every commitment with its status and evidence, and the figures two letters state differently
    (of the filtered letter when ``doc_id`` is given)."""
    filters = LedgerFilters(topic=topic, year=year, doc_id=doc_id, doc_number=doc_number, status=status)
    entries = await run_in_threadpool(service.commitments, filters)
    changes = await run_in_threadpool(service.figure_changes, doc_id)
    return CommitmentsResponse(commitments=entries, changed_figures=changes)
