"""The Gradio Blocks app, mounted at ``/ui`` of the API app: one process, one loaded model.

Works offline: analytics are off, fonts are the system's (CJK included), no asset comes from a CDN.
"""

from __future__ import annotations

import os
from typing import Any

# Gradio reads this when it sends telemetry; set before import so nothing ever tries the network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from rag.service import DafuService  # noqa: E402
from rag.settings import Settings  # noqa: E402
from ui.ask import FilterRow, build_ask_tab, build_search_tab, example_samples  # noqa: E402
from ui.commitments import build_commitments_tab  # noqa: E402
from ui.common import ServiceGetter  # noqa: E402
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
        gr.HTML(
            '<header class="dafu-header"><h1>答复</h1>'
            "<p>答复函的问答、检索与起草。所有回答均附原文引用，点击即可查看出处。</p></header>"
        )
        with gr.Tabs():
            ask_tab, ask_filters, mode, examples = build_ask_tab(get_service)
            search_tab, search_filters = build_search_tab(get_service)
            letters = build_letters_tab(get_service, read)
            draft_mode = build_draft_tab(get_service, read)
            build_commitments_tab(get_service)

        def on_load(current: str) -> tuple[Any, ...]:
            svc = get_service()
            llm = svc is not None and svc.llm_available
            return (
                *ask_filters.refresh(get_service),
                *search_filters.refresh(get_service),
                gr.Radio(visible=llm),
                gr.Radio(visible=llm),
                letters.refresh(current),
                example_samples(get_service),
            )

        blocks.load(
            on_load,
            letters.selected,
            [
                *ask_filters.choice_outputs,
                *search_filters.choice_outputs,
                mode,
                draft_mode,
                letters.listing,
                examples,
            ],
        )
        # Letters may have been uploaded or deleted since the page loaded.
        for tab, filters in ((ask_tab, ask_filters), (search_tab, search_filters)):
            tab.select(_refresher(filters, get_service), None, filters.choice_outputs)
    return blocks


def _refresher(filters: FilterRow, get_service: ServiceGetter) -> Any:
    return lambda: filters.refresh(get_service)


def mount(app: FastAPI, settings: Settings) -> None:
    """Mount the UI at ``/ui``; handlers read ``app.state.service`` per request (built in the lifespan).

    Gradio's upload route is bounded (``max_file_size``; the request as a whole by ``api.security``)
    and its answers carry no absolute path (``ui.uploads.HideUploadPaths``)."""

    def get_service() -> DafuService | None:
        return getattr(app.state, "service", None)

    app.add_middleware(HideUploadPaths, prefix=PATH, root=upload_root())
    gr.mount_gradio_app(
        app,
        build_blocks(get_service),
        path=PATH,
        theme=theme(),
        css=CSS,
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        max_file_size=settings.max_upload_bytes,
    )
