"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Read from the environment as ``<SERVICE>_<FIELD>`` (``APPLICATIONS_DATABASE_URL``)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/service.db"
    database_echo: bool = False

    rabbit_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "pishkhan"
    # Prefixes every queue name; lets parallel test runs share one broker.
    queue_prefix: str = ""
    prefetch: int = Field(default=16, ge=1)
    # RabbitMQ dead-letters a message redelivered this many times (quorum x-delivery-limit).
    # The consumer acks every message it tries (a retry is a new message), so only a message
    # that keeps killing its consumer before the ack gets here.
    delivery_limit: int = Field(default=10, ge=1)
    # The consumer gives up and dead-letters after this many failures of the message's own
    # fault; transient failures (a dependency away) are retried for as long as it takes.
    max_attempts: int = Field(default=5, ge=1)
    # a failed message waits base * 2**n in its retry queue, at most the cap
    retry_backoff_seconds: float = Field(default=0.5, ge=0)
    retry_backoff_max_seconds: float = Field(default=30.0, gt=0)
    # Unused queues expire after this long (tests only; production keeps queues).
    queue_expires_ms: int | None = None

    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch: int = Field(default=100, ge=1)

    # Retention (services/kit/retention.py): how often it runs, how many rows one short
    # transaction removes, and how long published outbox rows and handled message ids stay.
    retention_every_seconds: float = Field(default=3600.0, gt=0)
    retention_batch: int = Field(default=1000, ge=1)
    outbox_keep_hours: float = Field(default=24.0, gt=0)
    # far past any redelivery: see services/kit/inbox.py prune_received for why 30 is safe
    inbox_keep_days: float = Field(default=30.0, gt=0)

    # who signs tokens: the embedded identity service by default, any OIDC provider in production
    jwks_url: str = "http://127.0.0.1:8100/.well-known/jwks.json"
    jwt_issuer: str = "http://127.0.0.1:8100"
    jwt_audience: str = "pishkhan"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # json for production log collectors; text (readable) when unset, or LOG_FORMAT says
    log_format: Literal["text", "json"] | None = None
