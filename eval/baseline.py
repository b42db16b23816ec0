"""The peer baseline: llama-index's quickstart pipeline over the same documents and the same embedder.

``SentenceSplitter()`` with its defaults, ``VectorStoreIndex(nodes, embed_model=...)`` in memory and
``index.as_retriever(similarity_top_k=k)``. Only the chunking, the in-memory vector search and the
absence of a lexical side differ from dafu's dense retriever, which is what the comparison is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from llama_index.core import Document as LIDocument
from llama_index.core import Settings as LISettings
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms.mock import MockLLM
from llama_index.core.node_parser import SentenceSplitter

from eval.embed_cache import CachedEmbedding
from rag.types import Hit


class LlamaIndexBaseline:
    """``search(query, k) -> list[Hit]`` over a llama-index ``VectorStoreIndex``."""

    name = "llamaindex"

    def __init__(
        self, documents: Sequence[tuple[str, str]], embed_model: BaseEmbedding, *, cache: Path | None = None
    ) -> None:
        """``cache``: a file that memoises the passage vectors of ``embed_model`` between runs."""
        # A retriever never calls the LLM; setting a local mock keeps the global default (OpenAI)
        # from ever being resolved by anything llama-index builds lazily.
        LISettings.llm = MockLLM()
        docs = [
            LIDocument(
                text=text,
                doc_id=doc_id,
                metadata={"doc_id": doc_id},
                # the id is for scoring only: keep it out of the embedded text
                excluded_embed_metadata_keys=["doc_id"],
                excluded_llm_metadata_keys=["doc_id"],
            )
            for doc_id, text in documents
        ]
        nodes = SentenceSplitter().get_nodes_from_documents(docs)
        self.chunks = len(nodes)
        embedder = CachedEmbedding(embed_model, cache) if cache else embed_model
        self.index = VectorStoreIndex(nodes, embed_model=embedder)
        if isinstance(embedder, CachedEmbedding):
            embedder.save()

    def search(self, query: str, k: int) -> list[Hit]:
        results = self.index.as_retriever(similarity_top_k=k).retrieve(query)
        hits = []
        for result in results:
            node = result.node
            text = node.get_content()
            # SentenceSplitter records where each node sits in its document; -1 when it could not.
            start = getattr(node, "start_char_idx", None)
            end = getattr(node, "end_char_idx", None)
            hits.append(
                Hit(
                    chunk_id=node.node_id,
                    doc_id=str(node.metadata.get("doc_id", node.ref_doc_id or "")),
                    doc_number="",
                    title="",
                    section="",
                    text=text,
                    start=start if start is not None else -1,
                    end=end if end is not None else -1,
                    score=float(result.score or 0.0),
                    sources=(self.name,),
                )
            )
        return hits
