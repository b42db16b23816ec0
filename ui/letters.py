"""The 文档 (Letters) tab: the indexed letters, upload with progress, delete with confirmation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from rag.access.model import Role
from rag.service import DafuService
from ui import render
from ui.common import VIEWER_HINT, ServiceGetter, message_for, need

Reader = Callable[[object], tuple[str, bytes]]  # a path from the page -> (file name, bytes)

STATUS_WORDS = {"added": "已收录", "updated": "已更新", "unchanged": "内容未变，无需重新索引"}

# A click on a row of the letter list sends its doc_id to Python.
CLICK_ROW_JS = """
element.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-doc]');
  if (row) trigger('click', {doc: row.dataset.doc});
});
"""


def upload_files(
    svc: DafuService,
    paths: list[str],
    progress: gr.Progress,
    *,
    read: Reader,
    replace: bool = False,
    label: str | None = None,
) -> tuple[list[str], list[str], bool]:
    """Index each file on its own, so one bad file neither stops nor undoes the others.

    ``read`` turns a path the page sent into (name, bytes), refusing anything Gradio did not upload.
    Returns (report lines, uploaded files that failed: left in the upload box to fix and retry,
    whether anything failed).
    """
    lines: list[str] = []
    failed: list[str] = []
    failed_any = False
    for done, path in enumerate(paths):
        name = Path(str(path)).name
        progress((done, len(paths)), desc=f"正在索引 {name}", unit="个文件")
        try:
            name, data = read(path)
        except Exception as exc:  # not a file the upload box sent: nothing to leave in the box
            lines.append(f"❌ 未能收录 {name}：{message_for(exc)}")
            failed_any = True
            continue
        try:
            doc_id, status = svc.upload(name, data, replace=replace, label=label or None)
        except Exception as exc:
            failed.append(path)
            lines.append(f"❌ 未能收录 {name}：{message_for(exc)}")
            continue
        lines.append(f"✅ {name}：{STATUS_WORDS.get(status, status)}（编号 {doc_id}）")
    progress((len(paths), len(paths)), desc="完成", unit="个文件")
    return lines, failed, failed_any or bool(failed)


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
    role_outputs: list[Any]  # what only editors and admins see, and the labels they may give
    for_role: Callable[[DafuService | None], tuple[Any, ...]]


def build_letters_tab(get_service: ServiceGetter, read: Reader) -> LettersTab:
    with gr.Tab("文档", id="letters") as tab:
        with gr.Accordion("上传答复函", open=True, visible=False) as upload_box:
            files = gr.File(
                label="选择文件（.txt、.md、.docx、.doc、.wps、.pdf、.ofd、扫描图片，可多选）",
                file_count="multiple",
                height=130,
                elem_id="letters-files",
            )
            replace = gr.Checkbox(
                False,
                label="替换同名文档（已收录同一编号的文档时，用新文件替换它）",
                elem_id="letters-replace",
            )
            label = gr.Dropdown(
                [], label="访问标签（公开：所有人可见；组名：仅该组成员可见）", elem_id="letters-label"
            )
            upload = gr.Button("上传并索引", variant="primary", elem_id="letters-upload")
            status = gr.HTML("", elem_id="letters-status")
        gr.Markdown("**已收录的答复函**：点击一行查看原文，或选中后删除。")
        listing = gr.HTML("", elem_id="letters-list", js_on_load=CLICK_ROW_JS)
        selected = gr.State("")
        confirming = gr.State("")  # the doc_id whose deletion the user was asked to confirm
        with gr.Row(visible=False) as manage_row:
            chosen = gr.Textbox(label="已选文档", interactive=False, scale=4, elem_id="letters-chosen")
            new_label = gr.Dropdown([], label="改为访问标签", scale=2, elem_id="letters-new-label")
            relabel = gr.Button("修改标签", scale=1, min_width=100, elem_id="letters-relabel")
            delete = gr.Button("删除所选", variant="stop", scale=1, min_width=110, elem_id="letters-delete")
        with gr.Row(visible=False, elem_id="letters-confirm") as confirm_row:
            confirm_text = gr.Markdown()
            confirm = gr.Button("确认删除", variant="stop", min_width=110, elem_id="letters-confirm-yes")
            cancel = gr.Button("取消", min_width=90, elem_id="letters-confirm-no")
        delete_note = gr.HTML("", elem_id="letters-delete-status")
        letter = gr.HTML(VIEWER_HINT, elem_id="letters-viewer", elem_classes=["dafu-viewer"], max_height=560)

    def for_role(svc: DafuService | None) -> tuple[Any, ...]:
        editor = svc is not None and svc.who.role.allows(Role.EDITOR)
        labels = svc.labels() if editor and svc is not None else []
        default = svc.accounts.default_label if svc is not None else None
        chosen_label = default if default in labels else (labels[0] if labels else None)
        return (
            gr.Accordion(visible=editor),
            gr.Row(visible=editor),
            gr.Dropdown(choices=labels, value=chosen_label),
            gr.Dropdown(choices=labels, value=None),
        )

    def change_label(doc_id: str, new: str | None, current: str) -> tuple[str, str]:
        if not doc_id or not new:
            return render.notice("请先在列表中点击一个文档，再选择新的访问标签。", "warn"), refresh(current)
        try:
            doc = need(get_service).set_label(doc_id, new)
            note = render.notice(f"已把 {doc_id} 的访问标签改为“{doc.label}”。", "info")
        except Exception as exc:
            note = render.notice(message_for(exc))
        return note, refresh(current)

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

    def ask_confirm(doc_id: str, label: str) -> tuple[Any, str, str, str]:
        if not doc_id:
            return gr.Row(visible=False), "", render.notice("请先在列表中点击要删除的文档。", "warn"), ""
        return gr.Row(visible=True), f"确定删除 **{label}** 吗？删除后不可恢复，需重新上传。", "", doc_id

    def remove(doc_id: str, label: str, asked: str) -> tuple[str, str, str, str, Any, str, str]:
        # Only the letter the user was asked about, after "确认删除"; the service checks the rest.
        if not doc_id or doc_id != asked:
            note = render.notice("请先在列表中选择要删除的文档，再点击“删除所选”并确认。", "warn")
            return doc_id, label, note, refresh(doc_id), gr.Row(visible=False), VIEWER_HINT, ""
        try:
            need(get_service).delete(doc_id)
            note = render.notice(f"已删除 {label}。", "info")
        except Exception as exc:
            note = render.notice(message_for(exc))
        return "", "", note, refresh(""), gr.Row(visible=False), VIEWER_HINT, ""

    def do_upload(
        paths: list[str] | None,
        swap: bool,
        access: str | None,
        current: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple:
        if not paths:
            return render.notice("请先选择要上传的文件。", "warn"), refresh(current), paths
        if not isinstance(paths, list):
            paths = [paths]
        try:
            lines, failed, any_failed = upload_files(
                need(get_service), paths, progress, read=read, replace=bool(swap), label=access
            )
        except Exception as exc:
            return render.notice(message_for(exc)), refresh(current), None
        return _status(lines, any_failed), refresh(current), failed or None

    tab.select(refresh, selected, listing)
    listing.click(pick, None, [selected, chosen, letter, listing, confirm_row, delete_note])
    delete.click(ask_confirm, [selected, chosen], [confirm_row, confirm_text, delete_note, confirming])
    cancel.click(lambda: (gr.Row(visible=False), ""), None, [confirm_row, confirming])
    confirm.click(
        remove,
        [selected, chosen, confirming],
        [selected, chosen, delete_note, listing, confirm_row, letter, confirming],
    )
    upload.click(do_upload, [files, replace, label, selected], [status, listing, files])
    relabel.click(change_label, [selected, new_label, selected], [delete_note, listing])
    return LettersTab(tab, listing, selected, refresh, [upload_box, manage_row, label, new_label], for_role)
