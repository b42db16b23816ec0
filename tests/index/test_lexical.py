"""The BM25 index is persisted beside Chroma, reused when current, rebuilt when missing or stale."""

from __future__ import annotations

import json
import shutil

import pytest

from index.lexical import LexicalIndex
from index.tokenize import tokenize
from rag.service import DafuService, build_service

QUERIES = ["总营收1588亿元", "眼谷 国家级平台", "医疗器械产业园区", "揭榜挂帅"]


def _results(service: DafuService) -> list[list[tuple[str, float]]]:
    return [
        [(h.chunk_id, round(h.score, 6)) for h in service.lexical.search(tokenize(q), 10)] for q in QUERIES
    ]


def _folder(service: DafuService):  # type: ignore[no-untyped-def]
    """The persisted folder of the index's current state (one folder per committed state)."""
    return service.lexical._folder(service.lexical.fingerprint)


def test_lexical_index_is_persisted_and_reused(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(writable_service)
    assert (_folder(writable_service) / "chunks.json").exists()

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("a current lexical index must be loaded, not rebuilt")

    monkeypatch.setattr(LexicalIndex, "rebuild", no_rebuild)
    reloaded = build_service(writable_service.settings)
    assert _results(reloaded) == expected


def test_missing_lexical_index_is_rebuilt_from_chroma(writable_service: DafuService) -> None:
    expected = _results(writable_service)
    shutil.rmtree(_folder(writable_service))
    rebuilt = build_service(writable_service.settings)
    assert _results(rebuilt) == expected
    assert (_folder(rebuilt) / "chunks.json").exists()


def test_stale_lexical_index_is_rebuilt(writable_service: DafuService) -> None:
    expected = _results(writable_service)
    meta_file = _folder(writable_service) / "chunks.json"
    payload = json.loads(meta_file.read_text(encoding="utf-8"))
    # A stale index: different fingerprint, and content that would give different results.
    payload["fingerprint"] = "0" * 16
    payload["hits"] = payload["hits"][:3]
    meta_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    rebuilt = build_service(writable_service.settings)

    assert rebuilt.lexical.fingerprint == rebuilt.store.fingerprint()
    assert len(rebuilt.lexical) == sum(d.chunks for d in rebuilt.documents())
    assert _results(rebuilt) == expected


def test_unreadable_lexical_index_is_rebuilt(writable_service: DafuService) -> None:
    expected = _results(writable_service)
    (_folder(writable_service) / "chunks.json").write_text("{not json", encoding="utf-8")
    assert _results(build_service(writable_service.settings)) == expected


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
