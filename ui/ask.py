"""The 问答 (Ask) and 检索 (Search) tabs: a conversation with clickable citations, ranked passages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from rag.chat.model import Resolved, Turn
from rag.types import Filters
from ui import render
from ui.common import (
    ALL,
    CONVERSATION_JS,
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
# Shown until the letters' own examples are read (``example_questions``): they fit any corpus.
EXAMPLES = ["一共答复了哪些提案和建议？", "最近一年答复了哪些建议？"]


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


def example_samples(get_service: ServiceGetter) -> Any:
    """The example questions written from the indexed letters, once the service is up."""
    try:
        questions = need(get_service).example_questions()
    except Exception:
        return gr.Dataset()
    return gr.Dataset(samples=[[q] for q in questions or EXAMPLES])


def build_ask_tab(get_service: ServiceGetter) -> tuple[gr.Tab, FilterRow, gr.Radio, gr.Dataset]:
    """A conversation: every turn stays on screen with its citations (clickable to the highlighted
    passage) and 有用/没用 (👍/👎); a follow-up is understood against the earlier turns; 新对话 starts over."""
    with gr.Tab("问答", id="ask") as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                answer = gr.HTML(
                    render.conversation_html([])[0], elem_id="ask-answer", js_on_load=CONVERSATION_JS
                )
                with gr.Row(visible=False, elem_id="ask-feedback") as comment_row:
                    comment = gr.Textbox(
                        label="补充说明（可选）",
                        placeholder="例如：数字不对，应为…",
                        scale=4,
                        elem_id="ask-comment",
                    )
                    send = gr.Button("提交说明", scale=1, min_width=100, elem_id="ask-comment-submit")
                feedback_status = gr.HTML("", elem_id="ask-feedback-status")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label="问题",
                        placeholder="输入问题，例如某项工作的数字、某封答复函的文号或提出人（可以接着追问）",
                        lines=2,
                        max_lines=6,
                        scale=5,
                        min_width=240,
                        elem_id="ask-question",
                    )
                    with gr.Column(scale=1, min_width=100):
                        submit = gr.Button("提问", variant="primary", elem_id="ask-submit")
                        restart = gr.Button("新对话", variant="secondary", elem_id="ask-new")
                filters = FilterRow()
                mode = gr.Radio(list(MODES), value=next(iter(MODES)), label="回答方式", visible=False)
                examples = gr.Examples(EXAMPLES, inputs=question, label="示例问题")
            with gr.Column(scale=1, min_width=320):
                letter = viewer("ask-letter")
        conversation = gr.State("")  # its id, once the first answer is stored
        turns = gr.State([])  # render.TurnView per answered turn
        targets = gr.State([])
        rated = gr.State(-1)  # the turn whose rating a comment explains

    def ask(
        q: str, year: str, kind: str, doc_number: str, mode_label: str | None, cid: str, done: list[Any]
    ) -> Iterator[tuple[Any, ...]]:
        def frame(pending: str = "", **changes: Any) -> tuple[Any, ...]:
            html, found = render.conversation_html(done, pending)
            return (html, found, changes.get("cid", cid), done, changes.get("question", gr.update()))

        try:
            events = need(get_service).chat_stream(
                q, cid or None, mode=MODES.get(mode_label or "", "extractive"),
                filters=_filters(year, kind, doc_number),
            )  # fmt: skip
            understood, text = "", ""
            yield frame(render.pending_html(q))
            for event in events:
                if isinstance(event, Resolved):
                    understood = event.resolved
                elif isinstance(event, Turn):
                    done = [*done, render.turn_view(event)]
                    yield frame(cid=event.conversation_id, question="")
                    return
                else:
                    text += event
                yield frame(render.pending_html(q, understood, text))
        except Exception as exc:
            yield frame(render.pending_html(q, message=render.notice(message_for(exc))))

    def clicked(
        current: list[render.Target], done: list[Any], cid: str, evt: gr.EventData
    ) -> tuple[Any, ...]:
        """A citation opens its letter; 有用/没用 records the rating and offers a comment."""
        feedback = str(getattr(evt, "feedback", "") or "")
        if not feedback:
            return open_target(get_service, current, int(getattr(evt, "cite", -1))), *[gr.update()] * 5
        index, _, name = feedback.partition(":")
        rating = 1 if name == "up" else -1
        try:
            view = done[int(index)]
            need(get_service).rate(view["turn_id"], rating)
        except Exception as exc:
            status = render.notice(message_for(exc) if not isinstance(exc, (IndexError, ValueError))
                                   else "这条回答已不在当前对话中，请重新提问后再评价。")  # fmt: skip
            return gr.update(), gr.update(), status, gr.update(), gr.update(), gr.update()
        done = [*done[: int(index)], {**view, "rating": rating}, *done[int(index) + 1 :]]
        status = render.notice(
            f"已记录“{'有用' if rating == 1 else '没用'}”，谢谢！可以在下方补充说明。", "info"
        )
        html, _ = render.conversation_html(done)
        return gr.update(), html, status, gr.Row(visible=True), int(index), done

    def explain(text: str, index: int, done: list[Any]) -> tuple[Any, ...]:
        try:
            view = done[index]
            need(get_service).rate(view["turn_id"], int(view.get("rating") or -1), text)
        except Exception as exc:
            return render.notice(message_for(exc) if not isinstance(exc, (IndexError, TypeError))
                                 else "请先点击“有用”或“没用”再补充说明。"), gr.update(), gr.update()  # fmt: skip
        return render.notice("说明已保存，谢谢！", "info"), gr.Row(visible=False), ""

    def start_over() -> tuple[Any, ...]:
        html, _ = render.conversation_html([])
        return html, [], "", [], VIEWER_HINT, gr.Row(visible=False), "", -1

    inputs = [question, *filters.inputs, mode, conversation, turns]
    gr.on([submit.click, question.submit], ask, inputs, [answer, targets, conversation, turns, question])
    answer.click(
        clicked, [targets, turns, conversation], [letter, answer, feedback_status, comment_row, rated, turns]
    )
    send.click(explain, [comment, rated, turns], [feedback_status, comment_row, comment])
    restart.click(
        start_over, None, [answer, targets, conversation, turns, letter, comment_row, feedback_status, rated]
    )
    return tab, filters, mode, examples.dataset


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
