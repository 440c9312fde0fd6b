"""Alembic environment of the identity database: the kit's, with this service's tables."""

from services.identity.app import MIGRATIONS

MIGRATIONS.run_env()
