"""Wires the licensing service: database, bus, tasks, routes, metrics."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.contracts import routing
from services.kit.db import Database
from services.kit.http import Runtime, build_runtime, create_service_app
from services.kit.storage import LocalFileStore
from services.kit.tasks import TaskModule
from services.licensing import api, handlers, service
from services.licensing.assignment import least_loaded_inspector
from services.licensing.metrics import LicensingMetrics
from services.licensing.models import TABLES
from services.licensing.settings import LicensingSettings

NAME = "licensing"

log = logging.getLogger(__name__)


def build(settings: LicensingSettings) -> Runtime:
    """The runtime with licensing's tables: for the app, and for the seed run beside it."""
    return build_runtime(NAME, settings, [*TABLES, *TaskModule.tables])


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

    async def search_index() -> None:
        await create_trigram_index(runtime.db)

    app = create_service_app(
        runtime, title="Pishkhan licensing",
        routers=[api.router, api.findings_router, api.offices_router, api.reviews_router,
                 api.registry_router, api.verify_router, api.photos_router, tasks.router()],
        on_startup=[search_index],
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.tasks = tasks
    app.state.photos = LocalFileStore(settings.photos_dir)
    return app


async def create_trigram_index(db: Database) -> None:
    """On PostgreSQL, a trigram index lets a name search (a substring anywhere in the name)
    use an index. It needs the pg_trgm extension: without the right to create it, searches
    still work, by scanning."""
    if db.is_sqlite:
        return
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            await conn.execute(text(
                "CREATE INDEX IF NOT EXISTS ix_office_search_name_trgm "
                "ON office USING gin (search_name gin_trgm_ops)"))
    except DBAPIError as exc:  # no privilege, or no such extension: the search scans instead
        log.warning("no trigram index for the registry's name search: %r", exc)
