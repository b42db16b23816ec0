"""The ``dafu`` command line."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.errors import DafuError
from rag.settings import Settings, get_settings
from rag.types import Filters

console = Console()


def _service(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from rag.service import build_service

    with console.status("加载模型和索引…"):
        return build_service(settings or get_settings())


class _Group(click.Group):
    """Maps domain errors to a one-line message and exit code 1, once for every command."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DafuError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """dafu 答复: question answering and drafting over official reply letters."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def ingest_with_progress(svc, paths: list[Path]):  # type: ignore[no-untyped-def]
    with Progress(
        TextColumn("[bold]索引"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=name)

        return svc.ingest(paths, progress)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def ingest(paths: tuple[Path, ...]) -> None:
    """Index letter files or folders (.txt .md .docx .pdf)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"路径不存在：{', '.join(missing)}")
    svc = _service()
    report = ingest_with_progress(svc, list(paths))
    console.print(
        f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，失败 {len(report.failed)}"
    )
    for name, message in report.failed:
        console.print(f"[red]失败[/red] {name}: {message}")
    if report.failed:
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docs(as_json: bool) -> None:
    """List indexed documents with their metadata."""
    infos = _service().documents()
    if as_json:
        click.echo(json.dumps([i.model_dump() for i in infos], ensure_ascii=False, indent=2))
        return
    table = Table()
    for name in ("ID", "文号", "类别", "提出人", "日期", "标题", "段数"):
        # Fold rather than truncate: a 文号 cut to "温科提复…" is useless.
        table.add_column(name, overflow="fold")
    for info in infos:
        m = info.meta
        table.add_row(info.doc_id, m.doc_number or "—", m.kind or "—", m.proposer or "—", m.date or "—",
                      m.title or info.source, str(info.chunks))  # fmt: skip
        for article in m.articles:
            table.add_row("", "", "文章", article.author, "", f"  《{article.title}》", "")
    console.print(table)


@cli.command()
@click.argument("doc_id")
def show(doc_id: str) -> None:
    """Show a document's metadata and canonical text."""
    doc = _service().document(doc_id)
    meta = doc.meta.model_dump(exclude_defaults=True)
    for key, value in meta.items():
        if key != "articles":
            console.print(f"[bold]{key}[/bold]: {value}")
    for article in doc.meta.articles:
        console.print(
            f"[bold]article[/bold]: {article.title}（{article.author}）[{article.start}:{article.end}]"
        )
    console.rule()
    click.echo(doc.text)


@cli.command()
@click.argument("doc_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rm(doc_id: str, yes: bool) -> None:
    """Remove a document from every index."""
    svc = _service()
    doc = svc.document(doc_id)
    if not yes:
        click.confirm(f"删除 {doc_id}（{doc.meta.doc_number or doc.meta.title}）？", abort=True)
    svc.delete(doc_id)
    console.print(f"已删除 {doc_id}")


def _filters(year: int | None, kind: str | None, doc_number: str | None) -> Filters | None:
    f = Filters(year=year, kind=kind, doc_number=doc_number)
    return None if f.is_empty() else f


_filter_options = [
    click.option("--year", type=int, help="Only letters of this year."),
    click.option("--kind", type=click.Choice(["政协提案", "人大建议"]), help="Only this kind of letter."),
    click.option("--doc-number", help="Only this 文号."),
]


def _with_filters(f):  # type: ignore[no-untyped-def]
    for option in reversed(_filter_options):
        f = option(f)
    return f


@cli.command()
@click.argument("query")
@click.option("-k", "--top-k", default=5, show_default=True)
@click.option(
    "--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True
)
@_with_filters
def search(
    query: str, top_k: int, mode: str, year: int | None, kind: str | None, doc_number: str | None
) -> None:
    """Top passages with 文号, section and score."""
    svc = _service()
    retriever = {"hybrid": svc.hybrid, "dense": svc.dense, "lexical": svc.lexical_retriever}[mode]
    hits = retriever.retrieve(svc._check_text(query, "检索内容"), top_k, _filters(year, kind, doc_number))
    if not hits:
        console.print("没有找到相关段落。")
    for n, hit in enumerate(hits, start=1):
        console.print(f"[bold]{n}. {hit.doc_number or hit.title or hit.doc_id}[/bold]  {hit.section}  "
                      f"[dim]score {hit.score:.3f}  [{hit.start}:{hit.end}][/dim]")  # fmt: skip
        console.print(f"   {hit.text}")


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", default=5, show_default=True)
@click.option("--mode", type=click.Choice(["extractive", "llm"]), default="extractive", show_default=True)
@_with_filters
def ask(
    question: str, top_k: int, mode: str, year: int | None, kind: str | None, doc_number: str | None
) -> None:
    """Answer a question with cited passages."""
    answer = _service().ask(question, top_k, _filters(year, kind, doc_number), mode)
    console.print(f"[bold]{'答' if answer.found else '未找到'}[/bold]：{answer.answer}")
    for n, c in enumerate(answer.citations, start=1):
        console.print(
            f"[{n}] {c.doc_number or c.title}  {c.section}  [dim][{c.start}:{c.end}][/dim]\n    “{c.quote}”"
        )
    if answer.unsupported:
        console.print(f"[yellow]未在引文中找到：{'、'.join(answer.unsupported)}[/yellow]")
    if not answer.found and answer.hits:
        console.print("最相近的段落：")
        for hit in answer.hits[:3]:
            console.print(f"  - {hit.doc_number or hit.title}  {hit.section}：{hit.text[:80]}…")


@cli.command()
@click.option("--host", envvar="DAFU_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="DAFU_PORT", default=8000, show_default=True, type=int)
@click.option(
    "--ingest-default/--no-ingest-default", default=True, help="Index the sample letters when needed."
)
def serve(host: str, port: int, ingest_default: bool) -> None:
    """Serve the HTTP API and the UI (at /ui)."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    if ingest_default:
        svc = _service(settings)
        if settings.letters_dir.exists():
            report = ingest_with_progress(svc, [settings.letters_dir])
            if report.changed:
                console.print(f"已索引示例答复函：新增 {len(report.added)}，更新 {len(report.updated)}")
        app = create_app(settings, service=svc)
    else:
        app = create_app(settings)
    console.print(f"dafu 服务已启动：API http://{host}:{port}/docs  界面 http://{host}:{port}/ui")
    uvicorn.run(app, host=host, port=port, log_level="info")


def _register_optional() -> None:
    """Command groups that live in their own modules."""
    import importlib

    for module, name in (("rag.cli_llm", "llm"), ("eval.cli", "eval_cmd"), ("rag.cli_draft", "draft")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        cli.add_command(getattr(mod, name))


_register_optional()


def main() -> None:
    cli()
