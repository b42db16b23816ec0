"""The API key check, in one dependency: every /v1 route depends on ``require_api_key``.

With ``DAFU_API_KEY`` set, a request must send ``Authorization: Bearer <key>`` (what OpenAI clients
send); without it the API is open. Replacing this function replaces the check everywhere.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from api.deps import get_service
from rag.errors import NotAuthorized


def require_api_key(request: Request) -> None:
    key = get_service(request).settings.api_key
    if not key:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), key.encode()):
        raise NotAuthorized(
            "缺少或错误的 API 密钥：请在请求头中加入 Authorization: Bearer <密钥>"
            "（在聊天客户端里填入“API 密钥”；密钥由管理员通过 DAFU_API_KEY 设置）。"
        )
