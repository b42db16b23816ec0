"""The past letters most similar to a new proposal.

Query by document: the proposal is embedded in pieces (title, each suggestion,
background in pieces of at most ``_PIECE`` characters, nothing truncated). Each piece queries the chunk
vectors; a letter's piece score is its best chunk, its chunk score the mean over pieces. The mean of
the piece vectors also queries the letters' centroid vectors. Score = 0.7 × chunk score + 0.3 × centroid
similarity. Only reply letters (with a 文号) are listed. Only the letters some piece's nearest chunks or
the proposal's nearest centroids belong to are scored, so a draft's cost does not grow with the archive.
"""

from __future__ import annotations

import re

import numpy as np

from index.store import ChromaStore
from rag.ask.vectors import Vectors
from rag.draft.model import SimilarLetter
from rag.draft.proposal import Proposal

_PIECE = 300
_CHUNK_WEIGHT = 0.7
_CANDIDATES = 60  # chunks fetched per piece
_CENTROIDS = 100  # letters fetched by their centroid vector


class SimilarLetters:
    """``find(proposal, k) -> list[SimilarLetter]``."""

    def __init__(self, store: ChromaStore, vectors: Vectors) -> None:
        self.store = store
        self.vectors = vectors

    def find(self, proposal: Proposal, k: int = 5) -> list[SimilarLetter]:
        pieces = proposal_pieces(proposal)
        if not pieces:
            return []
        vectors = [self.vectors.query(piece) for piece in pieces]
        best: dict[str, list[float]] = {}
        for i, vector in enumerate(vectors):
            for hit in self.store.query(vector.tolist(), _CANDIDATES):
                scores = best.setdefault(hit.doc_id, [0.0] * len(pieces))
                scores[i] = max(scores[i], hit.score)
        mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
        mean /= float(np.linalg.norm(mean)) or 1.0
        centroid = dict(self.store.similar_documents(mean.tolist(), max(_CENTROIDS, 10 * k)))
        # Candidates: letters with a chunk among the pieces' nearest, or a centroid among the nearest
        # (a letter in neither scores below them); only their records are read.
        letters = {
            d: m for d, m in self.store.metas(sorted(set(best) | set(centroid))).items() if m.doc_number
        }
        zeros = [0.0] * len(pieces)
        scored = [
            (
                _CHUNK_WEIGHT * float(np.mean(best.get(d, zeros)))
                + (1 - _CHUNK_WEIGHT) * centroid.get(d, 0.0),
                d,
            )
            for d in sorted(letters)
        ]
        scored.sort(key=lambda item: -item[0])
        return [
            SimilarLetter(
                doc_id=d,
                doc_number=letters[d].doc_number,
                title=letters[d].title,
                proposal_title=letters[d].proposal_title,
                year=letters[d].year,
                score=round(score, 4),
            )
            for score, d in scored[:k]
        ]


def proposal_pieces(proposal: Proposal) -> list[str]:
    """Title, each suggestion, and the background cut at sentence ends into pieces of ≤ ``_PIECE`` chars."""
    pieces = [proposal.title] if proposal.title else []
    pieces += [s.text for s in proposal.suggestions]
    current = ""
    for sentence in re.findall(r"[^。！？；\n]+[。！？；]?", proposal.background):
        if current and len(current) + len(sentence) > _PIECE:
            pieces.append(current)
            current = ""
        current += sentence
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]
