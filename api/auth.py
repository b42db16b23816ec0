"""Who is calling, in one dependency: every /v1 route gets the service through ``get_service``, which
depends on ``caller``. The service does the rest (the documents the caller may see, roles, the audit
trail, the rate limit): see docs/security.md.

A request sends its key as ``Authorization: Bearer <key>`` (what OpenAI clients send). With no
accounts configured (local single-user mode) no key is needed, unless ``DAFU_API_KEY`` is set.
"""

from __future__ import annotations

from fastapi import Request

from rag.access.model import Principal
from rag.service import DafuService

PRINCIPAL = "dafu_principal"


def root_service(request: Request) -> DafuService:
    return request.app.state.service  # type: ignore[no-any-return]


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def caller(request: Request) -> Principal:
    """The principal of this request (once per request), within its key's rate limit."""
    found = getattr(request.state, PRINCIPAL, None)
    if found is None:
        found = root_service(request).authenticate(bearer(request), via="api")
        setattr(request.state, PRINCIPAL, found)
    return found  # type: ignore[no-any-return]
