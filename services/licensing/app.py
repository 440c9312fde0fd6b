"""Wires the licensing service: database, bus, tasks, routes, metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.contracts import routing
from services.kit.http import build_runtime, create_service_app
from services.kit.tasks import TaskModule
from services.licensing import api, handlers, service
from services.licensing.assignment import least_loaded_inspector
from services.licensing.models import Finding, License, Office
from services.licensing.settings import LicensingSettings

NAME = "licensing"


def create_app(settings: LicensingSettings | None = None) -> FastAPI:
    settings = settings or LicensingSettings()
    runtime = build_runtime(
        NAME, settings,
        [Office.__table__, License.__table__, Finding.__table__,  # type: ignore[attr-defined]
         *TaskModule.tables],
    )
    tasks = TaskModule(
        runtime, service=NAME, kinds=("site_inspection", "licensing_decision"),
        commands=routing.LICENSING_TASKS, roster=routing.LICENSING_STAFF,
        assign={"site_inspection": least_loaded_inspector},
        on_completed=service.record_findings,
    )
    handlers.register(runtime, validity_years=settings.license_validity_years)
    return create_service_app(
        runtime, title="Pishkhan licensing",
        routers=[api.router, api.findings_router, tasks.router()],
    )
