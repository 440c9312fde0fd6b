"""Wires the applications service: database, bus, tasks, files, routes, metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Gauge

from services.applications import api, handlers, repository
from services.applications.models import Application, Document, LicenseView, TimelineEntry
from services.applications.settings import ApplicationsSettings
from services.contracts import routing
from services.kit.http import build_runtime, create_service_app
from services.kit.migrations import Migrations, bus_tables
from services.kit.storage import LocalFileStore
from services.kit.tasks import TaskModule

NAME = "applications"
TABLES = [Application.__table__, TimelineEntry.__table__, Document.__table__,  # type: ignore[attr-defined]
          LicenseView.__table__]  # type: ignore[attr-defined]
MIGRATIONS = Migrations(NAME, Path(__file__).parent / "alembic",
                        [*bus_tables(), *TABLES, *TaskModule.tables])


def create_app(settings: ApplicationsSettings | None = None) -> FastAPI:
    settings = settings or ApplicationsSettings()
    runtime = build_runtime(NAME, settings, MIGRATIONS)
    tasks = TaskModule(runtime, service=NAME, kinds=("document_review",),
                       commands=routing.APPLICATIONS_TASKS, roster=routing.APPLICATIONS_STAFF)
    handlers.register(runtime)
    cases = Gauge("pishkhan_cases", "Cases by kind and status", ["kind", "status"],
                  registry=runtime.metrics.registry)

    async def refresh_case_gauge() -> None:
        async with runtime.db.sessionmaker() as session:
            rows = await repository.cases_by_kind_and_status(session)
        cases.clear()
        for kind, status, count in rows:
            cases.labels(kind, status).set(count)

    runtime.scrape_hooks.append(refresh_case_gauge)
    app = create_service_app(runtime, title="Pishkhan applications",
                             routers=[api.router, tasks.router()])
    app.state.settings = settings
    app.state.files = LocalFileStore(settings.documents_dir)
    return app
