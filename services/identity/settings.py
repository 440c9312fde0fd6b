"""Settings of the identity service (env prefix IDENTITY_)."""

from pathlib import Path

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    """The inherited ``jwks_url``/``jwt_*`` fields do not apply here: this service checks
    its own tokens against its own key, with ``issuer`` and ``audience`` below."""

    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/identity.db"
    port: int = 8100

    # what goes into every token; the services' JWT_ISSUER / JWT_AUDIENCE must match
    issuer: str = "http://127.0.0.1:8100"
    audience: str = "pishkhan"
    token_lifetime_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600)

    # RSA private key (PEM); created with mode 0600 at first start when missing
    signing_key_path: Path = Path("var/identity/signing-key.pem")

    # a username is refused (429) after this many failed sign-ins within the window
    login_failure_limit: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=300, ge=1)

    # argon2id parameters; stored hashes made with other values are redone at sign-in
    password_time_cost: int = Field(default=DEFAULT_TIME_COST, ge=1)
    password_memory_kib: int = Field(default=DEFAULT_MEMORY_COST, ge=8)
    password_parallelism: int = Field(default=DEFAULT_PARALLELISM, ge=1)

    # the one password of the demo users made by `python -m services.identity.seed`;
    # for a local machine only
    demo_password: str = Field(default="pishkhan-demo", min_length=10)
