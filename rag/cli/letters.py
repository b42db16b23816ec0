"""`dafu ingest|docs|show|rm`: the indexed letters."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from rag.cli import app


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Replace letters indexed from another file under the same id (e.g. a.txt by a.docx).",
)
@click.option(
    "--label", default=None, help="Access label of the files ingested (公开, or a group such as 内部)."
)
def ingest(paths: tuple[Path, ...], replace: bool, label: str | None) -> None:
    """Index letter files or folders (.txt .md .docx .doc .wps .pdf .ofd, scanned
    images). A file indexed before under the same name
    is updated when it changed; another file that maps to an indexed letter's id needs --replace."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"路径不存在：{', '.join(missing)}")
    report = app.ingest_with_progress(app.service(), list(paths), replace=replace, label=label)
    app.console.print(
        f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，失败 {len(report.failed)}"
    )
    for name, message in report.failed:
        app.console.print(f"[red]失败[/red] {name}: {message}")
    if report.failed:
        sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docs(as_json: bool) -> None:
    """List indexed documents with their metadata."""
    infos = app.service().documents()
    if as_json:
        click.echo(json.dumps([i.model_dump() for i in infos], ensure_ascii=False, indent=2))
        return
    table = Table()
    for name in ("ID", "文号", "类别", "提出人", "日期", "标题", "段数", "标签"):
        # Fold rather than truncate: a 文号 cut in half is useless.
        table.add_column(name, overflow="fold")
    for info in infos:
        m = info.meta
        table.add_row(info.doc_id, m.doc_number or "—", m.kind or "—", m.proposer or "—", m.date or "—",
                      m.title or info.source, str(info.chunks), info.label)  # fmt: skip
        for article in m.articles:
            table.add_row("", "", "文章", article.author, "", f"  《{article.title}》", "", "")
    app.console.print(table)


@click.command()
@click.argument("doc_id")
def show(doc_id: str) -> None:
    """Show a document's metadata and canonical text."""
    doc = app.service().document(doc_id)
    meta = doc.meta.model_dump(exclude_defaults=True)
    for key, value in meta.items():
        if key != "articles":
            app.console.print(f"[bold]{key}[/bold]: {value}")
    for article in doc.meta.articles:
        app.console.print(
            f"[bold]article[/bold]: {article.title}（{article.author}）[{article.start}:{article.end}]"
        )
    app.console.rule()
    click.echo(doc.text)


@click.command()
@click.argument("doc_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rm(doc_id: str, yes: bool) -> None:
    """Remove a document from every index."""
    svc = app.service()
    doc = svc.document(doc_id)
    if not yes:
        click.confirm(f"删除 {doc_id}（{doc.meta.doc_number or doc.meta.title}）？", abort=True)
    svc.delete(doc_id)
    app.console.print(f"已删除 {doc_id}")
