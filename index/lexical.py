"""BM25 over jieba tokens (``index.bm25``), persisted beside Chroma and kept in step with it one letter at
a time.

The index in memory is an immutable snapshot (the committed versions it holds and their postings),
replaced as a whole: a search never sees half of a change. A reader pins the current snapshot for a
whole request (``pinned``), and with it the versions the dense side filters by.

Bringing it up to date (``sync``) costs what changed, not the corpus: letters whose committed version
differs are taken out, and the new versions put in, from their persisted files when present, else from
Chroma (tokenised once). On disk each letter is one file (its chunks and their tokens, keyed by its
version), written into a temp file and renamed; only writers (holding the data dir's write lock)
write or remove files. A file that is missing, unreadable or of another version is simply not used.

Beside the letters' files, a checkpoint (``index.checkpoint``: the postings and chunks of every letter
as flat arrays, with the versions they hold) lets a process start by mapping one file instead of
reading every letter's: it then applies only the letters whose version differs. A writer writes a new
checkpoint when more than ``CHECKPOINT_SHARE`` of the letters (and at least ``CHECKPOINT_MIN``) differ
from the last one. A checkpoint that is missing, cut short, unreadable or whose fingerprint does not
match its versions is ignored: the letters' files are read as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import checkpoint
from index.bm25 import Entry, Letter, Postings
from index.store import ChromaStore, fingerprint_of, matches, pinned
from index.tokenize import TOKENIZER_VERSION, tokenize
from index.visibility import restriction, visible
from rag.types import Filters, Hit

log = logging.getLogger(__name__)

# Bumped whenever the persisted layout changes, so older files are rebuilt rather than misread.
_FORMAT = "4"
_CHECKPOINT_FORMAT = "1"
# A writer checkpoints again when more than this share of the letters, and at least this many, differ
# from the last checkpoint.
CHECKPOINT_SHARE = 0.02
CHECKPOINT_MIN = 64


@dataclass(frozen=True)
class Snapshot:
    """One committed state of the store, searchable by BM25."""

    fingerprint: str = ""
    versions: Mapping[str, str] = field(default_factory=dict)
    postings: Postings = field(default_factory=Postings)

    @property
    def hits(self) -> tuple[Hit, ...]:
        """Every chunk, in reading order (costs the corpus: for checks, not for requests)."""
        return tuple(self.postings.hits())

    def __len__(self) -> int:
        return len(self.postings)


_PINNED: ContextVar[Snapshot | None] = ContextVar("dafu_pinned_lexical", default=None)


class LexicalIndex:
    """In-memory BM25 over the committed chunks of a ``ChromaStore``; ``path`` holds its folders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._snap = Snapshot()
        # The versions whose files this process last saw complete: later writes touch only what differs.
        self._persisted: dict[str, str] | None = None
        # The versions of the checkpoint on disk, as this process last wrote or read it (None: unknown).
        self._checkpointed: dict[str, str] | None = None
        # The checkpoint file last considered (inode, mtime, size): not read again to be refused again.
        self._considered: tuple[int, int, int] | None = None

    @property
    def snapshot(self) -> Snapshot:
        """The pinned snapshot inside ``pinned()``, else the current one."""
        return _PINNED.get() or self._snap

    @property
    def fingerprint(self) -> str:
        return self.snapshot.fingerprint

    def __len__(self) -> int:
        return len(self.snapshot)

    @contextmanager
    def pinned(self) -> Iterator[Snapshot]:
        """Search the current snapshot, and filter the store by its versions, until the block ends."""
        snap = self.snapshot
        token = _PINNED.set(snap)
        try:
            with pinned(snap.versions):
                yield snap
        finally:
            _PINNED.reset(token)

    @contextmanager
    def unpinned(self) -> Iterator[None]:
        """Undo ``pinned`` within the block: a write sees the store as it is."""
        token = _PINNED.set(None)
        try:
            with pinned(None):
                yield
        finally:
            _PINNED.reset(token)

    def sync(self, store: ChromaStore, *, persist: bool = False) -> None:
        """Match the store's committed versions, changing only the letters that differ.

        ``persist``: the caller holds the write lock; write the files of letters read from Chroma and
        remove those of letters no longer committed.
        """
        versions = store.versions()
        current = self._snap
        read: list[Letter] = []
        if current.versions != versions:
            base = self._base(current, versions)
            removed = [d for d, v in base.versions.items() if versions.get(d) != v]
            wanted = [d for d, v in versions.items() if base.versions.get(d) != v]
            loaded = self._load(wanted, versions)
            missing = [d for d in wanted if d not in loaded]
            read = self._read(store, missing, versions)
            postings = base.postings.replace(removed, [*loaded.values(), *read])
            self._snap = Snapshot(fingerprint_of(versions), dict(versions), postings)
        if persist:
            self._persist(versions, read)
            self._checkpoint(versions)

    def rebuild(self, store: ChromaStore, *, persist: bool = False) -> None:
        """Rebuild from the store, ignoring any persisted file."""
        versions = store.versions()
        letters = self._read(store, list(versions), versions)
        self._snap = Snapshot(fingerprint_of(versions), dict(versions), Postings().replace((), letters))
        if persist:
            self._persist(versions, letters)
            self._checkpoint(versions)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the chunks; unseen tokens weigh the most."""
        return self.snapshot.postings.idf(token)

    def known(self, token: str) -> bool:
        """Whether any indexed chunk contains the token."""
        return token in self.snapshot.postings.terms

    def search(self, tokens: Sequence[str], k: int, filters: Filters | None = None) -> list[Hit]:
        """The best chunks for a question's search tokens (``index.tokenize.tokenize``), BM25-scored."""
        postings = self.snapshot.postings
        tokens = list(tokens)
        if not tokens or not any(t in postings.terms for t in tokens):
            return []
        out: list[Hit] = []
        # A filter or a reader's restriction: the letters it keeps, by their metadata, before scoring
        # (a filter to one letter would otherwise look at every chunk scored above its own).
        letters = None
        if (filters is not None and not filters.is_empty()) or restriction() is not None:
            if filters is not None and filters.doc_id:
                one = postings.letters.get(filters.doc_id)
                candidates: Iterable[Entry] = () if one is None else (one,)
            else:
                candidates = postings.letters.values()
            letters = [e for e in candidates if visible(e.doc_id) and matches(filters, e)]
        # Only the kept letters' chunks score above zero: a hit is made only for what is returned.
        for slot, score in postings.ranked_slots(tokens, letters=letters):
            if len(out) >= k:
                break
            out.append(postings.hit(slot, score))
        return out

    # -- reading letters and persistence -----------------------------------------------------------
    @staticmethod
    def _read(store: ChromaStore, doc_ids: Sequence[str], versions: Mapping[str, str]) -> list[Letter]:
        """The committed chunks of ``doc_ids`` from Chroma, tokenised."""
        if not doc_ids:
            return []
        with pinned(versions):
            by_letter = store.letter_hits(doc_ids)
        return [
            Letter(d, versions[d], tuple(hits), tuple(tuple(_tokens(h)) for h in hits))
            for d, hits in by_letter.items()
        ]

    def _folder(self) -> Path:
        return self.path / f"letters-{_FORMAT}.{TOKENIZER_VERSION}"

    def _file(self, doc_id: str) -> Path:
        return self._folder() / _file_name(doc_id)

    def _load(self, doc_ids: Sequence[str], versions: Mapping[str, str]) -> dict[str, Letter]:
        """The persisted letters among ``doc_ids`` whose file holds the committed version."""
        out: dict[str, Letter] = {}
        for doc_id in doc_ids:
            path = self._file(doc_id)
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
                if payload.get("doc_id") != doc_id or payload.get("version") != versions[doc_id]:
                    continue
                hits = tuple(Hit.model_validate(h) for h in payload["hits"])
                tokens = tuple(tuple(t) for t in payload["tokens"])
                if len(tokens) != len(hits):
                    raise ValueError("tokens and chunks differ in number")
            except FileNotFoundError:
                continue
            # A writer may replace or remove a file while another process reads it: read Chroma instead.
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning(
                    "lexical index file %s unreadable (%s); reading the letter from the store", path, exc
                )
                continue
            out[doc_id] = Letter(doc_id, versions[doc_id], hits, tokens)
        return out

    def _persist(self, versions: Mapping[str, str], letters: Sequence[Letter]) -> None:
        """Write ``letters``' files and those of the snapshot's letters that have none; remove files of
        letters no longer committed, and older layouts."""
        folder = self._folder()
        folder.mkdir(parents=True, exist_ok=True)
        written = {letter.doc_id for letter in letters}
        postings = self._snap.postings
        known = self._persisted
        # The first time in a process every letter's file is checked; after that, the letters whose
        # version changed since (a write of one letter costs that letter, not the archive).
        changed = [d for d, v in versions.items() if known is None or known.get(d) != v]
        names = {d: _file_name(d) for d in (versions if known is None else changed)}
        # One listing of the folder rather than a file-system call per letter (10,000 at start-up).
        present = (
            set(os.listdir(folder)) if known is None else {n for n in names.values() if (folder / n).exists()}
        )
        unwritten = [
            d for d in changed if d not in written and d in postings.letters and names[d] not in present
        ]
        for doc_id in unwritten:
            hits = postings.letter_hits(doc_id)
            letters = [
                *letters,
                Letter(doc_id, versions[doc_id], hits, tuple(tuple(_tokens(h)) for h in hits)),
            ]
        for letter in letters:
            payload = {
                "doc_id": letter.doc_id,
                "version": letter.version,
                "hits": [h.model_dump() for h in letter.hits],
                "tokens": [list(t) for t in letter.tokens],
            }
            fd, tmp = tempfile.mkstemp(prefix=".writing-", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(payload, out, ensure_ascii=False)
                os.replace(tmp, self._file(letter.doc_id))
            finally:
                Path(tmp).unlink(missing_ok=True)
        if known is not None:
            for doc_id in known.keys() - versions.keys():
                self._file(doc_id).unlink(missing_ok=True)
            self._persisted = dict(versions)
            return
        keep = set(names.values())
        for name in present - keep:
            (folder / name).unlink(missing_ok=True)
        for child in self.path.iterdir():
            if child not in (folder, self._checkpoint_path()):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        self._persisted = dict(versions)

    # -- the checkpoint ----------------------------------------------------------------------------
    def _checkpoint_path(self) -> Path:
        return self.path / f"checkpoint-{_CHECKPOINT_FORMAT}.{_FORMAT}.{TOKENIZER_VERSION}.bin"

    @staticmethod
    def _due(versions: Mapping[str, str]) -> int:
        """How many letters may differ from a checkpoint before it is written again."""
        return max(CHECKPOINT_MIN, int(CHECKPOINT_SHARE * len(versions)))

    def _base(self, current: Snapshot, versions: Mapping[str, str]) -> Snapshot:
        """What to change into ``versions``: the current snapshot, or the checkpoint when it is closer
        (at start, or when many letters changed), or when the current one holds many letters as
        objects that the checkpoint holds in its arrays."""
        due = self._due(versions)
        differ = _differing(current.versions, versions)
        held = current.postings.held
        if current.versions and differ <= due and held <= due:
            return current
        path = self._checkpoint_path()
        try:
            stat = path.stat()
        except FileNotFoundError:
            return current
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == self._considered:
            return current  # the same file as last time, when it was refused or is already the base
        self._considered = seen
        try:
            header = checkpoint.read_header(path)
            held_versions = _held_versions(header)
            if header.get("fingerprint") != fingerprint_of(held_versions):
                raise ValueError("its fingerprint does not match the versions it holds")
            closer = _differing(held_versions, versions)
            if not (closer < differ or (held > due and closer <= due)):
                return current
            header, arrays = checkpoint.read(path)
            held_versions = _held_versions(header)
            if header.get("fingerprint") != fingerprint_of(held_versions):
                raise ValueError("it was replaced while it was read, by a broken one")
            postings = Postings.from_arrays(header, arrays)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("lexical index checkpoint %s not used (%s); reading the letters' files", path, exc)
            return current
        self._checkpointed = held_versions
        return Snapshot(header["fingerprint"], held_versions, postings)

    def _checkpoint(self, versions: Mapping[str, str]) -> None:
        """Write a checkpoint of the snapshot (which holds ``versions``) when more letters than ``_due``
        differ from the last one; then start again from it, so the letters held as objects go."""
        last = self._checkpointed
        if last is None:
            try:
                header = checkpoint.read_header(self._checkpoint_path())
                last = _held_versions(header)
            except (OSError, ValueError, KeyError, TypeError):
                last = {}
        self._checkpointed = last
        if _differing(last, versions) <= self._due(versions):
            return
        snap = self._snap
        assert snap.versions == versions
        header, arrays = snap.postings.to_arrays()
        path = self._checkpoint_path()
        checkpoint.write(path, {"fingerprint": snap.fingerprint, **header}, arrays)
        self._checkpointed = dict(versions)
        try:
            header, arrays = checkpoint.read(path)
            postings = Postings.from_arrays(header, arrays)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # should not happen: keep what we have
            log.warning("lexical index checkpoint %s just written does not read back (%s)", path, exc)
            return
        stat = path.stat()
        self._considered = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        self._snap = Snapshot(snap.fingerprint, snap.versions, postings)


def _differing(a: Mapping[str, str], b: Mapping[str, str]) -> int:
    """How many letters are in one of ``a`` and ``b`` and not in the other at the same version."""
    return sum(1 for d, v in a.items() if b.get(d) != v) + sum(1 for d in b if d not in a)


def _held_versions(header: Mapping[str, Any]) -> dict[str, str]:
    """doc_id -> version of the letters a checkpoint's header lists."""
    return {str(d): str(v) for d, v, *_ in header["letters"]}


def _file_name(doc_id: str) -> str:
    return f"{hashlib.sha256(doc_id.encode()).hexdigest()[:24]}.json"


def _tokens(hit: Hit) -> list[str]:
    return tokenize(f"{hit.section}\n{hit.text}")
