"""The catalogue and its letter index follow the committed state one changed letter at a time: after any
sequence of additions, replacements and removals they equal a plain rebuild from every document record,
only the changed letters' records are read, and each read still sees only the letters it may see."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eval import synth
from index.chunking import Chunker
from index.ingest import Ingestor
from index.lexical import LexicalIndex
from index.store import ChromaStore, make_client
from index.visibility import only, unrestricted
from rag.ask.catalogue import Catalogue, is_letter
from rag.ask.question import LetterIndex
from rag.service import DafuService, build_service
from rag.settings import PROJECT_ROOT
from rag.types import LetterMeta
from tests.factories import make_letter

POOL = synth.pool_of([PROJECT_ROOT / "data" / "letters"])
# A document that is not a reply letter (no 文号, kind, proposer or proposal number).
NOT_A_LETTER = (
    "全市科技创新大会召开\n本报讯 3月12日，全市科技创新大会召开，会议总结了2024年全市科技工作。\n"
    "会议要求，各地要加快建设创新平台。\n"
)


class HashEmbedder:
    """Small vectors from a hash of the text: the catalogue never reads them, and the real model would
    only make each write slower."""

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        return [[b / 255 + 0.01 for b in hashlib.sha256(t.encode()).digest()[:8]] for t in texts]


@dataclass
class Archive:
    """A real Chroma store and lexical index written through the real ingestor, and the catalogue of
    the lexical index's committed state (as the service builds it)."""

    store: ChromaStore
    lexical: LexicalIndex
    ingestor: Ingestor
    catalogue: Catalogue

    def put(self, name: str, text: str) -> None:
        self.ingestor.ingest_bytes(f"{name}.txt", text.encode(), replace=True)

    def remove(self, name: str) -> None:
        assert self.ingestor.remove(name)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    store = ChromaStore(make_client(None, tmp_path / "chroma"), "catalogue")
    lexical = LexicalIndex(tmp_path / "lexical")
    ingestor = Ingestor(store, lexical, HashEmbedder(), Chunker(200))  # type: ignore[arg-type]
    return Archive(store, lexical, ingestor, Catalogue(store, lambda: lexical.snapshot))


def texts(seed: int) -> Iterator[str]:
    """Synthetic letters (``eval/synth.py``): each has its own 文号, proposer, issuer and numbers."""
    while True:
        for _, text in synth.letters(50, POOL, seed=seed):
            yield text
        seed += 1000


def rebuilt(store: ChromaStore) -> list[tuple[str, LetterMeta]]:
    """The catalogue as a plain pass over every document record gives it."""
    with unrestricted():
        return [(i.doc_id, i.meta) for i in store.list_documents() if is_letter(i.meta)]


def lookups(index: LetterIndex, letters: Sequence[tuple[str, LetterMeta]]) -> list[object]:
    """What questions naming these letters find: by 文号, serial number, person, body and place."""
    out: list[object] = []
    for _, meta in letters[:12]:
        out.append(index.named_by_number({meta.doc_number}, frozenset()))
        out.append(index.named_by_number(set(), frozenset({meta.proposal_number})))
        out.append(index.naming_person(f"{meta.proposer}的建议"))
        out.append(index.of_issuer(f"{meta.issuer}答复时说了什么"))
        out.append(sorted(index.places_in(meta.issuer)))
    return out


def assert_rebuilt(archive: Archive) -> None:
    want = rebuilt(archive.store)
    index = archive.catalogue.index()
    assert archive.catalogue() == want
    assert index == LetterIndex.of(want)
    assert lookups(index, want) == lookups(LetterIndex.of(want), want)


def reads_of_records(store: ChromaStore, monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Record every read of document records: the ids asked for (None: every record)."""
    calls: list[list[str] | None] = []
    original = store.docs.get

    def recorded(*args: Any, **kwargs: Any) -> Any:
        ids = kwargs.get("ids")
        calls.append(None if ids is None else list(ids))
        return original(*args, **kwargs)

    monkeypatch.setattr(store.docs, "get", recorded)
    return calls


@pytest.mark.parametrize("seed", [1, 2])
def test_random_changes_give_what_a_rebuild_gives(archive: Archive, seed: int) -> None:
    rng = random.Random(seed)
    new = texts(seed)
    names: list[str] = []
    for n in range(12):
        names.append(f"letter_{n:03d}")
        archive.put(names[-1], next(new))
    archive.put("newspaper", NOT_A_LETTER)
    assert_rebuilt(archive)
    assert len(archive.catalogue()) == 12  # the newspaper page is not a letter
    for step in range(24):
        for _ in range(rng.choice((1, 1, 2, 3))):
            action = rng.choice(("add", "replace", "replace", "remove", "not a letter"))
            if action == "add" or len(names) < 3:
                names.append(f"letter_{100 + step:03d}_{rng.randrange(1000):03d}")
                archive.put(names[-1], next(new))
            elif action == "replace":
                archive.put(rng.choice(names), next(new))
            elif action == "remove":
                archive.remove(names.pop(rng.randrange(len(names))))
            else:
                archive.put(rng.choice(names), NOT_A_LETTER.replace("3月12日", f"{step + 1}月{seed}日"))
        assert_rebuilt(archive)


def test_one_changed_letter_is_the_only_record_read(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = texts(7)
    for n in range(10):
        archive.put(f"letter_{n:03d}", next(new))
    archive.catalogue.index()
    reads = reads_of_records(archive.store, monkeypatch)

    def read_after(change: Callable[[], None]) -> list[list[str] | None]:
        change()
        reads.clear()
        archive.catalogue()
        archive.catalogue.index()
        return list(reads)

    assert read_after(lambda: archive.put("letter_new", next(new))) == [["letter_new"]]
    assert read_after(lambda: archive.put("letter_003", next(new))) == [["letter_003"]]
    assert read_after(lambda: archive.remove("letter_005")) == []
    monkeypatch.undo()
    ids = [doc_id for doc_id, _ in archive.catalogue()]
    assert "letter_new" in ids and "letter_005" not in ids
    assert_rebuilt(archive)


def test_the_letter_index_changed_by_letters_equals_one_built_anew() -> None:
    """Many letters sharing issuers, places and numbers (few of each drawn): after each change of a few
    letters the updated index equals ``LetterIndex.of`` of the same letters, table by table."""
    rng = random.Random(5)
    metas = [make_letter(name, text).meta for name, text in synth.letters(60, POOL, seed=3)]
    issuers = [m.issuer for m in metas[:4]]

    def drawn() -> LetterMeta:
        meta = rng.choice(metas)
        return meta.model_copy(
            update={"issuer": rng.choice(issuers), "proposal_number": str(rng.randrange(9))}
        )

    current = {f"d{n:04d}": drawn() for n in range(200)}
    index = LetterIndex.of(sorted(current.items()))
    for step in range(40):
        changed = set()
        for _ in range(rng.choice((1, 2, 5))):
            doc_id = rng.choice(sorted(current))
            action = rng.random()
            if action < 0.3:
                del current[doc_id]
            elif action < 0.6:
                doc_id = f"d{rng.randrange(10_000):04d}"
                current[doc_id] = drawn()
            else:
                current[doc_id] = drawn()
            changed.add(doc_id)
        letters = sorted(current.items())
        index = index.updated(letters, changed)
        assert index == LetterIndex.of(letters), step
    assert max(len(ids) for ids in index.by_issuer.values()) > 20  # keys shared by many letters


def test_a_read_sees_only_its_letters_while_the_cache_holds_all(archive: Archive) -> None:
    new = texts(11)
    for n in range(6):
        archive.put(f"letter_{n:03d}", next(new))
    archive.catalogue()
    archive.put("letter_002", next(new))
    hidden = dict(rebuilt(archive.store))["letter_001"]
    # The first read after the change is a restricted one: the state it makes must still hold every
    # letter, and what it answers only those it may see.
    with only({"letter_000", "letter_002"}):
        assert [doc_id for doc_id, _ in archive.catalogue()] == ["letter_000", "letter_002"]
        assert archive.catalogue.meta("letter_001") is None
        assert archive.catalogue.issuer("letter_001") == ""
        index = archive.catalogue.index()
        assert index.named_by_number({hidden.doc_number}, frozenset()) == []
        assert "letter_001" not in index.naming_person(hidden.proposer)
        shown = dict(rebuilt(archive.store))["letter_002"]
        assert index.named_by_number({shown.doc_number}, frozenset()) == ["letter_002"]
    assert archive.catalogue.meta("letter_001") == hidden
    assert_rebuilt(archive)


def test_concurrent_reads_each_see_one_committed_state(archive: Archive) -> None:
    """Readers pinned to a committed state while a writer commits the next ones: within a read the
    catalogue and its index agree and hold only letters of that state; at the end, a rebuild's."""
    new = texts(13)
    for n in range(8):
        archive.put(f"letter_{n:03d}", next(new))
    stop = threading.Event()
    failures: list[str] = []
    seen: set[str] = set()

    def read() -> None:
        while not stop.is_set():
            with archive.lexical.pinned() as snap:
                first = archive.catalogue()
                ids = [doc_id for doc_id, _ in archive.catalogue.index().letters]
                again = archive.catalogue()
            seen.add(snap.fingerprint)
            if first != again or ids != [doc_id for doc_id, _ in first] or not set(ids) <= set(snap.versions):
                failures.append(f"state {snap.fingerprint}: {ids}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        rng = random.Random(13)
        for step in range(10):
            if step % 3 == 2:
                archive.remove(f"letter_{step // 3:03d}")
            else:
                archive.put(f"letter_{rng.randrange(12):03d}", next(new))
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert failures == []
    assert len(seen) > 3  # the readers saw the states the writer committed
    assert_rebuilt(archive)


NEW_LETTER = (
    "某办函〔2025〕9号\n关于测试提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
    "2024年全市技术合同成交额达到321亿元，同比增长18%。\n"
)


def test_the_first_ask_after_an_upload_reads_only_that_letter(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = writable_service
    svc.ask("中国眼谷引进注册企业多少家？")  # the catalogue of the current state is made
    svc.upload("新增答复.txt", NEW_LETTER.encode())
    reads: list[object] = []
    versioned, listed = ChromaStore.versioned_metas, ChromaStore.list_documents

    def versioned_metas(self: ChromaStore, doc_ids: Sequence[str] | None = None) -> Any:
        reads.append(None if doc_ids is None else list(doc_ids))
        return versioned(self, doc_ids)

    def list_documents(self: ChromaStore) -> Any:
        reads.append("every document")
        return listed(self)

    monkeypatch.setattr(ChromaStore, "versioned_metas", versioned_metas)
    monkeypatch.setattr(ChromaStore, "list_documents", list_documents)
    answer = svc.ask("某办函〔2025〕9号答复的是哪位委员的提案？")
    assert reads == [["新增答复"]]
    assert {c.doc_id for c in answer.citations} == {"新增答复"}


def test_the_catalogue_is_made_at_start_from_the_records_start_up_read(
    writable_service: DafuService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up reads every record once (for the committed versions); the catalogue is made from that
    read, so neither start-up nor the first ask reads the records again."""
    reads: list[object] = []
    versioned = ChromaStore.versioned_metas

    def versioned_metas(self: ChromaStore, doc_ids: Sequence[str] | None = None) -> Any:
        reads.append(None if doc_ids is None else list(doc_ids))
        return versioned(self, doc_ids)

    monkeypatch.setattr(ChromaStore, "versioned_metas", versioned_metas)
    svc = build_service(writable_service.settings)
    answer = svc.ask("中国眼谷引进注册企业多少家？")
    assert reads == []
    assert answer.found
    want = rebuilt(svc.store)
    assert want and svc.catalogue() == want
    assert svc.catalogue.index() == LetterIndex.of(want)
