"""Wires the licensing service: database, bus, tasks, routes, metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.contracts import routing
from services.kit.http import Runtime, build_runtime, create_service_app
from services.kit.migrations import Migrations, bus_tables
from services.kit.storage import LocalFileStore
from services.kit.tasks import TaskModule
from services.licensing import api, handlers, service
from services.licensing.assignment import least_loaded_inspector
from services.licensing.metrics import LicensingMetrics
from services.licensing.models import TABLES
from services.licensing.settings import LicensingSettings

NAME = "licensing"
MIGRATIONS = Migrations(
    NAME, Path(__file__).parent / "alembic", [*bus_tables(), *TABLES, *TaskModule.tables],
    # revision 0001 makes it on PostgreSQL, for the registry's name search
    unmodelled_indexes=frozenset({"ix_office_search_name_trgm"}),
)


def build(settings: LicensingSettings) -> Runtime:
    """The runtime with licensing's tables: for the app, and for the seed run beside it."""
    return build_runtime(NAME, settings, MIGRATIONS)


def create_app(settings: LicensingSettings | None = None) -> FastAPI:
    settings = settings or LicensingSettings()
    runtime = build(settings)
    tasks = TaskModule(
        runtime, service=NAME, kinds=("site_inspection", "licensing_decision", "review_decision"),
        commands=routing.LICENSING_TASKS, roster=routing.LICENSING_STAFF,
        assign={"site_inspection": least_loaded_inspector},
        on_completed=service.record_findings,
        check_completion=service.check_inspection_photos,
    )
    handlers.register(runtime, settings)
    metrics = LicensingMetrics(runtime)

    app = create_service_app(
        runtime, title="Pishkhan licensing",
        routers=[api.router, api.findings_router, api.offices_router, api.reviews_router,
                 api.registry_router, api.verify_router, api.photos_router, tasks.router()],
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.tasks = tasks
    app.state.photos = LocalFileStore(settings.photos_dir)
    return app

