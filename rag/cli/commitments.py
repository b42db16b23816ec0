"""`dafu commitments`: what the letters promised, what later letters report, which figures moved."""

from __future__ import annotations

import json

import click
from rich.table import Table

from rag.cli import app
from rag.ledger.model import STATUS_WORDS, STATUSES, LedgerFilters


@click.command()
@click.option("--topic", help="Only commitments whose topic or text holds these words.")
@click.option("--year", type=int, help="Only commitments of letters of this year.")
@click.option("--doc-id", help="Only commitments of this letter.")
@click.option("--doc-number", help="Only commitments of the letter with this 文号.")
@click.option("--status", type=click.Choice(STATUSES), help="Only commitments with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (commitments and changed figures).")
def commitments(
    topic: str | None, year: int | None, doc_id: str | None, doc_number: str | None, status: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """List the commitments of the indexed letters with their follow-through in later letters, and the
    figures two letters state differently."""
    svc = app.service()
    filters = LedgerFilters.model_validate(
        {"topic": topic, "year": year, "doc_id": doc_id, "doc_number": doc_number, "status": status}
    )
    entries = svc.commitments(filters)
    changes = svc.figure_changes(doc_id)
    if as_json:
        out = {
            "commitments": [e.model_dump(mode="json") for e in entries],
            "changed_figures": [c.model_dump(mode="json") for c in changes],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"承诺 {len(entries)} 条")
    for name in ("文号", "主题", "承诺", "状态", "依据"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        c = entry.commitment
        evidence = "\n".join(f"{e.doc_number or e.doc_id}：{e.quote}" for e in entry.evidence)
        table.add_row(c.doc_number or c.doc_id, c.topic, c.quote, STATUS_WORDS[entry.status], evidence or "—")
    app.console.print(table)
    if changes:
        figures = Table(title=f"前后不一致的数字 {len(changes)} 处")
        for name in ("事项", "较早", "较新"):
            figures.add_column(name, overflow="fold")
        for ch in changes:
            figures.add_row(
                ch.subject,
                f"{ch.earlier_value}（{ch.earlier.doc_number or ch.earlier.doc_id}）：{ch.earlier.quote}",
                f"{ch.later_value}（{ch.later.doc_number or ch.later.doc_id}）：{ch.later.quote}",
            )
        app.console.print(figures)
