"""BM25 (the Lucene variant: k1 = 1.2, b = 0.75) over chunks, changed one letter at a time.

An ``Postings`` value is immutable: ``replace`` returns a new one that shares everything the change did
not touch, so its cost grows with the letters changed (their tokens' posting lists), not with the
corpus. Chunks live in slots; a removed letter's slots stay empty until the empty share grows past a
quarter, and then they are compacted (slots renumbered; nothing is tokenised again).

Scores are those of a BM25 index built from scratch over the same chunks (``tests/index/test_bm25.py``
checks them against bm25s); ties are broken by reading order (letter id, then place in the letter),
never by the order in which letters happened to be added.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.types import Hit

K1 = 1.2
B = 0.75
_COMPACT_SHARE = 0.25  # compact once this share of the slots is empty
_ORDINAL_BITS = 20  # a letter has fewer than a million chunks


@dataclass(frozen=True)
class Letter:
    """One letter's chunks, in reading order, with each chunk's tokens."""

    doc_id: str
    version: str
    hits: tuple[Hit, ...]
    tokens: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Postings:
    slots: tuple[Hit | None, ...] = ()
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    ordinals: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    letter_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: empty slot
    terms: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # slots, tfs
    letters: Mapping[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # id -> (number, slots)
    live: int = 0
    total_length: float = 0.0
    next_number: int = 0
    _rank: np.ndarray | None = None  # reading-order key per slot, computed on first search

    # -- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.live

    def df(self, token: str) -> int:
        got = self.terms.get(token)
        return 0 if got is None else len(got[0])

    def idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))

    def hits(self) -> Iterator[Hit]:
        """Every chunk, in reading order."""
        for doc_id in sorted(self.letters):
            for slot in self.letters[doc_id][1]:
                hit = self.slots[slot]
                assert hit is not None
                yield hit

    def letter_hits(self, doc_id: str) -> tuple[Hit, ...]:
        """One letter's chunks, in reading order."""
        return tuple(hit for slot in self.letters[doc_id][1] if (hit := self.slots[slot]) is not None)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every slot for the query tokens (each occurrence in the query counts)."""
        out = np.zeros(len(self.slots), np.float32)
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

    def ranked(self, tokens: Sequence[str], first: int = 64) -> Iterator[tuple[Hit, float]]:
        """Chunks with a positive score, best first; equal scores in reading order. Only the best
        ``first`` (and any tied with the last of them) are sorted before the first is yielded; the rest
        only if the caller reads on (filters may skip many)."""
        scores = self.scores(tokens)
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
                hit = self.slots[slot]
                assert hit is not None
                yield hit, float(scores[slot])

    def _reading_rank(self) -> np.ndarray:
        if self._rank is None:
            # Letter numbers by letter id, so that ties never depend on the order of additions.
            by_id = np.full(max(self.next_number, 1), -1, np.int64)
            for rank, doc_id in enumerate(sorted(self.letters)):
                by_id[self.letters[doc_id][0]] = rank
            safe = np.where(self.letter_of >= 0, self.letter_of, 0)
            rank = (by_id[safe] << _ORDINAL_BITS) + self.ordinals
            object.__setattr__(self, "_rank", np.where(self.letter_of >= 0, rank, np.iinfo(np.int64).max))
        assert self._rank is not None
        return self._rank

    # -- changing ----------------------------------------------------------------------------------
    def replace(
        self, removed: Iterable[str], added: Iterable[Letter], tokens: Callable[[Hit], Sequence[str]]
    ) -> Postings:
        """A new value without the letters ``removed`` (ids) and with ``added`` (an added letter that is
        already here replaces it). ``tokens``: a stored chunk's tokens, as they were when it was added
        (the tokeniser is deterministic), to take a removed chunk out of its tokens' posting lists."""
        added = list(added)
        gone = {d for d in [*removed, *(a.doc_id for a in added)] if d in self.letters}
        if not gone and not added:
            return self
        out = self._replaced(gone, added, tokens)
        if len(out.slots) and len(out.slots) - out.live > _COMPACT_SHARE * len(out.slots):
            out = out._compacted()
        return out

    def _replaced(
        self, gone: set[str], added: list[Letter], tokens_of: Callable[[Hit], Sequence[str]]
    ) -> Postings:
        slots = list(self.slots)
        letters = dict(self.letters)
        terms = dict(self.terms)
        live, total = self.live, self.total_length
        lengths, ordinals, letter_of = self.lengths, self.ordinals, self.letter_of
        # Remove: clear the slots, drop them from their tokens' posting lists.
        freed: list[int] = []
        touched: dict[str, None] = {}
        for doc_id in gone:
            _, old = letters.pop(doc_id)
            for slot in old:
                hit = slots[slot]
                assert hit is not None
                slots[slot] = None
                total -= float(lengths[slot])
                touched.update(dict.fromkeys(tokens_of(hit)))
            freed += old
            live -= len(old)
        if freed:
            dead = np.asarray(freed, np.int64)
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
        first_slot = len(slots)
        chunk_lengths: list[int] = []
        new_ordinals: list[int] = []
        new_letters: list[int] = []
        flat: list[str] = []
        for letter in added:
            first = len(slots)
            for ordinal, (hit, chunk_tokens) in enumerate(zip(letter.hits, letter.tokens, strict=True)):
                slots.append(hit)
                chunk_lengths.append(len(chunk_tokens))
                new_ordinals.append(ordinal)
                new_letters.append(number)
                flat.extend(chunk_tokens)
            letters[letter.doc_id] = (number, tuple(range(first, len(slots))))
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
            tuple(slots), lengths, ordinals, letter_of, terms, letters, live, max(total, 0.0), number
        )

    def _compacted(self) -> Postings:
        """The same chunks without empty slots (slot numbers change; nothing is re-tokenised)."""
        keep = self.letter_of >= 0
        new_slot = np.cumsum(keep) - 1
        terms = {token: (new_slot[at], tfs) for token, (at, tfs) in self.terms.items()}
        letters = {
            doc_id: (number, tuple(int(new_slot[s]) for s in slots))
            for doc_id, (number, slots) in self.letters.items()
        }
        return Postings(
            tuple(h for h in self.slots if h is not None),
            self.lengths[keep],
            self.ordinals[keep],
            self.letter_of[keep],
            terms,
            letters,
            self.live,
            self.total_length,
            self.next_number,
        )


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
    return Postings()._replaced(set(), list(letters), lambda hit: ())
