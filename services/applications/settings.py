"""Settings of the applications service (env prefix APPLICATIONS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ApplicationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPLICATIONS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/applications.db"
    port: int = 8101
    documents_dir: str = "var/documents/applications"
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
