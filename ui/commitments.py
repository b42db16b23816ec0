"""The 承诺 (Commitments) tab: what the letters promised, grouped by topic, with the status in later
letters; every promise and every piece of evidence opens its letter with the passage highlighted; the
figures two letters state differently, both passages clickable."""

from __future__ import annotations

from html import escape
from typing import Any

import gradio as gr

from rag.ledger.model import STATUS_WORDS, Entry, FigureChange, LedgerFilters
from rag.types import Citation, Commitment
from ui import render
from ui.common import ALL, ServiceGetter, clickable, filter_choices, message_for, need, open_target, viewer

STATUS_CHOICES = [(ALL, ALL)] + [(words, status) for status, words in STATUS_WORDS.items()]


def promise_citation(c: Commitment) -> Citation:
    return Citation(
        doc_id=c.doc_id, doc_number=c.doc_number, title=c.title, section=c.section, quote=c.quote,
        start=c.start, end=c.end, score=0.0,
    )  # fmt: skip


def _cell(index: int, c: Citation, text: str | None = None) -> str:
    label = escape(c.doc_number or c.title or c.doc_id)
    return (
        f'<button type="button" class="dafu-cite" data-cite="{index}" title="查看原文">'
        f"<b>{label}</b>"
        f'<span class="dafu-quote-text">“{escape(text or c.quote)}”</span></button>'
    )


def ledger_html(entries: list[Entry], changes: list[FigureChange]) -> tuple[str, list[render.Target]]:
    """A table per topic (promise, status, evidence), then the changed figures; the targets of every
    clickable passage, in the order of their ``data-cite`` indexes."""
    targets: list[render.Target] = []

    def cite(c: Citation) -> int:
        targets.append(render.target(c))
        return len(targets) - 1

    if not entries and not changes:
        return render.notice("没有符合条件的承诺。请放宽筛选条件，或先在“文档”页收录答复函。", "info"), []
    topics: dict[str, list[Entry]] = {}
    for entry in entries:
        topics.setdefault(entry.commitment.topic or "其他", []).append(entry)
    parts = [f'<p class="dafu-ledger-count">共 {len(entries)} 条承诺，{len(topics)} 个主题。</p>']
    for topic, group in topics.items():
        rows = []
        for entry in group:
            promise = promise_citation(entry.commitment)
            evidence = "".join(_cell(cite(e), e) for e in entry.evidence) or "—"
            rows.append(
                f'<tr data-status="{entry.status}"><td>{_cell(cite(promise), promise)}</td>'
                f'<td class="dafu-status dafu-{entry.status}">{STATUS_WORDS[entry.status]}</td>'
                f"<td>{evidence}</td></tr>"
            )
        parts.append(
            f'<h4 class="dafu-topic">{escape(topic)}</h4><table class="dafu-ledger">'
            "<thead><tr><th>承诺</th><th>落实情况</th><th>依据（此后的答复）</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    if changes:
        rows = [
            f"<tr><td>{escape(ch.subject)}</td>"
            f"<td>{_cell(cite(ch.earlier), ch.earlier, f'{ch.earlier_value}：{ch.earlier.quote}')}</td>"
            f"<td>{_cell(cite(ch.later), ch.later, f'{ch.later_value}：{ch.later.quote}')}</td></tr>"
            for ch in changes
        ]
        parts.append(
            '<h4 class="dafu-topic">前后不一致的数字</h4><table class="dafu-ledger dafu-figures">'
            "<thead><tr><th>事项</th><th>较早的答复</th><th>较新的答复</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return "".join(parts), targets


def build_commitments_tab(get_service: ServiceGetter) -> gr.Tab:
    with gr.Tab("承诺", id="commitments") as tab:
        gr.Markdown(
            "此前答复中**承诺过什么**、后来的答复**是否报告落实**，以及前后答复中**不一致的数字**。点击任一段落查看原文。"
        )
        with gr.Row():
            topic = gr.Textbox(
                label="主题或关键词", placeholder="如：三张清单、眼谷", scale=3, elem_id="ledger-topic"
            )
            year = gr.Dropdown([ALL], value=ALL, label="答复年份", scale=1, elem_id="ledger-year")
            status = gr.Dropdown(
                STATUS_CHOICES, value=ALL, label="落实情况", scale=1, elem_id="ledger-status"
            )
            show = gr.Button("查询", variant="primary", scale=1, min_width=90, elem_id="ledger-show")
        table = clickable("ledger-table")
        targets = gr.State([])
        letter = viewer("ledger-viewer")

    def load(words: str, year_value: str, status_value: str) -> tuple[str, list[render.Target]]:
        try:
            svc = need(get_service)
            filters = LedgerFilters.model_validate(
                {
                    "topic": (words or "").strip() or None,
                    "year": int(year_value) if year_value and year_value != ALL else None,
                    "status": None if status_value in (None, ALL) else status_value,
                }
            )
            return ledger_html(svc.commitments(filters), svc.figure_changes())
        except Exception as exc:
            return render.notice(message_for(exc)), []

    def years() -> Any:
        try:
            return gr.Dropdown(choices=filter_choices(need(get_service))[0])
        except Exception:
            return gr.Dropdown(choices=[ALL])

    def open_passage(items: list[render.Target], evt: gr.EventData) -> str:
        return open_target(get_service, items, int(getattr(evt, "cite", -1)))

    # One queue for both loads: the table opening the tab shows can never land after (and over) the
    # answer to a query the user made meanwhile.
    tab.select(years, None, year).then(
        load, [topic, year, status], [table, targets], concurrency_id="ledger-load"
    )
    show.click(load, [topic, year, status], [table, targets], concurrency_id="ledger-load")
    topic.submit(load, [topic, year, status], [table, targets])
    table.click(open_passage, targets, letter)
    return tab
