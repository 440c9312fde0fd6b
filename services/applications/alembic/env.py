"""Alembic environment of the applications database: the kit's, with this service's tables."""

from services.applications.app import MIGRATIONS

MIGRATIONS.run_env()
