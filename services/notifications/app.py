"""Wires the notifications service: database, bus, renderer, channels, dispatcher, routes,
metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.kit.http import build_runtime, create_service_app
from services.kit.migrations import Migrations, bus_tables
from services.kit.retention import PruneRule
from services.notifications import api, handlers, repository
from services.notifications.channels import Channel, channels_from_settings
from services.notifications.dispatch import Dispatcher
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery, InboxItem, Preference
from services.notifications.rendering import Renderer
from services.notifications.settings import NotificationsSettings

NAME = "notifications"
TABLES = [Delivery.__table__, InboxItem.__table__, Preference.__table__]  # type: ignore[attr-defined]
MIGRATIONS = Migrations(NAME, Path(__file__).parent / "alembic", [*bus_tables(), *TABLES])


def create_app(settings: NotificationsSettings | None = None,
               channels: dict[str, Channel] | None = None) -> FastAPI:
    """``channels`` replaces the ones the settings choose (SMS and e-mail by name)."""
    settings = settings or NotificationsSettings()
    runtime = build_runtime(NAME, settings, MIGRATIONS)
    metrics = NotificationsMetrics(runtime.metrics.registry)
    renderer = Renderer(timezone=settings.display_timezone,
                        public_base_url=settings.public_base_url,
                        sms_max_segments=settings.sms_max_segments)
    chosen = {**channels_from_settings(settings), **(channels or {})}
    dispatcher = Dispatcher(db=runtime.db, relay=runtime.relay, channels=chosen,
                            metrics=metrics, settings=settings)
    handlers.register(runtime, renderer=renderer, dispatcher=dispatcher, metrics=metrics)
    runtime.extra_checks["dispatcher"] = _running(dispatcher)
    content_keep = dt.timedelta(days=settings.content_keep_days)
    runtime.retention.add(PruneRule("delivery", content_keep, repository.prune_delivery_content))
    runtime.retention.add(PruneRule("inbox_item", content_keep, repository.prune_inbox_content))

    app = create_service_app(runtime, title="Pishkhan notifications", routers=api.routers)
    app.state.dispatcher = dispatcher

    # The kit's lifespan opens the database, the bus and the relay; the dispatcher runs
    # inside it and stops first, before what it writes to closes.
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(app_):
            dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()
                for channel in chosen.values():
                    await channel.close()

    app.router.lifespan_context = lifespan
    return app


def _running(dispatcher: Dispatcher) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return dispatcher.running

    return check
