"""One FastAPI shape for every service: /healthz, /readyz, /metrics, RED metrics, i18n 422s."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.routing import Match

from services.kit import faults
from services.kit.auth import TokenVerifier
from services.kit.bus import Bus
from services.kit.db import Database
from services.kit.errors import FieldError, field_error_handler, validation_error_handler
from services.kit.logs import CorrelationIdMiddleware
from services.kit.metrics import KitMetrics
from services.kit.migrations import Migrations
from services.kit.outbox import OutboxRelay
from services.kit.retention import Retention, kit_rules
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)


class Runtime:
    """What a running service holds: built in create_app, started in the lifespan."""

    def __init__(self, *, name: str, db: Database, bus: Bus, metrics: KitMetrics,
                 relay: OutboxRelay, retention: Retention, auth: TokenVerifier) -> None:
        self.name = name
        self.auth = auth
        self.db = db
        self.bus = bus
        self.metrics = metrics
        self.relay = relay
        # a service adds its own rules (runtime.retention.add) before the app starts
        self.retention = retention
        self.extra_checks: dict[str, Callable[[], Awaitable[bool]]] = {}
        # run before every scrape, to set gauges that are read from the database
        self.scrape_hooks: list[Callable[[], Awaitable[None]]] = [relay.refresh_gauges]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.relay)

    async def publish_outbox(self, timeout_seconds: float) -> int:
        """For a command-line job writing through the service's rules (a seed): publish
        what it left in the outbox; return what is still unpublished when time is up."""
        if await self.relay.backlog() == 0:
            return 0
        await self.bus.start()
        try:
            return await self.relay.drain(timeout_seconds)
        finally:
            await self.bus.stop()


def _route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return getattr(route, "path", request.url.path)
    return "unmatched"


def create_service_app(runtime: Runtime, *, title: str, routers: Sequence[APIRouter] = (),
                       on_startup: Sequence[Callable[[], Awaitable[Any]]] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # a database behind this code stops the start (uvicorn exits non-zero)
        await runtime.db.require_schema()
        await runtime.bus.start()
        runtime.relay.start()
        runtime.retention.start()
        for hook in on_startup:
            await hook()
        try:
            yield
        finally:
            await runtime.retention.stop()
            await runtime.relay.stop()
            await runtime.bus.stop()
            await runtime.db.dispose()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(FieldError, field_error_handler)

    metrics = runtime.metrics

    @app.middleware("http")
    async def red_metrics(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                          ) -> Response:
        route = _route_template(request)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            metrics.http_latency.labels(request.method, route).observe(time.perf_counter() - started)
            metrics.http_requests.labels(request.method, route, str(status)).inc()

    # outermost: binds X-Correlation-ID for the whole request, uvicorn's access line included
    app.add_middleware(CorrelationIdMiddleware, service=runtime.name)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = {"database": await runtime.db.ping(), "broker": await runtime.bus.ping()}
        for name, check in runtime.extra_checks.items():
            checks[name] = await check()
        ok = all(checks.values())
        return JSONResponse(
            status_code=200 if ok else 503,
            content={"status": "ready" if ok else "not_ready", "checks": checks},
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        for hook in runtime.scrape_hooks:
            try:
                await hook()
            except Exception as exc:
                if not faults.is_transient(exc):
                    raise
                # the database is away: serve the rest (retries, dead letters) and let the
                # gauges it feeds keep their last values until it is back
                log.warning("metrics hook %s skipped: %r", getattr(hook, "__name__", hook), exc)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app


def build_runtime(name: str, settings: Any, schema: Migrations) -> Runtime:
    """``schema``: the service's migrations (its tables, the kit's outbox and inbox among them)."""
    metrics = KitMetrics(name)
    db = Database(settings.database_url, schema=schema, echo=settings.database_echo)
    bus = Bus(settings, service=name, metrics=metrics)
    relay = OutboxRelay(db, bus, metrics, poll_seconds=settings.outbox_poll_seconds,
                        batch=settings.outbox_batch)
    retention = Retention(db, metrics, every_seconds=settings.retention_every_seconds,
                          batch=settings.retention_batch, rules=kit_rules(settings))
    auth = TokenVerifier(jwks_url=settings.jwks_url, issuer=settings.jwt_issuer,
                         audience=settings.jwt_audience,
                         leeway_seconds=settings.jwt_leeway_seconds)
    return Runtime(name=name, db=db, bus=bus, metrics=metrics, relay=relay, retention=retention,
                   auth=auth)
