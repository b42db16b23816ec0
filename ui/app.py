"""The Gradio Blocks app, mounted at ``/ui`` of the API app: one process, one loaded model.

Works offline: analytics are off, fonts are the system's (CJK included), no asset comes from a CDN.
"""

from __future__ import annotations

import os
from html import escape
from typing import Any

# Gradio reads this when it sends telemetry; set before import so nothing ever tries the network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from gradio.context import LocalContext  # noqa: E402

from rag.access.model import ROLE_NAMES, Principal, Role  # noqa: E402
from rag.service import DafuService  # noqa: E402
from rag.settings import Settings  # noqa: E402
from ui import (
    login,  # noqa: E402
    render,  # noqa: E402
)
from ui.admin import build_admin_tab  # noqa: E402
from ui.ask import FilterRow, build_ask_tab, build_search_tab, example_samples  # noqa: E402
from ui.commitments import build_commitments_tab  # noqa: E402
from ui.common import ServiceGetter, message_for  # noqa: E402
from ui.draft import build_draft_tab  # noqa: E402
from ui.letters import build_letters_tab  # noqa: E402
from ui.style import CSS, theme  # noqa: E402
from ui.uploads import HideUploadPaths, read_upload, upload_root  # noqa: E402

PATH = "/ui"


# Uploaded files older than an hour are removed every hour (they are read once, when indexed).
_DELETE_CACHE = (3600, 3600)


def build_blocks(get_service: ServiceGetter) -> gr.Blocks:
    # Gradio records every file its upload route wrote; handlers read only those (ui.uploads).
    def read(path: object) -> tuple[str, bytes]:
        svc = get_service()
        limit = svc.settings.max_upload_bytes if svc is not None else 0
        return read_upload(path, upload_root(), lambda: blocks.upload_file_set, limit)

    with gr.Blocks(
        title="答复 · 答复函问答与起草", analytics_enabled=False, delete_cache=_DELETE_CACHE
    ) as blocks:
        with gr.Row(elem_classes=["dafu-top"]):
            gr.HTML(
                '<header class="dafu-header"><h1>答复</h1>'
                "<p>答复函的问答、检索与起草。所有回答均附原文引用，点击即可查看出处。</p></header>"
            )
            user_bar = gr.HTML("", elem_id="user-bar")
        with gr.Tabs():
            ask_tab, ask_filters, mode, examples = build_ask_tab(get_service)
            search_tab, search_filters = build_search_tab(get_service)
            letters = build_letters_tab(get_service, read)
            draft_mode = build_draft_tab(get_service, read)
            build_commitments_tab(get_service)
            admin = build_admin_tab(get_service)

        def on_load(current: str) -> tuple[Any, ...]:
            try:
                svc = get_service()
            except Exception as exc:  # signed out (or over the rate) since the page was opened
                note = render.notice(message_for(exc))
                return (*[gr.update()] * len(outputs_after_bar), note)
            llm = svc is not None and svc.llm_available
            who = svc.who if svc is not None else None
            return (
                *ask_filters.refresh(get_service),
                *search_filters.refresh(get_service),
                gr.Radio(visible=llm),
                gr.Radio(visible=llm),
                letters.refresh(current),
                example_samples(get_service),
                *letters.for_role(svc),
                gr.Tab(visible=who is not None and who.role is Role.ADMIN),
                user_html(who, svc is not None and svc.local_mode),
            )

        outputs_after_bar = [
            *ask_filters.choice_outputs,
            *search_filters.choice_outputs,
            mode,
            draft_mode,
            letters.listing,
            examples,
            *letters.role_outputs,
            admin.tab,
        ]
        blocks.load(on_load, letters.selected, [*outputs_after_bar, user_bar])
        # Letters may have been uploaded or deleted since the page loaded.
        for tab, filters in ((ask_tab, ask_filters), (search_tab, search_filters)):
            tab.select(_refresher(filters, get_service), None, filters.choice_outputs)
    return blocks


def user_html(who: Principal | None, local: bool) -> str:
    """Who is signed in, and the way out."""
    if who is None:
        return ""
    if local:
        return '<div class="dafu-user">本机单用户模式（未启用账号）</div>'
    role = ROLE_NAMES[who.role]
    groups = f"，组：{escape('、'.join(sorted(who.groups)))}" if who.groups else ""
    return (
        f'<div class="dafu-user"><span id="user-name">{escape(who.name)}</span>（{role}{groups}）'
        f'<form method="post" action="{login.LOGOUT_PATH}" style="display:inline">'
        '<button type="submit" id="logout" class="dafu-logout">退出登录</button></form></div>'
    )


def _refresher(filters: FilterRow, get_service: ServiceGetter) -> Any:
    return lambda: filters.refresh(get_service)


def mount(app: FastAPI, settings: Settings) -> None:
    """Mount the UI at ``/ui``, with its login page (``ui.login``). Handlers get the service acting
    for the signed-in user of the request they serve (``app.state.service``, built in the lifespan):
    what they show and do is checked by the service, as for the API.

    Gradio's upload route is bounded (``max_file_size``; the request as a whole by ``api.security``)
    and its answers carry no absolute path (``ui.uploads.HideUploadPaths``)."""

    def get_service() -> DafuService | None:
        root: DafuService | None = getattr(app.state, "service", None)
        if root is None:
            return None
        # Gradio keeps the request of the event being handled in a context variable.
        view = root.acting_as(login.principal_of(root, LocalContext.request.get(None)))
        view.check_rate()
        return view

    def signed_in(request: Request) -> str | None:
        """Gradio's own check on every request of the UI: the user's name, or None (401)."""
        root: DafuService | None = getattr(app.state, "service", None)
        who = root.session(request.cookies.get(login.COOKIE)) if root is not None else None
        return who.name if who is not None else None

    login.install(app)
    app.add_middleware(HideUploadPaths, prefix=PATH, root=upload_root())
    gr.mount_gradio_app(
        app,
        build_blocks(get_service),
        path=PATH,
        auth_dependency=signed_in,
        theme=theme(),
        css=CSS,
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        max_file_size=settings.max_upload_bytes,
    )
