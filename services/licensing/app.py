"""Wires the licensing service: database, bus, routes, metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit import tasks
from services.kit.http import build_runtime, create_service_app
from services.licensing import api, handlers
from services.licensing.models import License, Office
from services.licensing.settings import LicensingSettings

NAME = "licensing"


def create_app(settings: LicensingSettings | None = None) -> FastAPI:
    settings = settings or LicensingSettings()
    runtime = build_runtime(
        NAME, settings,
        [Office.__table__, License.__table__, tasks.Task.__table__],  # type: ignore[attr-defined]
    )
    handlers.register(runtime, validity_years=settings.license_validity_years)
    return create_service_app(
        runtime, title="Pishkhan licensing", routers=[api.router, tasks.task_router(NAME)]
    )
