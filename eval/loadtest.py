"""``make loadtest``: a real ``dafu serve`` process on loopback under N concurrent clients.

Each client loops for ``--seconds``: it sends one request (80% ask, 15% search, 5% draft, drawn from
the eval questions and proposals), waits for the answer, and sends the next (no think time). Printed
per client count and kind: requests, errors (any non-2xx or transport failure), p50/p95/p99 and max
latency, and the asks and searches that ran while a draft was in flight.

Bounded: loopback only, a fixed duration per round, a per-request timeout; the server is stopped at
the end. ``--server-root`` measures another checkout's server (e.g. the main branch, for a baseline).
Run: ``python -m eval.loadtest --clients 8 --clients 32 --seconds 60``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
import httpx

from eval.metrics import percentile
from rag.settings import PROJECT_ROOT

MIX = (("ask", 0.80), ("search", 0.15), ("draft", 0.05))
HOST = "127.0.0.1"
TIMEOUT = 120.0


@dataclass(frozen=True)
class Sample:
    kind: str
    start: float
    end: float
    status: int  # 0: transport error

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _questions() -> list[str]:
    path = PROJECT_ROOT / "eval" / "data" / "letters_qa.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def _proposals() -> list[str]:
    path = PROJECT_ROOT / "eval" / "data" / "drafts.jsonl"
    return [json.loads(line)["proposal"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _request(
    client: httpx.Client, kind: str, rng: random.Random, questions: list[str], proposals: list[str]
) -> int:
    if kind == "ask":
        body = {"question": rng.choice(questions)}
        return client.post("/v1/ask", json=body).status_code
    if kind == "search":
        return client.post("/v1/search", json={"query": rng.choice(questions)}).status_code
    return client.post("/v1/draft", json={"proposal": rng.choice(proposals)}).status_code


def run_round(base: str, clients: int, seconds: float, seed: int = 0) -> list[Sample]:
    """``clients`` threads in a closed loop for ``seconds``; requests in flight at the end finish."""
    questions, proposals = _questions(), _proposals()
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]

    def client_loop(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with httpx.Client(base_url=base, timeout=TIMEOUT, trust_env=False) as client:
            while time.monotonic() < deadline:
                kind = rng.choices(kinds, weights)[0]
                start = time.monotonic()
                try:
                    status = _request(client, kind, rng, questions, proposals)
                except httpx.HTTPError:
                    status = 0
                with lock:
                    samples.append(Sample(kind, start, time.monotonic(), status))

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + TIMEOUT + 30)
    return samples


def summarize(samples: list[Sample]) -> dict[str, dict[str, float]]:
    drafts = [s for s in samples if s.kind == "draft"]

    def during_draft(s: Sample) -> bool:
        return any(d.start < s.end and s.start < d.end for d in drafts)

    groups: dict[str, list[Sample]] = {"all": samples}
    for kind, _ in MIX:
        groups[kind] = [s for s in samples if s.kind == kind]
    groups["ask+search while drafting"] = [s for s in samples if s.kind != "draft" and during_draft(s)]
    out: dict[str, dict[str, float]] = {}
    for name, group in groups.items():
        times = [s.seconds for s in group if s.ok]
        out[name] = {
            "requests": len(group),
            "errors": sum(1 for s in group if not s.ok),
            "p50": percentile(times, 50) if times else float("nan"),
            "p95": percentile(times, 95) if times else float("nan"),
            "p99": percentile(times, 99) if times else float("nan"),
            "max": max(times) if times else float("nan"),
        }
    return out


def print_summary(
    clients: int, seconds: float, summary: dict[str, dict[str, float]], samples: list[Sample]
) -> None:
    statuses: dict[int, int] = {}
    for s in samples:
        if not s.ok:
            statuses[s.status] = statuses.get(s.status, 0) + 1
    click.echo(f"\n{clients} clients, {seconds:g} s, {len(samples) / seconds:.1f} requests/s")
    click.echo(f"{'kind':<28}{'requests':>9}{'errors':>8}{'p50 s':>9}{'p95 s':>9}{'p99 s':>9}{'max s':>9}")
    for name, row in summary.items():
        click.echo(
            f"{name:<28}{row['requests']:>9.0f}{row['errors']:>8.0f}"
            f"{row['p50']:>9.3f}{row['p95']:>9.3f}{row['p99']:>9.3f}{row['max']:>9.3f}"
        )
    if statuses:
        click.echo(f"errors by status (0 = transport): {dict(sorted(statuses.items()))}")


def _serve(root: Path, python: str, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DAFU_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}  # fmt: skip
    env.pop("DAFU_LLM_BASE_URL", None)
    command = [python, "-c", "from rag.cli import main; main()", "serve", "--host", HOST, "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"server exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise click.ClickException("server did not become healthy")


@click.command()
@click.option("--clients", "client_counts", type=int, multiple=True, default=(8, 32), show_default=True)
@click.option("--seconds", type=float, default=60.0, show_default=True, help="Duration of each round.")
@click.option("--server-root", type=click.Path(path_type=Path, file_okay=False), default=PROJECT_ROOT,
              help="Checkout whose server to measure (default: this one).")  # fmt: skip
@click.option("--server-python", default=sys.executable, help="Python of that checkout's venv.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the figures as JSON.")
def main(
    client_counts: tuple[int, ...], seconds: float, server_root: Path, server_python: str, out: Path | None
) -> None:
    """Load-test a local dafu server (loopback only) and print latency percentiles and errors."""
    work = Path(tempfile.mkdtemp(prefix="dafu-loadtest-"))
    port = _free_port()
    base = f"http://{HOST}:{port}"
    log = work / "server.log"
    process = _serve(server_root, server_python, work / "data", port, log)
    results = {}
    try:
        _wait_healthy(base, process, log)
        click.echo(f"server {server_root} on {base} (log {log})")
        run_round(base, 2, 5.0, seed=99)  # warm-up: first-call costs are not load
        for n, clients in enumerate(client_counts):
            samples = run_round(base, clients, seconds, seed=n)
            summary = summarize(samples)
            print_summary(clients, seconds, summary, samples)
            results[str(clients)] = summary
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if out is not None:
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
