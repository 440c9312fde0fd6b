"""Asking the notifications service to tell someone something."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Language, Mobile

# Each template and the data it reads (besides application_id, always present for cases):
#   application_received   applicant_name, submitted_at
#   application_step       status, occurred_at
#   correction_requested   documents: [{type, reason}], reason, deadline
#   inspection_scheduled   due_at, inspector (optional)
#   decision_made          decision (approve | reject), reason (optional)
#   license_issued         license_number, valid_until
#   application_rejected   step, reason
#   application_withdrawn  withdrawn_at
#   application_abandoned  deadline
#   task_reminder          task_kind, task_id, due_at                    (to the assignee)
#   task_escalated         task_kind, task_id, due_at, level, assignee   (to a supervisor)
# Not yet asked for by any workflow (license lifecycle):
#   expiry_reminder        license_number, valid_until                   (to the license holder)
# Complaints (to the complainant, or to the office: its license holder and manager):
#   complaint_received     complaint_id, tracking_code, received_at, audience (complainant |
#                          office; default complainant), office_name (for the office)
#   complaint_response_requested  complaint_id, tracking_code, category, deadline,
#                          office_name (optional)                            (to the office)
#   complaint_triaged      complaint_id, tracking_code, result (rejected | merged), reason,
#                          duplicate_of (optional: the tracking code it was merged into)
#   complaint_resolved     complaint_id, tracking_code, resolved_at, resolution (upheld |
#                          not_upheld), summary (optional), refund_amount (optional, rials),
#                          reopen_until (optional: when reopening and rating are open)
# Supervision (to the license holder):
#   review_opened          license_number, review_id, reasons: [idle | upheld_complaints |
#                          failed_inspection | operator_not_holder | complaint_sanction],
#                          answer_deadline
#   review_closed          license_number, review_id, decision (no_action; a sanction is
#                          told by sanction_imposed)
#   sanction_imposed       license_number, sanction (warning | suspension | revocation),
#                          reason, effective_from, until (optional: end of a suspension)
#   suspension_lifted      license_number, lifted_at
# The rest of a license's life (renewal, transfer, change of address, expiry):
#   license_renewed        license_number, valid_until
#   transfer_consent_requested  license_number, holder_name, deadline      (to the new holder)
#   license_transferred    license_number, audience (previous | new), other_name
#   address_changed        license_number, address
#   license_expired        license_number, valid_until
# Links in messages point at /applications/<application_id>, /tasks/<task_id> (task_*),
# the public tracking page /complaints/track?code=<tracking_code> (complaint_* to the
# complainant), /office/complaints/<complaint_id> (complaint_* to the office) or
# /licenses/<license_number> (license and supervision notices), so those fields are
# required by their templates.
NotificationTemplate = Literal[
    "application_received",
    "application_step",
    "correction_requested",
    "inspection_scheduled",
    "decision_made",
    "license_issued",
    "application_rejected",
    "application_withdrawn",
    "application_abandoned",
    "task_reminder",
    "task_escalated",
    "expiry_reminder",
    "complaint_received",
    "complaint_response_requested",
    "complaint_triaged",
    "complaint_resolved",
    "review_opened",
    "review_closed",
    "sanction_imposed",
    "suspension_lifted",
    "license_renewed",
    "transfer_consent_requested",
    "license_transferred",
    "address_changed",
    "license_expired",
]


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    mobile: Mobile | None = None
    email: EmailStr | None = None
    language: Language = "fa"
    # False for people without an account (a complainant, an office's manager): they have
    # no inbox to read an in-app notice in
    account: bool = True


class NotificationRequested(Message):
    """One notice to one recipient. ``notification_key`` identifies the notice: however
    often the same key arrives, each channel delivers it once."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.NOTIFICATION_REQUEST

    notification_key: str = Field(min_length=1, max_length=200)
    template: NotificationTemplate
    recipient: Recipient
    case_id: str
    data: dict[str, Any] = Field(default_factory=dict)


# The routing key of DeliveryCompleted, until routing.py spells it.

DeliveryChannel = Literal["sms", "email", "in_app"]
DeliveryOutcome = Literal["sent", "failed", "skipped"]


class DeliveryCompleted(Message):
    """A delivery reached its final outcome: sent, failed for good (``reason`` says why)
    or skipped (the recipient opted out of the channel). Published once per outcome; a
    failed delivery put back by an operator may complete again."""

    ROUTING_KEY: ClassVar = routing.NOTIFICATION_DELIVERY_COMPLETED

    delivery_id: str
    notification_key: str
    recipient_id: str
    case_id: str
    template: str
    channel: DeliveryChannel
    status: DeliveryOutcome
    attempts: int = 0
    reason: str | None = None
    provider_message_id: str | None = None
    completed_at: datetime
