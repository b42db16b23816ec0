"""Zip packages (.docx, .ofd) read within bounds: declared and real decompressed size, XML depth,
no DTD (so no entity expansion), time.

XML parts are parsed as a stream (lxml's pull parser fed from the zip member in 64 KB pieces) and
elements are cleared once handled, so memory stays flat whatever the part's size; a part that
decompresses past the budget is refused as soon as the count passes it, not after.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from index.formats.model import Budget
from rag.errors import UnreadableFile

_PIECE = 64 * 1024


class Package:
    """A zip package opened for bounded reading; ``bad`` is the message for a damaged package."""

    def __init__(self, data: bytes, budget: Budget, bad: str) -> None:
        self.budget = budget
        self.bad = bad
        self.expanded = 0
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnreadableFile(bad) from exc
        if len(infos) > 10000:
            raise budget.too_expanded()
        self.names = {info.filename for info in infos}
        self._infos = {info.filename: info for info in infos}

    def has(self, name: str) -> bool:
        return name in self.names

    def find(self, name: str) -> str | None:
        """The member named ``name``, ignoring case and a leading slash (packages vary)."""
        wanted = name.lstrip("/").lower()
        return next((n for n in self.names if n.lower() == wanted), None)

    def read(self, name: str) -> bytes:
        """A whole (small) member, counted against the budget."""
        return b"".join(self._pieces(name))

    def _pieces(self, name: str) -> Iterator[bytes]:
        info = self._infos.get(name)
        if info is None:
            raise UnreadableFile(self.bad)
        limit = self.budget.limits.max_expanded_bytes
        # The declared size refuses a bomb before a byte is inflated; the running count refuses one
        # whose header lies.
        if self.expanded + info.file_size > limit:
            raise self.budget.too_expanded()
        try:
            with self.zip.open(info) as member:
                while piece := member.read(_PIECE):
                    self.expanded += len(piece)
                    if self.expanded > limit:
                        raise self.budget.too_expanded()
                    yield piece
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise UnreadableFile(self.bad) from exc

    def elements(self, name: str) -> Iterator[tuple[str, Any, int]]:
        """Stream (event, element, depth) of an XML member; events are "start" and "end".

        The caller clears elements it has handled. A DOCTYPE (the door to entity bombs and external
        entities; no office or OFD part has one) or nesting deeper than the limit is refused.
        """
        from lxml import etree

        parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        depth = 0
        max_depth = self.budget.limits.max_xml_depth
        seen_root = False
        try:
            for piece in self._pieces(name):
                if not seen_root and b"<!DOCTYPE" in piece:
                    raise UnreadableFile(f"{self.bad}（XML 含有 DOCTYPE 声明，已拒绝）")
                parser.feed(piece)
                for event, element in parser.read_events():
                    if event == "start":
                        depth += 1
                        if not seen_root:
                            seen_root = True
                            if element.getroottree().docinfo.doctype:
                                raise UnreadableFile(f"{self.bad}（XML 含有 DOCTYPE 声明，已拒绝）")
                        if depth > max_depth:
                            raise self.budget.too_deep()
                        yield event, element, depth
                    else:
                        yield event, element, depth
                        depth -= 1
                self.budget.check_time()
            parser.close()
        except etree.XMLSyntaxError as exc:
            raise UnreadableFile(self.bad) from exc


def local(tag: object) -> str:
    """An element's tag without its namespace ("{ns}p" → "p")."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def release(element: Any) -> None:
    """Free a handled element and the siblings before it (keeps a streamed parse's memory flat)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
