"""The platform's services that keep data: their settings, databases and stored files.

For operators' commands that act on every service at once (schema migrations, backup and
restore). The services themselves never read this: each knows only its own settings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataService:
    name: str
    # "module:Class" of the service's settings (each reads its own env prefix)
    settings_path: str
    # "module:NAME" of the service's Migrations (its tables and its alembic folder)
    migrations_path: str
    # settings fields naming folders of stored files (uploads, photos) kept beside the database
    file_dirs: tuple[str, ...] = ()

    def settings(self, **overrides: Any) -> Any:
        return _load(self.settings_path)(**overrides)

    def migrations(self) -> Any:
        return _load(self.migrations_path)

    def database_url(self) -> str:
        return str(self.settings().database_url)


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


SERVICES: tuple[DataService, ...] = (
    DataService("identity", "services.identity.settings:IdentitySettings",
                "services.identity.app:MIGRATIONS"),
    DataService("applications", "services.applications.settings:ApplicationsSettings",
                "services.applications.app:MIGRATIONS", file_dirs=("documents_dir",)),
    DataService("licensing", "services.licensing.settings:LicensingSettings",
                "services.licensing.app:MIGRATIONS", file_dirs=("photos_dir",)),
    DataService("complaints", "services.complaints.settings:ComplaintsSettings",
                "services.complaints.app:MIGRATIONS", file_dirs=("attachments_dir",)),
    DataService("notifications", "services.notifications.settings:NotificationsSettings",
                "services.notifications.app:MIGRATIONS"),
    DataService("portal", "services.portal.settings:PortalSettings",
                "services.portal.app:MIGRATIONS"),
)

BY_NAME = {service.name: service for service in SERVICES}
