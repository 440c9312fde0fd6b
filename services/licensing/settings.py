"""Settings of the licensing service (env prefix LICENSING_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class LicensingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LICENSING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/licensing.db"
    port: int = 8102
    # the license term: a new license runs this long, a renewal adds this much
    license_validity_years: int = Field(default=5, ge=1, le=20)
    # An expired license may still be renewed (and becomes active again) until this many
    # days after its end date; later, the office needs a new license through a public call.
    renewal_grace_days: int = Field(default=90, ge=0, le=3650)
    # upheld complaints this recent make a renewal need a site inspection
    complaint_lookback_days: int = Field(default=365, ge=1)
    # where citizens reach the verify page: the QR code on a certificate points here
    public_base_url: str = "http://127.0.0.1:8102"
    directorate_fa: str = "اداره کل ارتباطات و فناوری اطلاعات استان گیلان"
    directorate_en: str = "Directorate-General of ICT, Gilan Province"
    # photos of site inspections, in the content-hash file store
    photos_dir: str = "var/photos/licensing"
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
