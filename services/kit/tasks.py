"""Human tasks, once for every service that has people work on cases: the task table
and its history, the bus commands from workflows (open, remind, escalate, cancel), the
inboxes over HTTP (mine, my county's queue, a supervisor's overview), claim, release,
complete with a structured outcome, reassign, and their metrics.

A service builds one :class:`TaskModule` in ``create_app`` and passes its tables, router
and start-up hook on; what differs between services (how a kind is assigned, what a
completion also does) comes in as callables."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter, Gauge, Histogram
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, func, or_, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested
from services.contracts.routing import Subscription
from services.contracts.tasks import (
    CANDIDATE_ROLE,
    OUTCOME_MODEL,
    TASK_COMPLETED_BY_SERVICE,
    CancelTask,
    OpenTask,
    TaskDeadline,
)
from services.kit import staff
from services.kit.auth import Principal, current_principal, forbid
from services.kit.bus import Reject
from services.kit.db import UTCDateTime, utcnow
from services.kit.errors import FieldError
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent

log = logging.getLogger(__name__)

ACTIVE = ("open", "claimed")


class Task(SQLModel, table=True):
    __tablename__ = "task"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    task_key: str = Field(unique=True, max_length=200)
    kind: str = Field(index=True, max_length=50)
    case_id: str = Field(index=True, max_length=200)
    application_id: str | None = Field(default=None, index=True, max_length=200)
    candidate_role: str = Field(max_length=50)
    county: str = Field(index=True, max_length=50)
    assignee: str | None = Field(default=None, index=True, max_length=100)
    status: str = Field(default="open", index=True, max_length=20)
    due_at: dt.datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    escalation_level: int = 0
    outcome: str | None = Field(default=None, max_length=50)
    reason: str | None = Field(default=None, max_length=2000)
    completed_by: str | None = Field(default=None, max_length=100)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TaskEvent(SQLModel, table=True):
    """Every change of a task: who, when, what. Rows are only ever added."""

    __tablename__ = "task_event"

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="task.id", index=True, max_length=32)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=30)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# -- HTTP schemas -----------------------------------------------------------------------

class TaskEventPublic(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    detail: dict[str, Any]


class TaskPublic(BaseModel):
    id: str
    task_key: str
    kind: str
    case_id: str
    application_id: str | None
    candidate_role: str
    county: str
    assignee: str | None
    status: str
    due_at: dt.datetime | None
    overdue: bool
    escalation_level: int
    outcome: str | None
    reason: str | None
    completed_by: str | None
    completed_at: dt.datetime | None
    created_at: dt.datetime
    data: dict[str, Any]
    result: dict[str, Any]
    history: list[TaskEventPublic] | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class StaffPublic(BaseModel):
    username: str
    name: str
    county: str | None


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: dict[str, Any]


class Reassignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str = PydanticField(min_length=1, max_length=100)
    note: str | None = PydanticField(default=None, max_length=1000)


def public(task: Task, history: Sequence[TaskEvent] | None = None) -> TaskPublic:
    now = utcnow()
    return TaskPublic(
        **task.model_dump(exclude={"updated_at", "completed_by"}),
        completed_by=task.completed_by,
        overdue=bool(task.due_at and task.status in ACTIVE and task.due_at < now),
        history=None if history is None else [
            TaskEventPublic(at=e.at, actor=e.actor, action=e.action, detail=e.detail)
            for e in history
        ],
    )


# -- metrics ----------------------------------------------------------------------------

class TaskMetrics:
    def __init__(self, runtime: Runtime) -> None:
        r = runtime.metrics.registry
        self.open = Gauge("pishkhan_tasks_open", "Open and claimed tasks",
                          ["kind", "county", "overdue"], registry=r)
        self.oldest = Gauge("pishkhan_task_oldest_open_age_seconds",
                            "Age of the oldest task still open, by kind", ["kind"], registry=r)
        self.duration = Histogram(
            "pishkhan_task_duration_seconds", "From opening to completion", ["kind"],
            registry=r,
            buckets=(60, 600, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400,
                     30 * 86400),
        )
        self.reminders = Counter("pishkhan_task_reminders_total", "Reminders before a due time",
                                 ["kind"], registry=r)
        self.breaches = Counter("pishkhan_task_sla_breaches_total",
                                "Escalations of tasks past their due time", ["kind"], registry=r)
        self.actions = Counter("pishkhan_task_actions_total", "Claims, releases, completions…",
                               ["kind", "action"], registry=r)


# -- the module -------------------------------------------------------------------------

Assign = Callable[[AsyncSession, OpenTask], Awaitable[str | None]]
Completed = Callable[[UnitOfWork, Task, Any, Principal], Awaitable[None]]
# a service's own rule on a valid outcome, checked before the task changes: it raises
# FieldError (or TaskError) to refuse the completion
CheckCompletion = Callable[[UnitOfWork, Task, Any, Principal], Awaitable[None]]


def serves(person_county: str | None, task_county: str) -> bool:
    """Staff of a county work on its tasks; staff without a county work province-wide."""
    return person_county is None or person_county == task_county


class TaskError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class TaskModule:
    def __init__(self, runtime: Runtime, *, service: str, kinds: Sequence[str],
                 commands: Subscription, roster: Subscription,
                 assign: dict[str, Assign] | None = None,
                 on_completed: Completed | None = None,
                 check_completion: CheckCompletion | None = None) -> None:
        self.runtime = runtime
        self.service = service
        self.kinds = tuple(kinds)
        self.assign = assign or {}
        self.on_completed = on_completed
        self.check_completion = check_completion
        self.metrics = TaskMetrics(runtime)
        bus = runtime.bus
        bus.subscribe(commands, idempotent(bus.queue_name(commands), runtime.uow, self._command))
        staff.subscribe_roster(bus, roster, runtime.uow)
        runtime.scrape_hooks.append(self.refresh_gauges)

    tables = [Task.__table__, TaskEvent.__table__, staff.StaffMember.__table__]  # type: ignore[attr-defined]

    # -- commands from workflows -------------------------------------------------------

    async def _command(self, uow: UnitOfWork, envelope: Envelope, command: Any) -> None:
        if command.kind not in self.kinds:
            raise Reject("wrong_service", f"{self.service} does not own {command.kind} tasks")
        if isinstance(command, OpenTask):
            await self.open(uow, command)
        elif isinstance(command, TaskDeadline):
            await self.deadline(uow, command)
        elif isinstance(command, CancelTask):
            await self.cancel(uow, command)
        else:  # pragma: no cover - the subscription binds only the three
            raise Reject("unexpected_command", envelope.type)

    async def open(self, uow: UnitOfWork, command: OpenTask) -> Task:
        """Create the task the command asks for; the same task_key again returns the first."""
        session = uow.session
        existing = await self._by_key(session, command.task_key)
        if existing is not None:
            return existing
        assignee = command.assignee
        if assignee is not None:
            person = await staff.member(session, assignee)
            if person is None or not person.active or command.candidate_role not in person.roles:
                assignee = None  # gone or moved on: the task waits in the queue instead
        if assignee is None and command.kind in self.assign:
            assignee = await self.assign[command.kind](session, command)
        now = utcnow()
        task = Task(
            task_key=command.task_key, kind=command.kind, case_id=command.case_id,
            application_id=command.application_id, candidate_role=command.candidate_role,
            county=command.county, due_at=command.due_at, data=command.data,
            assignee=assignee, status="claimed" if assignee else "open",
            created_at=now, updated_at=now,
        )
        session.add(task)
        await session.flush()
        self._history(session, task, "system", "opened",
                      {"due_at": command.due_at.isoformat() if command.due_at else None})
        if assignee:
            self._history(session, task, "system", "assigned", {"assignee": assignee})
        return task

    async def deadline(self, uow: UnitOfWork, command: TaskDeadline) -> None:
        session = uow.session
        task = await self._by_key(session, command.task_key)
        if task is None:
            raise Reject("unknown_task", command.task_key)
        if task.status not in ACTIVE:
            return  # done meanwhile: nobody to remind
        if command.stage == "reminder":
            self.metrics.reminders.labels(task.kind).inc()
            self._history(session, task, "system", "reminded", {})
            if task.assignee:
                person = await staff.member(session, task.assignee)
                people = [person] if person else []
            else:
                people = await self._candidates(session, task.candidate_role, task.county)
            self._notify(uow, task, people, "task_reminder", "reminder", {})
            return
        self.metrics.breaches.labels(task.kind).inc()
        level = max(task.escalation_level + 1, command.level)
        previous = task.assignee
        values: dict[str, Any] = {"escalation_level": level, "updated_at": utcnow()}
        if command.return_to_queue and task.status == "claimed":
            values.update(status="open", assignee=None)
        await session.exec(update(Task).where(col(Task.id) == task.id).values(**values))
        await session.refresh(task)
        self._history(session, task, "system", "escalated",
                      {"level": level, "assignee": previous})
        if command.return_to_queue and previous:
            self._history(session, task, "system", "returned_to_queue", {"from": previous})
        supervisors = await staff.members(session, "supervisor", task.county)
        self._notify(uow, task, supervisors, "task_escalated", f"escalation:{level}",
                     {"level": level, "assignee": previous or ""})

    async def cancel(self, uow: UnitOfWork, command: CancelTask) -> None:
        task = await self._by_key(uow.session, command.task_key)
        if task is None or task.status not in ACTIVE:
            return
        await self._transition(uow.session, task, ACTIVE, status="cancelled",
                               reason=command.reason)
        self._history(uow.session, task, "system", "cancelled", {"reason": command.reason})

    # -- people's actions ---------------------------------------------------------------

    async def claim(self, uow: UnitOfWork, task_id: str, who: Principal) -> Task:
        task = await self._visible(uow.session, task_id, who)
        if not self._candidate(task, who):
            raise TaskError(403, "only a candidate of this county may claim this task")
        if task.status != "open":
            raise TaskError(409, "the task is not open to claim")
        if not await self._transition(uow.session, task, ("open",), status="claimed",
                                      assignee=who.sub):
            raise TaskError(409, "someone else claimed the task first")
        self._history(uow.session, task, who.actor, "claimed", {})
        self.metrics.actions.labels(task.kind, "claim").inc()
        return task

    async def release(self, uow: UnitOfWork, task_id: str, who: Principal) -> Task:
        task = await self._visible(uow.session, task_id, who)
        if task.assignee != who.sub:
            raise TaskError(403, "only the assignee may release the task")
        if not await self._transition(uow.session, task, ("claimed",), status="open",
                                      assignee=None, assignee_is=who.sub):
            raise TaskError(409, "the task is no longer yours")
        self._history(uow.session, task, who.actor, "released", {})
        self.metrics.actions.labels(task.kind, "release").inc()
        return task

    async def reassign(self, uow: UnitOfWork, task_id: str, who: Principal,
                       body: Reassignment) -> Task:
        task = await self._visible(uow.session, task_id, who)
        if not (who.has("admin") or (who.has("supervisor") and who.county == task.county)):
            raise TaskError(403, "only a supervisor of this county may reassign")
        if task.status not in ACTIVE:
            raise TaskError(409, "the task is closed")
        person = await staff.member(uow.session, body.assignee)
        if (person is None or not person.active or task.candidate_role not in person.roles
                or not serves(person.county, task.county)):
            raise FieldError("assignee", "assignee_not_eligible")
        previous = task.assignee
        if not await self._transition(uow.session, task, ACTIVE, status="claimed",
                                      assignee=person.username):
            raise TaskError(409, "the task changed meanwhile")
        self._history(uow.session, task, who.actor, "reassigned",
                      {"from": previous, "to": person.username, "note": body.note})
        self.metrics.actions.labels(task.kind, "reassign").inc()
        return task

    async def complete(self, uow: UnitOfWork, task_id: str, who: Principal,
                       body: Completion) -> Task:
        task = await self._visible(uow.session, task_id, who)
        if task.status == "open":
            raise TaskError(409, "claim the task before completing it")
        if task.status != "claimed":
            raise TaskError(409, "the task is closed")
        if task.assignee != who.sub:
            raise TaskError(403, "only the assignee may complete the task")
        try:
            outcome = OUTCOME_MODEL[task.kind].model_validate(body.outcome)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", "outcome", *e["loc"])} for e in exc.errors()]
            ) from exc
        if self.check_completion is not None:
            await self.check_completion(uow, task, outcome, who)
        now = utcnow()
        data = outcome.model_dump(mode="json")
        if not await self._transition(
            uow.session, task, ("claimed",), assignee_is=who.sub, status="completed",
            outcome=outcome.decision, reason=outcome.summary_reason, completed_by=who.sub,
            completed_at=now, result=data,
        ):
            raise TaskError(409, "the task changed meanwhile")
        self._history(uow.session, task, who.actor, "completed", {"outcome": outcome.decision})
        self.metrics.actions.labels(task.kind, "complete").inc()
        self.metrics.duration.labels(task.kind).observe((now - task.created_at).total_seconds())
        if self.on_completed is not None:
            await self.on_completed(uow, task, outcome, who)
        uow.publish(
            TASK_COMPLETED_BY_SERVICE[self.service](
                task_key=task.task_key, task_id=task.id, kind=task.kind,  # type: ignore[arg-type]
                case_id=task.case_id, outcome=outcome.decision, reason=outcome.summary_reason,
                actor=who.actor, completed_at=now, data=data,
            ),
            correlation_id=task.case_id,
        )
        return task

    # -- queries ------------------------------------------------------------------------

    def may_see(self, task: Task, who: Principal) -> bool:
        if who.has("admin") or task.assignee == who.sub:
            return True
        return self._candidate(task, who) or (who.has("supervisor") and who.county == task.county)

    async def get(self, session: AsyncSession, task_id: str, who: Principal
                  ) -> tuple[Task, list[TaskEvent]]:
        task = await self._visible(session, task_id, who)
        history = (await session.exec(
            select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(col(TaskEvent.id))
        )).all()
        return task, list(history)

    async def page(self, session: AsyncSession, scope: Any, *, kind: str | None,
                   status: str | None, overdue: bool | None, due_before: dt.datetime | None,
                   case_id: str | None, limit: int, offset: int) -> Page[TaskPublic]:
        query = select(Task).where(scope)
        if kind:
            query = query.where(Task.kind == kind)
        if status:
            query = query.where(Task.status == status)
        if case_id:
            query = query.where(Task.case_id == case_id)
        now = utcnow()
        if overdue is True:
            query = query.where(col(Task.status).in_(ACTIVE), col(Task.due_at) < now)
        elif overdue is False:
            query = query.where(or_(col(Task.due_at).is_(None), col(Task.due_at) >= now,
                                    col(Task.status).not_in(ACTIVE)))
        if due_before:
            query = query.where(col(Task.due_at) < due_before)
        total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = (await session.exec(
            query.order_by(col(Task.due_at).asc().nulls_last(), col(Task.created_at), col(Task.id))
            .offset(offset).limit(limit)
        )).all()
        return Page[TaskPublic](items=[public(t) for t in rows], total=total, limit=limit,
                                offset=offset)

    async def refresh_gauges(self) -> None:
        now = utcnow()
        async with self.runtime.db.sessionmaker() as session:
            rows = (await session.exec(
                select(Task.kind, Task.county, Task.due_at, Task.created_at)
                .where(col(Task.status).in_(ACTIVE))
            )).all()
        self.metrics.open.clear()
        oldest: dict[str, float] = {kind: 0.0 for kind in self.kinds}
        counts: dict[tuple[str, str, str], int] = {}
        for kind, county, due_at, created_at in rows:
            late = "true" if due_at is not None and due_at < now else "false"
            counts[(kind, county, late)] = counts.get((kind, county, late), 0) + 1
            oldest[kind] = max(oldest.get(kind, 0.0), (now - created_at).total_seconds())
        for labels, count in counts.items():
            self.metrics.open.labels(*labels).set(count)
        for kind, age in oldest.items():
            self.metrics.oldest.labels(kind).set(age)

    # -- internals ----------------------------------------------------------------------

    @staticmethod
    def _candidate(task: Task, who: Principal) -> bool:
        return who.has(task.candidate_role) and serves(who.county, task.county)

    @staticmethod
    async def _candidates(session: AsyncSession, role: str, county: str
                          ) -> list[staff.StaffMember]:
        """Who may take a task of this county: its own staff and the province-wide."""
        people = await staff.members(session, role, None)
        return [p for p in people if serves(p.county, county)]

    async def _by_key(self, session: AsyncSession, key: str) -> Task | None:
        return (await session.exec(select(Task).where(Task.task_key == key))).first()

    async def _visible(self, session: AsyncSession, task_id: str, who: Principal) -> Task:
        task = await session.get(Task, task_id)
        if task is None or task.kind not in self.kinds or not self.may_see(task, who):
            # whether a task exists is itself private to those who may see it
            raise TaskError(404, "task not found")
        return task

    async def _transition(self, session: AsyncSession, task: Task, from_status: Sequence[str],
                          *, assignee_is: str | None = None, **values: Any) -> bool:
        """A conditional UPDATE: of two people acting at once exactly one succeeds, on
        SQLite and PostgreSQL alike."""
        query = update(Task).where(col(Task.id) == task.id, col(Task.status).in_(from_status))
        if assignee_is is not None:
            query = query.where(col(Task.assignee) == assignee_is)
        result = await session.exec(query.values(updated_at=utcnow(), **values))  # type: ignore[call-overload]
        if result.rowcount != 1:
            return False
        await session.refresh(task)
        return True

    @staticmethod
    def _history(session: AsyncSession, task: Task, actor: str, action: str,
                 detail: dict[str, Any]) -> None:
        session.add(TaskEvent(task_id=task.id, actor=actor, action=action, detail=detail))

    @staticmethod
    def _notify(uow: UnitOfWork, task: Task, people: Sequence[staff.StaffMember],
                template: Literal["task_reminder", "task_escalated"], suffix: str,
                data: dict[str, Any]) -> None:
        for person in people:
            uow.publish(
                NotificationRequested(
                    notification_key=f"{task.task_key}:{suffix}",
                    template=template,
                    recipient=person.recipient(),
                    case_id=task.case_id,
                    data={"application_id": task.application_id or "", "task_kind": task.kind,
                          "task_id": task.id,
                          "due_at": task.due_at.isoformat() if task.due_at else "", **data},
                ),
                correlation_id=task.case_id,
            )

    # -- HTTP ---------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/tasks", tags=["tasks"])
        module = self

        def filters(kind: str | None = None, status: str | None = None,
                    overdue: bool | None = None, due_before: dt.datetime | None = None,
                    case_id: str | None = None, limit: int = Query(default=50, ge=1, le=200),
                    offset: int = Query(default=0, ge=0)) -> dict[str, Any]:
            if due_before is not None and due_before.tzinfo is None:
                due_before = due_before.replace(tzinfo=dt.UTC)
            return {"kind": kind, "status": status, "overdue": overdue,
                    "due_before": due_before, "case_id": case_id, "limit": limit,
                    "offset": offset}

        @router.get("/mine", response_model=Page[TaskPublic])
        async def my_tasks(request: Request, who: Principal = Depends(current_principal),
                           f: dict[str, Any] = Depends(filters)) -> Page[TaskPublic]:
            async with request.app.state.runtime.uow() as uow:
                return await module.page(uow.session, col(Task.assignee) == who.sub, **f)

        @router.get("/queue", response_model=Page[TaskPublic])
        async def county_queue(request: Request, who: Principal = Depends(current_principal),
                               f: dict[str, Any] = Depends(filters)) -> Page[TaskPublic]:
            roles = [r for r in who.roles]
            scope = col(Task.candidate_role).in_(roles) & (col(Task.status) == "open")
            if who.county is not None:  # without a county: province-wide, every county's
                scope = scope & (col(Task.county) == who.county)
            async with request.app.state.runtime.uow() as uow:
                return await module.page(uow.session, scope, **f)

        @router.get("", response_model=Page[TaskPublic])
        async def overview(request: Request, who: Principal = Depends(current_principal),
                           f: dict[str, Any] = Depends(filters)) -> Page[TaskPublic]:
            if who.has("admin", "ops"):
                scope: Any = col(Task.id).is_not(None)
            elif who.has("supervisor") and who.county:
                scope = col(Task.county) == who.county
            else:
                forbid(request, who, "task overview is for supervisors")
            async with request.app.state.runtime.uow() as uow:
                return await module.page(uow.session, scope, **f)

        @router.get("/candidates", response_model=list[StaffPublic])
        async def candidates(request: Request, kind: str,
                             who: Principal = Depends(current_principal)) -> list[StaffPublic]:
            """Who in my county may take tasks of this kind: for a supervisor reassigning."""
            if kind not in module.kinds:
                raise HTTPException(404, "no such kind of task here")
            if not (who.has("supervisor", "admin") and who.county):
                forbid(request, who, "the roster is for supervisors")
            async with request.app.state.runtime.uow() as uow:
                people = await module._candidates(uow.session, CANDIDATE_ROLE[kind], who.county)
            return [StaffPublic(username=p.username, name=p.name, county=p.county)
                    for p in people]

        @router.get("/{task_id}", response_model=TaskPublic)
        async def one(request: Request, task_id: str,
                      who: Principal = Depends(current_principal)) -> TaskPublic:
            async with request.app.state.runtime.uow() as uow:
                task, history = await module._guarded(request, who, module.get(uow.session,
                                                                                task_id, who))
                return public(task, history)

        async def act(request: Request, who: Principal, action: Any) -> TaskPublic:
            async with request.app.state.runtime.uow() as uow:
                task = await module._guarded(request, who, action(uow))
                await uow.commit()
                return public(task)

        @router.post("/{task_id}/claim", response_model=TaskPublic)
        async def claim(request: Request, task_id: str,
                        who: Principal = Depends(current_principal)) -> TaskPublic:
            return await act(request, who, lambda uow: module.claim(uow, task_id, who))

        @router.post("/{task_id}/release", response_model=TaskPublic)
        async def release(request: Request, task_id: str,
                          who: Principal = Depends(current_principal)) -> TaskPublic:
            return await act(request, who, lambda uow: module.release(uow, task_id, who))

        @router.post("/{task_id}/complete", response_model=TaskPublic)
        async def complete(request: Request, task_id: str, body: Completion,
                           who: Principal = Depends(current_principal)) -> TaskPublic:
            return await act(request, who, lambda uow: module.complete(uow, task_id, who, body))

        @router.post("/{task_id}/reassign", response_model=TaskPublic)
        async def reassign(request: Request, task_id: str, body: Reassignment,
                           who: Principal = Depends(current_principal)) -> TaskPublic:
            return await act(request, who,
                             lambda uow: module.reassign(uow, task_id, who, body))

        return router

    async def _guarded(self, request: Request, who: Principal, action: Awaitable[T]) -> T:
        try:
            return await action
        except TaskError as exc:
            if exc.status in (403, 404):
                forbid(request, who, exc.detail, status=exc.status, detail=exc.detail)
            raise HTTPException(exc.status, exc.detail) from exc
