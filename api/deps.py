"""Typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.service import DafuService


def get_service(request: Request) -> DafuService:
    return request.app.state.service  # type: ignore[no-any-return]


ServiceDep = Annotated[DafuService, Depends(get_service)]
