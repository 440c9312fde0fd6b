"""Which contract model a message type (routing key) carries."""

from __future__ import annotations

from services.contracts.applications import (
    ApplicationConsented,
    ApplicationCorrected,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from services.contracts.complaints import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintStatusChanged,
)
from services.contracts.envelope import Message
from services.contracts.identity import UserChanged
from services.contracts.licensing import (
    AssessRenewal,
    DecideReview,
    ExpireLicense,
    IssueLicense,
    LicenseChanged,
    LicenseChangeRefused,
    LicenseIssued,
    OfficeActivityReported,
    ReinstateLicense,
    RelocateOffice,
    RenewalAssessed,
    RenewLicense,
    ReviewAnswered,
    ReviewDecided,
    ReviewOpened,
    SweepOffices,
    TransferLicense,
)
from services.contracts.notifications import DeliveryCompleted, NotificationRequested
from services.contracts.tasks import (
    ApplicationsTaskCompleted,
    ApplicationsTaskDeadline,
    CancelApplicationsTask,
    CancelComplaintsTask,
    CancelLicensingTask,
    ComplaintsTaskCompleted,
    ComplaintsTaskDeadline,
    LicensingTaskCompleted,
    LicensingTaskDeadline,
    OpenApplicationsTask,
    OpenComplaintsTask,
    OpenLicensingTask,
)

MESSAGE_TYPES: dict[str, type[Message]] = {
    model.ROUTING_KEY: model
    for model in (
        ApplicationSubmitted,
        ApplicationStatusChanged,
        ApplicationCorrected,
        ApplicationWithdrawn,
        ApplicationConsented,
        OpenApplicationsTask,
        ApplicationsTaskDeadline,
        CancelApplicationsTask,
        LicensingTaskDeadline,
        CancelLicensingTask,
        OpenLicensingTask,
        ApplicationsTaskCompleted,
        LicensingTaskCompleted,
        IssueLicense,
        LicenseIssued,
        LicenseChanged,
        RenewLicense,
        TransferLicense,
        RelocateOffice,
        ExpireLicense,
        AssessRenewal,
        RenewalAssessed,
        NotificationRequested,
        DeliveryCompleted,
        UserChanged,
        OpenComplaintsTask,
        ComplaintsTaskDeadline,
        CancelComplaintsTask,
        ComplaintsTaskCompleted,
        ComplaintFiled,
        ComplaintStatusChanged,
        ComplaintResolved,
        ComplaintReopened,
        ReinstateLicense,
        OfficeActivityReported,
        SweepOffices,
        ReviewOpened,
        ReviewAnswered,
        DecideReview,
        ReviewDecided,
        LicenseChangeRefused,
    )
}
