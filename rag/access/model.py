"""Who is asking, and what is recorded: the leaf of ``rag.access`` (clients may import it)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from rag.types import Frozen


class Role(StrEnum):
    READER = "reader"  # ask, search, draft, read what they may see
    EDITOR = "editor"  # also upload, replace, delete and change labels
    ADMIN = "admin"  # also users, keys and the audit trail; sees every document

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


ROLE_NAMES = {Role.READER: "读者", Role.EDITOR: "编辑", Role.ADMIN: "管理员"}


class Principal(Frozen):
    """The caller of one request: a user (by key or UI session), this machine's single user, or the
    operator of the command line."""

    name: str
    role: Role
    groups: frozenset[str] = frozenset()
    key_id: str = ""  # the key or session the request came with ("" without one)
    via: str = ""  # api | ui | cli | "" (in-process)

    @property
    def sees_all(self) -> bool:
        return self.role is Role.ADMIN


# This machine's single user: no accounts exist, the server listens on loopback only.
LOCAL = Principal(name="本机", role=Role.ADMIN, via="local")
# Code of this process calling the service directly (the eval, tests): sees all, reads not audited.
OPERATOR = Principal(name="", role=Role.ADMIN)


class User(Frozen):
    name: str
    role: Role
    groups: tuple[str, ...] = ()
    active: bool = True
    created: float = 0.0
    keys: tuple[str, ...] = Field(default=(), description="ids of the user's active keys")


class NewKey(Frozen):
    """A key as issued: ``secret`` is shown once and never stored."""

    user: str
    key_id: str
    secret: str


class AuditEntry(Frozen):
    seq: int
    at: float  # Unix time
    user: str
    key_id: str = ""
    via: str = ""
    action: str  # ask, search, chat, draft, read, list, upload, delete, label, login, login_failed, ...
    target: str = ""  # a document id, user name or conversation id
    detail: str = ""  # the question (unless questions are not recorded), a label, a file name
    outcome: str = "ok"  # ok | the error's kind


class AuditQuery(Frozen):
    """Filters of the audit view; empty fields match everything."""

    user: str = ""
    action: str = ""
    text: str = ""  # found in target or detail
    since: float | None = None
    until: float | None = None
    limit: int = Field(default=500, ge=1, le=100_000)
