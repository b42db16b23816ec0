"""``make bench``: ingest throughput, ask and search latency, peak memory on the sample letters, and
OCR accuracy and speed on the letters of both corpora rendered as scans.

Latencies are compared with dense-only search measured in the same run on the same questions, so the
ratios hold on a slower or busier machine even when the absolute numbers do not.
Run: ``python -m eval.bench [-n 50]``.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from api.app import create_app
from eval.datasets import load_letters
from eval.metrics import percentile
from eval.report import now_stamp
from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT, get_settings

console = Console()


def _timed(fn: Callable[[str], object], questions: list[str], service: DafuService) -> list[float]:
    fn(questions[0])  # warm-up: first-call costs (lazy loads) are not latency
    out = []
    for q in questions:
        service.forget_query_vectors()  # every measure embeds its question, as a first ask does
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure_ingest(folder: Path) -> tuple[DafuService, dict[str, float]]:
    """A full index of the sample letters into an empty data dir (model loading not counted)."""
    settings = get_settings().model_copy(update={"data_dir": folder, "chroma_url": None})
    service = build_service(settings)
    start = time.perf_counter()
    report = service.ingest([settings.letters_dir])
    seconds = time.perf_counter() - start
    chars = sum(info.chars for info in service.documents())
    return service, {
        "documents": len(report.added),
        "chars": chars,
        "seconds": seconds,
        "chars_per_s": chars / seconds,
    }


def measure_latency(service: DafuService, questions: list[str]) -> dict[str, list[float]]:
    k = service.settings.top_k
    client = TestClient(create_app(service.settings, service=service, ui=False), base_url="http://127.0.0.1")

    def ask(q: str) -> None:
        response = client.post("/v1/ask", json={"question": q, "top_k": k})
        response.raise_for_status()

    return {
        "dense search (baseline)": _timed(
            lambda q: service.search(q, k, retrieval="dense"), questions, service
        ),
        "lexical search": _timed(lambda q: service.search(q, k, retrieval="lexical"), questions, service),
        "hybrid search": _timed(lambda q: service.search(q, k, retrieval="hybrid"), questions, service),
        "POST /v1/ask (extractive)": _timed(ask, questions, service),
    }


OTHER_BUREAUS = Path("/work/shared/corpora/other_bureaus/letters")


def measure_ocr(pages_per_letter: int | None) -> dict[str, dict[str, float]]:
    """OCR of the letters of both corpora rendered as scans (eval/scans.py): CER and pages/minute
    on the threads the service uses (DAFU_OCR_THREADS, 2)."""
    from eval.scans import measure_ocr as measure

    threads = get_settings().ocr_threads
    out = {}
    for folder in (get_settings().letters_dir, OTHER_BUREAUS):
        if folder.is_dir():
            score = measure(folder, pages_per_letter=pages_per_letter, threads=threads)
            out[folder.name] = {
                "letters": score.letters,
                "pages": score.pages,
                "chars": score.chars,
                "cer": score.cer,
                "pages_per_minute": score.pages_per_minute,
                "threads": threads,
            }
    return out


@click.command()
@click.option("-n", "count", default=50, show_default=True, help="Questions from letters_qa.jsonl.")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "reports", show_default=True)
@click.option(
    "--ocr-pages", type=int, default=None, help="OCR only the first N pages of each letter (default: all)."
)
def main(count: int, out: Path, ocr_pages: int | None) -> None:
    questions = [q.question for q in load_letters().questions[:count]]
    with tempfile.TemporaryDirectory(prefix="dafu-bench-") as folder:
        with console.status("索引示例答复函…"):
            service, ingest = measure_ingest(Path(folder))
        with console.status(f"测量 {len(questions)} 个问题的延迟…"):
            latency = measure_latency(service, questions)
    with console.status("文字识别：渲染为扫描件的答复函…"):
        ocr = measure_ocr(ocr_pages)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = percentile(latency["dense search (baseline)"], 50)
    table = Table(
        "measure", "p50 ms", "p95 ms", "p50 / dense p50", title=f"dafu bench ({len(questions)} questions)"
    )
    rows = {}
    for name, values in latency.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        rows[name] = {"p50_ms": p50, "p95_ms": p95, "ratio_to_dense": p50 / base}
        table.add_row(name, f"{p50:.1f}", f"{p95:.1f}", f"{p50 / base:.2f}×")
    console.print(table)
    console.print(
        f"ingest: {ingest['documents']:.0f} documents, {ingest['chars']:.0f} chars in {ingest['seconds']:.1f} s "
        f"= {ingest['chars_per_s']:.0f} chars/s; peak RSS {peak_mb:.0f} MB"
    )
    for corpus, score in ocr.items():
        console.print(
            f"OCR {corpus}: {score['letters']:.0f} letters, {score['pages']:.0f} pages, CER {score['cer']:.2%}, "
            f"{score['pages_per_minute']:.1f} pages/min on {score['threads']:.0f} threads"
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{now_stamp().replace(':', '').replace('-', '')}-bench.json"
    result = {
        "questions": len(questions),
        "ingest": ingest,
        "latency": rows,
        "peak_rss_mb": peak_mb,
        "ocr": ocr,
    }
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"结果已写入 {path}")


if __name__ == "__main__":
    main()
