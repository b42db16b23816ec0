"""`dafu serve`: the HTTP API and the UI in one process."""

from __future__ import annotations

import ipaddress

import click

from rag.cli import app, users
from rag.settings import get_settings


@click.command()
@click.option("--host", envvar="DAFU_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="DAFU_PORT", default=8000, show_default=True, type=int)
@click.option(
    "--ingest-default/--no-ingest-default", default=True, help="Index the sample letters when needed."
)
def serve(host: str, port: int, ingest_default: bool) -> None:
    """Serve the HTTP API and the UI (at /ui)."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    if not loopback(host) and not users.accounts(settings).has_admin():
        raise click.ClickException(remote_without_admin(host))
    if ingest_default:
        svc = app.service(settings)
        if settings.letters_dir.exists():
            report = app.ingest_with_progress(svc, [settings.letters_dir])
            if report.changed:
                app.console.print(f"已索引示例答复函：新增 {len(report.added)}，更新 {len(report.updated)}")
        web = create_app(settings, service=svc, isolate_drafts=settings.draft_isolation)
    else:
        web = create_app(settings, isolate_drafts=settings.draft_isolation)
    app.console.print(f"dafu 服务已启动：API http://{host}:{port}/docs  界面 http://{host}:{port}/ui")
    uvicorn.run(web, host=host, port=port, log_level="info")


def loopback(host: str) -> bool:
    """Only this machine can reach ``host``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def remote_without_admin(host: str) -> str:
    return (
        f"拒绝在 {host} 上监听：还没有管理员账号，任何能访问该地址的人都能读取、上传和删除所有答复函。\n"
        "请先创建管理员：dafu users add <用户名> --role admin（会显示其密钥，只显示一次），再重新启动；"
        "或只在本机使用：--host 127.0.0.1。\n"
        f"Refusing to listen on {host}: no admin account exists yet, so anyone who can reach it could read, "
        "upload and delete every letter. Create one first with `dafu users add <name> --role admin` "
        "(its key is printed once), then start again; or serve this machine only with --host 127.0.0.1."
    )
