"""Human tasks: the table, opening on a workflow's request, completing over HTTP.

A service that owns tasks adds ``Task`` to its tables, subscribes ``open_task`` to its
``<service>.task.open`` queue and mounts ``task_router``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field as PydanticField
from sqlalchemy import JSON, Column, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.tasks import TASK_COMPLETED_BY_SERVICE, TASK_OUTCOMES, OpenTask
from services.kit.db import UTCDateTime, utcnow
from services.kit.errors import FieldError
from services.kit.uow import UnitOfWork

TaskStatus = Literal["open", "completed", "cancelled"]


class TaskBase(SQLModel):
    kind: str = Field(index=True, max_length=50)
    case_id: str = Field(index=True, max_length=200)
    application_id: str | None = Field(default=None, index=True, max_length=200)
    candidate_role: str = Field(max_length=50)
    county: str = Field(index=True, max_length=50)
    status: str = Field(default="open", index=True, max_length=20)
    due_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=50)
    reason: str | None = Field(default=None, max_length=2000)
    actor: str | None = Field(default=None, max_length=200)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Task(TaskBase, table=True):
    __tablename__ = "task"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    task_key: str = Field(unique=True, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TaskPublic(TaskBase):
    id: str
    task_key: str
    data: dict[str, Any]
    result: dict[str, Any]


class TaskCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = PydanticField(min_length=1, max_length=50)
    reason: str | None = PydanticField(default=None, max_length=2000)
    actor: str = PydanticField(min_length=1, max_length=200)
    data: dict[str, Any] = PydanticField(default_factory=dict)


class TaskNotFound(Exception):
    pass


class TaskNotOpen(Exception):
    pass


async def open_task(session: AsyncSession, command: OpenTask) -> Task:
    """Create the task the command asks for; the same task_key again returns the first."""
    existing = (await session.exec(select(Task).where(Task.task_key == command.task_key))).first()
    if existing is not None:
        return existing
    task = Task(
        task_key=command.task_key,
        kind=command.kind,
        case_id=command.case_id,
        application_id=command.application_id,
        candidate_role=command.candidate_role,
        county=command.county,
        due_at=command.due_at,
        data=command.data,
    )
    session.add(task)
    await session.flush()
    return task


async def complete_task(uow: UnitOfWork, service: str, task_id: str, completion: TaskCompletion
                        ) -> tuple[Task, Envelope]:
    """Complete an open task and raise its event. The conditional UPDATE makes two people
    completing at once safe on every database: one wins, the other gets TaskNotOpen."""
    task = await uow.session.get(Task, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    if task.status != "open":
        raise TaskNotOpen(task_id)
    allowed = TASK_OUTCOMES.get(task.kind, ())
    if completion.outcome not in allowed:
        raise FieldError("outcome", "outcome_invalid")
    if completion.outcome != allowed[0] and not (completion.reason or "").strip():
        raise FieldError("reason", "reason_required")
    now = utcnow()
    result = await uow.session.exec(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status) == "open")
        .values(
            status="completed",
            outcome=completion.outcome,
            reason=completion.reason,
            actor=completion.actor,
            completed_at=now,
            result=completion.data,
        )
    )
    if result.rowcount != 1:
        raise TaskNotOpen(task_id)
    await uow.session.refresh(task)
    event_type = TASK_COMPLETED_BY_SERVICE[service]
    envelope = uow.publish(
        event_type(
            task_key=task.task_key,
            task_id=task.id,
            kind=task.kind,  # type: ignore[arg-type]
            case_id=task.case_id,
            outcome=completion.outcome,
            reason=completion.reason,
            actor=completion.actor,
            completed_at=now,
            data=completion.data,
        ),
        correlation_id=task.case_id,
    )
    return task, envelope


def task_router(service: str) -> APIRouter:
    router = APIRouter(prefix="/tasks", tags=["tasks"])

    @router.get("", response_model=list[TaskPublic])
    async def list_tasks(
        request: Request,
        kind: str | None = None,
        status: TaskStatus | None = None,
        case_id: str | None = None,
        county: str | None = None,
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0),
    ) -> list[Task]:
        query = select(Task)
        if kind:
            query = query.where(Task.kind == kind)
        if status:
            query = query.where(Task.status == status)
        if case_id:
            query = query.where(Task.case_id == case_id)
        if county:
            query = query.where(Task.county == county)
        query = query.order_by(col(Task.due_at).asc().nulls_last(), col(Task.created_at)).offset(
            offset).limit(limit)
        async with request.app.state.runtime.uow() as uow:
            return list((await uow.session.exec(query)).all())

    @router.get("/{task_id}", response_model=TaskPublic)
    async def get_task(request: Request, task_id: str) -> Task:
        async with request.app.state.runtime.uow() as uow:
            task = await uow.session.get(Task, task_id)
        if task is None:
            raise HTTPException(404, "task not found")
        return task

    @router.post("/{task_id}/complete", response_model=TaskPublic)
    async def complete(request: Request, task_id: str, body: TaskCompletion) -> Task:
        async with request.app.state.runtime.uow() as uow:
            try:
                task, _ = await complete_task(uow, service, task_id, body)
            except TaskNotFound:
                raise HTTPException(404, "task not found") from None
            except TaskNotOpen:
                raise HTTPException(409, "task is not open") from None
            await uow.commit()
        return task

    return router
