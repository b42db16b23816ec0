"""Access labels one may give (``GET /v1/labels``); users, keys and the audit trail (admins): ``GET/POST /v1/users``, ``PATCH /v1/users/{name}``,
``POST /v1/users/{name}/keys`` and ``GET /v1/audit`` (JSON, or CSV with ``format=csv``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServiceDep
from rag.access.model import AuditEntry, AuditQuery, NewKey, User

router = APIRouter(prefix="/v1", tags=["admin"])


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Literal["reader", "editor", "admin"] = "reader"
    groups: list[str] = Field(default_factory=list, description="Groups, e.g. 内部 or a department.")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["reader", "editor", "admin"] | None = None
    groups: list[str] | None = None
    active: bool | None = Field(default=None, description="false disables the user and all their keys.")


class UserList(BaseModel):
    users: list[User]


class AuditList(BaseModel):
    entries: list[AuditEntry]


class LabelList(BaseModel):
    labels: list[str] = Field(description="Labels the caller may give a document, the public one first.")


@router.get("/labels", response_model=LabelList)
def labels(service: ServiceDep) -> LabelList:
    return LabelList(labels=service.labels())


@router.get("/users", response_model=UserList)
def users(service: ServiceDep) -> UserList:
    return UserList(users=service.users())


@router.post("/users", response_model=NewKey, status_code=201)
def add_user(body: UserRequest, service: ServiceDep) -> NewKey:
    """A new user and their first key: the key's secret is shown here once and stored only hashed."""
    return service.add_user(body.name, body.role, tuple(body.groups))


@router.patch("/users/{name}", response_model=User)
def update_user(name: str, body: UserUpdate, service: ServiceDep) -> User:
    groups = ",".join(body.groups) if body.groups is not None else None
    return service.update_user(name, role=body.role, groups=groups, active=body.active)


@router.post("/users/{name}/keys", response_model=NewKey, status_code=201)
def new_key(name: str, service: ServiceDep) -> NewKey:
    return service.new_key(name)


@router.get("/audit", response_model=AuditList, responses={200: {"content": {"text/csv": {}}}})
def audit(
    service: ServiceDep,
    user: str = "",
    action: str = "",
    text: str = Query("", description="Found in the target or the detail (a question, a document id)."),
    since: float | None = Query(None, description="Unix time"),
    until: float | None = Query(None, description="Unix time"),
    limit: int = Query(500, ge=1, le=100_000),
    format: Literal["json", "csv"] = "json",
) -> AuditList | Response:
    query = AuditQuery(user=user, action=action, text=text, since=since, until=until, limit=limit)
    if format == "csv":
        return Response(
            service.audit_csv(query),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="dafu-audit.csv"'},
        )
    return AuditList(entries=service.audit(query))
