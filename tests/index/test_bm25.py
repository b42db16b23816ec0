"""The incremental BM25: the same scores as an index built from scratch (bm25s), whatever sequence of
additions, replacements and removals led to the current chunks."""

from __future__ import annotations

import random
from pathlib import Path

import bm25s
import numpy as np
import pytest

from index import checkpoint
from index.bm25 import Letter, Postings, build
from rag.types import Hit
from tests.factories import make_hit

VOCABULARY = [f"词{i}" for i in range(60)]


def _letter(doc_id: str, rng: random.Random, version: str = "1") -> Letter:
    hits: list[Hit] = []
    tokens: list[tuple[str, ...]] = []
    year = 2020 + rng.randrange(5) if version != "1" else None
    for ordinal in range(rng.randint(1, 6)):
        # Skewed draws: some tokens are in most chunks, some in few, some repeat within a chunk.
        words = tuple(VOCABULARY[min(int(rng.expovariate(0.08)), 59)] for _ in range(rng.randint(1, 25)))
        hits.append(
            make_hit(
                " ".join(words),
                doc_id=doc_id,
                start=ordinal * 100,
                chunk_id=f"{doc_id}:{version}:{ordinal}",
                # As the store gives them: score 0, found by the lexical side; metadata survives a checkpoint.
                score=0.0,
                sources=("lexical",),
                doc_number=f"某函〔2024〕{doc_id}号",
                section=f"{ordinal + 1}、第{ordinal}节",
                year=year,
                kind="政协提案",
                ocr=rng.random() < 0.2,
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


def _through_checkpoint(postings: Postings, path: Path) -> Postings:
    header, arrays = postings.to_arrays()
    checkpoint.write(path, header, arrays)
    loaded = Postings.from_arrays(*checkpoint.read(path))
    assert loaded.held == 0 and len(loaded) == len(postings)
    return loaded


def _ours(postings: Postings, query: list[str]) -> dict[str, float]:
    return {hit.chunk_id: score for hit, score in postings.ranked(query)}


@pytest.mark.parametrize("seed", range(6))
def test_changes_one_letter_at_a_time_score_as_a_fresh_index(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    letters = {f"信{i:03d}": _letter(f"信{i:03d}", rng) for i in range(12)}
    postings = build(letters[d] for d in rng.sample(sorted(letters), len(letters)))
    for step in range(40):
        doc_id = f"信{rng.randrange(16):03d}"
        if rng.random() < 0.3 and doc_id in letters:
            del letters[doc_id]
            postings = postings.replace([doc_id], [])
        else:
            new = _letter(doc_id, rng, version=f"v{step}")
            letters[doc_id] = new
            postings = postings.replace([], [new])
        if step % 9 == 4:  # through a checkpoint and back: chunks then live in its arrays
            postings = _through_checkpoint(postings, tmp_path / "checkpoint.bin")
        query = [VOCABULARY[rng.randrange(20)] for _ in range(rng.randint(1, 4))]
        want = _reference(letters, query)
        got = _ours(postings, query)
        # Sorting only the best few first gives the same order as sorting everything.
        assert list(postings.ranked(query, first=2)) == list(postings.ranked(query, first=10**9))
        assert got.keys() == want.keys()
        assert np.allclose([got[c] for c in want], list(want.values()), rtol=1e-5)
        assert len(postings) == sum(len(letter.hits) for letter in letters.values())
        assert list(postings.hits()) == [h for d in sorted(letters) for h in letters[d].hits]
        for token in VOCABULARY[:5]:
            df = sum(token in t for d in letters for t in letters[d].tokens)
            assert postings.df(token) == df


def test_equal_scores_come_in_reading_order_whatever_the_order_of_additions() -> None:
    def letter(doc_id: str) -> Letter:
        hit = make_hit("甲 乙", doc_id=doc_id, chunk_id=f"{doc_id}:1:0")
        return Letter(doc_id, "1", (hit,), (("甲", "乙"),))

    forwards = build([letter("a"), letter("b"), letter("c")])
    backwards = build([letter("c")]).replace([], [letter("b")]).replace([], [letter("a")])
    assert [h.doc_id for h, _ in forwards.ranked(["甲"])] == ["a", "b", "c"]
    assert [h.doc_id for h, _ in backwards.ranked(["甲"])] == ["a", "b", "c"]


def test_removing_most_letters_compacts_the_slots() -> None:
    rng = random.Random(7)
    letters = [_letter(f"信{i}", rng) for i in range(20)]
    postings = build(letters)
    postings = postings.replace([f"信{i}" for i in range(15)], [])
    assert len(postings.lengths) == len(postings) == sum(len(letter.hits) for letter in letters[15:])
    want = _reference({letter.doc_id: letter for letter in letters[15:]}, ["词1", "词2"])
    assert _ours(postings, ["词1", "词2"]).keys() == want.keys()


def test_removing_letters_read_from_a_checkpoint_compacts_the_slots(tmp_path: Path) -> None:
    rng = random.Random(8)
    letters = [_letter(f"信{i}", rng) for i in range(20)]
    postings = _through_checkpoint(build(letters), tmp_path / "checkpoint.bin")
    postings = postings.replace([f"信{i}" for i in range(1, 16)], [_letter("信0", rng, version="2")])
    kept = {letter.doc_id: letter for letter in letters[16:]} | {"信0": postings.letters["信0"].letter}
    assert len(postings.lengths) == len(postings) == sum(len(letter.hits) for letter in kept.values())
    for query in (["词1", "词2"], ["词0"], ["词7", "词3", "词3"]):
        want = _reference(kept, query)
        got = _ours(postings, query)
        assert got.keys() == want.keys()
        assert np.allclose([got[c] for c in want], list(want.values()), rtol=1e-5)
