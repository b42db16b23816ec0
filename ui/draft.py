"""The 起草 (Draft) tab: a reply letter drafted from a new proposal, as Markdown and .docx."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag.draft.docx import write_docx
from rag.draft.model import Draft
from rag.service import DafuService
from rag.vocabulary import KINDS
from ui import render
from ui.common import ALL, VIEWER_HINT, ServiceGetter, clickable, message_for, need, open_target, viewer

EMPTY = "请粘贴提案或建议全文，或上传提案文件（.txt、.md、.docx、.doc、.wps、.pdf、.ofd 或扫描图片）。"
AUTO = "自动识别"
MODES = {"离线（摘录原文）": "offline", "大模型润色（保留引文）": "llm"}


def call_draft(svc: DafuService, text: str, mode: str, fields: dict[str, str]) -> Draft:
    """The one call into the drafting service; empty fields are left for it to read from the text."""
    given = {k: v.strip() if v and v.strip() and v not in (ALL, AUTO) else None for k, v in fields.items()}
    return svc.draft(
        text,
        mode=mode,
        proposer=given.get("proposer"),
        session=given.get("session"),
        number=given.get("number"),
        kind=given.get("kind"),
    )


def save_docx(result: Draft) -> Path:
    """The .docx in a fresh temp folder, named after the draft for the browser's download."""
    folder = Path(tempfile.mkdtemp(prefix="dafu-draft-"))
    name = "".join(ch for ch in (result.title or "答复函草稿") if ch not in '\\/:*?"<>|')[:60]
    path = folder / f"{name or '答复函草稿'}.docx"
    path.write_bytes(write_docx(result))
    return path


def summary_html(result: Draft) -> tuple[str, list[render.Target]]:
    """The draft's citations as clickable cards, to verify each quote against its letter."""
    targets = [render.target(c) for c in result.citations]
    cards = [render.cite_card(n, n - 1, c) for n, c in enumerate(result.citations, start=1)]
    if not cards:
        return render.notice("草稿没有引用已收录的答复函，请人工补充依据。", "warn"), []
    return '<div class="dafu-subhead">点击引用，在下方查看原文：</div>' + "".join(cards), targets


def build_draft_tab(get_service: ServiceGetter, read: Callable[[object], tuple[str, bytes]]) -> gr.Radio:
    """``read``: a path the page sent -> (file name, bytes), refusing anything Gradio did not upload."""
    with gr.Tab("起草", id="draft"):
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                text = gr.Textbox(
                    label="提案 / 建议全文",
                    lines=12,
                    max_lines=30,
                    placeholder="粘贴新收到的提案或建议全文……",
                    elem_id="draft-text",
                )
                upload = gr.File(
                    label="或上传提案文件",
                    file_count="single",
                    height=130,
                    elem_id="draft-file",
                )
                with gr.Row():
                    proposer = gr.Textbox(label="提案人（可选）", min_width=140)
                    session = gr.Textbox(
                        label="届次（可选）", placeholder="市政协十二届四次会议", min_width=200
                    )
                with gr.Row():
                    number = gr.Textbox(label="编号（可选）", placeholder="87", min_width=140)
                    kind = gr.Dropdown([AUTO, *KINDS], value=AUTO, label="类别", min_width=140)
                mode = gr.Radio(list(MODES), value=next(iter(MODES)), label="起草方式", visible=False)
                submit = gr.Button("起草答复函", variant="primary", elem_id="draft-submit")
            with gr.Column(scale=1, min_width=320):
                status = gr.HTML("", elem_id="draft-status")
                download = gr.File(label="下载 .docx", visible=False, interactive=False, elem_id="draft-docx")
                output = gr.Markdown(elem_id="draft-output", elem_classes=["dafu-draft"])
                with gr.Accordion("核对引文（点击引用查看原文）", open=False, elem_id="draft-check"):
                    sources = clickable("draft-sources")
                    letter = viewer("draft-letter")
        targets = gr.State([])

    def load_file(path: str | None) -> tuple[Any, str]:
        if not path:
            return gr.Textbox(), ""
        try:
            name, data = read(path)
            return need(get_service).proposal_text(name, data), ""
        except Exception as exc:
            return gr.Textbox(), render.notice(message_for(exc))

    def run(body: str, who: str, when: str, num: str, what: str, how: str | None) -> tuple[Any, ...]:
        failed: tuple[Any, ...] = ("", gr.File(visible=False), [], VIEWER_HINT)
        if not body.strip():
            return render.notice(EMPTY, "warn"), "", *failed
        try:
            svc = need(get_service)
            fields = {"proposer": who, "session": when, "number": num, "kind": what}
            result = call_draft(svc, body, MODES.get(how or "", "offline"), fields)
            path = save_docx(result)
        except Exception as exc:
            return render.notice(message_for(exc)), "", *failed
        html, found = summary_html(result)
        notes = ["草稿已生成。请逐条核对引文和数字，补全待填写内容后再使用。"]
        kind = "info"
        if result.placeholders:
            notes.append(f"待补全：{'、'.join(result.placeholders)}")
            kind = "warn"
        note = render.notice("".join(notes), kind)
        return html, result.markdown, note, gr.File(value=str(path), visible=True), found, VIEWER_HINT

    def show(current: list[render.Target], evt: gr.EventData) -> str:
        return open_target(get_service, current, int(getattr(evt, "cite", -1)))

    upload.upload(load_file, upload, [text, status])
    submit.click(
        run,
        [text, proposer, session, number, kind, mode],
        [sources, output, status, download, targets, letter],
    )
    sources.click(show, targets, letter)
    return mode
