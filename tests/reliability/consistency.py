"""What a data dir must satisfy after any crash or race: every committed letter has all its chunks
once, no chunk belongs to nothing, and dense and lexical search see the same chunks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rag.service import DafuService
from rag.types import Filters


@dataclass
class Consistency:
    documents: int = 0
    chunks: int = 0
    lost: list[str] = field(default_factory=list)  # chunks a committed letter lacks
    duplicated: list[str] = field(default_factory=list)  # a letter's passage stored twice
    orphaned: list[str] = field(default_factory=list)  # chunks of no committed letter
    disagreements: list[str] = field(default_factory=list)  # dense and lexical differ

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.orphaned or self.disagreements)


def check(service: DafuService) -> Consistency:
    """Check ``service``'s data dir as its store holds it now (build the service first: start-up
    collects what an interrupted write left)."""
    store = service.store
    store.forget_versions()
    docs = store.docs.get(include=["metadatas"])
    expected = {
        i: (str(m["version"]), int(m["chunks"])) for i, m in zip(docs["ids"], docs["metadatas"], strict=True)
    }
    raw = store.chunks.get(include=["metadatas"])
    out = Consistency(documents=len(expected))
    per_doc: dict[str, list[int]] = {}
    committed: set[str] = set()
    for cid, meta in zip(raw["ids"], raw["metadatas"], strict=True):
        doc_id, version = str(meta["doc_id"]), str(meta["version"])
        if expected.get(doc_id, ("", 0))[0] != version:
            out.orphaned.append(cid)
            continue
        per_doc.setdefault(doc_id, []).append(int(meta["ordinal"]))
        committed.add(cid)
    for doc_id, (_version, n) in expected.items():
        ordinals = Counter(per_doc.get(doc_id, []))
        out.lost += [f"{doc_id}#{o}" for o in range(n) if o not in ordinals]
        out.duplicated += [f"{doc_id}#{o}" for o, c in ordinals.items() if c > 1 or o >= n]
    out.chunks = len(committed)
    service.refresh()
    lexical = {h.chunk_id for h in service.lexical.snapshot.hits}
    if lexical != committed:
        out.disagreements.append(
            f"lexical has {len(lexical - committed)} chunks dense lacks, lacks {len(committed - lexical)}"
        )
    if service.lexical.fingerprint != store.fingerprint():
        out.disagreements.append("lexical index built for another state of the store")
    # The vector index holds every committed chunk: an unfiltered search for all of them finds each
    # (one that lost a chunk fails here; deleted ones it still holds are dropped by version, as readers do).
    if committed:
        probe = store.chunks.get(ids=[min(committed)], include=["embeddings"])["embeddings"][0]
        reached = set(store.chunks.query(query_embeddings=[list(probe)], n_results=len(raw["ids"]))["ids"][0])
        if committed - reached:
            out.disagreements.append(f"the vector index lacks {len(committed - reached)} committed chunks")
    # Every committed chunk is found by dense search within its letter ("Error finding id" or missing
    # chunks fail here).
    retriever = service.retrievers["dense"]
    for doc_id, (_version, n) in expected.items():
        question = service.parser.parse("答复")
        with service.lexical.pinned():
            found = {h.chunk_id for h in retriever.retrieve(question, n + 5, Filters(doc_id=doc_id))}
        want = {c for c in committed if c.startswith(f"{doc_id}:")}
        if found != want:
            out.disagreements.append(f"dense search of {doc_id}: {len(found)} of {len(want)} chunks")
    return out
