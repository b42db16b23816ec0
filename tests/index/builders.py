"""Builders for ingestion tests: real .docx/.pdf files, an embedder that counts its calls, index state."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rag.service import DafuService

# The sample letter that states the 2023 revenue of the life-health industry (1588亿元).
LETTER_001 = "001_49815bdeb399fae2"
REVENUE_DOC_NUMBER = "温科提复〔2024〕126号"


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(lines: Sequence[str], *, font_path: str | None = None) -> bytes:
    """A one-page PDF with a real text layer, written by matplotlib's PDF backend."""
    import matplotlib

    matplotlib.use("pdf")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=font_path) if font_path else None
    figure = plt.figure(figsize=(8.27, 11.69))
    for n, line in enumerate(lines):
        figure.text(0.05, 0.95 - 0.04 * n, line, fontproperties=font, fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf")
    plt.close(figure)
    return buffer.getvalue()


def cjk_font() -> str | None:
    """A font file with Chinese glyphs if the machine has one (Noto CJK on the CI image)."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if "CJK" in entry.name and ("SC" in entry.name or "Sans" in entry.name):
            return str(entry.fname)
    return None


class CountingEmbedder:
    """Wraps a real embedder and counts the passages it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.texts = 0

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.get_text_embedding_batch(texts, **kwargs)  # type: ignore[no-any-return]

    def get_query_embedding(self, query: str) -> list[float]:
        return self.inner.get_query_embedding(query)  # type: ignore[no-any-return]


def index_state(service: DafuService) -> dict[str, object]:
    """Everything a failed write must leave unchanged."""
    raw = service.store.chunks.get(include=[])
    return {
        "versions": service.store.versions(),
        "raw_chunks": sorted(raw["ids"]),
        "lexical_chunks": len(service.lexical),
        "lexical_fingerprint": service.lexical.fingerprint,
        "store_fingerprint": service.store.fingerprint(),
    }
