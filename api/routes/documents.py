from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import DocumentList, DocumentOut, UploadResponse
from rag.errors import FileTooLarge, InvalidInput

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
async def upload_document(file: UploadFile, request: Request, service: ServiceDep) -> UploadResponse:
    limit = service.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise FileTooLarge(_too_large(limit))
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(_too_large(limit))
    if not file.filename:
        raise InvalidInput(
            "上传的文件没有文件名，请选择一个 .txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片文件。"
        )
    doc_id, status = await run_in_threadpool(service.upload, file.filename, data)
    info = next(d for d in service.documents() if d.doc_id == doc_id)
    return UploadResponse(doc_id=doc_id, status=status, document=info)  # type: ignore[arg-type]


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, service: ServiceDep) -> None:
    service.delete(doc_id)


def _too_large(limit: int) -> str:
    # Limits under 1 MB (set by administrators or tests) would otherwise read as "0 MB".
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return f"文件超过上传上限 {size}。请拆分文件或联系管理员调整 DAFU_MAX_UPLOAD_BYTES。"
