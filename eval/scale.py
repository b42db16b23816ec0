"""``make bench-scale``: how dafu behaves as the archive grows (synthetic letters, ``eval/synth.py``).

Measured in one run, on one machine:
1. **Ingest throughput against the model**: a sample of letters is ingested with the real embedding
   model, and the same texts are embedded directly by the same model; the ratio of the two rates is
   the figure (the absolute rate depends on the machine).
2. For each corpus size (letters are added to the same index, size after size):
   - ingest time of the letters added (see the note on vectors below);
   - re-ingest of the whole unchanged folder, and of one changed letter;
   - a fresh server process: start-up (spawn to ready, model load included), ``POST /v1/ask`` and
     ``POST /v1/search`` p50/p95 in-process (no network), dense-only search p50/p95 on the same
     questions as the baseline, and the process's peak RSS.

Vectors at scale: embedding 100k chunks with the real model takes hours on two cores, so a chunk of the
synthetic letters gets the normalised mean of the real model's vectors of the source sentences it holds
(numbers masked; cached under ``var/cache/``), and a chunk holding none (a header, a salutation) is
embedded whole by the real model; questions are always embedded by the real model. The output says
so. Ingest throughput (1.) always uses the real model on whole chunks.

Run: ``python -m eval.scale --sizes 1000 --sizes 10000``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from rich.console import Console
from rich.table import Table

from eval import synth
from eval.datasets import load_letters, load_other_bureaus
from eval.embed_cache import CachedEmbedding
from eval.metrics import percentile
from eval.report import now_stamp
from index.chunking import embedding_text
from index.embeddings import make_embedder
from rag.settings import PROJECT_ROOT, Settings, get_settings

console = Console()
OTHER_BUREAUS = Path("/work/shared/corpora/other_bureaus/letters")
_SPLIT = re.compile(r"(?<=[。！？；\n])")
_DIGITS = re.compile(r"\d")


class SentenceMeanEmbedding(CachedEmbedding):
    """Passage vectors: the normalised mean of ``inner``'s vectors of the text's sentences (digits
    masked), memoised in ``path``; queries: ``inner`` itself."""

    def __init__(self, inner: BaseEmbedding, path: Path, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", f"{inner.model_name} (sentence means)")
        kwargs.setdefault("embed_batch_size", 256)
        super().__init__(inner, path, **kwargs)

    def prime(self, sentences: list[str]) -> None:
        """Embed the source sentences once (the recombined letters are made of them)."""
        super()._get_text_embeddings(sorted({_DIGITS.sub("0", s) for s in sentences}))

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        # A chunk's vector: the mean of its known sentences' vectors; a chunk with none (a header, a
        # salutation) is embedded whole by the real model.
        keys = [[_DIGITS.sub("0", s) for s in (p.strip() for p in _SPLIT.split(t)) if s] for t in texts]
        parts = [
            [k for k in ks if self.has(k)] or [_DIGITS.sub("0", t)] for ks, t in zip(keys, texts, strict=True)
        ]
        flat = list(dict.fromkeys(k for ks in parts for k in ks))
        vectors = dict(zip(flat, super()._get_text_embeddings(flat), strict=True))
        out = []
        for ks in parts:
            mean = np.mean([vectors[k] for k in ks], axis=0)
            out.append((mean / (np.linalg.norm(mean) or 1.0)).tolist())
        return out


def _settings(data_dir: Path) -> Settings:
    return get_settings().model_copy(update={"data_dir": data_dir, "chroma_url": None})


def _service(data_dir: Path, embedder: BaseEmbedding) -> Any:
    from rag.service import build_service

    return build_service(_settings(data_dir), embedder=embedder)


def measure_throughput(model: BaseEmbedding, pool: synth.Pool, letters: int, work: Path) -> dict[str, float]:
    """Ingest of ``letters`` synthetic letters with the real model, against the same model embedding
    the same texts directly (best of two runs each side, after a warm-up)."""
    folder = work / "throughput-letters"
    synth.write(folder, letters, pool, seed=99)
    probe = _service(work / "throughput-probe", model)
    prepared = [probe.ingestor.prepare(p.name, path=p) for p in sorted(folder.glob("*.txt"))]
    texts = [embedding_text(c, p.document.meta) for p in prepared for c in p.chunks]
    chars = sum(len(t) for t in texts)
    model.get_text_embedding_batch(texts[:8])  # warm-up
    raw, ingest = [], []
    for run in range(2):
        start = time.perf_counter()
        model.get_text_embedding_batch(texts)
        raw.append(time.perf_counter() - start)
        service = _service(work / f"throughput-{run}", model)
        start = time.perf_counter()
        report = service.ingest([folder])
        ingest.append(time.perf_counter() - start)
        assert len(report.added) == letters, report.failed
    return {
        "letters": letters,
        "chunks": len(texts),
        "embedded_chars": chars,
        "raw_chars_per_s": chars / min(raw),
        "ingest_chars_per_s": chars / min(ingest),
        "ratio": min(raw) / min(ingest),
    }


def _questions(count: int) -> list[str]:
    questions = [q.question for q in load_letters().questions]
    if OTHER_BUREAUS.is_dir():
        questions += [q.question for q in load_other_bureaus().questions]
    step = max(1, len(questions) // count)
    return questions[::step][:count]


def serve_and_measure(data_dir: Path, questions: list[str]) -> dict[str, Any]:
    """A fresh process on ``data_dir``: start-up, latencies, peak RSS (``child`` below)."""
    qfile = data_dir.parent / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", "eval.scale", "child", str(data_dir), str(qfile)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    startup = None
    result: dict[str, Any] = {}
    for line in process.stdout:
        if line.strip() == "ready" and startup is None:
            startup = time.perf_counter() - start
        elif line.startswith("{"):
            result = json.loads(line)
    if process.wait() != 0 or startup is None:
        raise click.ClickException(f"the measuring process failed (exit {process.returncode})")
    return {"startup_s": startup, **result}


def child(data_dir: Path, questions_file: Path) -> None:
    """Build the service as ``dafu serve`` does, say ready, measure, print JSON, exit."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from rag.service import build_service

    settings = _settings(data_dir)
    service = build_service(settings)  # as ``dafu serve`` does: the real model embeds the questions
    app = create_app(settings, service=service, ui=False)
    print("ready", flush=True)
    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    client = TestClient(app, base_url="http://127.0.0.1")
    k = settings.top_k

    def timed(fn: Any) -> list[float]:
        fn(questions[0])
        out = []
        for q in questions:
            service.forget_query_vectors()
            start = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - start) * 1000)
        return out

    def ask(q: str) -> None:
        client.post("/v1/ask", json={"question": q, "top_k": k}).raise_for_status()

    def search(q: str) -> None:
        client.post("/v1/search", json={"query": q, "top_k": k}).raise_for_status()

    def embed(q: str) -> None:
        service.embedder.get_query_embedding(q)

    latency = {
        "embed question (model only)": timed(embed),
        "dense search (baseline)": timed(lambda q: service.search(q, k, retrieval="dense")),
        "POST /v1/search": timed(search),
        "POST /v1/ask (extractive)": timed(ask),
    }
    health = client.get("/healthz").json()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = {n: {"p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95)} for n, v in latency.items()}
    print(
        json.dumps(
            {
                "latency": rows,
                "peak_rss_mb": peak,
                "documents": health["documents"],
                "chunks": health["chunks"],
            }
        )
    )


def measure_size(
    service: Any, folder: Path, size: int, pool: synth.Pool, questions: list[str], data_dir: Path
) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    have = len(list(folder.glob("*.txt")))
    for name, text in synth.letters(size, pool, seed=0):
        if int(name.rsplit("_", 1)[1].split(".")[0]) >= have:
            (folder / name).write_text(text, encoding="utf-8")
    start = time.perf_counter()
    added = service.ingest([folder])
    ingest = time.perf_counter() - start
    service.embedder.save()
    start = time.perf_counter()
    again = service.ingest([folder])
    reingest = time.perf_counter() - start
    assert not again.changed, "an unchanged folder was re-indexed"
    changed = folder / sorted(p.name for p in folder.glob("*.txt"))[size // 2]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "本答复补充一句，以测重新收录。\n", encoding="utf-8"
    )
    start = time.perf_counter()
    one = service.ingest([changed])
    one_s = time.perf_counter() - start
    assert one.updated, "the changed letter was not re-indexed"
    service.embedder.save()
    served = serve_and_measure(data_dir, questions)
    return {
        "letters": size,
        "added": len(added.added),
        "ingest_added_s": ingest,
        "reingest_unchanged_s": reingest,
        "reingest_one_changed_s": one_s,
        "disk_mb": disk_mb(data_dir),
        **served,
    }


def disk_mb(folder: Path) -> float:
    """What the data dir takes on disk (Chroma, keyword index, ledger, accounts), in MB."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file()) / 1e6


def chart(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["chunks"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name in ("dense search (baseline)", "POST /v1/search", "POST /v1/ask (extractive)"):
        left.plot(sizes, [r["latency"][name]["p50_ms"] for r in results], marker="o", label=f"{name} p50")
    left.set_xscale("log")
    left.set_xlabel("chunks")
    left.set_ylabel("ms")
    left.legend(fontsize=8)
    left.set_title("latency against corpus size")
    right.plot(sizes, [r["peak_rss_mb"] for r in results], marker="o", label="peak RSS (MB)")
    right.plot(sizes, [r["startup_s"] * 100 for r in results], marker="s", label="start-up (s × 100)")
    right.set_xscale("log")
    right.set_xlabel("chunks")
    right.legend(fontsize=8)
    right.set_title("memory and start-up")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@click.group(invoke_without_command=True)
@click.option("--sizes", multiple=True, type=int, default=(1000, 10000), show_default=True)
@click.option(
    "--throughput-letters", default=20, show_default=True, help="Letters ingested with the real model."
)
@click.option("-n", "count", default=40, show_default=True, help="Questions for the latencies.")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "reports", show_default=True)
@click.option(
    "--keep", type=click.Path(path_type=Path), default=None, help="Work folder to keep (default: a temp one)."
)
@click.pass_context
def main(
    ctx: click.Context,
    sizes: tuple[int, ...],
    throughput_letters: int,
    count: int,
    out: Path,
    keep: Path | None,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    sources = [get_settings().letters_dir] + ([OTHER_BUREAUS] if OTHER_BUREAUS.is_dir() else [])
    pool = synth.pool_of(sources)
    settings = get_settings()
    model = make_embedder(settings.embed_model, settings.embed_batch_size)
    cache = (
        PROJECT_ROOT
        / "var"
        / "cache"
        / f"scale-sentences-{hashlib.sha1(settings.embed_model.encode()).hexdigest()[:8]}.npz"
    )
    work = keep or Path(tempfile.mkdtemp(prefix="dafu-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with console.status(f"入库吞吐：{throughput_letters} 封信，真实模型…"):
            throughput = measure_throughput(model, pool, throughput_letters, work)
        console.print(
            f"ingest {throughput['ingest_chars_per_s']:.0f} chars/s vs the model alone "
            f"{throughput['raw_chars_per_s']:.0f} chars/s: ratio {throughput['ratio']:.2f}"
        )
        embedder = SentenceMeanEmbedding(model, cache)
        embedder.prime([*pool.statements, *pool.promises])
        data_dir = work / "data"
        service = _service(data_dir, embedder)
        questions = _questions(count)
        results = []
        for size in sorted(sizes):
            with console.status(f"{size} 封信：收录、重新收录、启动、延迟…"):
                results.append(measure_size(service, work / "letters", size, pool, questions, data_dir))
            r = results[-1]
            console.print(
                f"{size} letters ({r['chunks']} chunks): ingest {r['ingest_added_s']:.0f} s, re-ingest unchanged "
                f"{r['reingest_unchanged_s']:.1f} s, one changed {r['reingest_one_changed_s']:.2f} s, start-up "
                f"{r['startup_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, disk {r['disk_mb']:.0f} MB"
            )
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    table = Table(
        "letters", "chunks", "measure", "p50 ms", "p95 ms", "p50 / dense p50", title="dafu bench-scale"
    )
    for r in results:
        base = r["latency"]["dense search (baseline)"]["p50_ms"]
        for name, v in r["latency"].items():
            table.add_row(
                str(r["letters"]),
                str(r["chunks"]),
                name,
                f"{v['p50_ms']:.1f}",
                f"{v['p95_ms']:.1f}",
                f"{v['p50_ms'] / base:.2f}×",
            )
    console.print(table)
    console.print(
        "[dim]chunk vectors at these sizes: mean of the real model's sentence vectors (cached); "
        "questions embedded by the real model; ingest throughput measured with the real model.[/dim]"
    )
    out.mkdir(parents=True, exist_ok=True)
    stamp = now_stamp().replace(":", "").replace("-", "")
    path = out / f"{stamp}-bench-scale.json"
    payload = {
        "throughput": throughput,
        "sizes": results,
        "vectors": "chunk vectors: normalised mean of the real model's sentence vectors (digits masked), cached; "
        "questions: real model",
        "machine": {"cpus": os.cpu_count()},
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    chart(results, path.with_suffix(".png"))
    console.print(f"结果已写入 {path}（图 {path.with_suffix('.png').name}）")


@main.command("child", hidden=True)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("questions_file", type=click.Path(path_type=Path))
def _child(data_dir: Path, questions_file: Path) -> None:
    child(data_dir, questions_file)


if __name__ == "__main__":
    main()
