"""Typed dependencies. Routes receive the service acting for the caller: there is no other way to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import caller, root_service
from rag.access.model import Principal
from rag.service import DafuService


def get_service(request: Request, who: Annotated[Principal, Depends(caller)]) -> DafuService:
    return root_service(request).acting_as(who)


ServiceDep = Annotated[DafuService, Depends(get_service)]
# /healthz only: it answers probes without a key and shows no document.
RootServiceDep = Annotated[DafuService, Depends(root_service)]
