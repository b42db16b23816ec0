"""POST /v1/draft: a reply letter (答复函) drafted from cited passages of past letters."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import Request
from rag.draft.docx import write_docx
from rag.draft.model import DraftSection, SimilarLetter
from rag.ledger.model import Entry, FigureChange
from rag.types import Citation
from rag.vocabulary import Kind

router = APIRouter(prefix="/v1", tags=["draft"])

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DraftRequest(Request):
    proposal: str = Field(
        description="The proposal's full text (at most DAFU_MAX_PROPOSAL_CHARS characters)."
    )
    proposer: str | None = Field(default=None, description="Overrides the proposer found in the text.")
    session: str | None = Field(default=None, description="e.g. 市政协十二届四次会议")
    number: str | None = Field(default=None, description="The proposal's number, e.g. 87")
    kind: Kind | None = None
    top_k: int | None = Field(default=None, ge=1, le=20, description="Similar letters; default DAFU_TOP_K.")
    mode: Literal["offline", "llm"] = "offline"
    format: Literal["json", "docx"] = "json"


class DraftResponse(BaseModel):
    title: str
    mode: str
    markdown: str
    sections: list[DraftSection]
    citations: list[Citation]
    similar: list[SimilarLetter]
    placeholders: list[str]
    proposal_title: str
    proposer: str
    kind: str
    suggestions: list[str]
    commitments: list[Entry] = []  # earlier commitments on the proposal's topics, with their status
    changed_figures: list[FigureChange] = []  # figures two letters state differently


@router.post(
    "/draft",
    response_model=DraftResponse,
    responses={200: {"content": {DOCX_TYPE: {}}, "description": "JSON, or the .docx with format=docx"}},
)
async def draft(body: DraftRequest, service: ServiceDep) -> DraftResponse | Response:
    result = await run_in_threadpool(
        lambda: service.draft(
            body.proposal,
            top_k=body.top_k,
            mode=body.mode,
            proposer=body.proposer,
            session=body.session,
            number=body.number,
            kind=body.kind,
        )
    )
    if body.format == "docx":
        data = await run_in_threadpool(write_docx, result)
        name = quote(f"{result.title}.docx")
        return Response(
            content=data,
            media_type=DOCX_TYPE,
            headers={"Content-Disposition": f"attachment; filename=\"reply.docx\"; filename*=UTF-8''{name}"},
        )
    p = result.proposal
    return DraftResponse(
        title=result.title,
        mode=result.mode,
        markdown=result.markdown,
        sections=list(result.sections),
        citations=list(result.citations),
        similar=list(result.similar),
        placeholders=list(result.placeholders),
        proposal_title=p.title,
        proposer=p.proposer,
        kind=p.kind,
        suggestions=[s.text for s in p.suggestions],
        commitments=list(result.commitments),
        changed_figures=list(result.changed_figures),
    )
