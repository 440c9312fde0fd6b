"""Alembic environment of the licensing database: the kit's, with this service's tables."""

from services.licensing.app import MIGRATIONS

MIGRATIONS.run_env()
