"""Crash consistency: a write interrupted after the chunks but before the document commit leaves the
previous state visible, orphans invisible, and ``collect_garbage()`` removes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.store import ChromaStore, chroma_where, matches
from index.tokenize import tokenize
from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT
from rag.types import Filters
from tests.factories import LETTER_001, REVENUE_DOC_NUMBER, make_hit

LETTERS = PROJECT_ROOT / "data" / "letters"
QUERY = "2023年全市生命健康产业总营收"
NEW_LETTER = (
    "温科提复〔2025〕9号\n关于测试提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
    "2024年全市技术合同成交额达到321亿元，同比增长18%。\n"
)


class Crash(RuntimeError):
    pass


def _crash_on_commit(service: DafuService, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise Crash("power cut before the document record was written")

    monkeypatch.setattr(service.store.docs, "upsert", boom)


def _orphans(store: ChromaStore) -> list[str]:
    versions = store.versions()
    raw = store.chunks.get(include=["metadatas"])
    return [
        i
        for i, m in zip(raw["ids"], raw["metadatas"], strict=True)
        if versions.get(m["doc_id"]) != m["version"]
    ]


def _crash_while_writing(svc: DafuService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Interrupt an update of letter 001 and the addition of a new letter at the commit point."""
    changed = tmp_path / f"{LETTER_001}.txt"
    text = next(LETTERS.glob(f"{LETTER_001}.txt")).read_text(encoding="utf-8")
    changed.write_text(text.replace("1588亿元", "1699亿元"), encoding="utf-8")
    _crash_on_commit(svc, monkeypatch)
    with pytest.raises(Crash):
        svc.ingest([changed])
    with pytest.raises(Crash):
        svc.upload("新答复.txt", NEW_LETTER.encode())
    monkeypatch.undo()


def test_interrupted_writes_leave_the_previous_state(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    svc = writable_service
    versions = svc.store.versions()
    before_text = svc.document(LETTER_001).text
    _crash_while_writing(svc, monkeypatch, tmp_path)

    orphans = _orphans(svc.store)
    assert orphans, "the crash should have left uncommitted chunks behind"
    assert svc.store.versions() == versions
    assert svc.document(LETTER_001).text == before_text
    # Readers never see uncommitted chunks: neither dense nor lexical search.
    vector = svc.embedder.get_query_embedding(QUERY)
    dense_ids = {c.chunk_id for c in svc.store.query(vector, 1000)}
    svc.lexical.rebuild(svc.store)
    lexical_ids = {h.chunk_id for h in svc.lexical.search(tokenize("总营收 1699亿元 技术合同成交额"), 1000)}
    assert not (dense_ids | lexical_ids) & set(orphans)
    top = svc.search(QUERY)[0]
    assert "1588亿元" in top.text and top.doc_number == REVENUE_DOC_NUMBER

    assert svc.store.collect_garbage() == len(orphans)
    assert _orphans(svc.store) == []
    assert svc.store.collect_garbage() == 0


def test_a_rebuilt_service_is_consistent_after_a_crash(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    versions = writable_service.store.versions()
    _crash_while_writing(writable_service, monkeypatch, tmp_path)
    assert _orphans(writable_service.store)

    rebuilt = build_service(writable_service.settings)

    assert rebuilt.store.versions() == versions
    assert _orphans(rebuilt.store) == []  # start-up garbage collection
    raw_ids = set(rebuilt.store.chunks.get(include=[])["ids"])
    lexical_ids = {c.chunk_id for c in rebuilt.store.all_hits()}
    assert raw_ids == lexical_ids == {h.chunk_id for h in rebuilt.lexical.snapshot.hits}
    assert len(rebuilt.lexical) == sum(d.chunks for d in rebuilt.documents())
    top = rebuilt.search(QUERY)[0]
    assert "1588亿元" in top.text and top.doc_number == REVENUE_DOC_NUMBER
    # The interrupted writes can simply be repeated.
    doc_id, status = rebuilt.upload("新答复.txt", NEW_LETTER.encode())
    assert (doc_id, status) == ("新答复", "added")
    assert "321亿元" in rebuilt.search("技术合同成交额")[0].text


def test_start_up_collects_garbage_only_when_the_last_write_did_not_complete(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Collecting reads every chunk id (seconds at 100k chunks): a start after a completed write skips
    it; a start after a failed write does it."""
    svc = writable_service
    svc.upload("另一答复.txt", NEW_LETTER.replace("9号", "10号").encode())
    _crash_while_writing(svc, monkeypatch, tmp_path)
    assert _orphans(svc.store)
    collected: list[int] = []
    original = ChromaStore.collect_garbage

    def counted(self: ChromaStore) -> int:
        collected.append(original(self))
        return collected[-1]

    monkeypatch.setattr(ChromaStore, "collect_garbage", counted)
    build_service(svc.settings)
    assert collected and collected[0] > 0  # the failed write's leftovers
    assert _orphans(svc.store) == []
    collected.clear()
    build_service(svc.settings)
    assert collected  # still nothing says a write completed since
    svc.delete("另一答复")  # a write that completes
    collected.clear()
    build_service(svc.settings)
    assert collected == []


def test_an_interrupted_delete_hides_the_document(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document record goes first (the commit point); chunks left behind are invisible."""
    svc = writable_service

    def boom(*args: object, **kwargs: object) -> None:
        raise Crash("power cut after the document record was deleted")

    monkeypatch.setattr(svc.store.chunks, "delete", boom)
    with pytest.raises(Crash):
        svc.delete(LETTER_001)
    monkeypatch.undo()
    vector = svc.embedder.get_query_embedding(QUERY)
    assert all(c.doc_id != LETTER_001 for c in svc.store.query(vector, 1000))
    assert svc.store.collect_garbage() > 0
    assert svc.store.chunks.get(where={"doc_id": LETTER_001})["ids"] == []


def test_filters_are_the_same_on_both_sides() -> None:
    filters = Filters(year=2024, kind="政协提案")
    assert chroma_where(filters) == {"$and": [{"year": 2024}, {"kind": "政协提案"}]}
    assert chroma_where(Filters(doc_number=REVENUE_DOC_NUMBER)) == {"doc_number": REVENUE_DOC_NUMBER}
    assert chroma_where(Filters()) is None and chroma_where(None) is None
    assert matches(filters, make_hit("", year=2024, kind="政协提案"))
    assert not matches(filters, make_hit("", year=2024, kind="人大建议"))
    assert not matches(filters, make_hit("", year=2023, kind="政协提案"))
    assert matches(None, make_hit("", year=2023))


def test_filtered_dense_query(service: DafuService) -> None:
    vector = service.embedder.get_query_embedding("医疗器械产业")
    results = service.store.query(vector, 10, Filters(kind="人大建议"))
    assert results and {h.doc_number for h in results} == {"温科提复〔2024〕115号"}
    assert all(-1.0 <= h.score <= 1.0 and h.sources == ("dense",) for h in results)


def test_a_narrow_filter_is_searched_exactly(service: DafuService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within one letter every chunk is ranked by its exact cosine similarity: the vector index's filtered
    search is approximate and may miss some of a few matching chunks."""
    store = service.store
    doc_id = LETTER_001
    vector = service.embedder.get_query_embedding("生命健康产业总营收")

    def no_index(*args: object, **kwargs: object) -> None:
        raise AssertionError("a letter's few chunks are not looked up in the vector index")

    with monkeypatch.context() as m:
        m.setattr(store, "_index_query", no_index)
        results = store.query(vector, 1000, Filters(doc_id=doc_id))
    stored = store.chunks.get(where={"doc_id": doc_id}, include=["embeddings"])
    want = {
        cid: float(np.dot(e, vector) / (np.linalg.norm(e) * np.linalg.norm(vector)))
        for cid, e in zip(stored["ids"], stored["embeddings"], strict=True)
    }
    assert [h.chunk_id for h in results] == sorted(want, key=lambda c: -want[c])
    assert all(h.score == pytest.approx(want[h.chunk_id], abs=1e-5) for h in results)
    # More matches than the exact limit: the vector index answers, with the same best chunk.
    monkeypatch.setattr("index.store._EXACT_LIMIT", 3)
    assert store.query(vector, 5, Filters(doc_id=doc_id))[0].chunk_id == results[0].chunk_id
