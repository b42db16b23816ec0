"""The BM25 index is persisted beside Chroma letter by letter, reused when current, read again from Chroma
where a file is missing or stale, and changed by the letters that change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from index import checkpoint, lexical
from index.lexical import LexicalIndex
from index.store import ChromaStore
from index.tokenize import tokenize
from rag.service import DafuService, build_service
from rag.types import Hit

NEW_LETTER = (
    "某办函〔2025〕9号\n关于测试提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
    "2024年全市技术合同成交额达到321亿元，同比增长18%。\n"
)

QUERIES = ["总营收1588亿元", "眼谷 国家级平台", "医疗器械产业园区", "揭榜挂帅"]


def _results(service: DafuService) -> list[list[tuple[str, float]]]:
    return [
        [(h.chunk_id, round(h.score, 6)) for h in service.lexical.search(tokenize(q), 10)] for q in QUERIES
    ]


def _files(service: DafuService) -> list[Path]:
    """The persisted letters of the index (one file per committed letter)."""
    return sorted(service.lexical._folder().glob("*.json"))


def _reads_from_chroma(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record which letters the lexical index reads from Chroma (instead of its own files)."""
    calls: list[list[str]] = []
    original = ChromaStore.letter_hits

    def recorded(self: ChromaStore, doc_ids: Sequence[str]) -> dict[str, list[Hit]]:
        calls.append(list(doc_ids))
        return original(self, doc_ids)

    monkeypatch.setattr(ChromaStore, "letter_hits", recorded)
    return calls


def test_lexical_index_is_persisted_and_reused(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(writable_service)
    assert len(_files(writable_service)) == len(writable_service.store.versions())
    reads = _reads_from_chroma(monkeypatch)
    reloaded = build_service(writable_service.settings)
    assert _results(reloaded) == expected
    assert reads == []


def test_missing_lexical_index_is_rebuilt_from_chroma(writable_service: DafuService) -> None:
    expected = _results(writable_service)
    shutil.rmtree(writable_service.lexical._folder())
    rebuilt = build_service(writable_service.settings)
    assert _results(rebuilt) == expected
    assert len(_files(rebuilt)) == len(rebuilt.store.versions())


def test_stale_lexical_file_is_not_used(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(writable_service)
    stale = _files(writable_service)[0]
    payload = json.loads(stale.read_text(encoding="utf-8"))
    # A stale file: another version, and content that would give different results.
    payload["version"] = "0" * 16
    payload["hits"], payload["tokens"] = payload["hits"][:1], payload["tokens"][:1]
    stale.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    reads = _reads_from_chroma(monkeypatch)

    rebuilt = build_service(writable_service.settings)

    assert reads == [[payload["doc_id"]]]
    assert rebuilt.lexical.fingerprint == rebuilt.store.fingerprint()
    assert len(rebuilt.lexical) == sum(d.chunks for d in rebuilt.documents())
    assert _results(rebuilt) == expected


def test_unreadable_lexical_file_is_not_used(writable_service: DafuService) -> None:
    expected = _results(writable_service)
    _files(writable_service)[0].write_text("{not json", encoding="utf-8")
    assert _results(build_service(writable_service.settings)) == expected


def test_one_changed_letter_is_all_that_is_read_again(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploading or deleting one letter changes the index by that letter: the others are neither read
    from Chroma nor tokenised again, and the result is the index a rebuild would give."""
    svc = writable_service
    reads = _reads_from_chroma(monkeypatch)
    svc.upload("新增答复.txt", NEW_LETTER.encode())
    assert reads == [["新增答复"]]
    svc.delete("新增答复")
    assert reads == [["新增答复"]]
    svc.upload("新增答复.txt", NEW_LETTER.replace("321亿元", "322亿元").encode())
    changed = _results(svc) + [
        [(h.chunk_id, round(h.score, 6)) for h in svc.lexical.search(tokenize("技术合同成交额"), 10)]
    ]
    monkeypatch.undo()
    svc.lexical.rebuild(svc.store)
    assert (
        _results(svc)
        + [[(h.chunk_id, round(h.score, 6)) for h in svc.lexical.search(tokenize("技术合同成交额"), 10)]]
        == changed
    )
    assert len(_files(svc)) == len(svc.store.versions())


def test_lexical_search_ranks_the_revenue_passage_first(service: DafuService) -> None:
    hits = service.lexical.search(tokenize("生命健康产业总营收"), 5)
    assert "1588亿元" in hits[0].text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert service.lexical.search(tokenize("的 了 是"), 5) == []  # stopwords only
    assert service.lexical.search(tokenize("ZZZQQQ"), 5) == []  # unknown words


def test_tokenizer_keeps_the_words_and_drops_the_question_noise() -> None:
    tokens = tokenize("2023年全市生命健康产业总营收是多少？")
    assert "2023" in tokens and "生命" in tokens and "健康" in tokens and "？" not in tokens
    assert tokenize("眼谷现在有多少企业了？") == ["眼谷", "企业"]
    assert "联系人" in tokenize("联系人是谁？")  # a word of reply letters in general


def test_tokens_are_a_fresh_list_each_time() -> None:
    """Segmentation is cached per text; a caller changing its list changes nothing for the next."""
    first = tokenize("生命健康产业总营收")
    first.append("篡改")
    assert tokenize("生命健康产业总营收") == first[:-1]


# -- the checkpoint ----------------------------------------------------------------------------------


def _letters_loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which letters the lexical index reads from its letters' files."""
    calls: list[str] = []
    original = LexicalIndex._load

    def recorded(self: LexicalIndex, doc_ids: Sequence[str], versions: Mapping[str, str]) -> Any:
        calls.extend(doc_ids)
        return original(self, doc_ids, versions)

    monkeypatch.setattr(LexicalIndex, "_load", recorded)
    return calls


@pytest.fixture
def checkpointed(writable_service: DafuService, monkeypatch: pytest.MonkeyPatch) -> DafuService:
    """The sample letters with a checkpoint: any difference from it is enough to write one."""
    monkeypatch.setattr(lexical, "CHECKPOINT_MIN", 0)
    monkeypatch.setattr(lexical, "CHECKPOINT_SHARE", 0.0)
    svc = build_service(writable_service.settings)  # start-up holds the write lock: it writes one
    assert svc.lexical._checkpoint_path().exists()
    return svc


def test_start_up_maps_the_checkpoint_and_reads_no_letter(
    checkpointed: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(checkpointed)
    loaded, reads = _letters_loaded(monkeypatch), _reads_from_chroma(monkeypatch)
    restarted = build_service(checkpointed.settings)
    assert loaded == [] and reads == []
    assert _results(restarted) == expected
    postings = restarted.lexical.snapshot.postings
    assert postings.held == 0  # every chunk lives in the checkpoint's arrays, none as Python objects
    assert [h.chunk_id for h in restarted.lexical.snapshot.hits] == [
        h.chunk_id for h in restarted.store.all_hits()
    ]
    assert list(restarted.lexical.snapshot.hits) == [
        h.model_copy(update={"score": 0.0}) for h in checkpointed.lexical.snapshot.hits
    ]


def test_letters_changed_since_the_checkpoint_are_all_that_is_read(
    checkpointed: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = checkpointed
    monkeypatch.setattr(lexical, "CHECKPOINT_MIN", 100)  # the next writes do not checkpoint again
    before = svc.lexical._checkpoint_path().stat().st_mtime_ns
    svc.upload("新增答复.txt", NEW_LETTER.encode())
    gone = sorted(svc.store.versions())[0]
    svc.delete(gone)
    assert svc.lexical._checkpoint_path().stat().st_mtime_ns == before
    loaded, reads = _letters_loaded(monkeypatch), _reads_from_chroma(monkeypatch)
    restarted = build_service(svc.settings)
    assert loaded == ["新增答复"] and reads == []
    assert gone not in restarted.lexical.snapshot.versions
    assert restarted.lexical.fingerprint == restarted.store.fingerprint()
    expected = _results(restarted)
    restarted.lexical.rebuild(restarted.store)
    assert _results(restarted) == expected
    assert [h.chunk_id for h in restarted.lexical.snapshot.hits] == [
        h.chunk_id for h in restarted.store.all_hits()
    ]


@pytest.mark.parametrize("damage", ["truncated", "fingerprint", "garbage"])
def test_a_broken_or_mismatched_checkpoint_is_ignored(
    checkpointed: DafuService, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    expected = _results(checkpointed)
    path = checkpointed.lexical._checkpoint_path()
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) - 100])
    elif damage == "fingerprint":
        header = checkpoint.read_header(path)
        old = header["fingerprint"].encode()
        path.write_bytes(data.replace(old, b"0" * len(old), 1))
    else:
        path.write_bytes(b"not a checkpoint" + data[16:])
    monkeypatch.setattr(lexical, "CHECKPOINT_MIN", 100)  # start-up does not write a new one
    loaded, reads = _letters_loaded(monkeypatch), _reads_from_chroma(monkeypatch)
    restarted = build_service(checkpointed.settings)
    # Every letter comes from its own file instead, and nothing differs.
    assert sorted(loaded) == sorted(restarted.store.versions()) and reads == []
    assert _results(restarted) == expected


def test_a_checkpoint_is_written_again_once_enough_letters_differ(
    checkpointed: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = checkpointed
    monkeypatch.setattr(lexical, "CHECKPOINT_MIN", 1)  # more than one letter must differ
    path = svc.lexical._checkpoint_path()
    first = checkpoint.read_header(path)["fingerprint"]
    svc.upload("新增答复.txt", NEW_LETTER.encode())
    assert checkpoint.read_header(path)["fingerprint"] == first
    svc.upload("新增答复二.txt", NEW_LETTER.replace("321亿元", "322亿元").encode())
    assert checkpoint.read_header(path)["fingerprint"] == svc.store.fingerprint() != first
    # The writer starts again from what it wrote: nothing held as Python objects.
    assert svc.lexical.snapshot.postings.held == 0
    expected = _results(svc)
    svc.lexical.rebuild(svc.store)
    assert _results(svc) == expected
