"""Shared builders for tests."""

from __future__ import annotations

from rag.types import Hit


def make_hit(text: str, *, doc_id: str = "doc", start: int = 0, score: float = 1.0, **fields: object) -> Hit:
    values: dict[str, object] = {
        "chunk_id": f"{doc_id}:{start}",
        "doc_id": doc_id,
        "doc_number": "",
        "title": "",
        "section": "正文",
        "text": text,
        "start": start,
        "end": start + len(text),
        "score": score,
    }
    values.update(fields)
    return Hit.model_validate(values)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers the tests start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
