"""`dafu serve`: the HTTP API and the UI in one process."""

from __future__ import annotations

import click

from rag.cli import app
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
    if ingest_default:
        svc = app.service(settings)
        if settings.letters_dir.exists():
            report = app.ingest_with_progress(svc, [settings.letters_dir])
            if report.changed:
                app.console.print(f"已索引示例答复函：新增 {len(report.added)}，更新 {len(report.updated)}")
        web = create_app(settings, service=svc)
    else:
        web = create_app(settings)
    app.console.print(f"dafu 服务已启动：API http://{host}:{port}/docs  界面 http://{host}:{port}/ui")
    uvicorn.run(web, host=host, port=port, log_level="info")
