"""Wires the complaints service. It runs with the common shape (database, bus, outbox,
health, metrics); its complaint intake and handling are built on this."""

from __future__ import annotations

from fastapi import FastAPI

from services.complaints.settings import ComplaintsSettings
from services.kit.http import build_runtime, create_service_app

NAME = "complaints"


def create_app(settings: ComplaintsSettings | None = None) -> FastAPI:
    settings = settings or ComplaintsSettings()
    runtime = build_runtime(NAME, settings, [])
    return create_service_app(runtime, title="Pishkhan complaints")
