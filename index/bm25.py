"""BM25 (the Lucene variant: k1 = 1.2, b = 0.75) over chunks, changed one letter at a time.

An ``Postings`` value is immutable: ``replace`` returns a new one that shares everything the change did
not touch, so its cost grows with the letters changed (their tokens' posting lists), not with the
corpus. Chunks live in slots; a removed letter's slots stay empty until the empty share grows past a
quarter, and then they are compacted (slots renumbered; nothing is tokenised again).

Memory: the postings are arrays, and chunks are not Python objects. A letter is one ``Entry``; the
chunks of letters loaded from a checkpoint (``to_arrays`` / ``from_arrays``, memory-mapped by
``index.checkpoint``) stay in its arrays (texts, sections, offsets, each letter's distinct tokens), and
a ``Hit`` is made only for a chunk a search returns. Letters added since (few: the checkpoint is written
again when many differ) keep their ``Letter``, tokens included, to be taken out again.

Scores are those of a BM25 index built from scratch over the same chunks (``tests/index/test_bm25.py``
checks them against bm25s); ties are broken by reading order (letter id, then place in the letter),
never by the order in which letters happened to be added.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rag.types import Hit

K1 = 1.2
B = 0.75
_COMPACT_SHARE = 0.25  # compact once this share of the slots is empty
_ORDINAL_BITS = 20  # a letter has fewer than a million chunks
_SOURCES = ("lexical",)


@dataclass(frozen=True)
class Letter:
    """One letter's chunks, in reading order, with each chunk's tokens."""

    doc_id: str
    version: str
    hits: tuple[Hit, ...]
    tokens: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Strings:
    """Strings in one UTF-8 buffer: string ``i`` is ``blob[offsets[i]:offsets[i + 1]]``."""

    blob: np.ndarray  # uint8
    offsets: np.ndarray  # int64, one more than there are strings

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[int(self.offsets[i]) : int(self.offsets[i + 1])]).decode("utf-8")


@dataclass(frozen=True)
class Stored:
    """Chunks held in arrays (a checkpoint's, usually memory-mapped), by row: a letter's chunks are
    consecutive rows. ``tokens``: each letter's distinct tokens (ids into ``vocabulary``), by the
    letter's number in the checkpoint."""

    vocabulary: Sequence[str]
    chunk_ids: Strings
    sections: Strings
    texts: Strings
    start: np.ndarray
    end: np.ndarray
    ocr: np.ndarray
    token_offsets: np.ndarray
    token_ids: np.ndarray


@dataclass(frozen=True, slots=True)
class Entry:
    """One letter in the postings: its slots ``first .. first + count - 1`` (in reading order), the
    metadata its chunks' hits carry, and where its chunks are: rows ``row ..`` of the stored arrays
    (``stored`` its number there), or its ``Letter``."""

    doc_id: str
    version: str
    number: int
    first: int
    count: int
    doc_number: str = ""
    title: str = ""
    kind: str = ""
    proposer: str = ""
    year: int | None = None
    row: int = -1
    stored: int = -1
    letter: Letter | None = None

    @property
    def slots(self) -> range:
        return range(self.first, self.first + self.count)


@dataclass(frozen=True)
class Postings:
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    ordinals: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    letter_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: empty slot
    terms: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # slots, tfs
    letters: Mapping[str, Entry] = field(default_factory=dict)  # by doc id
    numbers: Mapping[int, Entry] = field(default_factory=dict)  # by letter number
    live: int = 0
    total_length: float = 0.0
    next_number: int = 0
    stored: Stored | None = None
    _rank: np.ndarray | None = None  # reading-order key per slot, computed on first search

    # -- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.live

    @property
    def held(self) -> int:
        """Letters whose chunks are held as Python objects (added since the checkpoint)."""
        return sum(1 for entry in self.letters.values() if entry.letter is not None)

    def df(self, token: str) -> int:
        got = self.terms.get(token)
        return 0 if got is None else len(got[0])

    def idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))

    def hit(self, slot: int, score: float = 0.0) -> Hit:
        """The chunk in ``slot`` as a hit with ``score``."""
        entry = self.entry_of(slot)
        ordinal = int(self.ordinals[slot])
        if entry.letter is not None:
            hit = entry.letter.hits[ordinal]
            return hit if score == hit.score else hit.model_copy(update={"score": score})
        stored = self.stored
        assert stored is not None
        row = entry.row + ordinal
        return Hit(
            chunk_id=stored.chunk_ids[row],
            doc_id=entry.doc_id,
            doc_number=entry.doc_number,
            title=entry.title,
            section=stored.sections[row],
            text=stored.texts[row],
            start=int(stored.start[row]),
            end=int(stored.end[row]),
            score=score,
            year=entry.year,
            kind=entry.kind,
            proposer=entry.proposer,
            sources=_SOURCES,
            ocr=bool(stored.ocr[row]),
        )

    def hits(self) -> Iterator[Hit]:
        """Every chunk, in reading order."""
        for doc_id in sorted(self.letters):
            yield from self.letter_hits(doc_id)

    def letter_hits(self, doc_id: str) -> tuple[Hit, ...]:
        """One letter's chunks, in reading order."""
        return tuple(self.hit(slot) for slot in self.letters[doc_id].slots)

    def letter_tokens(self, entry: Entry) -> Iterable[str]:
        """The distinct tokens of a letter's chunks (to take it out of their posting lists)."""
        if entry.letter is not None:
            return {t for chunk in entry.letter.tokens for t in chunk}
        stored = self.stored
        assert stored is not None
        at = stored.token_offsets
        ids = stored.token_ids[int(at[entry.stored]) : int(at[entry.stored + 1])]
        return [stored.vocabulary[i] for i in ids.tolist()]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every slot for the query tokens (each occurrence in the query counts)."""
        out = np.zeros(len(self.lengths), np.float32)
        if not self.live:
            return out
        average = self.total_length / self.live
        for token in tokens:
            got = self.terms.get(token)
            if got is None:
                continue
            slots, tfs = got
            norm = K1 * ((1.0 - B) + B * self.lengths[slots] / average)
            out[slots] += np.float32(self.idf(token)) * (tfs / (tfs + norm))
        return out

    def ranked_slots(
        self, tokens: Sequence[str], first: int = 64, letters: Iterable[Entry] | None = None
    ) -> Iterator[tuple[int, float]]:
        """Slots with a positive score, best first; equal scores in reading order. Only the best
        ``first`` (and any tied with the last of them) are sorted before the first is yielded; the rest
        only if the caller reads on (filters may skip many). ``letters``: only their chunks."""
        scores = self.scores(tokens)
        if letters is not None:
            kept = np.zeros(len(scores), bool)
            for entry in letters:
                kept[entry.first : entry.first + entry.count] = True
            scores[~kept] = 0.0
        candidates = np.flatnonzero(scores > 0)
        rank = self._reading_rank()
        if len(candidates) > first:
            kth = np.partition(scores[candidates], len(candidates) - first)[len(candidates) - first]
            best = scores[candidates] >= kth
            head, rest = candidates[best], candidates[~best]
        else:
            head, rest = candidates, candidates[:0]
        for part in (head, rest):
            for slot in part[np.lexsort((rank[part], -scores[part]))]:
                yield int(slot), float(scores[slot])

    def ranked(self, tokens: Sequence[str], first: int = 64) -> Iterator[tuple[Hit, float]]:
        """``ranked_slots`` as hits carrying their score."""
        for slot, score in self.ranked_slots(tokens, first):
            yield self.hit(slot, score), score

    def entry_of(self, slot: int) -> Entry:
        """The letter a slot's chunk belongs to."""
        return self.numbers[int(self.letter_of[slot])]

    def _reading_rank(self) -> np.ndarray:
        if self._rank is None:
            # Letter numbers by letter id, so that ties never depend on the order of additions.
            by_id = np.full(max(self.next_number, 1), -1, np.int64)
            for rank, doc_id in enumerate(sorted(self.letters)):
                by_id[self.letters[doc_id].number] = rank
            safe = np.where(self.letter_of >= 0, self.letter_of, 0)
            rank = (by_id[safe] << _ORDINAL_BITS) + self.ordinals
            object.__setattr__(self, "_rank", np.where(self.letter_of >= 0, rank, np.iinfo(np.int64).max))
        assert self._rank is not None
        return self._rank

    # -- changing ----------------------------------------------------------------------------------
    def replace(self, removed: Iterable[str], added: Iterable[Letter]) -> Postings:
        """A new value without the letters ``removed`` (ids) and with ``added`` (an added letter that is
        already here replaces it)."""
        added = list(added)
        gone = {d for d in [*removed, *(a.doc_id for a in added)] if d in self.letters}
        if not gone and not added:
            return self
        out = self._replaced(gone, added)
        if len(out.lengths) and len(out.lengths) - out.live > _COMPACT_SHARE * len(out.lengths):
            out = out._compacted()
        return out

    def _replaced(self, gone: set[str], added: list[Letter]) -> Postings:
        letters = dict(self.letters)
        numbers = dict(self.numbers)
        terms = dict(self.terms)
        live, total = self.live, self.total_length
        lengths, ordinals, letter_of = self.lengths, self.ordinals, self.letter_of
        # Remove: clear the slots, drop them from their tokens' posting lists.
        freed: list[range] = []
        touched: dict[str, None] = {}
        for doc_id in gone:
            entry = letters.pop(doc_id)
            del numbers[entry.number]
            total -= float(lengths[entry.first : entry.first + entry.count].sum(dtype=np.float64))
            touched.update(dict.fromkeys(self.letter_tokens(entry)))
            freed.append(entry.slots)
            live -= entry.count
        if freed:
            dead = np.concatenate([np.arange(r.start, r.stop, dtype=np.int64) for r in freed])
            letter_of = letter_of.copy()
            letter_of[dead] = -1
            for token in touched:
                if token not in terms:
                    continue
                at, tfs = terms[token]
                keep = ~np.isin(at, dead)
                if keep.all():
                    continue
                if keep.any():
                    terms[token] = (at[keep], tfs[keep])
                else:
                    del terms[token]
        # Add: new slots at the end; the postings of all added chunks are counted at once (one pass to
        # number the tokens, then array operations), so loading a large archive stays fast.
        number = self.next_number
        first_slot = slot = len(lengths)
        chunk_lengths: list[int] = []
        new_ordinals: list[int] = []
        new_letters: list[int] = []
        flat: list[str] = []
        for letter in added:
            first = slot
            for ordinal, chunk_tokens in enumerate(letter.tokens):
                chunk_lengths.append(len(chunk_tokens))
                new_ordinals.append(ordinal)
                new_letters.append(number)
                flat.extend(chunk_tokens)
            if len(letter.tokens) != len(letter.hits):
                raise ValueError(f"{letter.doc_id}: tokens and chunks differ in number")
            slot += len(letter.hits)
            head = letter.hits[0] if letter.hits else None
            entry = Entry(
                letter.doc_id,
                letter.version,
                number,
                first,
                len(letter.hits),
                doc_number=head.doc_number if head else "",
                title=head.title if head else "",
                kind=head.kind if head else "",
                proposer=head.proposer if head else "",
                year=head.year if head else None,
                letter=letter,
            )
            letters[letter.doc_id] = numbers[number] = entry
            live += len(letter.hits)
            number += 1
        if chunk_lengths:
            total += float(len(flat))
            counts = np.asarray(chunk_lengths, np.int64)
            lengths = np.concatenate([lengths, counts.astype(np.float32)])
            ordinals = np.concatenate([ordinals, np.asarray(new_ordinals, np.int64)])
            letter_of = np.concatenate([letter_of, np.asarray(new_letters, np.int64)])
            for token, at, tfs in _postings(flat, counts, first_slot):
                old_terms = terms.get(token)
                terms[token] = (
                    (at, tfs)
                    if old_terms is None
                    else (np.concatenate([old_terms[0], at]), np.concatenate([old_terms[1], tfs]))
                )
        return Postings(
            lengths,
            ordinals,
            letter_of,
            terms,
            letters,
            numbers,
            live,
            max(total, 0.0),
            number,
            self.stored,
        )

    def _compacted(self) -> Postings:
        """The same chunks without empty slots (slot numbers change; nothing is re-tokenised)."""
        keep = self.letter_of >= 0
        new_slot = np.cumsum(keep) - 1
        terms = {token: (new_slot[at], tfs) for token, (at, tfs) in self.terms.items()}
        letters = {
            doc_id: replace(entry, first=int(new_slot[entry.first]) if entry.count else 0)
            for doc_id, entry in self.letters.items()
        }
        return Postings(
            self.lengths[keep],
            self.ordinals[keep],
            self.letter_of[keep],
            terms,
            letters,
            {entry.number: entry for entry in letters.values()},
            self.live,
            self.total_length,
            self.next_number,
            self.stored,
        )

    # -- checkpoints ---------------------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The postings as a header (letters, vocabulary) and flat arrays, letters in id order, their
        chunks in consecutive rows; ``from_arrays`` makes them postings again (``index.checkpoint``
        writes and maps them)."""
        order = [self.letters[d] for d in sorted(self.letters)]
        vocabulary = sorted(self.terms)
        term_id = {t: i for i, t in enumerate(vocabulary)}
        stored = self.stored
        old_to_new = (
            np.asarray([term_id.get(t, -1) for t in stored.vocabulary], np.int64)
            if stored is not None
            else np.zeros(0, np.int64)
        )
        slot_to_row = np.full(len(self.lengths), -1, np.int64)
        rows: list[np.ndarray] = []
        strings: dict[str, list[bytes]] = {"chunk_ids": [], "sections": [], "texts": []}
        sizes: dict[str, list[np.ndarray]] = {name: [] for name in strings}
        start: list[np.ndarray] = []
        end: list[np.ndarray] = []
        ocr: list[np.ndarray] = []
        token_ids: list[np.ndarray] = []
        token_counts: list[int] = []
        row = 0
        for entry in order:
            slot_to_row[entry.first : entry.first + entry.count] = np.arange(row, row + entry.count)
            rows.append(np.arange(entry.first, entry.first + entry.count))
            row += entry.count
            if entry.letter is not None:
                hits = entry.letter.hits
                for name, values in (
                    ("chunk_ids", [h.chunk_id for h in hits]),
                    ("sections", [h.section for h in hits]),
                    ("texts", [h.text for h in hits]),
                ):
                    encoded = [v.encode("utf-8") for v in values]
                    strings[name].append(b"".join(encoded))
                    sizes[name].append(np.asarray([len(e) for e in encoded], np.int64))
                start.append(np.asarray([h.start for h in hits], np.int32))
                end.append(np.asarray([h.end for h in hits], np.int32))
                ocr.append(np.asarray([h.ocr for h in hits], np.uint8))
                ids = np.asarray(sorted(term_id[t] for t in self.letter_tokens(entry)), np.int32)
            else:
                assert stored is not None
                span = slice(entry.row, entry.row + entry.count)
                for name in strings:
                    column: Strings = getattr(stored, name)
                    lo, hi = int(column.offsets[entry.row]), int(column.offsets[entry.row + entry.count])
                    strings[name].append(bytes(column.blob[lo:hi]))
                    sizes[name].append(np.diff(column.offsets[entry.row : entry.row + entry.count + 1]))
                start.append(np.asarray(stored.start[span], np.int32))
                end.append(np.asarray(stored.end[span], np.int32))
                ocr.append(np.asarray(stored.ocr[span], np.uint8))
                at = stored.token_offsets
                old = np.asarray(
                    stored.token_ids[int(at[entry.stored]) : int(at[entry.stored + 1])], np.int64
                )
                new = old_to_new[old]
                ids = np.sort(new[new >= 0]).astype(np.int32)
            token_ids.append(ids)
            token_counts.append(len(ids))
        postings_at = [self.terms[t][0] for t in vocabulary]
        postings_tf = [self.terms[t][1] for t in vocabulary]
        arrays: dict[str, np.ndarray] = {
            "lengths": _joined([self.lengths[r] for r in rows], np.float32),
            "start": _joined(start, np.int32),
            "end": _joined(end, np.int32),
            "ocr": _joined(ocr, np.uint8),
            "token_offsets": _offsets(np.asarray(token_counts, np.int64)),
            "token_ids": _joined(token_ids, np.int32),
            "posting_offsets": _offsets(np.asarray([len(a) for a in postings_at], np.int64)),
            "posting_rows": slot_to_row[_joined(postings_at, np.int64)].astype(np.int32),
            "posting_tfs": _joined(postings_tf, np.float32),
        }
        for name in strings:
            arrays[f"{name}_blob"] = np.frombuffer(b"".join(strings[name]), np.uint8)
            arrays[f"{name}_offsets"] = _offsets(_joined(sizes[name], np.int64))
        header = {
            "letters": [
                [e.doc_id, e.version, e.count, e.doc_number, e.title, e.kind, e.proposer, e.year]
                for e in order
            ],
            "vocabulary": vocabulary,
        }
        return header, arrays

    @staticmethod
    def from_arrays(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Postings:
        """The postings ``to_arrays`` wrote (the arrays are used as they are: memory-mapped stays so)."""
        rows = header["letters"]
        vocabulary = list(header["vocabulary"])
        counts = np.asarray([r[2] for r in rows], np.int64)
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(rows) else counts
        total_rows = int(counts.sum())
        for name in ("lengths", "start", "end", "ocr"):
            if len(arrays[name]) != total_rows:
                raise ValueError(f"checkpoint array {name} has {len(arrays[name])} rows, not {total_rows}")
        strings = {
            n: Strings(arrays[f"{n}_blob"], arrays[f"{n}_offsets"])
            for n in ("chunk_ids", "sections", "texts")
        }
        stored = Stored(
            vocabulary,
            chunk_ids=strings["chunk_ids"],
            sections=strings["sections"],
            texts=strings["texts"],
            start=arrays["start"],
            end=arrays["end"],
            ocr=arrays["ocr"],
            token_offsets=arrays["token_offsets"],
            token_ids=arrays["token_ids"],
        )
        for name in ("chunk_ids", "sections", "texts"):
            column: Strings = getattr(stored, name)
            if len(column.offsets) != total_rows + 1 or int(column.offsets[-1]) != len(column.blob):
                raise ValueError(f"checkpoint strings {name} do not match the rows")
        if len(stored.token_offsets) != len(rows) + 1 or int(stored.token_offsets[-1]) != len(
            stored.token_ids
        ):
            raise ValueError("checkpoint tokens do not match the letters")
        offsets = arrays["posting_offsets"]
        at, tfs = arrays["posting_rows"], arrays["posting_tfs"]
        if len(offsets) != len(vocabulary) + 1 or int(offsets[-1]) != len(at) or len(at) != len(tfs):
            raise ValueError("checkpoint postings do not match the vocabulary")
        bounds = offsets.tolist()
        terms = {
            token: (at[bounds[i] : bounds[i + 1]], tfs[bounds[i] : bounds[i + 1]])
            for i, token in enumerate(vocabulary)
        }
        letters: dict[str, Entry] = {}
        numbers: dict[int, Entry] = {}
        for number, (row, first) in enumerate(zip(rows, firsts.tolist(), strict=True)):
            doc_id, version, count, doc_number, title, kind, proposer, year = row
            entry = Entry(
                str(doc_id),
                str(version),
                number,
                first,
                int(count),
                doc_number=str(doc_number),
                title=str(title),
                kind=str(kind),
                proposer=str(proposer),
                year=None if year is None else int(year),
                row=first,
                stored=number,
            )
            letters[entry.doc_id] = numbers[number] = entry
        lengths = arrays["lengths"]
        return Postings(
            lengths,
            np.arange(total_rows, dtype=np.int64) - np.repeat(firsts, counts),
            np.repeat(np.arange(len(rows), dtype=np.int64), counts),
            terms,
            letters,
            numbers,
            total_rows,
            float(np.asarray(lengths, np.float64).sum()),
            len(rows),
            stored,
        )


def _joined(parts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype) for p in parts]) if parts else np.zeros(0, dtype)


def _offsets(sizes: np.ndarray) -> np.ndarray:
    out = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _postings(
    flat: list[str], counts: np.ndarray, first_slot: int
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(token, slots, term frequencies) of chunks whose tokens are ``flat``, ``counts[i]`` of them for
    the chunk in slot ``first_slot + i``."""
    if not flat:
        return
    numbers: dict[str, int] = {}
    ids = np.fromiter((numbers.setdefault(t, len(numbers)) for t in flat), np.int64, count=len(flat))
    slot = np.repeat(np.arange(first_slot, first_slot + len(counts), dtype=np.int64), counts)
    span = int(slot.max()) + 1
    pairs, tfs = np.unique(ids * span + slot, return_counts=True)
    token_ids, at = pairs // span, pairs % span
    bounds = np.flatnonzero(np.diff(token_ids)) + 1
    names = list(numbers)
    for part_ids, part_at, part_tf in zip(
        np.split(token_ids, bounds),
        np.split(at, bounds),
        np.split(tfs.astype(np.float32), bounds),
        strict=True,
    ):
        yield names[int(part_ids[0])], part_at, part_tf


def build(letters: Iterable[Letter]) -> Postings:
    """Postings of ``letters`` from scratch."""
    return Postings()._replaced(set(), list(letters))
