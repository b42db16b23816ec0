"""``dafu eval``: run the evaluation sets side by side, write reports, or compare two runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eval import compare as comparing
from eval import drcd, report
from eval.commitments import HEADER, LedgerScore, score_ledger
from eval.commitments import rows as ledger_rows
from eval.conversations import load_conversations
from eval.datasets import DEFAULT_DRCD, DEFAULT_OTHER, load_drcd, load_letters, load_other_bureaus
from eval.suite import SetResult, corpus_service, run_conversations, run_drcd, run_letters, union_calibration
from rag.settings import PROJECT_ROOT, get_settings

console = Console()
if not console.is_terminal:
    console.width = max(console.width, 200)  # a report piped to a file keeps whole column names


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    with Progress(
        TextColumn(f"[bold]{label}"), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


@click.command("eval")
@click.option(
    "--set", "which", type=click.Choice(["letters", "other", "drcd", "commitments", "all"]), default="all",
    show_default=True,
    help="letters: the sample letters; other: other bureaus' letters; drcd: the DRCD dev set; "
         "commitments: the commitments ledger of both letter sets (also part of letters, other and all).",
)  # fmt: skip
@click.option("--chunk-size", type=int, default=None, help="Chunk size of the indexes built for the run.")
@click.option("--limit", type=int, default=None, help="Only the first N questions of each set.")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "reports", show_default=True)
@click.option("--compare", "runs", nargs=2, type=click.Path(exists=True, path_type=Path), default=None,
              help="Compare two earlier runs (their .json reports) instead of running.")  # fmt: skip
@click.option(
    "--quick", is_flag=True, help="No llama-index baseline, no separate ask timing, DRCD sample of 200."
)
@click.option("--other-path", envvar="DAFU_OTHER_BUREAUS_PATH", type=click.Path(path_type=Path),
              default=DEFAULT_OTHER, show_default=True,
              help="The other-bureaus corpus (letters/*.txt, manifest.jsonl) of the other and conversations sets; "
                   "skipped when absent.")  # fmt: skip
@click.option("--drcd-path", envvar="DAFU_DRCD_PATH", type=click.Path(path_type=Path), default=DEFAULT_DRCD,
              show_default=True, help="DRCD_dev.zh-hans.json; the set is skipped when it is absent.")  # fmt: skip
@click.option("--drcd-paragraphs", type=int, default=None,
              help="Index only the first N DRCD paragraphs and ask only their questions (default: all 1000).")  # fmt: skip
@click.option("--label", default=None, help="Name of the report files (default: the sets run).")
@click.option("--llm", is_flag=True,
              help="LLM mode beside the extractive answers (hybrid), on the letter sets, with the endpoint "
                   "DAFU_LLM_BASE_URL names.")  # fmt: skip
@click.option("--sample", type=int, default=None,
              help="Only N answerable questions of each letter set (stratified by type) and all unanswerable ones.")  # fmt: skip
def eval_cmd(
    which: str,
    chunk_size: int | None,
    limit: int | None,
    out: Path,
    runs: tuple[Path, Path] | None,
    quick: bool,
    other_path: Path,
    drcd_path: Path,
    drcd_paragraphs: int | None,
    label: str | None,
    llm: bool,
    sample: int | None,
) -> None:
    """Evaluate retrieval, answers and refusals: lexical, dense, hybrid and the llama-index baseline."""
    if runs:
        _compare(*runs)
        return
    settings = get_settings()
    if llm:
        if not settings.llm_base_url:
            raise click.ClickException(
                "未配置大模型：请设置 DAFU_LLM_BASE_URL（或运行 `dafu llm serve`）后再运行 dafu eval --llm。"
            )
        which = "letters-other" if which == "all" else which
        if which == "drcd":
            raise click.ClickException("--llm 只评测答复函两个评测集：请用 --set letters、other 或 all。")
    if chunk_size:
        settings = settings.model_copy(update={"chunk_size": chunk_size})
    sets: list[SetResult] = []
    embedder = None  # loaded once, shared by every index of the run
    ledgers: list[LedgerScore] = []
    if which in ("letters", "conversations", "commitments", "all", "letters-other"):
        with corpus_service(settings) as service:
            embedder = service.embedder
            if which in ("letters", "commitments", "all"):
                ledgers.append(score_ledger(service, "letters"))
            if which in ("letters", "all", "letters-other"):
                with _progress("letters") as progress:
                    sets.append(
                        run_letters(service, load_letters(), quick=quick, limit=limit, progress=progress,
                                    llm=llm, sample=sample)
                    )  # fmt: skip
            if which in ("conversations", "all"):
                with _progress("conversations") as progress:
                    conversations = load_conversations(corpus="letters")[:limit]
                    sets.append(run_conversations(service, conversations, progress=progress))
    if which in ("other", "conversations", "commitments", "all", "letters-other"):
        if not (other_path / "letters").is_dir():
            console.print(
                f"[yellow]跳过其他单位答复函：找不到 {other_path / 'letters'}。"
                "如需评测，请把 DAFU_OTHER_BUREAUS_PATH 设为该语料的目录（含 letters/ 与 manifest.jsonl）。[/yellow]"
            )
        else:
            corpus = (
                load_other_bureaus(other_path)
                if which in ("other", "commitments", "all", "letters-other")
                else None
            )
            paths = corpus.paths if corpus else (other_path / "letters",)
            with corpus_service(settings, paths, embedder) as service:
                embedder = service.embedder
                if which in ("other", "commitments", "all"):
                    ledgers.append(score_ledger(service, "other_bureaus"))
                if corpus is not None and which != "commitments":
                    with _progress("other") as progress:
                        sets.append(
                            run_letters(service, corpus, quick=quick, limit=limit, progress=progress,
                                        llm=llm, sample=sample)
                        )  # fmt: skip
                if which in ("conversations", "all"):
                    with _progress("conversations-other") as progress:
                        conversations = load_conversations(corpus="other_bureaus")[:limit]
                        sets.append(
                            run_conversations(
                                service, conversations, name="conversations-other_bureaus", progress=progress
                            )
                        )
    if which in ("drcd", "all"):
        if not drcd_path.exists():
            console.print(
                f"[yellow]跳过 DRCD：找不到 {drcd_path}。如需评测，请把 DAFU_DRCD_PATH 设为 DRCD_dev.zh-hans.json 的路径。[/yellow]"
            )
        else:
            corpus = load_drcd(drcd_path, drcd_paragraphs)
            with _progress("DRCD index") as progress:
                service = drcd.drcd_service(
                    corpus, settings, progress=lambda n, d, t: progress("ingest", d, t)
                )
            sample = limit or (drcd.QUICK_SAMPLE if quick else drcd.DEFAULT_SAMPLE)
            with _progress("DRCD") as progress:
                sets.append(run_drcd(service, corpus, baseline=not quick, limit=sample, progress=progress))
    if ledgers:
        console.print(
            _table("commitments ledger against eval/data/commitments.jsonl", HEADER, ledger_rows(ledgers))
        )
    if not sets:
        if ledgers:
            return
        raise click.ClickException("没有可运行的评测集。请检查 --set 选项和评测数据的路径。")
    run = {
        "label": label or ("quick-" if quick else "") + ("llm-" if llm else "") + "-".join(s.name for s in sets),
        "timestamp": report.now_stamp(),
        "settings": {"chunk_size": settings.chunk_size, "embed_model": settings.embed_model,
                     "fusion": settings.fusion, "top_k": settings.top_k,
                     "refusal_threshold": settings.refusal_threshold,
                     **({"llm_model": settings.llm_model, "llm_base_url": settings.llm_base_url,
                         "llm_max_tokens": settings.llm_max_tokens, "llm_may_refuse": settings.llm_may_refuse}
                        if llm else {})},
        "sets": [s.to_json() for s in sets],
        "calibration": union_calibration(sets, settings.refusal_threshold),
        "commitments": [s.to_json() for s in ledgers],
    }  # fmt: skip
    _print(run)
    path = report.write(run, out)
    console.print(f"报告已写入 {path.with_suffix('.md')}（另有 .json、.png）")


def _print(run: dict[str, Any]) -> None:
    for s in run["sets"]:
        console.print(report.rich_table(f"{s['name']}（{s['questions']} 题）", s["summary"]))
        for note in s["notes"]:
            console.print(f"  [dim]{note}[/dim]")
        if s["per_type"]:
            console.print(_per_type_table(s["per_type"]))
        if s["calibration"]:
            _lines(report.calibration_lines(s["calibration"]))
        if s["metadata"]:
            console.print(_table("metadata against the manifest", report.METADATA_HEADER,
                                 report.metadata_rows(s["metadata"])))  # fmt: skip
    if run["calibration"]:
        console.print(f"[bold]refusal threshold on {' + '.join(run['calibration']['sets'])}[/bold]")
        _lines(report.calibration_lines(run["calibration"]))
    console.print(_table("all sets side by side", *report.overview(run["sets"])))


def _lines(lines: list[str]) -> None:
    for line in lines:
        if line:
            console.print(line)


def _table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(*header, title=title)
    for row in rows:
        table.add_row(*row)
    return table


def _per_type_table(per_type: dict[str, dict[str, Any]]) -> Table:
    types = sorted({t for v in per_type.values() for t in v})
    table = Table("config", *types, title="answer accuracy by type (n)")
    for config, values in per_type.items():
        table.add_row(
            config, *(f"{values[t]['acc']:.2f} ({values[t]['n']})" if t in values else "—" for t in types)
        )
    return table


def _compare(a: Path, b: Path) -> None:
    changes = comparing.compare(comparing.load(a), comparing.load(b))
    table = Table("set", "config", "id", "question", str(a.name), str(b.name), "")
    for c in sorted(changes, key=lambda c: (c.set, c.config, not c.better, c.id)):
        mark = "[green]better[/green]" if c.better else "[red]worse[/red]"
        table.add_row(c.set, c.config, c.id, c.question[:40], c.before, c.after, mark)
    if changes:
        console.print(table)
    console.print(comparing.summary_line(changes))
