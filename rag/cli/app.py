"""The root ``dafu`` group and what its commands share: the console, the service, filters, progress."""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from index.ingest import IngestReport
from rag.access.model import Principal, Role
from rag.errors import DafuError
from rag.service import DafuService, build_service
from rag.settings import Settings, get_settings
from rag.types import Filters
from rag.vocabulary import KINDS

console = Console()


class DafuGroup(click.Group):
    """Maps domain errors to a one-line message and exit code 1, once for every command."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DafuError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=DafuGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """dafu 答复: question answering and drafting over official reply letters."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def cli_principal() -> Principal:
    """The command line is run by the operator of this machine (who can read the data dir anyway)."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = "?"
    return Principal(name=f"cli:{who}", role=Role.ADMIN, via="cli")


def service(settings: Settings | None = None) -> DafuService:
    """The service acting for the operator of the command line (sees all; recorded in the audit trail)."""
    with console.status("加载模型和索引…"):
        return build_service(settings or get_settings()).acting_as(cli_principal())


def ingest_with_progress(
    svc: DafuService, paths: list[Path], *, replace: bool = False, label: str | None = None
) -> IngestReport:
    """Ingest with a progress bar (files done, files per second, time left). Interrupted (Ctrl-C), the
    letters committed so far stay indexed and the next run goes on from there: unchanged files are
    skipped on a hash."""
    started = time.monotonic()
    with Progress(
        TextColumn("[bold]索引"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(), TextColumn("{task.description}"),
        console=console, transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None, rate="")

        def progress(name: str, done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            rate = f"{done / elapsed:.1f} 个/秒" if done and elapsed > 0 else ""
            bar.update(task, completed=done, total=total, description=name, rate=rate)

        try:
            return svc.ingest(paths, progress, replace=replace, label=label)
        except KeyboardInterrupt:
            bar.stop()
            console.print(
                "[yellow]已中断[/yellow]：已提交的文件保留在索引中；再次运行同一命令会跳过它们，从中断处继续。"
            )
            raise SystemExit(130) from None


def top_k_option(help: str = "Passages to use (default: DAFU_TOP_K).") -> Callable[[Any], Any]:
    return click.option("-k", "--top-k", type=click.IntRange(1, 50), default=None, help=help)


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--year, --kind and --doc-number; the command receives them as ``filters: Filters | None``."""
    options = [
        click.option("--year", type=int, help="Only letters of this year."),
        click.option("--kind", type=click.Choice(KINDS), help="Only this kind of letter."),
        click.option("--doc-number", help="Only this 文号."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def filters_of(year: int | None, kind: str | None, doc_number: str | None) -> Filters | None:
    f = Filters(year=year, kind=kind, doc_number=doc_number)
    return None if f.is_empty() else f
