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
    # settings fields naming folders of stored files (uploads, photos) kept beside the database
    file_dirs: tuple[str, ...] = ()

    def settings(self, **overrides: Any) -> Any:
        module, _, cls = self.settings_path.partition(":")
        return getattr(importlib.import_module(module), cls)(**overrides)

    def database_url(self) -> str:
        return str(self.settings().database_url)


SERVICES: tuple[DataService, ...] = (
    DataService("identity", "services.identity.settings:IdentitySettings"),
    DataService("applications", "services.applications.settings:ApplicationsSettings",
                file_dirs=("documents_dir",)),
    DataService("licensing", "services.licensing.settings:LicensingSettings",
                file_dirs=("photos_dir",)),
    DataService("complaints", "services.complaints.settings:ComplaintsSettings",
                file_dirs=("attachments_dir",)),
    DataService("notifications", "services.notifications.settings:NotificationsSettings"),
    DataService("portal", "services.portal.settings:PortalSettings"),
)

BY_NAME = {service.name: service for service in SERVICES}
