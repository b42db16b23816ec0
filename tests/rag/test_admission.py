"""Bounded slots per kind of request: a full kind answers Busy at once (503 + Retry-After in the API),
other kinds are not held up."""

from __future__ import annotations

import threading
import time

import pytest

from rag.admission import Gate
from rag.errors import Busy
from rag.service import DafuService, build_service
from tests.conftest import make_settings


def test_a_gate_runs_its_workers_queues_the_next_and_refuses_beyond() -> None:
    gate = Gate("ask", workers=1, queue=1, wait=5.0)
    release = threading.Event()
    entered: list[str] = []

    def hold(name: str) -> None:
        with gate.admit():
            entered.append(name)
            release.wait(5)

    first = threading.Thread(target=hold, args=("first",))
    first.start()
    while gate.stats().running < 1:
        time.sleep(0.01)
    second = threading.Thread(target=hold, args=("second",))
    second.start()
    while gate.stats().waiting < 1:
        time.sleep(0.01)
    with pytest.raises(Busy) as err, gate.admit():
        pass
    assert err.value.retry_after == 2 and "问答请求过多" in str(err.value)
    release.set()
    first.join()
    second.join()
    assert entered == ["first", "second"]
    assert gate.stats().running == gate.stats().waiting == 0


def test_waiting_too_long_is_busy() -> None:
    gate = Gate("draft", workers=1, queue=4, wait=0.2)
    with gate.admit():
        start = time.monotonic()
        with pytest.raises(Busy) as err, gate.admit():
            pass
        assert time.monotonic() - start >= 0.2 and err.value.retry_after == 10


def test_drafts_do_not_hold_up_asks(indexed_dir: object, service: DafuService) -> None:
    """With every draft slot taken and its line full, an ask is still answered at once."""
    svc = build_service(make_settings(indexed_dir, draft_workers=1, queue_limit=0), embedder=service.embedder)  # type: ignore[arg-type]
    release = threading.Event()
    gate = svc.gates._gates["draft"]
    holder = threading.Thread(target=lambda: _hold(gate, release))
    holder.start()
    while gate.stats().running < 1:
        time.sleep(0.01)
    try:
        with pytest.raises(Busy, match="起草请求过多"):
            svc.draft("关于加强科技创新的建议\n建议：\n一、加大投入。")
        assert svc.ask("2023年全市生命健康产业总营收是多少？").found
        assert svc.search("中国眼谷")
    finally:
        release.set()
        holder.join()


def _hold(gate: Gate, release: threading.Event) -> None:
    with gate.admit():
        release.wait(10)
