"""Which contract model a message type (routing key) carries."""

from __future__ import annotations

from services.contracts.applications import ApplicationStatusChanged, ApplicationSubmitted
from services.contracts.envelope import Message
from services.contracts.identity import UserChanged
from services.contracts.licensing import IssueLicense, LicenseIssued
from services.contracts.notifications import NotificationRequested
from services.contracts.tasks import (
    ApplicationsTaskCompleted,
    LicensingTaskCompleted,
    OpenApplicationsTask,
    OpenLicensingTask,
)

MESSAGE_TYPES: dict[str, type[Message]] = {
    model.ROUTING_KEY: model
    for model in (
        ApplicationSubmitted,
        ApplicationStatusChanged,
        OpenApplicationsTask,
        OpenLicensingTask,
        ApplicationsTaskCompleted,
        LicensingTaskCompleted,
        IssueLicense,
        LicenseIssued,
        NotificationRequested,
        UserChanged,
    )
}
