"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rag.types import Citation, DocumentInfo, Filters, Hit, LetterMeta


# Length is checked by the service against DAFU_MAX_QUESTION_CHARS, so that an empty or over-long
# question gets the same Chinese message in the API, the CLI and the UI.
class AskRequest(BaseModel):
    question: str = Field(description="The question, in Chinese.")
    top_k: int | None = Field(
        default=None, ge=1, le=50, description="Passages to retrieve; default DAFU_TOP_K."
    )
    filters: Filters | None = None
    mode: Literal["extractive", "llm"] = "extractive"
    stream: bool = Field(
        default=False,
        description="Server-sent events: `delta` events with pieces of the text, then one `answer` event.",
    )


class AskResponse(BaseModel):
    answer: str
    found: bool
    mode: str
    support: float
    citations: list[Citation]
    hits: list[Hit]
    unsupported: list[str] = []


class SearchRequest(BaseModel):
    query: str
    top_k: int | None = Field(
        default=None, ge=1, le=50, description="Passages to return; default DAFU_TOP_K."
    )
    filters: Filters | None = None


class SearchResponse(BaseModel):
    hits: list[Hit]


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


class DocumentOut(BaseModel):
    doc_id: str
    source: str
    content_hash: str
    meta: LetterMeta
    text: str


class UploadResponse(BaseModel):
    doc_id: str
    status: Literal["added", "updated", "unchanged"]
    document: DocumentInfo


class Health(BaseModel):
    status: str
    documents: int
    chunks: int
    embedding_model: str
    store: str
    llm: str | None
