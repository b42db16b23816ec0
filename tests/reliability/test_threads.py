"""Uploads, deletes and searches in one process at once: no error, no half-applied state seen, and a
consistent index afterwards."""

from __future__ import annotations

import threading
import time

from rag.service import DafuService
from tests.reliability.consistency import check

LETTER = "温科提复〔2025〕{n}号\n关于测试第{n}号提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n2024年全市新建第{n}批科创园区{m}个。\n"
QUERIES = ["新建科创园区", "2023年全市生命健康产业总营收", "中国眼谷引进注册企业多少家", "科技型中小企业"]


def test_uploads_beside_searching_threads(writable_service: DafuService) -> None:
    svc = writable_service
    errors: list[str] = []
    counts = {"searches": 0, "asks": 0}
    stop = threading.Event()

    def searcher(k: int) -> None:
        while not stop.is_set():
            query = QUERIES[k % len(QUERIES)]
            try:
                with svc.lexical.pinned() as snap:
                    versions = dict(snap.versions)
                hits = svc.search(query, top_k=10)
                answer = svc.ask(query)
                counts["searches"] += 1
                counts["asks"] += 1
                # Every hit is a committed chunk: never one of a version being written.
                for hit in [*hits, *answer.hits]:
                    version = hit.chunk_id.split(":")[1]
                    assert version in versions.values() or version in svc.store.versions().values(), hit
            except Exception as exc:  # any exception is a 500 for a client
                errors.append(f"{type(exc).__name__}: {exc}")
            k += 1

    threads = [threading.Thread(target=searcher, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(8):
            svc.upload(f"并发{n}.txt", LETTER.format(n=n, m=n + 3).encode())
            if n % 3 == 2:
                svc.delete(f"并发{n - 1}")
    finally:
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()

    assert errors == []
    assert counts["searches"] > 8
    state = check(svc)
    assert state.ok, state
    assert {d.doc_id for d in svc.documents()} >= {f"并发{n}" for n in (0, 2, 3, 5, 6, 7)}
    assert "并发1" not in {d.doc_id for d in svc.documents()}


def test_a_read_sees_one_committed_state(writable_service: DafuService) -> None:
    """Inside one read, dense and lexical search filter by the same committed versions, whatever a
    writer commits meanwhile."""
    svc = writable_service
    with svc.lexical.pinned() as snap:
        before = dict(snap.versions)
        svc.upload("读中写入.txt", LETTER.format(n=99, m=7).encode())
        assert svc.store.versions() == before
        hits = svc.retrievers["hybrid"].retrieve(svc.parser.parse("第99批科创园区"), 10)
        assert all(h.doc_id != "读中写入" for h in hits)
    assert "读中写入" in svc.store.versions()
    assert svc.search("第99批科创园区")[0].doc_id == "读中写入"
