"""Alembic environment of the portal database: the kit's, with this service's tables."""

from services.portal.app import MIGRATIONS

MIGRATIONS.run_env()
