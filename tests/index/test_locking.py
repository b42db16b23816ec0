"""One writer at a time across processes; the generation token tells readers what changed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.locking import Generation, WriteLock
from rag.errors import Busy

HOLDER = """
import sys, time
from pathlib import Path
from index.locking import WriteLock
with WriteLock(Path(sys.argv[1])).hold():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_in_another_process(lock_file: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_file), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_writer_in_another_process_excludes_this_one(tmp_path: Path) -> None:
    lock_file = tmp_path / "write.lock"
    other = _hold_in_another_process(lock_file, 30)
    try:
        start = time.monotonic()
        with pytest.raises(Busy) as err, WriteLock(lock_file).hold(0.3):
            pass
        assert time.monotonic() - start >= 0.3
        assert err.value.retry_after > 0 and "请稍候" in str(err.value)
    finally:
        other.kill()
        other.wait()
    # kill -9 releases the lock: the next writer gets it at once.
    with WriteLock(lock_file).hold(2.0):
        pass


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "write.lock")
    with lock.hold(), pytest.raises(Busy), lock.hold(0):
        pass
    with lock.hold(0):
        pass


def test_generation_tells_an_interrupted_write(tmp_path: Path) -> None:
    generation = Generation(tmp_path / "generation")
    assert generation.read() == ""
    assert generation.begin() is True  # nothing says what was written before
    generation.end("settled")
    assert generation.begin() is False
    started = generation.read()
    assert started.startswith("writing")
    # The writer died here: the next one learns it.
    assert generation.begin() is True
    token = generation.end("settled")
    assert generation.read() == token and Generation.settled(token) and token != started
    assert generation.begin() is False
    # A write that failed, or an end that says nothing (an earlier release), may have left chunks.
    failed = generation.end("failed")
    assert not Generation.settled(failed) and generation.begin() is True
    generation.end()
    assert not Generation.settled(generation.read()) and generation.begin() is True
