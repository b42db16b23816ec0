"""Real processes on one data dir: ``dafu serve``, ``dafu ingest`` and ``dafu rm``, as an office runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from rag.settings import PROJECT_ROOT
from tests.factories import LETTERS, free_port, running_server, serve_env

DAFU = [sys.executable, "-c", "from rag.cli import main; main()"]
SAMPLES = sorted(LETTERS.glob("*.txt"))


def dafu(data_dir: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    """Start a ``dafu`` command on ``data_dir`` (the caller waits for or kills it)."""
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [*DAFU, *args], env=serve_env(data_dir), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, **popen,
    )  # fmt: skip


def run_dafu(data_dir: Path, *args: str, timeout: float = 300) -> str:
    process = dafu(data_dir, *args)
    out, _ = process.communicate(timeout=timeout)
    text = out.decode(errors="replace")
    assert process.returncode == 0, text[-3000:]
    return text


@contextmanager
def served(data_dir: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*DAFU, "serve", "--no-ingest-default", "--host", "127.0.0.1", "--port", str(port)]
    with running_server(
        command, f"{base}/healthz", log, env=serve_env(data_dir), cwd=PROJECT_ROOT
    ) as process:
        yield base, process


def api(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=120, trust_env=False)


def letter(n: int, variant: int = 0) -> str:
    """A small reply letter; ``variant`` changes its figures (a new version of the same letter)."""
    return (
        f"温科提复〔2025〕{n}号\n关于测试第{n}号提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
        f"一、工作进展\n2024年全市新建第{n}批科创园区{n + variant}个，引进企业{100 + variant}家。\n"
        f"二、下一步\n下一步，我们将继续推进第{n}批园区建设，力争新增企业{200 + variant}家。\n"
    )


def write_letters(folder: Path, names: list[str], variant: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(names):
        (folder / name).write_text(letter(n + 1, variant), encoding="utf-8")
    return folder
