"""The 用户与审计 (Users and audit) tab, shown to admins: users and their keys, and the audit trail
with filters and CSV export. Every action goes through the service, which checks the role again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from rag.access.model import ROLE_NAMES, AuditEntry, AuditQuery, NewKey, Role, User
from ui import render
from ui.common import ServiceGetter, message_for, need

ALL = "全部"
ACTIONS = [
    ALL, "ask", "search", "chat", "draft", "read", "commitments", "upload", "delete", "label", "ingest", "login",
    "login_failed", "auth_failed", "logout", "user_add", "user_update", "key_new", "key_revoke",
    "audit_export",
]  # fmt: skip
ACTION_WORDS = {
    "ask": "提问", "search": "检索", "chat": "对话", "draft": "起草", "read": "查看原文", "commitments": "查看承诺台账",
    "upload": "上传",
    "delete": "删除", "label": "改标签", "ingest": "批量收录", "login": "登录", "login_failed": "登录失败",
    "auth_failed": "密钥无效", "logout": "退出", "user_add": "添加用户", "user_update": "修改用户",
    "key_new": "发放密钥", "key_revoke": "吊销密钥", "audit_export": "导出审计",
}  # fmt: skip
ROLES = [(f"{ROLE_NAMES[r]}（{r.value}）", r.value) for r in Role]
CSV_PATH = "/audit.csv"
SHOWN = 300  # rows of the audit trail shown in the page; the CSV has all that match


@dataclass
class AdminTab:
    tab: gr.Tab
    users: gr.HTML
    audit: gr.HTML
    refresh: Any  # () -> (users html, audit html)


def users_html(users: list[User]) -> str:
    if not users:
        return render.notice("还没有用户。", "info")
    head = "".join(f"<th>{h}</th>" for h in ("用户", "角色", "组", "状态", "有效密钥"))
    rows = "".join(
        f"<tr><td>{escape(u.name)}</td><td>{ROLE_NAMES[u.role]}</td><td>{escape('、'.join(u.groups) or '—')}</td>"
        f"<td>{'启用' if u.active else '已停用'}</td><td>{escape(', '.join(u.keys) or '—')}</td></tr>"
        for u in users
    )
    return f'<table class="dafu-docs" id="admin-users-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def audit_html(entries: list[AuditEntry], query: AuditQuery) -> str:
    link = f"{CSV_PATH}?{urlencode({'user': query.user, 'action': query.action, 'text': query.text})}"
    export = (
        f'<p><a href="{escape(link)}" download id="admin-audit-csv">导出 CSV（当前筛选的全部记录）</a></p>'
    )
    if not entries:
        return export + render.notice("没有符合条件的记录。", "info")
    head = "".join(f"<th>{h}</th>" for h in ("时间", "用户", "密钥", "途径", "操作", "对象", "内容", "结果"))
    rows = []
    for e in entries[:SHOWN]:
        when = dt.datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M:%S")
        action = ACTION_WORDS.get(e.action, e.action)
        cells = (when, e.user, e.key_id, e.via, action, e.target, e.detail[:120], e.outcome)
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    more = f"<p>仅显示最新 {SHOWN} 条；全部记录请导出 CSV。</p>" if len(entries) > SHOWN else ""
    table = f'<table class="dafu-docs" id="admin-audit-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return export + table + more


def key_html(key: NewKey) -> str:
    return (
        '<div class="dafu-notice dafu-info" role="status">'
        f"用户 <b>{escape(key.user)}</b> 的新密钥（<b>只显示这一次</b>，请立即转交本人）：<br>"
        f'<code id="admin-new-key">{escape(key.secret)}</code></div>'
    )


def _query(user: str, action: str, text: str, limit: int = 100_000) -> AuditQuery:
    return AuditQuery(
        user=user.strip(), action="" if action == ALL else action, text=text.strip(), limit=limit
    )


def build_admin_tab(get_service: ServiceGetter) -> AdminTab:
    with gr.Tab("用户与审计", id="admin", visible=False) as tab:
        gr.Markdown(
            "**用户**：读者可提问、检索、起草；编辑还可上传、替换、删除和修改访问标签；管理员还可管理用户并查看审计记录。"
        )
        users = gr.HTML("", elem_id="admin-users")
        with gr.Accordion("添加用户", open=False):
            with gr.Row():
                name = gr.Textbox(label="用户名", elem_id="admin-name", scale=2)
                role = gr.Dropdown(
                    ROLES, value=Role.READER.value, label="角色", elem_id="admin-role", scale=1
                )
                groups = gr.Textbox(label="组（逗号分隔，如 内部,办公室）", elem_id="admin-groups", scale=2)
            add = gr.Button("添加并发放密钥", variant="primary", elem_id="admin-add")
        with gr.Accordion("管理已有用户", open=False):
            with gr.Row():
                target = gr.Textbox(label="用户名", elem_id="admin-target", scale=2)
                new_role = gr.Dropdown([("不变", ""), *ROLES], value="", label="新角色", scale=1)
                new_groups = gr.Textbox(label="新的组（留空不变）", scale=2)
            with gr.Row():
                save = gr.Button("保存角色和组", elem_id="admin-save")
                key = gr.Button("发放新密钥", elem_id="admin-key")
                disable = gr.Button("停用", variant="stop", elem_id="admin-disable")
                enable = gr.Button("启用", elem_id="admin-enable")
        result = gr.HTML("", elem_id="admin-result")
        gr.Markdown(
            "**审计记录**：谁、何时、做了什么（提问、检索、起草、上传、删除、查看原文、改标签、登录），结果如何。"
        )
        with gr.Row():
            who = gr.Textbox(label="用户", elem_id="audit-user", scale=2)
            action = gr.Dropdown(ACTIONS, value=ALL, label="操作", elem_id="audit-action", scale=1)
            text = gr.Textbox(label="包含文字（问题、文档编号）", elem_id="audit-text", scale=2)
            search = gr.Button("查询", elem_id="audit-search", scale=1, min_width=80)
        audit = gr.HTML("", elem_id="admin-audit")

    def refresh(user: str = "", act: str = ALL, words: str = "") -> tuple[str, str]:
        try:
            svc = need(get_service)
            query = _query(user, act, words)
            return users_html(svc.users()), audit_html(svc.audit(query), query)
        except Exception as exc:
            note = render.notice(message_for(exc))
            return note, note

    def add_user(n: str, r: str, g: str, u: str, a: str, w: str) -> tuple[str, str, str]:
        try:
            shown = key_html(need(get_service).add_user(n, r, g))
        except Exception as exc:
            shown = render.notice(message_for(exc))
        return (shown, *refresh(u, a, w))

    def act(kind: str) -> Any:
        def run(n: str, r: str, g: str, u: str, a: str, w: str) -> tuple[str, str, str]:
            try:
                svc = need(get_service)
                if kind == "key":
                    shown = key_html(svc.new_key(n))
                elif kind == "save":
                    user = svc.update_user(n, role=r or None, groups=g if g.strip() else None)
                    shown = render.notice(
                        f"已保存：{user.name}，{ROLE_NAMES[user.role]}，组：{'、'.join(user.groups) or '—'}",
                        "info",
                    )
                else:
                    user = svc.update_user(n, active=kind == "enable")
                    shown = render.notice(
                        f"{user.name} 已{'启用（请发放新密钥）' if user.active else '停用，其密钥全部失效'}。",
                        "info",
                    )
            except Exception as exc:
                shown = render.notice(message_for(exc))
            return (shown, *refresh(u, a, w))

        return run

    filters = [who, action, text]
    add.click(add_user, [name, role, groups, *filters], [result, users, audit])
    for button, kind in ((key, "key"), (save, "save"), (disable, "disable"), (enable, "enable")):
        button.click(act(kind), [target, new_role, new_groups, *filters], [result, users, audit])
    search.click(refresh, filters, [users, audit])
    tab.select(refresh, filters, [users, audit])
    return AdminTab(tab, users, audit, refresh)
