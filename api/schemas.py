"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.types import Citation, DocumentInfo, Filters, Hit, LetterMeta


# Length is checked by the service against DAFU_MAX_QUESTION_CHARS, so that an empty or over-long
# question gets the same Chinese message in the API, the CLI and the UI.
class Request(BaseModel):
    """A request body: unknown fields are refused (a misspelt field would otherwise be ignored)."""

    model_config = ConfigDict(extra="forbid")


class AskRequest(Request):
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
    rewritten: list[str] = Field(
        default=[],
        description="LLM mode: sentences of the model that their cited quotes do not support, replaced by "
        "the quote or left out.",
    )


class SearchRequest(Request):
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
    label: str = Field(default="", description="The document's access label (docs/security.md).")


class UploadResponse(BaseModel):
    doc_id: str
    status: Literal["added", "updated", "unchanged"]
    document: DocumentInfo


class QueueState(BaseModel):
    running: int
    waiting: int


class Health(BaseModel):
    status: str = Field(description="ok, or error when a search over the index fails")
    documents: int
    chunks: int
    embedding_model: str
    store: str = Field(description="embedded, or the Chroma server's host:port")
    llm: str | None
    problem: str | None = None
    queues: dict[str, QueueState] = {}
