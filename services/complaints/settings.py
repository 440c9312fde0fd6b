"""Settings of the complaints service (env prefix COMPLAINTS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/complaints.db"
    port: int = 8103

    attachments_dir: str = "var/attachments/complaints"
    max_attachment_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(default=5, ge=0)

    # a flood of complaints: limits per complainant's mobile (both channels together) and
    # per client address (the web form only; 195 operators share one address)
    max_per_mobile_per_hour: int = Field(default=3, ge=1)
    max_per_mobile_per_day: int = Field(default=10, ge=1)
    max_per_address_per_hour: int = Field(default=20, ge=1)
    # guessing tracking codes: failed look-ups per client address per hour
    max_failed_lookups_per_hour: int = Field(default=20, ge=1)
    # The address counted is the request's client address. uvicorn (services.kit.serve)
    # replaces it with the one in X-Forwarded-For only when the connection comes from a proxy
    # listed in its FORWARDED_ALLOW_IPS setting (127.0.0.1 unless set), so a client cannot
    # choose the address it is counted under by sending the header itself.

    # when the workflow's "resolved" step carries no reopen_until: the window from then
    reopen_days: int = Field(default=10, ge=1)
