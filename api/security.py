"""What every request to the server (API and UI alike) must pass before any route sees it.

- **Host** must be one of ``DAFU_ALLOWED_HOSTS`` (loopback names by default): a page on another site
  whose name is made to resolve to this machine (DNS rebinding) is refused.
- **Cross-site writes** are refused: a request that changes state (POST, PUT, PATCH, DELETE) and comes
  from a browser page of another origin (its ``Origin`` is not this server, or ``Sec-Fetch-Site`` says
  cross-site) gets a 403. Programs (curl, the CLI, the ``openai`` client) send no ``Origin`` and pass;
  pages served by dafu itself (the UI) send their own origin and pass.
- **Body size** is bounded while the body streams in: an upload over the limit is refused with a 413
  as soon as the limit is passed (or at once, from its Content-Length), before it is written to disk.
- **Security headers** on every answer: no framing by other sites, no MIME sniffing, no referrer to
  other sites, forms post only here; API answers (which hold letters' text) are never cached. No CORS
  header is ever sent: another site's scripts cannot read any answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from rag.service import too_large
from rag.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_PATH = "/v1/documents"
UI_UPLOAD_SUFFIX = "/gradio_api/upload"
# Multipart framing around one file: boundaries, part headers, a long file name.
_MULTIPART_SLACK = 64 * 1024
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
    ),
)
_NO_STORE_PREFIXES = ("/v1/", "/login", "/audit.csv")


class RequestGuard:
    """Pure ASGI middleware, so that it also covers the Gradio app mounted at /ui."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hosts = settings.hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if _hostname(host) not in self.hosts:
            await _refuse(scope, send, 400, "InvalidHost", _host_message(host))
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        method = scope["method"].upper()
        if method not in SAFE_METHODS and _cross_site(headers, host):
            await _refuse(scope, send, 403, "CrossSiteRequest", CROSS_SITE)
            return
        limit, message = self.limit_for(method, scope.get("path", ""))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, 413, "FileTooLarge", message)
            return
        await self._bounded(scope, receive, send, limit, message)

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        """The most bytes a request's body may have, and what to say when it has more."""
        s = self.settings
        if method == "POST" and path.rstrip("/") == UPLOAD_PATH:
            return s.max_upload_bytes + _MULTIPART_SLACK, too_large(s.max_upload_bytes)
        if path.endswith(UI_UPLOAD_SUFFIX):
            return s.max_upload_batch_bytes + _MULTIPART_SLACK, (
                f"一次上传的文件合计超过上限 {s.max_upload_batch_bytes // (1024 * 1024)} MB。"
                "请分批上传，或联系管理员调整 DAFU_MAX_UPLOAD_BATCH_BYTES。"
            )
        return s.max_body_bytes, (
            f"请求体过大（上限 {s.max_body_bytes // 1024} KB）。请精简内容后重试；上传文件请用文件上传接口。"
        )

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int, message: str) -> None:
        """Run the app, cutting the body off once it passes ``limit``: the app sees a disconnect, its
        own answer is dropped, and the client gets a 413."""
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        no_store = scope.get("path", "").startswith(_NO_STORE_PREFIXES)

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []), no_store=no_store)
            await guarded_send(message)

        try:
            await self.app(scope, counted, secured_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(scope, send, 413, "FileTooLarge", message)


CROSS_SITE = (
    "拒绝来自其他网站的写入请求（防止跨站请求伪造）。请在 dafu 自己的页面中操作，"
    "或由程序直接调用 API（不带其他网站的 Origin 头）。"
)


def with_security_headers(headers: Any, *, no_store: bool = False) -> list[tuple[bytes, bytes]]:
    out = [(bytes(k), bytes(v)) for k, v in headers]
    present = {k.lower() for k, _ in out}
    out += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    if no_store and b"cache-control" not in present:
        out.append((b"cache-control", b"no-store"))
    return out


def _host_message(host: str) -> str:
    shown = "".join(ch for ch in host if ch.isprintable())[:100] or "（空）"
    return (
        f"不接受的主机名“{shown}”。请用 http://127.0.0.1:端口 或 http://localhost:端口 访问；"
        "如需用其他名称或地址访问，请管理员把它加入 DAFU_ALLOWED_HOSTS。"
    )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(headers: dict[str, str], host: str) -> bool:
    origin = headers.get("origin")
    if origin is not None:
        return origin == "null" or urlsplit(origin).netloc.lower() != host.strip().lower()
    return headers.get("sec-fetch-site", "") == "cross-site"


async def _refuse(scope: Scope, send: Send, status: int, error: str, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": message, "error": error}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": with_security_headers(
                [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ]
            ),
        }
    )
    await send({"type": "http.response.body", "body": body})
