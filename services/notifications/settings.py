"""Settings of the notifications service (env prefix NOTIFICATIONS_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/notifications.db"
    port: int = 8104
    # the applicant-facing site, for links in messages
    public_base_url: str = "http://127.0.0.1:8101"
    display_timezone: str = "Asia/Tehran"
