"""The 文档 (Letters) tab: the indexed letters, upload with progress, delete with confirmation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import FileTooLarge
from rag.service import DafuService
from ui import render
from ui.common import VIEWER_HINT, ServiceGetter, message_for, need

STATUS_WORDS = {"added": "已收录", "updated": "已更新", "unchanged": "内容未变，无需重新索引"}

# A click on a row of the letter list sends its doc_id to Python.
CLICK_ROW_JS = """
element.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-doc]');
  if (row) trigger('click', {doc: row.dataset.doc});
});
"""


def upload_files(svc: DafuService, paths: list[str], progress: gr.Progress) -> tuple[list[str], list[str]]:
    """Index each file on its own, so one bad file neither stops nor undoes the others.

    Returns (report lines, paths that failed: left in the upload box to fix and retry).
    """
    lines: list[str] = []
    failed: list[str] = []
    limit = svc.settings.max_upload_bytes
    for done, path in enumerate(paths):
        name = Path(path).name
        progress((done, len(paths)), desc=f"正在索引 {name}", unit="个文件")
        try:
            data = Path(path).read_bytes()
            if len(data) > limit:
                raise FileTooLarge(
                    f"文件超过上传上限 {limit // (1024 * 1024)} MB。请拆分文件或联系管理员调整 DAFU_MAX_UPLOAD_BYTES。"
                )
            doc_id, status = svc.upload(name, data)
        except Exception as exc:
            failed.append(path)
            lines.append(f"❌ 未能收录 {name}：{message_for(exc)}")
            continue
        lines.append(f"✅ {name}：{STATUS_WORDS.get(status, status)}（编号 {doc_id}）")
    progress((len(paths), len(paths)), desc="完成", unit="个文件")
    return lines, failed


def _status(lines: list[str], failed: bool) -> str:
    body = "".join(f"<li>{escape(line)}</li>" for line in lines)
    kind = "error" if failed else "info"
    return f'<div class="dafu-notice dafu-{kind}" role="status"><ul>{body}</ul></div>'


@dataclass
class LettersTab:
    tab: gr.Tab
    listing: gr.HTML
    selected: gr.State
    refresh: Callable[[str], str]  # the list's HTML, with the given doc_id highlighted


def build_letters_tab(get_service: ServiceGetter) -> LettersTab:
    with gr.Tab("文档", id="letters") as tab:
        with gr.Accordion("上传答复函", open=True):
            files = gr.File(
                label="选择文件（.txt、.md、.docx、.doc、.wps、.pdf、.ofd、扫描图片，可多选）",
                file_count="multiple",
                height=130,
                elem_id="letters-files",
            )
            upload = gr.Button("上传并索引", variant="primary", elem_id="letters-upload")
            status = gr.HTML("", elem_id="letters-status")
        gr.Markdown("**已收录的答复函**：点击一行查看原文，或选中后删除。")
        listing = gr.HTML("", elem_id="letters-list", js_on_load=CLICK_ROW_JS)
        selected = gr.State("")
        with gr.Row():
            chosen = gr.Textbox(label="已选文档", interactive=False, scale=4, elem_id="letters-chosen")
            delete = gr.Button("删除所选", variant="stop", scale=1, min_width=110, elem_id="letters-delete")
        with gr.Row(visible=False, elem_id="letters-confirm") as confirm_row:
            confirm_text = gr.Markdown()
            confirm = gr.Button("确认删除", variant="stop", min_width=110, elem_id="letters-confirm-yes")
            cancel = gr.Button("取消", min_width=90, elem_id="letters-confirm-no")
        delete_note = gr.HTML("", elem_id="letters-delete-status")
        letter = gr.HTML(VIEWER_HINT, elem_id="letters-viewer", elem_classes=["dafu-viewer"], max_height=560)

    def refresh(current: str) -> str:
        try:
            return render.documents_html(need(get_service).documents(), current)
        except Exception as exc:
            return render.notice(message_for(exc))

    def pick(evt: gr.EventData) -> tuple[str, str, str, str, Any, str]:
        doc_id = str(getattr(evt, "doc", ""))
        try:
            svc = need(get_service)
            doc = svc.document(doc_id)
            label = f"{doc.meta.doc_number or doc.meta.title or doc.source}（{doc_id}）"
            return doc_id, label, render.letter_html(doc), refresh(doc_id), gr.Row(visible=False), ""
        except Exception as exc:
            return "", "", render.notice(message_for(exc)), refresh(""), gr.Row(visible=False), ""

    def ask_confirm(doc_id: str, label: str) -> tuple[Any, str, str]:
        if not doc_id:
            return gr.Row(visible=False), "", render.notice("请先在列表中点击要删除的文档。", "warn")
        return gr.Row(visible=True), f"确定删除 **{label}** 吗？删除后不可恢复，需重新上传。", ""

    def remove(doc_id: str, label: str) -> tuple[str, str, str, str, Any, str]:
        try:
            need(get_service).delete(doc_id)
            note = render.notice(f"已删除 {label}。", "info")
        except Exception as exc:
            note = render.notice(message_for(exc))
        return "", "", note, refresh(""), gr.Row(visible=False), VIEWER_HINT

    def do_upload(paths: list[str] | None, current: str, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        if not paths:
            return render.notice("请先选择要上传的文件。", "warn"), refresh(current), paths
        try:
            lines, failed = upload_files(need(get_service), paths, progress)
        except Exception as exc:
            return render.notice(message_for(exc)), refresh(current), paths
        return _status(lines, bool(failed)), refresh(current), failed or None

    tab.select(refresh, selected, listing)
    listing.click(pick, None, [selected, chosen, letter, listing, confirm_row, delete_note])
    delete.click(ask_confirm, [selected, chosen], [confirm_row, confirm_text, delete_note])
    cancel.click(lambda: gr.Row(visible=False), None, confirm_row)
    confirm.click(remove, [selected, chosen], [selected, chosen, delete_note, listing, confirm_row, letter])
    upload.click(do_upload, [files, selected], [status, listing, files])
    return LettersTab(tab, listing, selected, refresh)
