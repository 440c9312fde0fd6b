"""Wires the applications service: database, bus, routes, metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.applications import api, handlers
from services.applications.models import Application, TimelineEntry
from services.applications.settings import ApplicationsSettings
from services.kit import tasks
from services.kit.http import build_runtime, create_service_app

NAME = "applications"


def create_app(settings: ApplicationsSettings | None = None) -> FastAPI:
    settings = settings or ApplicationsSettings()
    runtime = build_runtime(
        NAME, settings,
        [Application.__table__, TimelineEntry.__table__, tasks.Task.__table__],  # type: ignore[attr-defined]
    )
    handlers.register(runtime)
    return create_service_app(
        runtime, title="Pishkhan applications", routers=[api.router, tasks.task_router(NAME)]
    )
