"""Alembic environment of the complaints database: the kit's, with this service's tables."""

from services.complaints.app import MIGRATIONS

MIGRATIONS.run_env()
