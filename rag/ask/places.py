"""Where a letter is from, as far as the letter itself says: the places named in its issuer, title and
text.

A question names a place to choose a letter ("天津…完成了多少公里？"). A passage that does not repeat the
place is no sign of another place: many letters say only 我市 or 我委, and a web page's issuer may live
in the site, not in the text. What contradicts the question is a passage that names another place, or,
when the passages name none, a letter that names places and never the one asked (a question about 渭南
answered from a letter that names only 周口).

The places looked for are those a reader can trust without a gazetteer: provinces, the places in the
indexed issuers' names (``LetterIndex.places_in``) and the letter's own issuer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rag.types import Document, Hit
from rag.vocabulary import issuer_places


@dataclass(frozen=True)
class Named:
    """The places one letter names, and its issuer, title and text to look a place up in."""

    text: str = ""
    places: frozenset[str] = frozenset()

    def names(self, place: str) -> bool:
        return place in self.text

    def contradicts(self, place: str) -> bool:
        """The letter names places, and not ``place`` itself."""
        return not self.names(place) and elsewhere(place, self.places)


def elsewhere(place: str, named: Iterable[str]) -> bool:
    """Some of ``named`` is another place than ``place`` (惠济 and 惠济区 are one place)."""
    return any(other not in place and place not in other for other in named)


class LetterPlaces:
    """``places(hit) -> Named`` for the hit's letter, remembered per letter version (a letter's text
    changes only with its version). ``document`` reads a letter (None when the read may not see it);
    ``places`` finds the places a text names, as a question's are found."""

    def __init__(
        self,
        document: Callable[[str], Document | None],
        known: Callable[[str], Iterable[str]],
        size: int = 1024,
    ) -> None:
        self.document = document
        self.known = known
        self.size = size
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, Named] = OrderedDict()

    def __call__(self, hit: Hit) -> Named:
        # A chunk id is "doc_id:version:ordinal": the letter's version keys what its text names.
        key = hit.chunk_id.rsplit(":", 1)[0]
        with self._lock:
            if (named := self._memo.get(key)) is not None:
                self._memo.move_to_end(key)
                return named
        doc = self.document(hit.doc_id)
        if doc is None:
            return Named()
        text = f"{doc.meta.issuer}\n{doc.meta.title}\n{doc.text}"
        named = Named(text, frozenset([*self.known(text), *issuer_places(doc.meta.issuer)]))
        with self._lock:
            self._memo[key] = named
            while len(self._memo) > self.size:
                self._memo.popitem(last=False)
        return named
