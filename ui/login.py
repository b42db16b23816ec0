"""Signing in to the UI: the login page (``GET/POST /login``), ``POST /logout``, the session cookie,
and who is behind a UI request.

The cookie holds a random token; the server keeps only its SHA-256, with the user and an expiry
(``DAFU_SESSION_HOURS``). It is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent with
another site's forms or scripts) and ``Secure`` when the page was served over https. Without accounts
(local single-user mode) there is nothing to sign in to: the page sends you to the UI.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rag.access.model import AuditQuery, Principal
from rag.errors import DafuError, NotAuthorized
from rag.service import DafuService

COOKIE = "dafu_session"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
EXPIRED = "登录已过期或已退出：请刷新页面，重新登录。"

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 答复</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
  background: #f6f7f9; color: #1f2937; margin: 0; }}
main {{ max-width: 380px; margin: 12vh auto; background: #fff; border: 1px solid #e5e7eb;
  border-radius: 10px; padding: 28px 32px; }}
h1 {{ margin: 0 0 4px; font-size: 28px; }} p {{ color: #4b5563; }}
label {{ display: block; margin: 16px 0 6px; font-weight: 600; }}
input {{ width: 100%; box-sizing: border-box; padding: 9px 10px; font-size: 15px;
  border: 1px solid #d1d5db; border-radius: 6px; }}
button {{ margin-top: 22px; width: 100%; padding: 10px; font-size: 16px; border: 0; border-radius: 6px;
  background: #b91c1c; color: #fff; cursor: pointer; }}
.error {{ background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; padding: 8px 10px;
  border-radius: 6px; }}
</style></head>
<body><main>
<h1>答复</h1><p>答复函问答与起草 · 请登录</p>
{error}
<form method="post" action="{action}">
<label for="name">用户名</label>
<input id="name" name="name" autocomplete="username" required maxlength="64" value="{name}">
<label for="key">密钥</label>
<input id="key" name="key" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit" id="login">登录</button>
</form>
<p style="font-size:13px">密钥由管理员发放（<code>dafu users add</code> 或“用户与审计”页）。忘记密钥请联系管理员重新发放。</p>
</main></body></html>"""


def _root(request: Request) -> DafuService | None:
    return getattr(request.app.state, "service", None)


def _page(error: str = "", name: str = "", status: int = 200) -> HTMLResponse:
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = _PAGE.format(error=shown, action=LOGIN_PATH, name=escape(name))
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get(LOGIN_PATH)
def login_page(request: Request) -> Response:
    svc = _root(request)
    if svc is not None and svc.local_mode:
        return RedirectResponse("/ui/", status_code=303)
    return _page()


@router.post(LOGIN_PATH)
def login(request: Request, name: str = Form(""), key: str = Form("")) -> Response:
    svc = _root(request)
    if svc is None:
        return _page("服务正在启动，请稍候几秒再试。", name, 503)
    try:
        token, _ = svc.login(name[:64], key[:200])
    except DafuError as exc:
        return _page(str(exc), name[:64], 401)
    response = RedirectResponse("/ui/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(svc.settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post(LOGOUT_PATH)
def logout(request: Request) -> Response:
    svc = _root(request)
    token = request.cookies.get(COOKIE)
    if svc is not None and token:
        who = svc.session(token)
        if who is not None:
            svc.acting_as(who).logout(token)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/audit.csv")
def audit_csv(request: Request, user: str = "", action: str = "", text: str = "") -> Response:
    """The audit trail as CSV for the admin signed in to the UI (the API has ``GET /v1/audit``)."""
    svc = _root(request)
    if svc is None:
        raise NotAuthorized("服务正在启动，请稍候几秒再试。")
    query = AuditQuery(user=user[:64], action=action[:32], text=text[:200], limit=100_000)
    data = svc.acting_as(principal_of(svc, request)).audit_csv(query)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dafu-audit.csv"', "Cache-Control": "no-store"},
    )


def principal_of(svc: DafuService, request: Any) -> Principal:
    """Who is behind a UI request (a fastapi or gradio request); ``NotAuthorized`` when nobody is."""
    cookies = (getattr(request, "cookies", None) or {}) if request is not None else {}
    who = svc.session(dict(cookies).get(COOKIE))
    if who is None:
        raise NotAuthorized(EXPIRED)
    return who


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_middleware(SignInFirst)


class SignInFirst:
    """A browser opening the UI without a session is sent to the login page (Gradio itself would
    answer 401 to every request of the page)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope.get("path") in ("/ui", "/ui/"):
            svc = getattr(scope["app"].state, "service", None) if "app" in scope else None
            cookies = _cookies(scope)
            if svc is not None and svc.session(cookies.get(COOKIE)) is None:
                response = RedirectResponse(LOGIN_PATH, status_code=303)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _cookies(scope: Any) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header: as if none was sent
                return {}
    return {k: m.value for k, m in jar.items()}
