"""The catalogue's letter index follows the catalogue one changed letter at a time: updated by the
letters that change, it equals the index built anew from every letter."""

from __future__ import annotations

import random

from eval import synth
from rag.ask.question import LetterIndex
from rag.settings import PROJECT_ROOT
from rag.types import LetterMeta
from tests.factories import make_letter

POOL = synth.pool_of([PROJECT_ROOT / "data" / "letters"])


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
