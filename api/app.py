"""FastAPI application factory. The service is built once, in the lifespan (or passed in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from api import errors
from api.deps import RootServiceDep
from api.routes import admin, ask, chat, commitments, completions, documents, draft
from api.schemas import Health
from api.security import RequestGuard
from rag.service import DafuService, build_service
from rag.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    *,
    service: DafuService | None = None,
    ui: bool = True,
    isolate_drafts: bool = False,
) -> FastAPI:
    """``isolate_drafts``: write drafts in worker processes (``DafuService.isolate_drafts``), as the
    server does when the settings say so."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "service", None) is None:
            app.state.service = build_service(settings)
        if isolate_drafts:
            app.state.service.isolate_drafts()
        try:
            yield
        finally:
            if isolate_drafts:
                app.state.service.close_drafts()

    app = FastAPI(title="dafu 答复", version="0.1.0", lifespan=lifespan)
    app.state.service = service
    errors.install(app)
    # Every /v1 route takes the service through ``api.deps.get_service``: acting for the caller.
    for router in (
        ask.router,
        documents.router,
        draft.router,
        chat.router,
        completions.router,
        commitments.router,
        admin.router,
    ):
        app.include_router(router)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz(svc: RootServiceDep) -> JSONResponse:
        """200 when a search over the index works, 503 (with what failed) when it does not."""
        health = Health.model_validate(svc.health())
        return JSONResponse(health.model_dump(), status_code=200 if health.status == "ok" else 503)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui" if ui else "/docs")

    if ui:
        from ui.app import mount  # Gradio is heavy to import: only when the UI is served

        mount(app, settings)
    # Added last, so it runs first, before the UI's own middleware and every route.
    app.add_middleware(RequestGuard, settings=settings)
    return app
