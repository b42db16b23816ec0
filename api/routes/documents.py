from __future__ import annotations

from fastapi import APIRouter, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import DocumentList, DocumentOut, UploadResponse
from rag.errors import DocumentNotFound
from rag.types import Document

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get("", response_model=DocumentList)
def list_documents(service: ServiceDep) -> DocumentList:
    return DocumentList(documents=service.documents())


class LabelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(description="The new access label: 公开 (DAFU_PUBLIC_LABEL) or a group's name.")


@router.get("/{doc_id}", response_model=DocumentOut)
def get_document(doc_id: str, service: ServiceDep) -> DocumentOut:
    return _out(service.document(doc_id))


@router.put("/{doc_id}/label", response_model=DocumentOut)
def set_label(doc_id: str, body: LabelRequest, service: ServiceDep) -> DocumentOut:
    """Change a document's access label (editors and admins)."""
    return _out(service.set_label(doc_id, body.label))


def _out(doc: Document) -> DocumentOut:
    return DocumentOut(
        doc_id=doc.doc_id, source=doc.source, content_hash=doc.content_hash, meta=doc.meta, text=doc.text,
        label=doc.label,
    )  # fmt: skip


@router.post("", response_model=UploadResponse, status_code=201)
async def upload_document(
    file: UploadFile,
    service: ServiceDep,
    replace: bool = Query(False, description="Replace a document already indexed under the same id."),
    label: str | None = Query(
        None, description="The document's access label (default DAFU_DEFAULT_LABEL); editors and admins."
    ),
) -> UploadResponse:
    # The body was bounded while it streamed in (api.security); the service checks the file itself.
    data = await file.read(service.settings.max_upload_bytes + 1)
    doc_id, status = await run_in_threadpool(
        service.upload, file.filename or "", data, replace=replace, label=label
    )
    info = next((d for d in service.documents() if d.doc_id == doc_id), None)
    if info is None:  # deleted by another request in between
        raise DocumentNotFound(f"文档“{doc_id}”已收录，但随即被删除。请刷新文档列表后重试。")
    return UploadResponse(doc_id=doc_id, status=status, document=info)  # type: ignore[arg-type]


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, service: ServiceDep) -> None:
    service.delete(doc_id)
