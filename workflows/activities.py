"""Activities shared by every workflow. They reach services only through the bus, with a
message id derived from the case and step, so a retried activity publishes a message the
consumer's inbox recognises."""

from __future__ import annotations

from temporalio import activity

from services.contracts.applications import ApplicationStatusChanged
from services.contracts.complaints import ComplaintStatusChanged
from services.contracts.licensing import (
    AssessRenewal,
    DecideReview,
    ExpireLicense,
    IssueLicense,
    ReinstateLicense,
    RelocateOffice,
    RenewLicense,
    SweepOffices,
    TransferLicense,
)
from services.contracts.notifications import NotificationRequested
from services.contracts.tasks import (
    CANCEL_BY_SERVICE,
    DEADLINE_BY_SERVICE,
    OPEN_TASK_BY_SERVICE,
    TASK_OWNER,
    CancelTask,
    OpenTask,
    TaskDeadline,
)
from services.kit.bus import Bus


class BusActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @activity.defn
    async def open_task(self, task: OpenTask) -> None:
        command = OPEN_TASK_BY_SERVICE[TASK_OWNER[task.kind]](**task.model_dump())
        await self.bus.publish(command, correlation_id=task.case_id,
                               message_id=f"{task.case_id}:open:{task.task_key}")

    @activity.defn
    async def task_deadline(self, deadline: TaskDeadline) -> None:
        command = DEADLINE_BY_SERVICE[TASK_OWNER[deadline.kind]](**deadline.model_dump())
        await self.bus.publish(
            command, correlation_id=deadline.case_id,
            message_id=f"{deadline.case_id}:{deadline.stage}:{deadline.task_key}:{deadline.level}")

    @activity.defn
    async def cancel_task(self, cancel: CancelTask) -> None:
        command = CANCEL_BY_SERVICE[TASK_OWNER[cancel.kind]](**cancel.model_dump())
        await self.bus.publish(command, correlation_id=cancel.case_id,
                               message_id=f"{cancel.case_id}:cancel:{cancel.task_key}")

    @activity.defn
    async def publish_status(self, event: ApplicationStatusChanged) -> None:
        await self.bus.publish(event, correlation_id=event.case_id,
                               message_id=f"{event.case_id}:status:{event.seq}")

    @activity.defn
    async def request_notification(self, request: NotificationRequested) -> None:
        await self.bus.publish(request, correlation_id=request.case_id,
                               message_id=f"{request.case_id}:notify:{request.notification_key}"
                                          f":{request.recipient.id}")

    @activity.defn
    async def issue_license(self, command: IssueLicense) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:issue")

    @activity.defn
    async def assess_renewal(self, command: AssessRenewal) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:assess")

    @activity.defn
    async def renew_license(self, command: RenewLicense) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:renew")

    @activity.defn
    async def transfer_license(self, command: TransferLicense) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:transfer")

    @activity.defn
    async def relocate_office(self, command: RelocateOffice) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:relocate")

    @activity.defn
    async def expire_license(self, command: ExpireLicense) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:expire:{command.valid_until}")

    @activity.defn
    async def publish_complaint_status(self, event: ComplaintStatusChanged) -> None:
        await self.bus.publish(event, correlation_id=event.case_id,
                               message_id=f"{event.case_id}:status:{event.seq}")

    @activity.defn
    async def sweep_offices(self, command: SweepOffices) -> None:
        await self.bus.publish(command, correlation_id=command.sweep_id,
                               message_id=f"{command.sweep_id}:sweep")

    @activity.defn
    async def decide_review(self, command: DecideReview) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:decide")

    @activity.defn
    async def reinstate_license(self, command: ReinstateLicense) -> None:
        await self.bus.publish(command, correlation_id=command.case_id,
                               message_id=f"{command.case_id}:reinstate")

    def all(self) -> list:
        return [self.open_task, self.task_deadline, self.cancel_task, self.publish_status,
                self.request_notification, self.issue_license, self.assess_renewal,
                self.renew_license, self.transfer_license, self.relocate_office,
                self.expire_license, self.publish_complaint_status, self.sweep_offices,
                self.decide_review, self.reinstate_license]
