"""Drafts in worker processes: the same draft as in the server's threads, at a lower CPU priority, a
dead worker replaced, no worker left behind when the server is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.drafts import load_drafts
from rag.access.model import OPERATOR
from rag.service import DafuService
from tests.conftest import make_settings

D001 = next(r for r in load_drafts() if r["id"] == "d001")


@pytest.fixture(scope="module")
def isolated(service: DafuService) -> Iterator[DafuService]:
    """The session's service, drafting in a worker process (a view: the session service is unchanged)."""
    view = service.acting_as(OPERATOR)
    view.isolate_drafts()
    yield view
    view.close_drafts()


def _worker_pid(svc: DafuService) -> int:
    workers = svc._draft_workers
    assert workers is not None
    return workers.start_now().result(timeout=120)


def test_a_worker_writes_the_same_draft_as_the_server_would(
    service: DafuService, isolated: DafuService
) -> None:
    here = service.draft(D001["proposal"])
    there = isolated.draft(D001["proposal"])
    assert there.markdown == here.markdown
    assert there.citations == here.citations
    assert _worker_pid(isolated) != os.getpid()


def test_the_worker_runs_at_a_lower_cpu_priority(isolated: DafuService) -> None:
    pid = _worker_pid(isolated)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, mine + isolated.settings.draft_nice)


def test_a_killed_worker_is_replaced_and_the_draft_still_written(isolated: DafuService) -> None:
    pid = _worker_pid(isolated)
    os.kill(pid, signal.SIGKILL)
    draft = isolated.draft(D001["proposal"])
    assert draft.citations
    assert _worker_pid(isolated) != pid


def test_bad_input_raised_in_a_worker_reaches_the_caller(isolated: DafuService) -> None:
    from rag.errors import InvalidInput

    with pytest.raises(InvalidInput, match="起草模式"):
        isolated.draft(D001["proposal"], mode="nonsense")


def test_no_worker_outlives_a_killed_server(indexed_dir: Path, tmp_path: Path) -> None:
    """The server is killed with SIGKILL (no clean-up runs): its draft worker ends on its own."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from rag.service import _start_draft_worker
        from rag.workers import Workers
        from tests.conftest import make_settings
        from pathlib import Path
        workers = Workers(_start_draft_worker, (make_settings(Path({str(indexed_dir)!r})),), 1, 10)
        print(workers.start_now().result(timeout=120), flush=True)
        time.sleep(600)
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        assert _alive(worker)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)


def test_the_server_setting_is_on_by_default_and_workers_never_start_workers(
    isolated: DafuService, tmp_path: Path
) -> None:
    assert make_settings(tmp_path / "data").draft_isolation
    workers = isolated._draft_workers
    assert workers is not None
    (settings,) = workers.start_args
    assert settings.draft_isolation is False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
