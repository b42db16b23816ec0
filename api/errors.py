"""Domain errors to HTTP status codes, once. Bodies are ``{"detail": "<what to do>"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag import errors

STATUS = {
    errors.InvalidInput: 422,
    errors.UnsupportedFile: 415,
    errors.UnreadableFile: 422,
    errors.FileTooLarge: 413,
    errors.DocumentNotFound: 404,
    errors.LLMUnavailable: 503,
    errors.ModelNotFound: 500,
}


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DafuError)
    async def _dafu_error(_request: Request, exc: errors.DafuError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
        return JSONResponse(status_code=status, content={"detail": str(exc), "error": type(exc).__name__})
