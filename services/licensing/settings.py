"""Settings of the licensing service (env prefix LICENSING_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class LicensingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LICENSING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/licensing.db"
    port: int = 8102
    license_validity_years: int = Field(default=5, ge=1, le=20)
