"""Accounts: who a key or a UI session belongs to, which documents a user may see, and the audit trail.

- **No users** (local single-user mode): every request is this machine's single user (``LOCAL``), who
  sees everything; ``DAFU_API_KEY``, when set, is then the one key the API asks for.
- **Users exist**: every request needs a user's key (``Authorization: Bearer dafu_…``) or a UI session.
- **Documents** have one access label: their own (set at upload, changed by editors), else
  ``DAFU_DEFAULT_LABEL``. A document labelled ``DAFU_PUBLIC_LABEL`` (公开) is seen by every user, any
  other label by the members of the group of that name; admins see every document.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import threading
import time

from rag.access import keys
from rag.access.model import LOCAL, AuditEntry, AuditQuery, NewKey, Principal, Role, User
from rag.access.ratelimit import RateLimiter, retry_after
from rag.access.store import AccessStore
from rag.errors import Forbidden, InvalidInput, NotAuthorized, RateLimited

_NAME = re.compile(r"[\w.\-@\u3400-\u9fff]{1,64}")
_VERIFIED_SECONDS = 300.0  # a key checked by scrypt is not checked again for this long (still looked up)

NO_KEY = (
    "需要登录：请在请求头中加入 Authorization: Bearer <密钥>（在聊天客户端里填入“API 密钥”）。"
    "密钥由管理员用 `dafu users key <用户名>` 或在界面的“用户与审计”页发放。"
)
BAD_KEY = "密钥无效或已停用：请检查密钥是否完整，或请管理员用 `dafu users key <用户名>` 发放新密钥。"
BAD_LOGIN = "用户名或密钥不正确，或该用户已停用。请检查后重试；忘记密钥请联系管理员重新发放。"
LEGACY_KEY = (
    "缺少或错误的 API 密钥：请在请求头中加入 Authorization: Bearer <密钥>"
    "（在聊天客户端里填入“API 密钥”；密钥由管理员通过 DAFU_API_KEY 设置）。"
)


def checked_name(value: str, what: str = "用户名") -> str:
    value = (value or "").strip()
    if not _NAME.fullmatch(value):
        raise InvalidInput(
            f"{what}“{value[:80]}”无效：须为 1～64 个汉字、字母、数字或 . _ - @，不含空格。请修改后重试。"
        )
    return value


def checked_groups(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v for v in re.split(r"[,，、\s]+", values) if v]
    return tuple(dict.fromkeys(checked_name(v, "组名") for v in values))


def checked_role(value: str) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise InvalidInput(
            f"未知的角色“{value}”：可选 reader（读者）、editor（编辑）或 admin（管理员）。"
        ) from None


class Accounts:
    def __init__(
        self,
        store: AccessStore,
        *,
        public_label: str = "公开",
        default_label: str = "公开",
        record_questions: bool = True,
        session_hours: float = 8.0,
        rate_per_minute: int = 240,
        legacy_key: str | None = None,
    ) -> None:
        self.store = store
        self.public_label = public_label
        self.default_label = default_label
        self.record_questions = record_questions
        self.session_seconds = session_hours * 3600.0
        self.limiter = RateLimiter(rate_per_minute)
        self.legacy_key = legacy_key
        self._verified: dict[str, tuple[str, float]] = {}  # digest of a key -> (key id, until)
        self._lock = threading.Lock()

    # -- users and keys (the callers check who may do this) ----------------------------------------
    def local_mode(self) -> bool:
        """No user exists: this machine's single user needs no login."""
        return not self.store.has_users()

    def has_admin(self) -> bool:
        return self.store.has_admin()

    def users(self) -> list[User]:
        return self.store.users()

    def user(self, name: str) -> User:
        user = self.store.user(name)
        if user is None:
            raise InvalidInput(f"没有名为“{name}”的用户。用 `dafu users list` 查看已有用户。")
        return user

    def add_user(self, name: str, role: str | Role, groups: str | tuple[str, ...] = ()) -> NewKey:
        """A new active user and their first key (its secret is shown once)."""
        name, role, group_names = checked_name(name), checked_role(role), checked_groups(groups)
        if not self.store.add_user(name, role, group_names):
            raise InvalidInput(f"用户“{name}”已存在。发放新密钥请用 `dafu users key {name}`。")
        return self.new_key(name)

    def new_key(self, name: str) -> NewKey:
        user = self.user(checked_name(name))
        key_id, secret = keys.new_secret()
        salt, digest = keys.hash_secret(secret)
        self.store.add_key(user.name, key_id, salt, digest)
        return NewKey(user=user.name, key_id=key_id, secret=keys.compose(key_id, secret))

    def set_active(self, name: str, active: bool) -> User:
        user = self.user(checked_name(name))
        self.store.update_user(user.name, active=active)
        self._forget()
        return self.user(user.name)

    def revoke_key(self, name: str, key_id: str | None = None) -> int:
        user = self.user(checked_name(name))
        count = self.store.disable_keys(user.name, key_id)
        self._forget()
        return count

    def update(
        self, name: str, *, role: str | None = None, groups: str | tuple[str, ...] | None = None
    ) -> User:
        user = self.user(checked_name(name))
        self.store.update_user(
            user.name,
            role=checked_role(role) if role is not None else None,
            groups=checked_groups(groups) if groups is not None else None,
        )
        return self.user(user.name)

    # -- who is calling ----------------------------------------------------------------------------
    def by_key(self, key: str | None, via: str = "api", *, legacy_key: str | None = None) -> Principal:
        """The user a key belongs to (raises ``NotAuthorized``); in local mode, this machine's user
        (who must send ``legacy_key`` — DAFU_API_KEY — when one is set)."""
        if self.local_mode():
            legacy = legacy_key if legacy_key is not None else self.legacy_key
            if legacy and not hmac.compare_digest((key or "").encode(), legacy.encode()):
                raise NotAuthorized(LEGACY_KEY)
            return LOCAL
        if not key:
            raise NotAuthorized(NO_KEY)
        key_id = self._check(key)
        if key_id is None:
            raise NotAuthorized(BAD_KEY)
        found = self.store.key(key_id)
        user = self.store.user(found[0]) if found else None
        if found is None or not found[3] or user is None or not user.active:
            raise NotAuthorized(BAD_KEY)
        return _principal(user, key_id, via)

    def _check(self, key: str) -> str | None:
        """The id of a key whose secret matches its stored hash (cached for a while: scrypt is slow by
        design), else None."""
        digest = keys.token_digest(key)
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        parts = keys.split(key)
        found = self.store.key(parts[0]) if parts else None
        if parts is None or found is None or not keys.verify(parts[1], found[1], found[2]):
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[digest] = (parts[0], now + _VERIFIED_SECONDS)
        return parts[0]

    def _forget(self) -> None:
        with self._lock:
            self._verified.clear()

    def login(self, name: str, key: str) -> tuple[str, Principal]:
        """A new UI session for a user's name and one of their keys: (token, principal)."""
        principal = None
        with contextlib.suppress(NotAuthorized):
            principal = self.by_key(key, via="ui")
        if principal is None or principal.name != (name or "").strip() or self.local_mode():
            raise NotAuthorized(BAD_LOGIN)
        token = keys.new_token()
        self.store.add_session(
            keys.token_digest(token), principal.name, principal.key_id, time.time() + self.session_seconds
        )
        return token, principal

    def by_session(self, token: str | None) -> Principal | None:
        """The user of a UI session that has not expired (or this machine's user in local mode)."""
        if self.local_mode():
            return LOCAL
        if not token:
            return None
        found = self.store.session(keys.token_digest(token))
        user = self.store.user(found[0]) if found else None
        if found is None or user is None or not user.active:
            return None
        return _principal(user, found[1], "ui")

    def logout(self, token: str | None) -> str | None:
        """End a session; the user's name, or None when there was none."""
        if not token:
            return None
        ended = self.store.end_session(keys.token_digest(token))
        return ended[0] if ended else None

    def check_rate(self, who: Principal) -> None:
        if not who.key_id:
            return
        wait = self.limiter.take(who.key_id)
        if wait > 0:
            seconds = retry_after(wait)
            raise RateLimited(
                f"请求过于频繁：每个密钥每分钟最多 {self.limiter.per_minute} 次。请 {seconds} 秒后重试；"
                "批量任务请放慢速度，或请管理员调整 DAFU_RATE_LIMIT。",
                retry_after=seconds,
            )

    # -- documents ---------------------------------------------------------------------------------
    def label_of(self, doc_id: str) -> str:
        return self.store.label(doc_id) or self.default_label

    def may_see(self, who: Principal, label: str) -> bool:
        return who.sees_all or label == self.public_label or label in who.groups

    def visible(self, who: Principal, doc_ids: list[str]) -> frozenset[str] | None:
        """Of ``doc_ids``, those ``who`` may see; ``None`` when they may see every document."""
        if who.sees_all:
            return None
        labels = self.store.labels()
        return frozenset(d for d in doc_ids if self.may_see(who, labels.get(d, self.default_label)))

    def assignable(self, who: Principal, label: str) -> str:
        """A label ``who`` may give a document: admins any, editors the public one or their groups."""
        label = checked_name(label, "访问标签")
        if not self.may_see(who, label):
            raise Forbidden(
                f"不能把文档设为“{label}”：您不在该组，设了之后自己也看不到。可选：{'、'.join(self.labels_for(who))}。"
            )
        return label

    def labels_for(self, who: Principal) -> list[str]:
        """Labels ``who`` may give (and see): the public one first."""
        if who.sees_all:
            known = {self.public_label, self.default_label, *self.store.labels().values()}
            for user in self.store.users():
                known.update(user.groups)
            return [self.public_label, *sorted(known - {self.public_label})]
        return [self.public_label, *sorted(who.groups - {self.public_label})]

    # -- audit -------------------------------------------------------------------------------------
    def record(
        self, who: Principal, action: str, *, target: str = "", detail: str = "", outcome: str = "ok",
        question: bool = False,
    ) -> None:  # fmt: skip
        """Append to the audit trail. ``question``: ``detail`` is a question, kept only when questions
        are recorded (else only its length)."""
        if question and not self.record_questions:
            detail = f"（未记录问题文字，{len(detail)} 字）"
        entry = AuditEntry(
            seq=0, at=time.time(), user=who.name or "operator", key_id=who.key_id, via=who.via, action=action,
            target=target[:200], detail=detail[:2000], outcome=outcome,
        )  # fmt: skip
        self.store.record(entry)

    def audit(self, query: AuditQuery) -> list[AuditEntry]:
        return self.store.audit(query)


def _principal(user: User, key_id: str, via: str) -> Principal:
    return Principal(name=user.name, role=user.role, groups=frozenset(user.groups), key_id=key_id, via=via)
