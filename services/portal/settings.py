"""Settings of the web portal (env prefix PORTAL_): its database (web sessions), where the
services are, how cookies and sessions behave, and the operators' consoles the ops page
links to."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

HERE = Path(__file__).resolve().parent


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_format: Literal["text", "json"] | None = None

    # web sessions, the portal's only data: SQLite, or PostgreSQL (postgresql+asyncpg://…)
    # so that several portal replicas share them
    database_url: str = "sqlite+aiosqlite:///var/portal.db"
    database_echo: bool = False

    # the services the portal calls, with the signed-in person's token
    identity_url: str = "http://127.0.0.1:8100"
    applications_url: str = "http://127.0.0.1:8101"
    licensing_url: str = "http://127.0.0.1:8102"
    complaints_url: str = "http://127.0.0.1:8103"
    notifications_url: str = "http://127.0.0.1:8104"
    workflows_url: str = "http://127.0.0.1:8109"
    # seconds the portal waits for a service before it shows "try again later"
    backend_timeout_seconds: float = Field(default=10.0, gt=0)

    # tokens are checked here as the services check them (who may see which pages)
    jwks_url: str = "http://127.0.0.1:8100/.well-known/jwks.json"
    jwt_issuer: str = "http://127.0.0.1:8100"
    jwt_audience: str = "pishkhan"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    # true when the portal is served over TLS (directly or behind a proxy): cookies get
    # the Secure flag and never travel over plain HTTP
    secure_cookies: bool = False
    # a web session ends after this long without a request, and this long after sign-in
    # however busy; it never outlives its token
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    session_lifetime_seconds: int = Field(default=12 * 3600, ge=60)
    default_language: Literal["fa", "en"] = "fa"

    # linked from the ops page
    temporal_ui_url: str = "http://127.0.0.1:8233"
    rabbitmq_ui_url: str = "http://127.0.0.1:15672"
    grafana_url: str = "http://127.0.0.1:3000"

    # what `make portal-assets` fills (the Vazirmatn web font); the page falls back to
    # system fonts when it is empty
    vendor_dir: Path = HERE / "static" / "vendor"
