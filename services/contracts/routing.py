"""Routing keys and queue names: spelled here once, used everywhere.

Routing keys are ``<service>.<entity>.<event>`` for events (past tense) and
``<service>.<entity>.<verb>`` for commands. Every consumer owns one durable quorum queue
per subscription, with ``<queue>.dlq`` (poison messages) and ``<queue>.retry`` (messages
waiting out a failure) beside it; the ``x-pishkhan-*`` headers say why a message is there.
"""

from __future__ import annotations

from dataclasses import dataclass

EXCHANGE = "pishkhan"
# beside every consumer's queue
DLQ_SUFFIX = ".dlq"
RETRY_SUFFIX = ".retry"

# headers the bus writes on a message it dead-letters or sends round for another attempt
HEADER_PREFIX = "x-pishkhan-"
REASON_HEADER = "x-pishkhan-reason"
ERROR_HEADER = "x-pishkhan-error"
QUEUE_HEADER = "x-pishkhan-queue"
ORIGINAL_EXCHANGE_HEADER = "x-pishkhan-original-exchange"
ORIGINAL_ROUTING_KEY_HEADER = "x-pishkhan-original-routing-key"
# every attempt so far (sets the back-off), and those that failed for the message's own fault
ATTEMPT_HEADER = "x-pishkhan-attempt"
FAILURES_HEADER = "x-pishkhan-failures"
REPLAYS_HEADER = "x-pishkhan-replays"

# events
APPLICATION_SUBMITTED = "applications.application.submitted"
APPLICATION_STATUS_CHANGED = "workflows.application.status_changed"
APPLICATION_CORRECTED = "applications.application.corrected"
APPLICATION_WITHDRAWN = "applications.application.withdrawn"
APPLICATION_CONSENTED = "applications.application.consented"
APPLICATIONS_TASK_COMPLETED = "applications.task.completed"
LICENSING_TASK_COMPLETED = "licensing.task.completed"
LICENSE_ISSUED = "licensing.license.issued"
LICENSE_CHANGED = "licensing.license.changed"
RENEWAL_ASSESSED = "licensing.renewal.assessed"
LICENSE_CHANGE_REFUSED = "licensing.license.refused"
IDENTITY_USER_CHANGED = "identity.user.changed"
NOTIFICATION_DELIVERY_COMPLETED = "notifications.delivery.completed"
COMPLAINT_FILED = "complaints.complaint.filed"
COMPLAINT_REOPENED = "complaints.complaint.reopened"
COMPLAINT_RESOLVED = "complaints.complaint.resolved"
COMPLAINT_STATUS_CHANGED = "workflows.complaint.status_changed"
COMPLAINTS_TASK_COMPLETED = "complaints.task.completed"
OFFICE_ACTIVITY_REPORTED = "licensing.office.activity_reported"
REVIEW_OPENED = "licensing.review.opened"
REVIEW_ANSWERED = "licensing.review.answered"
REVIEW_DECIDED = "licensing.review.decided"
# commands
APPLICATIONS_TASK_OPEN = "applications.task.open"
APPLICATIONS_TASK_DEADLINE = "applications.task.escalate"
APPLICATIONS_TASK_CANCEL = "applications.task.cancel"
LICENSING_TASK_OPEN = "licensing.task.open"
LICENSING_TASK_DEADLINE = "licensing.task.escalate"
LICENSING_TASK_CANCEL = "licensing.task.cancel"
LICENSE_ISSUE = "licensing.license.issue"
LICENSE_RENEW = "licensing.license.renew"
LICENSE_TRANSFER = "licensing.license.transfer"
LICENSE_RELOCATE = "licensing.license.relocate"
LICENSE_EXPIRE = "licensing.license.expire"
RENEWAL_ASSESS = "licensing.renewal.assess"
NOTIFICATION_REQUEST = "notifications.notification.request"
COMPLAINTS_TASK_OPEN = "complaints.task.open"
COMPLAINTS_TASK_DEADLINE = "complaints.task.escalate"
COMPLAINTS_TASK_CANCEL = "complaints.task.cancel"
LICENSE_REINSTATE = "licensing.license.reinstate"
SUPERVISION_SWEEP = "licensing.supervision.sweep"
REVIEW_DECIDE = "licensing.review.decide"


@dataclass(frozen=True)
class Subscription:
    """One consumer's queue and the routing keys (patterns) bound to it."""

    queue: str
    binding: str
    more_bindings: tuple[str, ...] = ()

    @property
    def bindings(self) -> tuple[str, ...]:
        return (self.binding, *self.more_bindings)


# applications
APPLICATIONS_TASKS = Subscription(
    "applications.task-open", APPLICATIONS_TASK_OPEN,
    (APPLICATIONS_TASK_DEADLINE, APPLICATIONS_TASK_CANCEL),
)
APPLICATIONS_STATUS = Subscription("applications.status-changed", APPLICATION_STATUS_CHANGED)
# licensing
LICENSING_TASKS = Subscription(
    "licensing.task-open", LICENSING_TASK_OPEN, (LICENSING_TASK_DEADLINE, LICENSING_TASK_CANCEL),
)
LICENSING_ISSUE = Subscription("licensing.license-issue", LICENSE_ISSUE)
# the rest of a license's life: renew, transfer, relocate, expire, assess a renewal, and
# lift a suspension at its end
LICENSING_LIFECYCLE = Subscription(
    "licensing.license-lifecycle", LICENSE_RENEW,
    (LICENSE_TRANSFER, LICENSE_RELOCATE, LICENSE_EXPIRE, RENEWAL_ASSESS, LICENSE_REINSTATE),
)
# supervision: the periodic sweep for offices to review, and the officer's decisions
LICENSING_SUPERVISION = Subscription(
    "licensing.supervision", SUPERVISION_SWEEP, (REVIEW_DECIDE,),
)
# resolved complaints: upheld ones count against the office; a recommended sanction
# opens a review
LICENSING_COMPLAINTS = Subscription("licensing.complaints-resolved", COMPLAINT_RESOLVED)
# complaints
COMPLAINTS_TASKS = Subscription(
    "complaints.task-open", COMPLAINTS_TASK_OPEN, (COMPLAINTS_TASK_DEADLINE, COMPLAINTS_TASK_CANCEL),
)
COMPLAINTS_STATUS = Subscription("complaints.status-changed", COMPLAINT_STATUS_CHANGED)
# complaints keeps a view of licenses, to know each office, its holder and its manager
COMPLAINTS_LICENSES = Subscription("complaints.licenses", LICENSE_CHANGED)
COMPLAINTS_STAFF = Subscription("complaints.staff", IDENTITY_USER_CHANGED)
# notifications
NOTIFICATIONS_REQUESTS = Subscription("notifications.notification-request", NOTIFICATION_REQUEST)
# staff rosters, kept by the services that assign work
APPLICATIONS_STAFF = Subscription("applications.staff", IDENTITY_USER_CHANGED)
LICENSING_STAFF = Subscription("licensing.staff", IDENTITY_USER_CHANGED)
# the workflows' bus bridge
WORKFLOWS_SUBMITTED = Subscription("workflows.application-submitted", APPLICATION_SUBMITTED)
WORKFLOWS_TASK_COMPLETED = Subscription("workflows.task-completed", "*.task.completed")
WORKFLOWS_LICENSE_ISSUED = Subscription("workflows.license-issued", LICENSE_ISSUED)
WORKFLOWS_LICENSE_EVENTS = Subscription(
    "workflows.license-events", LICENSE_CHANGED, (RENEWAL_ASSESSED, LICENSE_CHANGE_REFUSED),
)
# applications keeps a view of licenses, to check who may renew, transfer or move one
APPLICATIONS_LICENSES = Subscription("applications.licenses", LICENSE_CHANGED)
WORKFLOWS_COMPLAINTS = Subscription(
    "workflows.complaints", COMPLAINT_FILED, (COMPLAINT_REOPENED,),
)
WORKFLOWS_REVIEWS = Subscription(
    "workflows.reviews", REVIEW_OPENED, (REVIEW_ANSWERED, REVIEW_DECIDED),
)
WORKFLOWS_APPLICANT_ACTIONS = Subscription(
    "workflows.applicant-actions", APPLICATION_CORRECTED,
    (APPLICATION_WITHDRAWN, APPLICATION_CONSENTED),
)

# Every process declares the whole topology at start-up, so a message published before
# its consumer first ran still finds a queue.
TOPOLOGY: tuple[Subscription, ...] = (
    APPLICATIONS_TASKS,
    APPLICATIONS_STATUS,
    LICENSING_TASKS,
    LICENSING_ISSUE,
    NOTIFICATIONS_REQUESTS,
    WORKFLOWS_SUBMITTED,
    WORKFLOWS_TASK_COMPLETED,
    WORKFLOWS_LICENSE_ISSUED,
    WORKFLOWS_APPLICANT_ACTIONS,
    WORKFLOWS_LICENSE_EVENTS,
    LICENSING_LIFECYCLE,
    APPLICATIONS_LICENSES,
    APPLICATIONS_STAFF,
    LICENSING_STAFF,
    LICENSING_SUPERVISION,
    LICENSING_COMPLAINTS,
    COMPLAINTS_TASKS,
    COMPLAINTS_STATUS,
    COMPLAINTS_LICENSES,
    COMPLAINTS_STAFF,
    WORKFLOWS_COMPLAINTS,
    WORKFLOWS_REVIEWS,
)
