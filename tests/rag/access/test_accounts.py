"""Accounts on their own SQLite file: keys stored hashed, roles, sessions, visibility, the audit trail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.access.accounts import Accounts
from rag.access.model import LOCAL, AuditQuery, Principal, Role
from rag.access.ratelimit import RateLimiter
from rag.access.store import AccessStore
from rag.errors import Forbidden, InvalidInput, NotAuthorized, RateLimited


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    return Accounts(AccessStore(tmp_path / "accounts.sqlite3"), rate_per_minute=5)


def test_without_users_every_caller_is_this_machine(accounts: Accounts) -> None:
    assert accounts.local_mode()
    assert accounts.by_key(None) is LOCAL
    assert accounts.by_session(None) is LOCAL


def test_the_legacy_key_guards_single_user_mode(tmp_path: Path) -> None:
    acc = Accounts(AccessStore(tmp_path / "a.sqlite3"), legacy_key="s3cret")
    with pytest.raises(NotAuthorized, match="DAFU_API_KEY"):
        acc.by_key(None)
    assert acc.by_key("s3cret") is LOCAL


def test_a_key_is_shown_once_and_stored_only_hashed(accounts: Accounts, tmp_path: Path) -> None:
    key = accounts.add_user("zhang", "reader", "内部,办公室")
    assert key.secret.startswith(f"dafu_{key.key_id}_")
    secret_part = key.secret.split("_", 2)[2]
    raw = (tmp_path / "accounts.sqlite3").read_bytes()
    for suffix in ("-wal", "-shm"):
        extra = tmp_path / f"accounts.sqlite3{suffix}"
        if extra.exists():
            raw += extra.read_bytes()
    assert secret_part.encode() not in raw and key.secret.encode() not in raw
    who = accounts.by_key(key.secret)
    assert who == Principal(name="zhang", role=Role.READER, groups=frozenset({"内部", "办公室"}),
                            key_id=key.key_id, via="api")  # fmt: skip
    assert not accounts.local_mode()


@pytest.mark.parametrize("bad", [None, "", "dafu_nope_nope", "Bearer x", "dafu_"])
def test_missing_or_wrong_keys_are_refused_in_chinese(accounts: Accounts, bad: str | None) -> None:
    key = accounts.add_user("zhang", "reader")
    with pytest.raises(NotAuthorized, match="密钥"):
        accounts.by_key(bad)
    with pytest.raises(NotAuthorized):
        accounts.by_key(key.secret[:-1] + ("A" if key.secret[-1] != "A" else "B"))


def test_disabling_a_user_or_revoking_a_key_stops_it_at_once(accounts: Accounts) -> None:
    first = accounts.add_user("li", "editor")
    second = accounts.new_key("li")
    assert accounts.by_key(first.secret).name == "li"  # now cached as verified
    accounts.revoke_key("li", first.key_id)
    with pytest.raises(NotAuthorized):
        accounts.by_key(first.secret)
    assert accounts.by_key(second.secret).key_id == second.key_id
    token, _ = accounts.login("li", second.secret)
    accounts.set_active("li", False)
    with pytest.raises(NotAuthorized):
        accounts.by_key(second.secret)
    assert accounts.by_session(token) is None


def test_login_needs_the_name_and_a_key_of_that_user(accounts: Accounts) -> None:
    wang = accounts.add_user("wang", "reader")
    accounts.add_user("zhao", "admin")
    with pytest.raises(NotAuthorized, match="用户名或密钥不正确"):
        accounts.login("zhao", wang.secret)
    token, who = accounts.login("wang", wang.secret)
    assert who.name == "wang" and who.via == "ui"
    assert accounts.by_session(token) == who
    assert accounts.by_session("not-a-token") is None
    assert accounts.logout(token) == "wang"
    assert accounts.by_session(token) is None


def test_sessions_expire(tmp_path: Path) -> None:
    acc = Accounts(AccessStore(tmp_path / "a.sqlite3"), session_hours=1e-7)
    key = acc.add_user("wang", "reader")
    token, _ = acc.login("wang", key.secret)
    import time

    time.sleep(0.01)
    assert acc.by_session(token) is None


def test_names_roles_and_duplicates_are_checked(accounts: Accounts) -> None:
    with pytest.raises(InvalidInput, match="用户名"):
        accounts.add_user("has space", "reader")
    with pytest.raises(InvalidInput, match="角色"):
        accounts.add_user("ok", "boss")
    accounts.add_user("ok", "reader")
    with pytest.raises(InvalidInput, match="已存在"):
        accounts.add_user("ok", "admin")


def test_visibility_follows_labels_and_groups(accounts: Accounts) -> None:
    store = accounts.store
    store.set_label("secret", "内部", "t")
    store.set_label("office", "办公室", "t")
    docs = ["open", "secret", "office"]
    reader = Principal(name="r", role=Role.READER)
    insider = Principal(name="i", role=Role.READER, groups=frozenset({"内部"}))
    admin = Principal(name="a", role=Role.ADMIN)
    assert accounts.visible(reader, docs) == {"open"}
    assert accounts.visible(insider, docs) == {"open", "secret"}
    assert accounts.visible(admin, docs) is None
    editor = Principal(name="e", role=Role.EDITOR, groups=frozenset({"办公室"}))
    assert accounts.assignable(editor, "办公室") == "办公室"
    with pytest.raises(Forbidden, match="不在该组"):
        accounts.assignable(editor, "内部")


def test_the_default_label_applies_to_unlabelled_documents(tmp_path: Path) -> None:
    acc = Accounts(AccessStore(tmp_path / "a.sqlite3"), default_label="内部")
    reader = Principal(name="r", role=Role.READER)
    assert acc.visible(reader, ["a", "b"]) == frozenset()
    acc.store.set_label("a", "公开", "t")
    assert acc.visible(reader, ["a", "b"]) == {"a"}


def test_the_audit_trail_is_append_only_and_filterable(accounts: Accounts, tmp_path: Path) -> None:
    who = Principal(name="wang", role=Role.READER, key_id="k1", via="api")
    accounts.record(who, "ask", detail="燃气管道改造资金是多少？", question=True)
    accounts.record(who, "upload", target="a", outcome="Forbidden")
    accounts.record(LOCAL, "search", detail="供水")
    asks = accounts.audit(AuditQuery(user="wang", action="ask"))
    assert [(e.user, e.key_id, e.action, e.detail) for e in asks] == [
        ("wang", "k1", "ask", "燃气管道改造资金是多少？")
    ]
    assert [e.action for e in accounts.audit(AuditQuery())] == ["search", "upload", "ask"]
    assert [e.action for e in accounts.audit(AuditQuery(text="燃气"))] == ["ask"]
    with sqlite3.connect(tmp_path / "accounts.sqlite3") as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE audit SET user = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM audit")


def test_questions_can_be_recorded_without_their_text(tmp_path: Path) -> None:
    acc = Accounts(AccessStore(tmp_path / "a.sqlite3"), record_questions=False)
    acc.record(LOCAL, "ask", detail="燃气管道改造资金是多少？", question=True)
    acc.record(LOCAL, "upload", detail="a.txt → 公开")
    details = [e.detail for e in acc.audit(AuditQuery())]
    assert details == ["a.txt → 公开", "（未记录问题文字，12 字）"]


def test_the_rate_limit_refuses_with_a_wait(accounts: Accounts) -> None:
    key = accounts.add_user("fast", "reader")
    who = accounts.by_key(key.secret)
    for _ in range(5):
        accounts.check_rate(who)
    with pytest.raises(RateLimited, match="请求过于频繁") as caught:
        accounts.check_rate(who)
    assert caught.value.retry_after >= 1


def test_the_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("k") == 0 for _ in range(60))
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("k") == 0
    assert limiter.take("other") == 0
