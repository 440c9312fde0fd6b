"""Alembic environment of the notifications database: the kit's, with this service's tables."""

from services.notifications.app import MIGRATIONS

MIGRATIONS.run_env()
