"""Domain errors to HTTP status codes, once. Bodies are ``{"detail": "<what to do>"}``; under the
OpenAI-compatible paths they also carry OpenAI's ``{"error": {"message", "type", "code"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag import errors

STATUS = {
    errors.InvalidInput: 422,
    errors.UnsupportedFile: 415,
    errors.UnreadableFile: 422,
    errors.FileTooLarge: 413,
    errors.FileTooComplex: 413,
    errors.DocumentNotFound: 404,
    errors.ConversationNotFound: 404,
    errors.NotAuthorized: 401,
    errors.LLMUnavailable: 503,
    errors.ModelNotFound: 500,
}
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DafuError)
    async def _dafu_error(request: Request, exc: errors.DafuError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
        content: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
        if request.url.path in OPENAI_PATHS:
            content["error"] = {"message": str(exc), "type": type(exc).__name__, "code": status}
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(status_code=status, content=content, headers=headers)
