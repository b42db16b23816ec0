"""The 问答 (Ask) and 检索 (Search) tabs: answers with clickable citations, ranked passages."""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag.types import Filters
from ui import render
from ui.common import (
    ALL,
    KINDS,
    VIEWER_HINT,
    ServiceGetter,
    clickable,
    filter_choices,
    message_for,
    need,
    open_target,
    viewer,
)

MODES = {"抽取式（原文摘句）": "extractive", "大模型生成（附引文核对）": "llm"}
EXAMPLES = ["中国眼谷引进注册企业多少家？", "对科技型中小企业有哪些支持政策？"]


def _filters(year: str | None, kind: str | None, doc_number: str | None) -> Filters | None:
    f = Filters(
        year=int(year) if year and year != ALL else None,
        kind=kind if kind and kind != ALL else None,
        doc_number=doc_number.strip() if doc_number and doc_number.strip() != ALL else None,
    )
    return None if f.is_empty() else f


class FilterRow:
    """Year, kind and 文号 filters; their choices come from the corpus when the tab is shown."""

    def __init__(self) -> None:
        with gr.Row(equal_height=True):
            self.year = gr.Dropdown([ALL], value=ALL, label="年份", min_width=120)
            self.kind = gr.Dropdown(KINDS, value=ALL, label="类别", min_width=140)
            self.doc_number = gr.Dropdown(
                [ALL], value=ALL, label="文号", allow_custom_value=True, min_width=220, scale=2
            )

    @property
    def inputs(self) -> list[gr.components.Component]:
        return [self.year, self.kind, self.doc_number]

    @property
    def choice_outputs(self) -> list[gr.components.Component]:
        """The dropdowns whose choices :meth:`refresh` returns."""
        return [self.year, self.doc_number]

    def refresh(self, get_service: ServiceGetter) -> tuple[Any, Any]:
        try:
            years, numbers = filter_choices(need(get_service))
        except Exception:
            # Filters stay at 全部 until the service is up; asking still reports why.
            return gr.Dropdown(), gr.Dropdown()
        return gr.Dropdown(choices=years), gr.Dropdown(choices=numbers)


def build_ask_tab(get_service: ServiceGetter) -> tuple[gr.Tab, FilterRow, gr.Radio]:
    with gr.Tab("问答", id="ask") as tab:
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                label="问题",
                placeholder="例如：中国眼谷引进注册企业多少家？",
                lines=2,
                max_lines=6,
                scale=5,
                min_width=300,
                elem_id="ask-question",
            )
            submit = gr.Button("提问", variant="primary", scale=1, min_width=100, elem_id="ask-submit")
        filters = FilterRow()
        mode = gr.Radio(list(MODES), value=next(iter(MODES)), label="回答方式", visible=False)
        gr.Examples(EXAMPLES, inputs=question, label="示例问题")
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                answer = clickable("ask-answer")
            with gr.Column(scale=1, min_width=320):
                letter = viewer("ask-letter")
        targets = gr.State([])

    def ask(
        q: str, year: str, kind: str, doc_number: str, mode_label: str | None
    ) -> tuple[str, list[render.Target], str]:
        try:
            result = need(get_service).ask(
                q, filters=_filters(year, kind, doc_number), mode=MODES.get(mode_label or "", "extractive")
            )
        except Exception as exc:
            return render.notice(message_for(exc)), [], VIEWER_HINT
        html, found = render.answer_html(result)
        return html, found, VIEWER_HINT

    def show(current: list[render.Target], evt: gr.EventData) -> str:
        return open_target(get_service, current, int(getattr(evt, "cite", -1)))

    inputs = [question, *filters.inputs, mode]
    gr.on([submit.click, question.submit], ask, inputs, [answer, targets, letter])
    answer.click(show, targets, letter)
    return tab, filters, mode


def build_search_tab(get_service: ServiceGetter) -> tuple[gr.Tab, FilterRow]:
    with gr.Tab("检索", id="search") as tab:
        with gr.Row(equal_height=True):
            query = gr.Textbox(
                label="检索内容", placeholder="关键词或一句话", scale=5, min_width=300, elem_id="search-query"
            )
            top_k = gr.Slider(1, 20, value=8, step=1, label="返回段落数", scale=2, min_width=160)
            submit = gr.Button("检索", variant="primary", scale=1, min_width=100, elem_id="search-submit")
        filters = FilterRow()
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                results = clickable("search-results")
            with gr.Column(scale=1, min_width=320):
                letter = viewer("search-letter")
        targets = gr.State([])

    def search(
        q: str, k: float, year: str, kind: str, doc_number: str
    ) -> tuple[str, list[render.Target], str]:
        try:
            hits = need(get_service).search(q, int(k), _filters(year, kind, doc_number))
        except Exception as exc:
            return render.notice(message_for(exc)), [], VIEWER_HINT
        html, found = render.hits_html(hits)
        return html, found, VIEWER_HINT

    def show(current: list[render.Target], evt: gr.EventData) -> str:
        return open_target(get_service, current, int(getattr(evt, "cite", -1)))

    gr.on([submit.click, query.submit], search, [query, top_k, *filters.inputs], [results, targets, letter])
    results.click(show, targets, letter)
    return tab, filters
