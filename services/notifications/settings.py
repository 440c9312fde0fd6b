"""Settings of the notifications service (env prefix NOTIFICATIONS_)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/notifications.db"
    port: int = 8104
    # the web portal, where the links in messages lead (its pages for cases, tasks,
    # complaint tracking and licenses)
    public_base_url: str = "http://127.0.0.1:8080"
    display_timezone: str = "Asia/Tehran"

    # -- SMS ---------------------------------------------------------------------------
    # "log" writes each message to the log and counts it as sent (a local machine);
    # "kavenegar" sends through the gateway's REST API.
    sms_provider: Literal["log", "kavenegar"] = "log"
    sms_api_key: SecretStr | None = None
    # the gateway's line to send from; empty means the account's default line
    sms_sender: str | None = None
    sms_base_url: str = "https://api.kavenegar.com"
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    # Longer texts are shortened (the link is always kept). A Persian segment holds 67
    # characters once a message is split (70 alone); a Latin one 153 (160).
    sms_max_segments: int = Field(default=3, ge=1, le=10)

    # -- e-mail ------------------------------------------------------------------------
    # "log" writes each message to the log and counts it as sent; "smtp" sends it.
    email_provider: Literal["log", "smtp"] = "log"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # STARTTLS after connecting (port 587) or TLS from the first byte (port 465)
    smtp_starttls: bool = True
    smtp_implicit_tls: bool = False
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    email_from_address: str = "no-reply@pishkhan.local"
    email_from_name: str = "پیشخوان خدمات دولت"

    # -- dispatching -------------------------------------------------------------------
    dispatch_poll_seconds: float = Field(default=1.0, gt=0)
    # how many deliveries one replica sends at once (and claims at a time)
    dispatch_concurrency: int = Field(default=8, ge=1)
    # a delivery is tried this many times in all before it is recorded as failed
    dispatch_max_attempts: int = Field(default=6, ge=1)
    # waits between tries: base, 2×base, 4×base … up to the cap
    dispatch_backoff_seconds: float = Field(default=10.0, ge=0)
    dispatch_backoff_max_seconds: float = Field(default=1800.0, ge=0)
    # A replica that claimed a delivery and vanished gives it up after this long. One send
    # is cut off at half of it, so a live replica always records its outcome in time.
    dispatch_lease_seconds: float = Field(default=120.0, gt=0)

    # -- retention ---------------------------------------------------------------------
    # The legal keep period of what notices said: after it, a finished delivery's and an
    # in-app notice's subject and texts are emptied (the rows stay, as the delivery log).
    content_keep_days: float = Field(default=365.0, gt=0)

    @model_validator(mode="after")
    def _providers_configured(self) -> Self:
        if self.sms_provider == "kavenegar" and not (
            self.sms_api_key and self.sms_api_key.get_secret_value()
        ):
            raise ValueError("sms_api_key is required when sms_provider is kavenegar")
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ValueError("choose one of smtp_starttls and smtp_implicit_tls")
        if self.dispatch_lease_seconds / 2 <= max(self.sms_timeout_seconds,
                                                  self.smtp_timeout_seconds):
            raise ValueError("dispatch_lease_seconds must exceed twice the provider timeouts")
        return self
