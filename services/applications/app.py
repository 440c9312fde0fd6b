"""Wires the applications service: database, bus, tasks, files, routes, metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.applications import api, handlers
from services.applications.models import Application, Document, LicenseView, TimelineEntry
from services.applications.settings import ApplicationsSettings
from services.contracts import routing
from services.kit.http import build_runtime, create_service_app
from services.kit.storage import LocalFileStore
from services.kit.tasks import TaskModule

NAME = "applications"


def create_app(settings: ApplicationsSettings | None = None) -> FastAPI:
    settings = settings or ApplicationsSettings()
    runtime = build_runtime(
        NAME, settings,
        [Application.__table__, TimelineEntry.__table__, Document.__table__,  # type: ignore[attr-defined]
         LicenseView.__table__,  # type: ignore[attr-defined]
         *TaskModule.tables],
    )
    tasks = TaskModule(runtime, service=NAME, kinds=("document_review",),
                       commands=routing.APPLICATIONS_TASKS, roster=routing.APPLICATIONS_STAFF)
    handlers.register(runtime)
    app = create_service_app(runtime, title="Pishkhan applications",
                             routers=[api.router, tasks.router()])
    app.state.settings = settings
    app.state.files = LocalFileStore(settings.documents_dir)
    return app
