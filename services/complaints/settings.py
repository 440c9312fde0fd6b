"""Settings of the complaints service (env prefix COMPLAINTS_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/complaints.db"
    port: int = 8103
