"""`dafu search|ask`: passages and cited answers from the command line."""

from __future__ import annotations

import click

from rag.cli import app
from rag.service import RETRIEVALS


@click.command()
@click.argument("query")
@app.top_k_option()
@click.option("--mode", type=click.Choice(RETRIEVALS), default="hybrid", show_default=True)
@app.filter_options
def search(
    query: str, top_k: int | None, mode: str, year: int | None, kind: str | None, doc_number: str | None
) -> None:
    """Top passages with 文号, section and score."""
    hits = app.service().search(query, top_k, app.filters_of(year, kind, doc_number), retrieval=mode)
    if not hits:
        app.console.print("没有找到相关段落。")
    for n, hit in enumerate(hits, start=1):
        app.console.print(f"[bold]{n}. {hit.doc_number or hit.title or hit.doc_id}[/bold]  {hit.section}  "
                          f"[dim]score {hit.score:.3f}  [{hit.start}:{hit.end}][/dim]")  # fmt: skip
        app.console.print(f"   {hit.text}")


@click.command()
@click.argument("question")
@app.top_k_option()
@click.option("--mode", type=click.Choice(["extractive", "llm"]), default="extractive", show_default=True)
@app.filter_options
def ask(
    question: str, top_k: int | None, mode: str, year: int | None, kind: str | None, doc_number: str | None
) -> None:
    """Answer a question with cited passages."""
    answer = app.service().ask(question, top_k, app.filters_of(year, kind, doc_number), mode)
    app.console.print(f"[bold]{'答' if answer.found else '未找到'}[/bold]：{answer.answer}")
    for n, c in enumerate(answer.citations, start=1):
        app.console.print(
            f"[{n}] {c.doc_number or c.title}  {c.section}  [dim][{c.start}:{c.end}][/dim]\n    “{c.quote}”"
        )
    if answer.unsupported:
        app.console.print(f"[yellow]未在引文中找到：{'、'.join(answer.unsupported)}[/yellow]")
    if answer.rewritten:
        app.console.print(
            f"[yellow]大模型的以下表述与所引原文不符，已改为原文引用或删去：{'；'.join(answer.rewritten)}[/yellow]"
        )
    if not answer.found and answer.hits:
        app.console.print("最相近的段落：")
        for hit in answer.hits[:3]:
            app.console.print(f"  - {hit.doc_number or hit.title}  {hit.section}：{hit.text[:80]}…")
