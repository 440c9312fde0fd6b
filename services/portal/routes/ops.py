"""The ops page: every service's readiness, open tasks by kind with their SLA breaches,
dead letters and outbox backlog (read from the services' /readyz, /metrics and task
APIs), and links to the Temporal Web UI, RabbitMQ's management and Grafana."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client.parser import text_string_to_metric_families

from services.portal.backend import SERVICES, BackendError
from services.portal.routes.staff import KINDS_OF_SERVICE
from services.portal.sessions import WebSession
from services.portal.web import backend, render, require

router = APIRouter()
Ops = Annotated[WebSession, Depends(require("ops", "admin"))]


@dataclass
class ServiceHealth:
    name: str
    ready: bool | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    outbox_backlog: float | None = None
    outbox_oldest_age: float | None = None
    dead_lettered: float | None = None


@dataclass
class KindLoad:
    service: str
    kind: str
    open: int | None = None
    claimed: int | None = None
    overdue: int | None = None


def _metrics(text: str) -> dict[str, float]:
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            sums[sample.name] = sums.get(sample.name, 0.0) + float(sample.value)
    return sums


async def _health(request: Request, name: str) -> ServiceHealth:
    health = ServiceHealth(name)
    try:
        reply = await backend(request).raw(name, "GET", "/readyz")
        health.ready = reply.status_code == 200
        try:
            health.checks = reply.json().get("checks", {})
        except ValueError:
            health.checks = {}
    except BackendError:
        health.ready = False
        return health
    try:
        reply = await backend(request).raw(name, "GET", "/metrics")
        if reply.status_code == 200:
            sums = _metrics(reply.text)
            health.outbox_backlog = sums.get("pishkhan_outbox_backlog")
            health.outbox_oldest_age = sums.get("pishkhan_outbox_oldest_age_seconds")
            # a counter with labels has no sample until its first dead letter
            health.dead_lettered = sums.get("pishkhan_messages_dead_lettered_total", 0.0)
    except (BackendError, ValueError):
        pass
    return health


async def _count(request: Request, who: WebSession, service: str, **params: Any) -> int | None:
    try:
        page = await backend(request).get(service, "/tasks", token=who.token,
                                          params={"limit": 1, **params})
        return int(page["total"])
    except (BackendError, KeyError, TypeError):
        return None


async def _load(request: Request, who: WebSession, service: str, kind: str) -> KindLoad:
    open_, claimed, overdue = await asyncio.gather(
        _count(request, who, service, kind=kind, status="open"),
        _count(request, who, service, kind=kind, status="claimed"),
        _count(request, who, service, kind=kind, overdue="true"),
    )
    return KindLoad(service, kind, open_, claimed, overdue)


@router.get("/ops")
async def ops_page(request: Request, who: Ops) -> Response:
    health = await asyncio.gather(*(_health(request, name) for name in SERVICES))
    loads = await asyncio.gather(*(_load(request, who, service, kind)
                                   for service, kinds in KINDS_OF_SERVICE.items()
                                   for kind in kinds))
    settings = request.app.state.settings
    links = {"temporal": settings.temporal_ui_url, "rabbitmq": settings.rabbitmq_ui_url,
             "grafana": settings.grafana_url}
    return render(request, "ops/ops.html", health=health, loads=loads, links=links)
