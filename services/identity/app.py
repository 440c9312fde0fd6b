"""Wires the identity service: database, bus, signing key, routes, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.identity import api
from services.identity.keys import SigningKey
from services.identity.metrics import IdentityMetrics
from services.identity.models import LoginFailure, User
from services.identity.passwords import Passwords
from services.identity.service import Refused
from services.identity.settings import IdentitySettings
from services.identity.tokens import OwnKeyVerifier, TokenIssuer
from services.kit.http import build_runtime, create_service_app
from services.kit.migrations import Migrations, bus_tables

NAME = "identity"
TABLES: list[Any] = [User.__table__, LoginFailure.__table__]  # type: ignore[attr-defined]
MIGRATIONS = Migrations(NAME, Path(__file__).parent / "alembic", [*bus_tables(), *TABLES])


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    runtime = build_runtime(NAME, settings, MIGRATIONS)
    key = SigningKey.load_or_create(settings.signing_key_path)
    # admin routes check tokens against the key in hand, not over HTTP against ourselves
    runtime.auth = OwnKeyVerifier(key, issuer=settings.issuer, audience=settings.audience,
                                  leeway_seconds=settings.jwt_leeway_seconds)
    passwords = Passwords(settings)
    identity = api.Identity(
        settings=settings,
        key=key,
        tokens=TokenIssuer(key, issuer=settings.issuer, audience=settings.audience,
                           lifetime_seconds=settings.token_lifetime_seconds),
        passwords=passwords,
        metrics=IdentityMetrics(runtime.metrics.registry),
    )
    app = create_service_app(runtime, title="Pishkhan identity",
                             routers=[api.router, api.well_known],
                             on_startup=[passwords.prepare])
    app.state.identity = identity
    app.add_exception_handler(Refused, api.refused_handler)
    return app
