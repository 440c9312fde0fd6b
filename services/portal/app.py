"""Wires the web portal: server-rendered pages (FastAPI + Jinja2) over the services' HTTP
APIs, in Persian (right to left) and English.

Why pages rendered on the server, with every action a plain form POST: they work on the
cheap phones many applicants and citizens use, on slow links and without JavaScript; no
build step stands between a template and what is served (the web font is the only
fetched asset, and the page works without it); and plain HTML forms with labels are
accessible by default (keyboard, screen readers, zoom). Scripts only add small comforts
(they are never needed to complete a task).

The portal owns only web sessions, in its own database (``PORTAL_DATABASE_URL``, the kit's
``Database``), so that a restart signs nobody out and replicas share them. Everything else
it reads from and writes to the services with the signed-in person's token, so the services
stay the ones who decide who may see and do what. It does not use the services'
``create_service_app`` because it has no bus, outbox or inbox, but it checks its database's
revision at start-up the same way and serves the same /healthz, /readyz (database included)
and /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jinja2
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.contracts.counties import GILAN_COUNTIES
from services.contracts.tasks import CHECKLIST_ITEMS
from services.kit.auth import TokenVerifier
from services.kit.db import Database
from services.kit.logs import CorrelationIdMiddleware
from services.kit.metrics import KitMetrics
from services.kit.migrations import Migrations
from services.portal import labels
from services.portal.backend import Backend, BackendError, visitor_address
from services.portal.i18n import LANGUAGES, Locale, Locales
from services.portal.routes import applicant, public, staff
from services.portal.routes import ops as ops_routes
from services.portal.sessions import (
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    TABLES,
    SessionStore,
    new_csrf_token,
)
from services.portal.settings import HERE, PortalSettings
from services.portal.web import SignInRequired, redirect, render

log = logging.getLogger("pishkhan.portal")

NAME = "portal"
MIGRATIONS = Migrations(NAME, Path(__file__).parent / "alembic", TABLES)
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
FONT = "vazirmatn/Vazirmatn-Variable.woff2"


def _environment(loc: Locale, settings: PortalSettings) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.ChainableUndefined,
    )
    env.install_gettext_translations(loc.translations, newstyle=True)  # type: ignore[attr-defined]

    def label(group: str, code: Any) -> str:
        if code in (None, ""):
            return ""
        text = labels.LABELS.get(group, {}).get(str(code))
        return loc.gettext(text) if text else str(code)

    def county_name(code: Any) -> str:
        for county in GILAN_COUNTIES:
            if county.code == code:
                return county.name_fa if loc.code == "fa" else county.name_en
        return str(code or "")

    env.globals.update(
        loc=loc, label=label, county_name=county_name, counties=GILAN_COUNTIES,
        labels=labels.LABELS, checklist_items=CHECKLIST_ITEMS, languages=LANGUAGES,
        county_choices=[(c.code, c.name_fa if loc.code == "fa" else c.name_en)
                        for c in GILAN_COUNTIES],
        font_available=(settings.vendor_dir / FONT).is_file(), settings=settings,
    )
    env.filters.update(jdate=loc.date, jdatetime=loc.datetime, num=loc.number)
    return env


def _route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return getattr(route, "path", request.url.path)
    return "unmatched"


def create_app(settings: PortalSettings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    backend = Backend(settings, transport=transport)
    db = Database(settings.database_url, schema=MIGRATIONS, echo=settings.database_echo)
    sessions = SessionStore(db, idle_seconds=settings.session_idle_seconds,
                            lifetime_seconds=settings.session_lifetime_seconds)
    locales = Locales()
    metrics = KitMetrics(NAME)
    refused_csrf = Counter("pishkhan_portal_csrf_refusals_total",
                           "POSTs refused for a missing or wrong CSRF token",
                           registry=metrics.registry)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await db.require_schema()
        try:
            yield
        finally:
            await backend.close()
            await db.dispose()

    app = FastAPI(title="Pishkhan portal", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.backend = backend
    app.state.db = db
    app.state.sessions = sessions
    app.state.locales = locales
    app.state.verifier = TokenVerifier(
        jwks_url=settings.jwks_url, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        leeway_seconds=settings.jwt_leeway_seconds)
    app.state.templates = {code: _environment(loc, settings)
                           for code, loc in locales.by_code.items()}

    def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=settings.secure_cookies, path="/")

    app.state.set_cookie = set_cookie

    @app.middleware("http")
    async def visitor(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                      ) -> Response:
        """Language, web session and CSRF cookie of the visitor, and the RED metrics."""
        started = time.perf_counter()
        visitor_address.set(request.client.host if request.client else None)
        language = request.cookies.get(LANGUAGE_COOKIE)
        request.state.locale = locales.get(
            language if language in LANGUAGES else settings.default_language)
        # files need no session: no database read for the style sheet and the font
        presented = None if request.url.path.startswith("/static/") \
            else request.cookies.get(SESSION_COOKIE)
        request.state.session = await sessions.get(presented)
        csrf = request.cookies.get(CSRF_COOKIE)
        fresh_csrf = not csrf
        request.state.csrf_token = csrf or new_csrf_token()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            if getattr(request.state, "new_session", False) and request.state.session:
                # signed in again over a live session: that one ends here
                await sessions.close(presented)
        finally:
            route = _route_template(request)
            metrics.http_latency.labels(request.method, route).observe(
                time.perf_counter() - started)
            metrics.http_requests.labels(request.method, route, str(status)).inc()
        if fresh_csrf or getattr(request.state, "rotate_csrf", False):
            set_cookie(response, CSRF_COOKIE, request.state.csrf_token, None)
        if presented and request.state.session is None \
                and not getattr(request.state, "new_session", None):
            response.delete_cookie(SESSION_COOKIE, path="/")
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        response.headers.setdefault("x-frame-options", "DENY")
        return response

    app.add_middleware(CorrelationIdMiddleware, service=NAME)

    # -- errors: never a stack trace, always a page in the visitor's language --------------

    def _safe_state(request: Request) -> None:
        if not hasattr(request.state, "locale"):
            request.state.locale = locales.get(settings.default_language)
        if not hasattr(request.state, "csrf_token"):
            request.state.csrf_token = ""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        _safe_state(request)
        if exc.status_code == 405 and request.method == "GET":
            return render(request, "errors/404.html", status_code=404)
        if exc.status_code == 404:
            return render(request, "errors/404.html", status_code=404)
        if exc.status_code == 403 and exc.detail == "csrf":
            refused_csrf.inc()
            return render(request, "errors/csrf.html", status_code=403)
        if exc.status_code == 403:
            return render(request, "errors/403.html", status_code=403)
        return render(request, "errors/error.html", status_code=exc.status_code)

    async def validation_error(request: Request, exc: Exception) -> Response:
        _safe_state(request)
        return render(request, "errors/error.html", status_code=400)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        return redirect(f"/signin?next={request.url.path}")

    async def backend_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BackendError)
        _safe_state(request)
        if exc.status == 401:
            # the token has expired or was revoked: sign in again
            await sessions.close(request.cookies.get(SESSION_COOKIE))
            request.state.session = None  # and the cookie goes with this answer
            return redirect(f"/signin?next={request.url.path}")
        if exc.status == 404:
            return render(request, "errors/404.html", status_code=404)
        if exc.status == 403:
            return render(request, "errors/403.html", status_code=403)
        if exc.status == 503:
            return render(request, "errors/unavailable.html", status_code=503)
        return render(request, "errors/error.html", status_code=exc.status)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("portal error on %s %s", request.method, request.url.path, exc_info=exc)
        _safe_state(request)
        try:
            return render(request, "errors/500.html", status_code=500)
        except Exception:  # the error page itself failed: still no trace to the visitor
            return Response("500", status_code=500, media_type="text/plain")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(BackendError, backend_error)
    app.add_exception_handler(Exception, server_error)

    # -- probes -------------------------------------------------------------------------------

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": NAME}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            reply = await backend.raw("identity", "GET", "/healthz")
            identity = reply.status_code == 200
        except BackendError:
            identity = False
        checks = {"database": await db.ping(), "catalogues": bool(locales.by_code),
                  "identity": identity}
        ok = all(checks.values())
        return JSONResponse(status_code=200 if ok else 503,
                            content={"status": "ready" if ok else "not_ready", "checks": checks})

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.mount("/static/vendor", StaticFiles(directory=settings.vendor_dir, check_dir=False),
              name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    for module in (public, applicant, staff, ops_routes):
        app.include_router(module.router)
    return app
