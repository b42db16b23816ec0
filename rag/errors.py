"""Domain errors. No web imports: the API and CLI map these to status codes and exit messages once."""

from __future__ import annotations


class DafuError(Exception):
    """Base of every error a user can act on; the message says what was wrong and what to do."""


class InvalidInput(DafuError):
    """A question, filter or request that cannot be processed as given."""


class UnsupportedFile(DafuError):
    """A file type dafu cannot read."""


class UnreadableFile(DafuError):
    """A supported file type whose content cannot be read (corrupt, encrypted, empty, undecodable)."""


class FileTooLarge(DafuError):
    """An upload over the configured size limit."""


class FileTooComplex(DafuError):
    """A file that expands beyond a bound (decompressed size, XML depth, pages, characters, pixels, time)."""


class DocumentNotFound(DafuError):
    """No document with the given id is indexed."""


class LLMUnavailable(DafuError):
    """LLM mode was asked for but no endpoint is configured or it did not answer."""


class ModelNotFound(DafuError):
    """A configured model is not present on this machine (nothing is ever downloaded)."""


class ConversationNotFound(DafuError):
    """No conversation (or turn) with the given id is stored."""


class NotAuthorized(DafuError):
    """A request without a valid key or session (401)."""


class Forbidden(DafuError):
    """A signed-in user whose role does not allow what was asked (403)."""


class RateLimited(DafuError):
    """A key that sent more requests than its rate allows: retry after ``retry_after`` s (429)."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DocumentExists(DafuError):
    """An upload would replace an indexed document, and replacing was not asked for."""


class Busy(DafuError):
    """Too many requests of one kind, or another writer holds the index: retry after ``retry_after`` s."""

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
