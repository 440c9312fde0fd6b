"""LicenseTermWorkflow, one per license (id ``license-<number>``): reminds the holder
before the license ends (90, 30 and 7 days by default), and expires it when its date and
the grace have passed without a renewal. A renewal starts a new term (continue-as-new);
a transfer changes whom it reminds; a revocation ends it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import ExpireLicense, LicenseChanged
    from services.contracts.notifications import NotificationRequested, Recipient
    from workflows.activities import BusActivities
    from workflows.human_task import wait_until
    from workflows.policies import TermPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)


class LicenseTermInput(BaseModel):
    license_number: str
    valid_until: date
    holder: Recipient
    policy: TermPolicy


class LicenseTermResult(BaseModel):
    outcome: str  # expired | ended
    valid_until: date


def end_of(day: date) -> datetime:
    """A license is valid through its last day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


@workflow.defn
class LicenseTermWorkflow:
    def __init__(self) -> None:
        self.latest: LicenseChanged | None = None

    @workflow.signal
    def license_changed(self, event: LicenseChanged) -> None:
        if self.latest is None or event.license.version > self.latest.license.version:
            self.latest = event

    @workflow.query
    def valid_until(self) -> date:
        return self.term.valid_until

    @workflow.run
    async def run(self, term: LicenseTermInput) -> LicenseTermResult:
        self.term = term
        end = end_of(term.valid_until)

        def changed() -> bool:
            latest = self.latest
            return latest is not None and (
                latest.license.valid_until != term.valid_until
                or latest.license.status == "revoked"
            )

        for days in sorted(term.policy.reminder_days, reverse=True):
            remind_at = end - timedelta(days=days)
            if remind_at <= workflow.now():
                continue
            if await wait_until(changed, remind_at - workflow.now()):
                return await self.next_term()
            await self.remind(days)
        expire_at = end + timedelta(days=term.policy.grace_days)
        if expire_at > workflow.now() and await wait_until(changed, expire_at - workflow.now()):
            return await self.next_term()
        await workflow.execute_activity_method(
            BusActivities.expire_license,
            ExpireLicense(license_number=term.license_number, valid_until=term.valid_until,
                          case_id=f"license-{term.license_number}"),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        await self.tell("expired", "license_expired", {})
        return LicenseTermResult(outcome="expired", valid_until=term.valid_until)

    async def next_term(self) -> LicenseTermResult:
        latest = self.latest
        assert latest is not None
        if latest.license.status == "revoked":
            return LicenseTermResult(outcome="ended", valid_until=self.term.valid_until)
        snapshot = latest.license
        holder = Recipient(id=snapshot.holder_national_code, mobile=snapshot.holder_mobile,
                           language=self.term.holder.language)
        workflow.continue_as_new(LicenseTermInput(
            license_number=self.term.license_number, valid_until=snapshot.valid_until,
            holder=holder, policy=self.term.policy))

    async def remind(self, days: int) -> None:
        await self.tell(f"reminder-{days}", "expiry_reminder", {"days_left": days})

    async def tell(self, key: str, template: str, data: dict) -> None:
        holder = self.term.holder
        if self.latest is not None:  # a transfer since the term began changes the holder
            holder = Recipient(id=self.latest.license.holder_national_code,
                               mobile=self.latest.license.holder_mobile,
                               language=holder.language)
        case_id = f"license-{self.term.license_number}"
        await workflow.execute_activity_method(
            BusActivities.request_notification,
            NotificationRequested(
                notification_key=f"{case_id}:{self.term.valid_until}:{key}",
                template=template,  # type: ignore[arg-type]
                recipient=holder, case_id=case_id,
                data={"license_number": self.term.license_number,
                      "valid_until": self.term.valid_until.isoformat(), **data},
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
