"""The incremental BM25: the same scores as an index built from scratch (bm25s), whatever sequence of
additions, replacements and removals led to the current chunks."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from index.bm25 import Letter, Postings, build
from rag.types import Hit
from tests.factories import make_hit

VOCABULARY = [f"词{i}" for i in range(60)]


def _letter(doc_id: str, rng: random.Random, version: str = "1") -> Letter:
    hits: list[Hit] = []
    tokens: list[tuple[str, ...]] = []
    for ordinal in range(rng.randint(1, 6)):
        # Skewed draws: some tokens are in most chunks, some in few, some repeat within a chunk.
        words = tuple(VOCABULARY[min(int(rng.expovariate(0.08)), 59)] for _ in range(rng.randint(1, 25)))
        hits.append(
            make_hit(
                " ".join(words), doc_id=doc_id, start=ordinal * 100, chunk_id=f"{doc_id}:{version}:{ordinal}"
            )
        )
        tokens.append(words)
    return Letter(doc_id, version, tuple(hits), tuple(tokens))


def _reference(letters: dict[str, Letter], query: list[str]) -> dict[str, float]:
    """bm25s over the same chunks, built from scratch."""
    ordered = [
        (h, t) for d in sorted(letters) for h, t in zip(letters[d].hits, letters[d].tokens, strict=True)
    ]
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index([list(t) for _, t in ordered], show_progress=False)
    known = [t for t in query if t in model.vocab_dict]
    if not known:
        return {}
    scores = model.get_scores(known)
    return {h.chunk_id: float(s) for (h, _), s in zip(ordered, scores, strict=True) if s > 0}


def _ours(postings: Postings, query: list[str]) -> dict[str, float]:
    return {hit.chunk_id: score for hit, score in postings.ranked(query)}


@pytest.mark.parametrize("seed", range(6))
def test_changes_one_letter_at_a_time_score_as_a_fresh_index(seed: int) -> None:
    rng = random.Random(seed)
    letters = {f"信{i:03d}": _letter(f"信{i:03d}", rng) for i in range(12)}
    tokens_of = {
        h.chunk_id: t for letter in letters.values() for h, t in zip(letter.hits, letter.tokens, strict=True)
    }
    postings = build(letters[d] for d in rng.sample(sorted(letters), len(letters)))
    for step in range(40):
        doc_id = f"信{rng.randrange(16):03d}"
        if rng.random() < 0.3 and doc_id in letters:
            del letters[doc_id]
            postings = postings.replace([doc_id], [], lambda h: tokens_of[h.chunk_id])
        else:
            new = _letter(doc_id, rng, version=f"v{step}")
            letters[doc_id] = new
            tokens_of.update({h.chunk_id: t for h, t in zip(new.hits, new.tokens, strict=True)})
            postings = postings.replace([], [new], lambda h: tokens_of[h.chunk_id])
        query = [VOCABULARY[rng.randrange(20)] for _ in range(rng.randint(1, 4))]
        want = _reference(letters, query)
        got = _ours(postings, query)
        # Sorting only the best few first gives the same order as sorting everything.
        assert list(postings.ranked(query, first=2)) == list(postings.ranked(query, first=10**9))
        assert got.keys() == want.keys()
        assert np.allclose([got[c] for c in want], list(want.values()), rtol=1e-5)
        assert len(postings) == sum(len(letter.hits) for letter in letters.values())
        assert [h.chunk_id for h in postings.hits()] == [
            h.chunk_id for d in sorted(letters) for h in letters[d].hits
        ]
        for token in VOCABULARY[:5]:
            df = sum(token in t for d in letters for t in letters[d].tokens)
            assert postings.df(token) == df


def test_equal_scores_come_in_reading_order_whatever_the_order_of_additions() -> None:
    def letter(doc_id: str) -> Letter:
        hit = make_hit("甲 乙", doc_id=doc_id, chunk_id=f"{doc_id}:1:0")
        return Letter(doc_id, "1", (hit,), (("甲", "乙"),))

    forwards = build([letter("a"), letter("b"), letter("c")])
    backwards = (
        build([letter("c")]).replace([], [letter("b")], lambda h: ()).replace([], [letter("a")], lambda h: ())
    )
    assert [h.doc_id for h, _ in forwards.ranked(["甲"])] == ["a", "b", "c"]
    assert [h.doc_id for h, _ in backwards.ranked(["甲"])] == ["a", "b", "c"]


def test_removing_most_letters_compacts_the_slots() -> None:
    rng = random.Random(7)
    letters = [_letter(f"信{i}", rng) for i in range(20)]
    tokens_of = {h.chunk_id: t for letter in letters for h, t in zip(letter.hits, letter.tokens, strict=True)}
    postings = build(letters)
    postings = postings.replace([f"信{i}" for i in range(15)], [], lambda h: tokens_of[h.chunk_id])
    assert len(postings.slots) == len(postings) == sum(len(letter.hits) for letter in letters[15:])
    want = _reference({letter.doc_id: letter for letter in letters[15:]}, ["词1", "词2"])
    assert _ours(postings, ["词1", "词2"]).keys() == want.keys()
