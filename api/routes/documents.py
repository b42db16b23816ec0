from __future__ import annotations

from fastapi import APIRouter, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import DocumentList, DocumentOut, UploadResponse
from rag.errors import DocumentNotFound

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get("", response_model=DocumentList)
def list_documents(service: ServiceDep) -> DocumentList:
    return DocumentList(documents=service.documents())


@router.get("/{doc_id}", response_model=DocumentOut)
def get_document(doc_id: str, service: ServiceDep) -> DocumentOut:
    doc = service.document(doc_id)
    return DocumentOut(
        doc_id=doc.doc_id, source=doc.source, content_hash=doc.content_hash, meta=doc.meta, text=doc.text
    )


@router.post("", response_model=UploadResponse, status_code=201)
async def upload_document(
    file: UploadFile,
    service: ServiceDep,
    replace: bool = Query(False, description="Replace a document already indexed under the same id."),
) -> UploadResponse:
    # The body was bounded while it streamed in (api.security); the service checks the file itself.
    data = await file.read(service.settings.max_upload_bytes + 1)
    doc_id, status = await run_in_threadpool(service.upload, file.filename or "", data, replace=replace)
    info = next((d for d in service.documents() if d.doc_id == doc_id), None)
    if info is None:  # deleted by another request in between
        raise DocumentNotFound(f"文档“{doc_id}”已收录，但随即被删除。请刷新文档列表后重试。")
    return UploadResponse(doc_id=doc_id, status=status, document=info)  # type: ignore[arg-type]


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, service: ServiceDep) -> None:
    service.delete(doc_id)
