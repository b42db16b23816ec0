"""Idempotent ingestion: unchanged files are skipped, changed ones replaced, bad ones leave no trace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from index.ingest import doc_id_for
from index.tokenize import tokenize
from rag.errors import DocumentNotFound, UnreadableFile, UnsupportedFile
from rag.service import DafuService
from rag.settings import PROJECT_ROOT
from tests.factories import LETTER_001, CountingEmbedder, docx_bytes, index_state, pdf_bytes

LETTERS = PROJECT_ROOT / "data" / "letters"
ALL_IDS = sorted(p.stem for p in LETTERS.glob("*.txt"))


def test_ingesting_the_same_folder_twice_adds_nothing(
    writable_service: DafuService, counting: CountingEmbedder
) -> None:
    before = index_state(writable_service)
    report = writable_service.ingest([LETTERS])
    assert sorted(report.unchanged) == ALL_IDS
    assert report.added == report.updated == report.failed == []
    assert counting.calls == 0
    assert index_state(writable_service) == before


def test_an_unchanged_file_is_not_even_read_again(
    writable_service: DafuService, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same bytes, same reader, same chunk size: skipped on a hash, for a folder and for an upload;
    the same bytes under a new reader are read again, and not embedded when nothing read changed."""
    import index.ingest

    svc = writable_service
    prepare = svc.ingestor.prepare
    reads: list[str] = []

    def counted(name: str, *args: object, **kwargs: object) -> object:
        reads.append(name)
        return prepare(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(svc.ingestor, "prepare", counted)
    assert sorted(svc.ingest([LETTERS]).unchanged) == ALL_IDS
    letter = LETTERS / f"{LETTER_001}.txt"
    assert svc.upload(letter.name, letter.read_bytes()) == (LETTER_001, "unchanged")
    assert reads == []
    monkeypatch.setattr(index.ingest, "reader_fingerprint", lambda: "a-newer-reader")
    assert sorted(svc.ingest([LETTERS]).unchanged) == ALL_IDS
    assert sorted(Path(r).stem for r in reads) == ALL_IDS
    assert counting.calls == 0


def test_a_gb18030_copy_gives_the_same_chunks(writable_service: DafuService, tmp_path: Path) -> None:
    original = next(LETTERS.glob(f"{LETTER_001}.txt"))
    copy = tmp_path / original.name
    copy.write_bytes(original.read_text(encoding="utf-8").encode("gb18030"))
    ingestor = writable_service.ingestor
    utf8, gb = ingestor.prepare(original.name, path=original), ingestor.prepare(copy.name, path=copy)
    assert gb.document.text == utf8.document.text
    assert gb.document.meta == utf8.document.meta
    assert [(c.text, c.start, c.end, c.section) for c in gb.chunks] == [
        (c.text, c.start, c.end, c.section) for c in utf8.chunks
    ]
    # Same canonical text, same version: re-ingesting the GB18030 copy changes nothing.
    assert writable_service.ingest([copy]).unchanged == [LETTER_001]


def test_a_changed_file_replaces_its_chunks_everywhere(
    writable_service: DafuService, counting: CountingEmbedder, tmp_path: Path
) -> None:
    folder = tmp_path / "letters"
    shutil.copytree(LETTERS, folder)
    letter = folder / f"{LETTER_001}.txt"
    old_version = writable_service.store.versions()[LETTER_001]
    letter.write_text(letter.read_text(encoding="utf-8").replace("1588亿元", "1699亿元"), encoding="utf-8")

    report = writable_service.ingest([folder])

    assert report.updated == [LETTER_001] and report.added == []
    assert sorted(report.unchanged) == [i for i in ALL_IDS if i != LETTER_001]
    assert counting.calls == 1  # only the changed letter was embedded
    new_version = writable_service.store.versions()[LETTER_001]
    assert new_version != old_version
    raw = writable_service.store.chunks.get(where={"doc_id": LETTER_001}, include=["metadatas", "documents"])
    assert {m["version"] for m in raw["metadatas"]} == {new_version}  # no stale chunk left in Chroma
    assert not any("1588亿元" in text for text in raw["documents"])
    lexical = writable_service.lexical.search(tokenize("总营收1588亿元"), 50)
    assert not any("1588亿元" in hit.text for hit in lexical)  # nor in BM25
    assert "1699亿元" in writable_service.search("2023年全市生命健康产业总营收")[0].text
    assert len(writable_service.lexical) == sum(d.chunks for d in writable_service.documents())


def test_a_letter_read_differently_is_reindexed(
    writable_service: DafuService, counting: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same text, but the reader now finds other metadata: the stored version is stale."""
    import index.ingest

    letter = LETTERS / f"{LETTER_001}.txt"
    old_version = writable_service.store.versions()[LETTER_001]
    read = index.ingest.extract_meta
    # A new release of the reader: other code (its fingerprint changes), other metadata.
    monkeypatch.setattr(index.ingest, "reader_fingerprint", lambda: "a-newer-reader")
    monkeypatch.setattr(
        index.ingest, "extract_meta", lambda text: read(text).model_copy(update={"issuer": "某某局"})
    )

    report = writable_service.ingest([letter])

    assert report.updated == [LETTER_001] and counting.calls == 1
    assert writable_service.store.versions()[LETTER_001] != old_version
    assert writable_service.document(LETTER_001).meta.issuer == "某某局"


def test_delete_removes_a_document_from_every_index(writable_service: DafuService) -> None:
    svc = writable_service
    svc.delete(LETTER_001)

    assert LETTER_001 not in {d.doc_id for d in svc.documents()}
    assert svc.store.chunks.get(where={"doc_id": LETTER_001})["ids"] == []
    vector = svc.embedder.get_query_embedding("2023年全市生命健康产业总营收")
    assert all(c.doc_id != LETTER_001 for c in svc.store.query(vector, 500))
    assert all(h.doc_id != LETTER_001 for h in svc.lexical.search(tokenize("总营收1588亿元"), 500))
    assert all(h.doc_id != LETTER_001 for h in svc.search("2023年全市生命健康产业总营收", top_k=20))
    with pytest.raises(DocumentNotFound):
        svc.document(LETTER_001)
    with pytest.raises(DocumentNotFound, match=LETTER_001):
        svc.delete(LETTER_001)


def test_a_bad_file_in_a_folder_is_reported_and_the_rest_ingested(
    writable_service: DafuService, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "新答复.txt").write_text(
        "温科提复〔2025〕7号\n关于测试提案的答复函\n某某委员：\n您的提案收悉，现答复如下：\n"
        "2024年全市新增国家高新技术企业712家。\n",
        encoding="utf-8",
    )
    (folder / "损坏.docx").write_bytes(b"not a zip at all")
    (folder / "乱码.txt").write_bytes(b"\xff\x80\xfe\x81" * 100)

    report = writable_service.ingest([folder])

    assert report.added == ["新答复"]
    assert sorted(Path(name).name for name, _ in report.failed) == ["乱码.txt", "损坏.docx"]
    for name, message in report.failed:
        assert Path(name).name in message
    assert "712家" in writable_service.search("新增国家高新技术企业")[0].text


def test_a_corrupt_docx_changes_nothing(writable_service: DafuService) -> None:
    before = index_state(writable_service)
    with pytest.raises(UnreadableFile, match=r"坏\.docx"):
        writable_service.upload("坏.docx", docx_bytes(["正文。"])[:700])
    assert index_state(writable_service) == before
    assert writable_service.lexical.fingerprint == writable_service.store.fingerprint()


def test_an_unsupported_upload_changes_nothing(writable_service: DafuService) -> None:
    before = index_state(writable_service)
    with pytest.raises(UnsupportedFile, match=r"tool\.exe"):
        writable_service.upload("tool.exe", b"MZ\x90\x00")
    assert index_state(writable_service) == before


def test_docx_and_pdf_uploads_are_indexed_and_searchable(writable_service: DafuService) -> None:
    doc_id, status = writable_service.upload(
        "眼谷简报.docx",
        docx_bytes(["关于眼谷的简报", "2024年眼谷新引进眼科医疗器械企业37家，累计达到215家。"]),
    )
    assert (doc_id, status) == ("眼谷简报", "added")
    assert "37家" in writable_service.search("眼谷新引进眼科医疗器械企业", filters=None)[0].text
    pdf_id, _ = writable_service.upload(
        "summary.pdf", pdf_bytes(["Wenzhou eye valley annual summary.", "Total output reached 4242 units."])
    )
    assert "4242" in writable_service.document(pdf_id).text
    assert writable_service.upload(
        "眼谷简报.docx",
        docx_bytes(["关于眼谷的简报", "2024年眼谷新引进眼科医疗器械企业37家，累计达到215家。"]),
    ) == (doc_id, "unchanged")


def test_doc_ids_are_safe_and_stable() -> None:
    assert doc_id_for("000_1e27e530b0266b6c.txt") == "000_1e27e530b0266b6c"
    assert doc_id_for("关于眼谷-2024.docx") == "关于眼谷-2024"
    assert doc_id_for("../../etc/关于 眼谷.docx") == doc_id_for("关于 眼谷.txt")
    assert re.fullmatch(r"关于_眼谷\.[0-9a-f]{10}", doc_id_for("关于 眼谷.docx"))
    assert doc_id_for("???.txt") == doc_id_for("???.txt") != ""
    assert all(
        re.fullmatch(r"[\w\-.]+", doc_id_for(n)) for n in ("a b.txt", "?.md", "x<y>.pdf", "报告(1).txt")
    )


def test_names_that_differ_only_in_symbols_get_different_ids() -> None:
    names = ["报告(1).txt", "报告[1].txt", "报告 1.docx", "报告_1.txt", "报告（1）.txt", "报告-1.txt"]
    ids = [doc_id_for(n) for n in names]
    assert len(set(ids)) == len(names), ids
    # The extension names the format, not the letter: a.txt and a.docx share an id, and replacing one
    # by the other must be asked for (see the upload and ingest tests).
    assert doc_id_for("报告(1).txt") == doc_id_for("报告(1).docx")


def test_two_files_with_the_same_stem_do_not_replace_each_other(
    writable_service: DafuService, tmp_path: Path
) -> None:
    folder = tmp_path / "same"
    folder.mkdir()
    (folder / "通知.txt").write_text("关于测试的通知\n2024年全市新增孵化器9家。\n", encoding="utf-8")
    (folder / "通知.docx").write_bytes(docx_bytes(["关于测试的通知", "2024年全市新增众创空间15家。"]))

    first = writable_service.ingest([folder])
    assert first.added == ["通知"]
    assert [(Path(name).name, "通知.txt" in message) for name, message in first.failed] == [
        ("通知.txt", True)
    ]
    second = writable_service.ingest([folder])
    assert second.unchanged == ["通知"] and second.added == second.updated == []


def test_an_interrupted_folder_ingest_goes_on_where_it_stopped(
    writable_service: DafuService, counting: CountingEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of a folder: the batches committed before stay, the index is consistent, and
    the same command again embeds only the letters not yet committed."""
    import index.ingest
    from eval import synth
    from tests.reliability.consistency import check

    svc = writable_service
    folder = tmp_path / "archive"
    names = [p.stem for p in synth.write(folder, 7, synth.pool_of([LETTERS]), seed=4)]
    monkeypatch.setattr(index.ingest, "_COMMIT_LETTERS", 2)

    def interrupt(name: str, done: int, total: int) -> None:
        if done == 5:  # two batches of two committed, the fifth letter read
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        svc.ingest([folder], interrupt)
    assert counting.calls == 2
    assert sorted(d for d in svc.store.versions() if d in names) == names[:4]
    assert check(svc).ok

    report = svc.ingest([folder])
    assert sorted(report.unchanged) == names[:4] and sorted(report.added) == names[4:]
    assert counting.calls == 4  # the last three letters: one batch of two, then one
    assert check(svc).ok
