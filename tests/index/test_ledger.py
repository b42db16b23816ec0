"""The ledger of commitments stays in step with the index: extracted when a letter is committed,
replaced when it is re-ingested, removed with it, untouched by a failed write or a failed sync."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.ledger
from index.ledger import CommitmentStore
from rag.errors import UnreadableFile
from rag.service import DafuService
from tests.factories import LETTER_001, LETTER_001_TEXT, index_state


def _store(service: DafuService) -> CommitmentStore:
    assert service.ledger is not None
    return service.ledger.commitments


def _reopened(service: DafuService) -> CommitmentStore:
    """The same file read by a new process."""
    return CommitmentStore(_store(service).path)


def test_every_committed_letter_has_its_commitments(writable_service: DafuService) -> None:
    versions = writable_service.store.versions()
    found = _reopened(writable_service).commitments()
    by_doc = {c.doc_id for c in found}
    # 004 holds newspaper articles, not a letter: it promises nothing.
    assert by_doc == set(versions) - {"004_ab8fdf3d456bcddf"}
    for c in found:
        assert c.commitment_id.startswith(f"{c.doc_id}:{versions[c.doc_id]}:")
        assert writable_service.document(c.doc_id).text[c.start : c.end] == c.quote


def test_delete_removes_a_letters_commitments(writable_service: DafuService) -> None:
    assert _store(writable_service).commitments(LETTER_001)
    writable_service.delete(LETTER_001)
    assert _reopened(writable_service).commitments(LETTER_001) == []
    assert writable_service.commitments() and all(
        e.commitment.doc_id != LETTER_001 for e in writable_service.commitments()
    )


def test_reingest_replaces_a_letters_commitments(writable_service: DafuService) -> None:
    before = _store(writable_service).commitments(LETTER_001)
    changed = LETTER_001_TEXT.replace("1700亿元以上", "1800亿元以上")
    writable_service.upload(f"{LETTER_001}.txt", changed.encode("utf-8"), replace=True)
    after = _reopened(writable_service).commitments(LETTER_001)
    assert len(after) == len(before)
    assert not {c.commitment_id for c in after} & {c.commitment_id for c in before}
    assert any("1800亿元以上" in c.quote for c in after)
    assert not any("1700亿元以上" in c.quote for c in after)


def test_a_failed_ingest_leaves_the_ledger_as_it_was(writable_service: DafuService) -> None:
    before = index_state(writable_service)
    with pytest.raises(UnreadableFile):
        writable_service.upload("broken.txt", b"   \n \n")
    assert index_state(writable_service) == before


def test_a_sync_that_fails_half_way_changes_nothing(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh = CommitmentStore(tmp_path / "ledger.sqlite3")
    calls = {"n": 0}
    real = index.ledger.extract_commitments

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.ledger, "extract_commitments", failing)
    with pytest.raises(RuntimeError):
        fresh.sync(writable_service.store)
    assert fresh.commitments() == [] and fresh.fingerprint == ""
    monkeypatch.setattr(index.ledger, "extract_commitments", real)
    assert fresh.sync(writable_service.store)
    assert [c.commitment_id for c in fresh.commitments()] == [
        c.commitment_id for c in _store(writable_service).commitments()
    ]
    assert not fresh.sync(writable_service.store)  # nothing changed since
