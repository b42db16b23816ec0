"""Checks on what a caller hands the service (questions, proposals, file names, ids), whatever the
interface: text that cannot be processed is refused with a message that says what to do."""

from __future__ import annotations

import re
import unicodedata

from rag.errors import InvalidInput
from rag.types import Filters

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_NAME_CHARS = 255
MAX_ID_CHARS = 200


def checked_text(text: str | None, what: str, max_chars: int, *, required: bool = True) -> str:
    """``text`` stripped; refused when empty (if ``required``), too long, or not valid Unicode."""
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"{what}应为文字，请检查后重试。")
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(f"{what}不能为空，请输入要查询的内容。")
    if len(text) > max_chars:
        raise InvalidInput(
            f"{what}过长（{len(text)} 字，上限 {max_chars} 字）。请精简后重试；起草答复请使用“起草”功能。"
        )
    _refuse_surrogates(text, what)
    return _CONTROL.sub("", text)


def checked_name(name: str | None) -> str:
    """A file name as its last path segment; no folders, no control characters, not empty."""
    raw = (name or "").replace("\\", "/").split("/")[-1].strip()
    _refuse_surrogates(raw, "文件名")
    if _CONTROL.search(raw):
        raise InvalidInput("文件名中含有控制字符。请重命名文件后重试。")
    if raw in ("", ".", ".."):
        raise InvalidInput(
            "上传的文件没有文件名，请选择一个 .txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片文件。"
        )
    if len(raw) > MAX_NAME_CHARS:
        raise InvalidInput(f"文件名过长（{len(raw)} 字，上限 {MAX_NAME_CHARS} 字）。请缩短文件名后重试。")
    return unicodedata.normalize("NFC", raw)


def checked_id(doc_id: str | None) -> str:
    """A document id as a caller gives it (to read or delete)."""
    doc_id = (doc_id or "").strip()
    _refuse_surrogates(doc_id, "文档编号")
    if not doc_id or len(doc_id) > MAX_ID_CHARS or _CONTROL.search(doc_id):
        raise InvalidInput("文档编号无效。请从文档列表（dafu docs 或 GET /v1/documents）中选择。")
    return doc_id


def _refuse_surrogates(text: str, what: str) -> None:
    if _SURROGATE.search(text):
        raise InvalidInput(
            f"{what}中含有无法识别的字符（不成对的 UTF-16 代理码）。请删除乱码字符或重新复制原文后重试。"
        )


def checked_filters(filters: Filters | None) -> Filters | None:
    """Filters whose text values are valid Unicode of sensible length (they reach the store's query)."""
    if filters is None:
        return None
    for field in ("kind", "doc_number", "proposer", "doc_id"):
        value = getattr(filters, field)
        if value is not None:
            checked_text(value, f"过滤条件 {field}", 200, required=False)
    return filters
