"""What every tab shares: the service handle, error mapping and the clickable-HTML glue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from rag import vocabulary
from rag.errors import DafuError
from rag.service import DafuService
from ui import render

log = logging.getLogger(__name__)

# The service is built in the FastAPI lifespan, after ``mount`` ran, so tabs look it up per request.
ServiceGetter = Callable[[], DafuService | None]

NOT_READY = "服务正在启动（加载模型和索引），请稍候几秒再试。"
UNEXPECTED = "处理时出现内部错误，请重试；若仍失败，请查看服务日志并联系管理员。"

ALL = "全部"
KINDS = [ALL, *vocabulary.KINDS]

# A click on any element carrying data-cite inside the HTML sends its index to Python.
CLICK_CITE_JS = """
element.addEventListener('click', (event) => {
  const el = event.target.closest('[data-cite]');
  if (el) trigger('click', {cite: Number(el.dataset.cite)});
});
"""

# The conversation: a citation sends its index, a 👍/👎 button its "turn:up|down".
CONVERSATION_JS = """
element.addEventListener('click', (event) => {
  const fb = event.target.closest('[data-feedback]');
  if (fb) { trigger('click', {feedback: fb.dataset.feedback}); return; }
  const el = event.target.closest('[data-cite]');
  if (el) trigger('click', {cite: Number(el.dataset.cite)});
});
"""

# After each new letter is rendered, bring the highlighted quote into view (inner box and page).
SCROLL_TO_MARK_JS = f"""
const reveal = () => {{
  const mark = element.querySelector('#{render.QUOTE_ID}');
  if (mark) requestAnimationFrame(() => mark.scrollIntoView({{block: 'center'}}));
}};
watch('value', reveal);
reveal();
"""

VIEWER_HINT = render.notice("点击上方的引用或段落，在此查看答复函原文，引文会高亮显示。", "info")


class ServiceMissing(Exception):
    """Raised inside handlers while the service is not built yet."""


def need(get_service: ServiceGetter) -> DafuService:
    svc = get_service()
    if svc is None:
        raise ServiceMissing
    return svc


def message_for(exc: Exception) -> str:
    """The user-facing Chinese message for an exception raised by a handler."""
    if isinstance(exc, DafuError):
        return str(exc)
    if isinstance(exc, ServiceMissing):
        return NOT_READY
    log.exception("UI handler failed", exc_info=exc)
    return UNEXPECTED


def viewer(elem_id: str) -> gr.HTML:
    """A letter viewer that scrolls its highlighted quote into view whenever it changes."""
    return gr.HTML(
        VIEWER_HINT,
        elem_id=elem_id,
        elem_classes=["dafu-viewer"],
        js_on_load=SCROLL_TO_MARK_JS,
        max_height=560,
    )


def clickable(elem_id: str) -> gr.HTML:
    return gr.HTML("", elem_id=elem_id, js_on_load=CLICK_CITE_JS)


def open_target(get_service: ServiceGetter, targets: list[dict[str, Any]], index: int) -> str:
    """The letter behind the clicked citation, with the quote highlighted."""
    try:
        t = targets[index]
    except (IndexError, TypeError):
        return render.notice("这条引用已过期，请重新提问后再点击。", "warn")
    try:
        doc = need(get_service).document(str(t["doc_id"]))
    except Exception as exc:
        return render.notice(message_for(exc))
    return render.letter_html(doc, t)


def filter_choices(svc: DafuService) -> tuple[list[str], list[str]]:
    """Years and 文号 present in the corpus, for the filter dropdowns."""
    infos = svc.documents()
    years = sorted({str(i.meta.year) for i in infos if i.meta.year}, reverse=True)
    numbers = sorted({i.meta.doc_number for i in infos if i.meta.doc_number})
    return [ALL, *years], [ALL, *numbers]
