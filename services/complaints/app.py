"""Wires the complaints service: database, bus, tasks, files, routes, metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.complaints import api, handlers, service
from services.complaints.metrics import ComplaintMetrics
from services.complaints.models import TABLES
from services.complaints.settings import ComplaintsSettings
from services.contracts import routing
from services.kit.errors import FieldError
from services.kit.http import build_runtime, create_service_app
from services.kit.migrations import Migrations, bus_tables
from services.kit.storage import LocalFileStore
from services.kit.tasks import TaskModule

NAME = "complaints"
MIGRATIONS = Migrations(NAME, Path(__file__).parent / "alembic",
                        [*bus_tables(), *TABLES, *TaskModule.tables])


def create_app(settings: ComplaintsSettings | None = None) -> FastAPI:
    settings = settings or ComplaintsSettings()
    runtime = build_runtime(NAME, settings, MIGRATIONS)
    tasks = TaskModule(runtime, service=NAME,
                       kinds=("complaint_triage", "complaint_investigation"),
                       commands=routing.COMPLAINTS_TASKS, roster=routing.COMPLAINTS_STAFF)
    metrics = ComplaintMetrics(runtime.metrics.registry, runtime.db)
    handlers.register(runtime, metrics)
    runtime.scrape_hooks.append(metrics.refresh)
    app = create_service_app(runtime, title="Pishkhan complaints",
                             routers=[api.router, api.office_router, tasks.router()])
    app.add_exception_handler(service.Refused, api.refused_handler)
    # the kit's handler knows only the kit's codes; this one also knows ours
    app.add_exception_handler(FieldError, api.field_error_handler)
    app.state.settings = settings
    app.state.files = LocalFileStore(settings.attachments_dir)
    app.state.complaint_metrics = metrics
    return app
