"""Errors to HTTP answers, once. Every body is ``{"detail": "<what was wrong and what to do>", "error":
"<kind>"}``, in Chinese: domain errors, request validation (bad JSON, wrong types, unknown fields),
unknown routes and unexpected failures alike. Under the OpenAI-compatible paths ``error`` is OpenAI's
``{"message", "type", "code"}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import errors

log = logging.getLogger(__name__)

STATUS = {
    errors.InvalidInput: 422,
    errors.UnsupportedFile: 415,
    errors.UnreadableFile: 422,
    errors.FileTooLarge: 413,
    errors.FileTooComplex: 413,
    errors.DocumentNotFound: 404,
    errors.ConversationNotFound: 404,
    errors.NotAuthorized: 401,
    errors.Forbidden: 403,
    errors.RateLimited: 429,
    errors.DocumentExists: 409,
    errors.Busy: 503,
    errors.LLMUnavailable: 503,
    errors.ModelNotFound: 500,
}
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")

UNEXPECTED = "处理请求时出现内部错误。请重试；若仍失败，请查看服务日志并联系管理员。"
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DafuError)
    async def _dafu_error(request: Request, exc: errors.DafuError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, (errors.Busy, errors.RateLimited)):
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(status, type(exc).__name__, str(exc), headers, path=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "InvalidInput", validation_message(exc.errors()), path=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = _HTTP_MESSAGES.get(exc.status_code)
        detail = message.format(path=request.url.path, method=request.method) if message else str(exc.detail)
        return error_response(
            exc.status_code, "HTTPError", detail, dict(exc.headers or {}), path=request.url.path
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "InternalError", UNEXPECTED, path=request.url.path)


def error_response(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None, *, path: str = ""
) -> JSONResponse:
    # A lone surrogate echoed from the request would make the body unencodable (and the answer a 500).
    detail = _SURROGATES.sub("\ufffd", detail)
    content: dict[str, object] = {"detail": detail, "error": error}
    if path in OPENAI_PATHS:
        content["error"] = {"message": detail, "type": error, "code": status}
    return JSONResponse(status_code=status, content=content, headers=headers)


_HTTP_MESSAGES = {
    404: "没有这个地址（{path}）。接口列表见 /docs。",
    405: "{path} 不支持 {method} 请求。请按 /docs 中的接口说明使用正确的请求方法。",
}

_FILTER_KEYS = "year、kind、doc_number、proposer、doc_id"


def validation_message(problems: Sequence[Any]) -> str:
    """One Chinese sentence per problem pydantic found, then what to do."""
    lines = list(dict.fromkeys(_one(p) for p in problems)) or ["请求格式有误。"]
    return "；".join(line.rstrip("。") for line in lines[:5]) + "。请修正后重试（接口说明见 /docs）。"


def _one(problem: Any) -> str:
    kind = str(problem.get("type", ""))
    loc = [str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(loc)
    ctx = problem.get("ctx") or {}
    name = f"字段“{field}”" if field else "请求体"
    if kind == "json_invalid":
        return f"请求体不是有效的 JSON（{ctx.get('error', '格式错误')}）。请检查引号、逗号和括号"
    if kind == "missing":
        if field == "file":
            return "缺少上传的文件：请用 multipart/form-data 的 file 字段上传 .txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片文件"
        return f"缺少必填{name}"
    if kind == "extra_forbidden":
        if loc[:1] == ["filters"]:
            return f"不认识的过滤条件“{loc[-1]}”，可用的过滤条件：{_FILTER_KEYS}"
        return f"不认识的{name}"
    if kind in ("string_type", "string_unicode"):
        return f"{name}应为文字（字符串）"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name}应为整数"
    if kind in ("float_type", "float_parsing"):
        return f"{name}应为数字"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name}应为 true 或 false"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{name}应为 JSON 对象（{{…}}）"
    if kind == "list_type":
        return f"{name}应为列表（[…]）"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "不小于", "greater_than": "大于", "less_than_equal": "不大于",
                 "less_than": "小于"}[kind]  # fmt: skip
        limit = next(iter(ctx.values()), "")
        return f"{name}应{bound} {limit}"
    if kind in ("literal_error", "enum"):
        return f"{name}只能是：{ctx.get('expected', '')}"
    if kind in ("string_too_long", "too_long"):
        return f"{name}过长（上限 {ctx.get('max_length', '')}）"
    if kind in ("string_too_short", "too_short"):
        return f"{name}过短（至少 {ctx.get('min_length', '')}）"
    return f"{name}的值无效"
