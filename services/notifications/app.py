"""Wires the notifications service: database, bus, channels, routes, metrics."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.http import build_runtime, create_service_app
from services.notifications import api, handlers
from services.notifications.channels import default_channels
from services.notifications.models import Delivery
from services.notifications.rendering import Renderer
from services.notifications.settings import NotificationsSettings

NAME = "notifications"


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = build_runtime(NAME, settings, [Delivery.__table__])  # type: ignore[attr-defined]
    renderer = Renderer(timezone=settings.display_timezone,
                        public_base_url=settings.public_base_url)
    handlers.register(runtime, renderer=renderer, channels=default_channels())
    return create_service_app(runtime, title="Pishkhan notifications", routers=[api.router])
