"""``kill -9`` at random moments of writing: 20 times during ``dafu ingest``, 10 times during a CLI
ingest and API uploads at once (killing the CLI or the server). After each, on restart: no committed
letter lacks a chunk, none has one twice, no chunk belongs to nothing, and dense and lexical search
agree. Letters are written in new versions each round, so every kill interrupts updates and additions.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from rag.service import DafuService, build_service
from tests.conftest import make_settings
from tests.reliability.conftest import api, dafu, letter, served, write_letters
from tests.reliability.consistency import Consistency, check

pytestmark = pytest.mark.slow

KILLS_DURING_INGEST = 20
KILLS_DURING_CONCURRENT_WRITES = 10


def _wait_for_write(data_dir: Path, process: subprocess.Popen[bytes], timeout: float = 120) -> bool:
    """Until a writer marks the data dir as being written (its model is loaded, its write began)."""
    generation = data_dir / "generation"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if generation.read_text(encoding="utf-8").startswith("writing"):
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    return False


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()


def _restart_and_check(data_dir: Path, embedder: object) -> tuple[Consistency, DafuService]:
    restarted = build_service(make_settings(data_dir), embedder=embedder)  # type: ignore[arg-type]
    return check(restarted), restarted


@pytest.fixture
def data_dir(indexed_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(indexed_dir, target)
    return target


def test_kill_9_during_ingest(data_dir: Path, tmp_path: Path, service: DafuService) -> None:
    names = [f"批量{n}.txt" for n in range(8)]
    rng = random.Random(11)
    # A full run first: how long writing takes here, so kills land anywhere inside it.
    folder = write_letters(tmp_path / "v0", names, variant=0)
    process = dafu(data_dir, "ingest", str(folder))
    assert _wait_for_write(data_dir, process)
    began = time.monotonic()
    assert process.wait(300) == 0
    writing = time.monotonic() - began
    results = []
    for round_ in range(1, KILLS_DURING_INGEST + 1):
        folder = write_letters(tmp_path / f"v{round_}", names, variant=round_)
        process = dafu(data_dir, "ingest", str(folder))
        assert _wait_for_write(data_dir, process), process.communicate()[0][-2000:]
        time.sleep(rng.uniform(0, writing))
        _kill(process)
        state, restarted = _restart_and_check(data_dir, service.embedder)
        versions = {
            d.doc_id: next(
                v for v in range(round_ + 1) if f"引进企业{100 + v}家" in restarted.document(d.doc_id).text
            )
            for d in restarted.documents()
            if d.doc_id.startswith("批量")
        }
        results.append((round_, state, sorted(versions.values())))
        assert state.ok, (round_, state)
        # Each letter is whole, in this round's version or an earlier one (a kill may come before it).
        assert len(versions) == len(names) and max(versions.values()) <= round_, versions
    print(
        f"\nkill -9 during ingest: {len(results)} kills, "
        f"{sum(len(s.lost) for _, s, _ in results)} lost, {sum(len(s.duplicated) for _, s, _ in results)} "
        f"duplicated, {sum(len(s.orphaned) for _, s, _ in results)} orphaned chunks; "
        f"{sum(1 for _, _, v in results if len(set(v)) > 1)} kills landed mid-batch"
    )


def test_kill_9_during_concurrent_cli_and_api_writes(
    data_dir: Path, tmp_path: Path, service: DafuService
) -> None:
    rng = random.Random(7)
    cli_names = [f"命令行{n}.txt" for n in range(5)]
    uploaded: dict[str, int] = {}  # doc_id -> variant of the last upload answered 201
    server = None
    try:
        for round_ in range(KILLS_DURING_CONCURRENT_WRITES):
            if server is None:
                server = served(data_dir, tmp_path / f"serve{round_}.log")
                base, server_process = server.__enter__()
            folder = write_letters(tmp_path / f"cli{round_}", cli_names, variant=round_)
            cli = dafu(data_dir, "ingest", str(folder))

            def upload(base: str = base, round_: int = round_) -> None:
                with api(base) as client:
                    for n in range(4):
                        files = {"file": (f"接口{n}.txt", letter(n + 30, round_).encode(), "text/plain")}
                        try:
                            response = client.post("/v1/documents", files=files, params={"replace": "true"})
                        except httpx.HTTPError:
                            return  # the server was killed
                        if response.status_code == 201:
                            uploaded[f"接口{n}"] = round_

            uploader = threading.Thread(target=upload)
            uploader.start()
            kill_server = round_ % 2 == 1
            victim = server_process if kill_server else cli
            assert _wait_for_write(data_dir, cli) or cli.poll() is not None
            time.sleep(rng.uniform(0, 2.0))
            _kill(victim)
            if kill_server:
                server.__exit__(None, None, None)
                server = None
                cli.communicate(timeout=300)
            uploader.join(300)
            if not kill_server:
                pass  # the server stays up for the next round, idle now
            state, restarted = _restart_and_check(data_dir, service.embedder)
            assert state.ok, (round_, state)
            for doc_id, variant in uploaded.items():
                # An upload the server confirmed is never lost (a later one may have replaced it).
                text = restarted.document(doc_id).text
                assert any(f"引进企业{100 + v}家" in text for v in range(variant, round_ + 1)), doc_id
    finally:
        if server is not None:
            server.__exit__(None, None, None)
