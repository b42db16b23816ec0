"""`dafu users add|list|disable|enable|key|revoke|set` (accounts), `dafu label` (a document's access
label) and `dafu audit` (the audit trail). Accounts need no model: these commands start at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from rag.access.accounts import Accounts
from rag.access.model import ROLE_NAMES, AuditQuery, NewKey, Role
from rag.access.store import AccessStore
from rag.cli import app
from rag.settings import Settings, get_settings


def accounts(settings: Settings | None = None) -> Accounts:
    s = settings or get_settings()
    return Accounts(
        AccessStore(s.accounts_path), public_label=s.public_label, default_label=s.default_label,
        record_questions=s.audit_questions, session_hours=s.session_hours, rate_per_minute=s.rate_limit,
        legacy_key=s.api_key,
    )  # fmt: skip


def _show_key(key: NewKey) -> None:
    app.console.print(f"用户 [bold]{key.user}[/bold] 的新密钥（只显示这一次，请立即转交本人妥善保存）：")
    click.echo(key.secret)


@click.group()
def users() -> None:
    """Staff accounts: roles reader/editor/admin, groups, API keys."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.READER.value, show_default=True
)
@click.option("--groups", default="", help="Comma-separated groups, e.g. 内部,办公室.")
def add(name: str, role: str, groups: str) -> None:
    """Add a user and print their first API key (shown once)."""
    acc = accounts()
    key = acc.add_user(name, role, groups)
    acc.record(app.cli_principal(), "user_add", target=key.user, detail=f"{role} {groups}")
    _show_key(key)
    app.console.print(
        "用此密钥调用 API（Authorization: Bearer <密钥>），或在界面登录页用“用户名 + 密钥”登录。"
    )


@users.command("list")
def list_users() -> None:
    """List users, their role, groups and active keys."""
    table = Table()
    for column in ("用户", "角色", "组", "状态", "有效密钥"):
        table.add_column(column, overflow="fold")
    for user in accounts().users():
        table.add_row(
            user.name, f"{user.role.value}（{ROLE_NAMES[user.role]}）", "、".join(user.groups) or "—",
            "启用" if user.active else "已停用", ", ".join(user.keys) or "—",
        )  # fmt: skip
    app.console.print(table)


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable a user: their keys stop working and their UI sessions end."""
    acc = accounts()
    acc.set_active(name, False)
    acc.revoke_key(name)
    acc.record(app.cli_principal(), "user_update", target=name, detail="active=False")
    app.console.print(f"已停用 {name}，其全部密钥已失效。")


@users.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable a disabled user again (issue a new key with `dafu users key`)."""
    acc = accounts()
    acc.set_active(name, True)
    acc.record(app.cli_principal(), "user_update", target=name, detail="active=True")
    app.console.print(f"已启用 {name}。其旧密钥仍然无效，请用 `dafu users key {name}` 发放新密钥。")


@users.command("key")
@click.argument("name")
def key(name: str) -> None:
    """Issue a new API key for a user (shown once; earlier keys keep working until revoked)."""
    acc = accounts()
    new = acc.new_key(name)
    acc.record(app.cli_principal(), "key_new", target=name, detail=new.key_id)
    _show_key(new)


@users.command("revoke")
@click.argument("name")
@click.option("--key", "key_id", default=None, help="The key id to revoke (default: all of the user's keys).")
def revoke(name: str, key_id: str | None) -> None:
    """Revoke one key of a user, or all of them."""
    acc = accounts()
    count = acc.revoke_key(name, key_id)
    acc.record(app.cli_principal(), "key_revoke", target=name, detail=key_id or "all")
    app.console.print(f"已吊销 {name} 的 {count} 个密钥。")


@users.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--groups", default=None, help="Comma-separated groups (replaces the current ones).")
def set_user(name: str, role: str | None, groups: str | None) -> None:
    """Change a user's role or groups."""
    acc = accounts()
    user = acc.update(name, role=role, groups=groups)
    acc.record(app.cli_principal(), "user_update", target=name, detail=f"role={role} groups={groups}")
    app.console.print(f"{user.name}：{ROLE_NAMES[user.role]}，组：{'、'.join(user.groups) or '—'}")


@click.command()
@click.argument("doc_id")
@click.argument("label")
def label(doc_id: str, label: str) -> None:
    """Set a document's access label (公开, or a group such as 内部)."""
    doc = app.service().set_label(doc_id, label)
    app.console.print(f"{doc.doc_id} 的访问标签已设为“{doc.label}”。")


@click.command()
@click.option("--user", default="", help="Only this user.")
@click.option(
    "--action", default="", help="Only this action (ask, search, chat, draft, upload, delete, ...)."
)
@click.option("--since", type=click.DateTime(), default=None, help="From this local time.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Write CSV here.")
def audit(user: str, action: str, since: dt.datetime | None, limit: int, csv_path: Path | None) -> None:
    """Show (or export as CSV) the audit trail, newest first."""
    query = AuditQuery(user=user, action=action, since=since.timestamp() if since else None, limit=limit)
    acc = accounts()
    entries = acc.audit(query)
    if csv_path is not None:
        from rag.service import audit_csv

        csv_path.write_text(audit_csv(entries), encoding="utf-8")
        acc.record(app.cli_principal(), "audit_export", detail=f"{len(entries)} rows")
        app.console.print(f"已写出 {csv_path}：{len(entries)} 条记录")
        return
    table = Table()
    for column in ("时间", "用户", "密钥", "途径", "操作", "对象", "内容", "结果"):
        table.add_column(column, overflow="fold")
    for e in entries:
        when = dt.datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, e.user, e.key_id, e.via, e.action, e.target, e.detail[:80], e.outcome)
    app.console.print(table)
