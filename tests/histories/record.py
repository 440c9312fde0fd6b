"""Re-records the workflow histories that tests/workflows/test_replay.py replays:
``python -m tests.histories.record [--only NAME ...] [--tag TAG] [--list]``.

It starts its own Temporal dev server (and, for the paths whose timers are whole days —
a license's term, a suspension — the time-skipping test server), runs the worker's own
workflows and activities, and plays every other party as the bus bridge would: it reads
what the activities published and answers with the signals the services' events become.
The activities run for real against a bus that only records, so no broker is needed; the
commands a history holds are what the replay checks. Timers are short on the dev server
(seconds), so a full re-recording takes well under a minute."""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.contracts.applications import (
    Applicant,
    ApplicationConsented,
    ApplicationCorrected,
    ApplicationWithdrawn,
)
from services.contracts.complaints import (
    Complainant,
    ComplaintFiled,
    ComplaintOffice,
    ComplaintReopened,
)
from services.contracts.envelope import Envelope, Message
from services.contracts.licensing import (
    LicenseChanged,
    LicenseIssued,
    LicenseSnapshot,
    RenewalAssessed,
    ReviewAnswered,
    ReviewDecided,
    ReviewOpened,
)
from services.contracts.notifications import Recipient
from services.contracts.tasks import TaskCompleted
from tests.conftest import temporal_dev_server
from tests.workflows.conftest import test_server as time_skipping_server
from workflows import search_attributes
from workflows.activities import BusActivities
from workflows.address_change.workflow import AddressChangeWorkflow
from workflows.case import CaseInput
from workflows.complaint.inputs import ComplaintInput
from workflows.complaint.workflow import ComplaintWorkflow
from workflows.license_term.workflow import LicenseTermInput, LicenseTermWorkflow, end_of
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.policies import (
    CasePolicies,
    ComplaintPolicies,
    ReviewPolicies,
    StepPolicy,
    SweepPolicy,
    TermPolicy,
)
from workflows.process import WORKFLOWS, ensure_search_attributes, workflow_runner
from workflows.renewal.workflow import RenewalWorkflow
from workflows.review.inputs import ReviewInput
from workflows.review.workflow import ReviewWorkflow
from workflows.supervision.workflow import SupervisionSweepWorkflow
from workflows.transfer.workflow import TransferWorkflow

HISTORIES = Path(__file__).parent
TASK_QUEUE = "recorded-histories"

# long enough that no reminder fires while the recorder answers (it answers in milliseconds)
QUIET = StepPolicy(due_seconds=3600, remind_before_seconds=600, escalate_every_seconds=3600)
# a reminder after 1.5 s and the breach at 3 s, so one history holds both
HURRIED = StepPolicy(due_seconds=3, remind_before_seconds=1.5, escalate_every_seconds=3600)
# a day-timed step for the time-skipping server
DAYS = StepPolicy.from_hours(due=72, remind_before=24, escalate_every=24, return_to_queue=True)

APPLICANT = Applicant(national_code="0499370899", name="Maryam Ahmadi", mobile="09121234567")
NEW_HOLDER = Applicant(national_code="0013542419", name="Reza Karimi", mobile="09111111111")
NUMBER = "GL-06-000123"
CHECKLIST = {item: {"passed": True} for item in (
    "signage", "equipment", "premises_match_address", "staff_present", "tariff_displayed",
    "operator_is_holder", "opening_hours")}


class RecordingBus:
    """What the activities publish, kept in order instead of sent to a broker."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def publish(self, message: Message, *, correlation_id: str,
                      causation_id: str | None = None, message_id: str | None = None
                      ) -> Envelope:
        envelope = Envelope.wrap(message, correlation_id=correlation_id,
                                 causation_id=causation_id, message_id=message_id)
        self.published.append(envelope)
        return envelope


@dataclass
class Rig:
    """One server with the worker running on it, as a path's driver sees it."""

    client: Client
    bus: RecordingBus
    sleep: Callable[[timedelta], Awaitable[None]]
    now: Callable[[], Awaitable[datetime]]

    async def published(self, match: Callable[[Envelope], bool], *, count: int = 1,
                        timeout: float = 30) -> dict[str, Any]:
        """The payload of the ``count``-th message matching, once the workflow sent it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.bus.published if match(e)]
            if len(found) >= count:
                return found[count - 1].payload
            await asyncio.sleep(0.02)
        raise TimeoutError(f"nothing matching was published in {timeout}s; "
                           f"last: {[e.type for e in self.bus.published[-5:]]}")

    async def task(self, kind: str, key_end: str = "1") -> dict[str, Any]:
        """The task a step opened; its key ends with the kind, then the round / attempt."""
        suffix = f":{kind}:{key_end}" if key_end else f":{kind}"
        return await self.published(lambda e: e.type.endswith(".task.open")
                                    and e.payload["task_key"].endswith(suffix))

    async def complete(self, handle: WorkflowHandle[Any, Any], kind: str, outcome: str,
                       actor: str, *, key_end: str = "1", reason: str | None = None,
                       **data: Any) -> dict[str, Any]:
        """Wait for the step's task to open, then complete it as its service would say."""
        task = await self.task(kind, key_end)
        await handle.signal("task_completed", TaskCompleted(
            task_key=task["task_key"], task_id=f"task-{len(self.bus.published)}",
            kind=kind,  # type: ignore[arg-type]
            case_id=task["case_id"], outcome=outcome, reason=reason, actor=actor,
            completed_at=datetime.now(UTC),
            data={"result": outcome, **({"reason": reason} if reason else {}), **data}))
        return task

    async def notice(self, template: str, *, count: int = 1) -> dict[str, Any]:
        return await self.published(lambda e: e.payload.get("template") == template,
                                    count=count)

    async def command(self, routing_key: str) -> dict[str, Any]:
        return await self.published(lambda e: e.type == routing_key)


Drive = Callable[[Rig], Awaitable[WorkflowHandle[Any, Any]]]


@dataclass(frozen=True)
class RecordedPath:
    folder: str  # tests/histories/<folder>/
    name: str  # <name>.json
    drive: Drive
    time_skipping: bool = False

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.name}"

    def file(self, tag: str | None = None) -> Path:
        """``<name>.json``, or ``<name>.<tag>.json`` beside it for a deliberate change whose
        old recording must stay while runs of the old shape are still open."""
        return HISTORIES / self.folder / (f"{self.name}.{tag}.json" if tag else f"{self.name}.json")


PATHS: list[RecordedPath] = []


def path(folder: str, name: str, *, time_skipping: bool = False) -> Callable[[Drive], Drive]:
    def register(drive: Drive) -> Drive:
        PATHS.append(RecordedPath(folder, name, drive, time_skipping))
        return drive
    return register


# -- applicants' cases (dev server) ------------------------------------------------------

def case_policies(document_review: StepPolicy = QUIET) -> CasePolicies:
    return CasePolicies(steps={"document_review": document_review, "site_inspection": QUIET,
                               "licensing_decision": QUIET},
                        correction_deadline_seconds=3600, consent_deadline_seconds=3600)


async def start_case(rig: Rig, workflow: Any, name: str, *, policies: CasePolicies | None = None,
                     **extra: Any) -> WorkflowHandle[Any, Any]:
    application_id = f"recorded-{name}"
    return await rig.client.start_workflow(
        workflow.run,
        CaseInput(application_id=application_id, case_id=f"application-{application_id}",
                  applicant=APPLICANT, county="rasht", area="urban",
                  address="Rasht, Imam Khomeini St. 12", submitted_at=datetime.now(UTC),
                  policies=policies or case_policies(), **extra),
        id=f"application-{application_id}", task_queue=TASK_QUEUE)


def license_changed(handle: WorkflowHandle[Any, Any], change: str, *, version: int = 2,
                    holder: Applicant = APPLICANT, valid_until: date = date(2031, 1, 1),
                    address: str = "Rasht, Imam Khomeini St. 12",
                    number: str = NUMBER) -> LicenseChanged:
    return LicenseChanged(
        change=change, actor="officer.rasht", occurred_at=datetime.now(UTC),  # type: ignore[arg-type]
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        license=LicenseSnapshot(
            number=number, status="active", holder_national_code=holder.national_code,
            holder_name=holder.name, holder_mobile=holder.mobile, office_id="o1",
            county="rasht", area="urban", address=address, issued_at=datetime.now(UTC),
            valid_until=valid_until, version=version))


async def inspect_and_approve(rig: Rig, handle: WorkflowHandle[Any, Any]) -> None:
    await rig.complete(handle, "site_inspection", "pass", "inspector.rasht", checklist=CHECKLIST)
    await rig.complete(handle, "licensing_decision", "approve", "officer.rasht")


@path("new_license", "correction_round")
async def new_license_correction_round(rig: Rig) -> WorkflowHandle[Any, Any]:
    """A late first review (a reminder, then an escalation), a correction, the same clerk
    accepts, inspection, approval, issuance."""
    handle = await start_case(rig, NewLicenseWorkflow, "new-license-correction",
                              policies=case_policies(HURRIED))
    await rig.published(lambda e: e.type.endswith(".task.escalate")
                        and e.payload["stage"] == "escalation")
    await rig.complete(handle, "document_review", "correction", "clerk.rasht",
                       reason="the deed is unreadable",
                       documents=[{"document_type": "premises_document", "verdict": "reject",
                                   "reason": "unreadable scan"}])
    await rig.notice("correction_requested")
    await handle.signal("correction_submitted", ApplicationCorrected(
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        documents=["premises_document"], corrected_at=datetime.now(UTC)))
    await rig.complete(handle, "document_review", "accept", "clerk.rasht", key_end="2")
    await inspect_and_approve(rig, handle)
    issue = await rig.command("licensing.license.issue")
    await handle.signal("license_issued", LicenseIssued(
        application_id=issue["application_id"], case_id=issue["case_id"], license_id="1",
        license_number=NUMBER, office_id="o1", issued_at=datetime.now(UTC),
        valid_until=date(2031, 1, 1)))
    return handle


@path("new_license", "rejection")
async def new_license_rejection(rig: Rig) -> WorkflowHandle[Any, Any]:
    """Documents accepted, inspection passed, the officer rejects."""
    handle = await start_case(rig, NewLicenseWorkflow, "new-license-rejection")
    await rig.complete(handle, "document_review", "accept", "clerk.rasht")
    await rig.complete(handle, "site_inspection", "pass", "inspector.rasht", checklist=CHECKLIST)
    await rig.complete(handle, "licensing_decision", "reject", "officer.rasht",
                       reason="the county has enough offices")
    return handle


@path("new_license", "withdrawal")
async def new_license_withdrawal(rig: Rig) -> WorkflowHandle[Any, Any]:
    """Withdrawn while the inspection waits: the task is cancelled."""
    handle = await start_case(rig, NewLicenseWorkflow, "new-license-withdrawal")
    await rig.complete(handle, "document_review", "accept", "clerk.rasht")
    await rig.task("site_inspection")
    await handle.signal("withdraw", ApplicationWithdrawn(
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        reason="I found another location", withdrawn_at=datetime.now(UTC)))
    return handle


async def renewal(rig: Rig, name: str, *, needs_inspection: bool) -> WorkflowHandle[Any, Any]:
    handle = await start_case(rig, RenewalWorkflow, name, license_number=NUMBER)
    await rig.complete(handle, "document_review", "accept", "clerk.rasht")
    assess = await rig.command("licensing.renewal.assess")
    await handle.signal("renewal_assessed", RenewalAssessed(
        application_id=assess["application_id"], case_id=handle.id, license_number=NUMBER,
        needs_inspection=needs_inspection,
        reasons=["open finding"] if needs_inspection else []))
    if needs_inspection:
        await rig.complete(handle, "site_inspection", "pass", "inspector.rasht",
                           checklist=CHECKLIST)
    await rig.complete(handle, "licensing_decision", "approve", "officer.rasht")
    await rig.command("licensing.license.renew")
    await handle.signal("license_changed",
                        license_changed(handle, "renewed", valid_until=date(2032, 5, 1)))
    return handle


@path("renewal", "with_inspection")
async def renewal_with_inspection(rig: Rig) -> WorkflowHandle[Any, Any]:
    return await renewal(rig, "renewal-inspected", needs_inspection=True)


@path("renewal", "without_inspection")
async def renewal_without_inspection(rig: Rig) -> WorkflowHandle[Any, Any]:
    return await renewal(rig, "renewal-uninspected", needs_inspection=False)


@path("transfer", "with_consent")
async def transfer_with_consent(rig: Rig) -> WorkflowHandle[Any, Any]:
    handle = await start_case(rig, TransferWorkflow, "transfer", license_number=NUMBER,
                              new_holder=NEW_HOLDER)
    await rig.notice("transfer_consent_requested")
    await handle.signal("consented", ApplicationConsented(
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        national_code=NEW_HOLDER.national_code, consented_at=datetime.now(UTC)))
    await rig.complete(handle, "document_review", "accept", "clerk.rasht")
    await rig.complete(handle, "licensing_decision", "approve", "officer.rasht")
    await rig.command("licensing.license.transfer")
    await handle.signal("license_changed",
                        license_changed(handle, "transferred", holder=NEW_HOLDER))
    return handle


@path("address_change", "approved")
async def address_change_approved(rig: Rig) -> WorkflowHandle[Any, Any]:
    handle = await start_case(rig, AddressChangeWorkflow, "address-change",
                              license_number=NUMBER)
    await inspect_and_approve(rig, handle)
    await rig.command("licensing.license.relocate")
    await handle.signal("license_changed", license_changed(handle, "relocated"))
    return handle


# -- complaints and supervision ----------------------------------------------------------

@path("complaint", "reopened")
async def complaint_reopened(rig: Rig) -> WorkflowHandle[Any, Any]:
    """Triage → investigation orders an inspection → upheld → reopened → not upheld →
    the reopening window passes → closed."""
    complaint_id = "recorded-reopened"
    filed = ComplaintFiled(
        complaint_id=complaint_id, case_id=f"complaint-{complaint_id}",
        tracking_code="K7M2P9Q4RT", channel="phone_195", category="fee_above_tariff",
        complainant=Complainant(mobile="09351234567", name="Sara"),
        office=ComplaintOffice(office_id="o1", license_number=NUMBER,
                               office_name="دفتر پیشخوان ۱۲", county="rasht",
                               holder_national_code=APPLICANT.national_code,
                               holder_name=APPLICANT.name, holder_mobile=APPLICANT.mobile,
                               manager_mobile="09127654321"),
        description="charged 500,000 rials for a 120,000 rial service", filed_by="operator195",
        amount_charged=500000, service_name="driving licence renewal",
        filed_at=datetime.now(UTC))
    policies = ComplaintPolicies(
        steps={"complaint_triage": QUIET, "complaint_investigation": QUIET,
               "site_inspection": QUIET},
        office_response_seconds=3600, reopen_window_seconds=3)
    handle = await rig.client.start_workflow(
        ComplaintWorkflow.run, ComplaintInput(complaint=filed, policies=policies),
        id=filed.case_id, task_queue=TASK_QUEUE)
    officer = "complaints.officer"
    await rig.complete(handle, "complaint_triage", "accept", officer, key_end="1:1")
    await rig.complete(handle, "complaint_investigation", "inspect", officer, key_end="1:1",
                       reason="check the tariff")
    await rig.complete(handle, "site_inspection", "fail", "inspector.rasht", key_end="1:1",
                       reason="no tariff on the wall",
                       checklist={**CHECKLIST, "tariff_displayed": {"passed": False}})
    await rig.complete(handle, "complaint_investigation", "upheld", officer, key_end="1:2",
                       reason="overcharged", refund_ordered=True, refund_amount=380000,
                       sanction_recommended="warning")
    await rig.notice("complaint_resolved")
    await handle.signal("reopen", ComplaintReopened(
        complaint_id=complaint_id, case_id=filed.case_id, reason="no refund yet", round=2,
        reopened_at=datetime.now(UTC)))
    await rig.complete(handle, "complaint_investigation", "not_upheld", officer,
                       key_end="2:1", reason="the refund was paid")
    return handle


@path("review", "suspension_lifted", time_skipping=True)
async def review_suspension_lifted(rig: Rig) -> WorkflowHandle[Any, Any]:
    """The holder answers, the inspection passes, a three-day suspension, which lifts."""
    review = ReviewOpened(
        review_id="recorded-suspension", case_id="review-recorded-suspension", office_id="o1",
        office_name="دفتر پیشخوان ۱۲", license_number=NUMBER, county="rasht",
        holder_national_code=APPLICANT.national_code, holder_name=APPLICANT.name,
        holder_mobile=APPLICANT.mobile, reasons=["idle"], details={"idle": "120"},
        opened_at=await rig.now())
    handle = await rig.client.start_workflow(
        ReviewWorkflow.run,
        ReviewInput(review=review, policies=ReviewPolicies(
            steps={"site_inspection": DAYS, "review_decision": DAYS}, answer_seconds=7 * 86400)),
        id=review.case_id, task_queue=TASK_QUEUE)
    await rig.task("site_inspection", "")
    await handle.signal("answered", ReviewAnswered(
        review_id=review.review_id, case_id=review.case_id,
        text="the office was closed for renovation", answered_at=await rig.now()))
    await rig.complete(handle, "site_inspection", "pass", "inspector.rasht", key_end="",
                       checklist=CHECKLIST)
    await rig.complete(handle, "review_decision", "suspension", "officer.rasht", key_end="",
                       suspension_days=3, reason="idle for four months")
    await rig.command("licensing.review.decide")
    today = (await rig.now()).date()
    await handle.signal("review_decided", ReviewDecided(
        review_id=review.review_id, case_id=review.case_id, license_number=NUMBER,
        decision="suspension", applied=True, suspended_until=today + timedelta(days=3),
        decided_at=await rig.now()))
    return handle


@path("supervision", "sweep")
async def supervision_sweep(rig: Rig) -> WorkflowHandle[Any, Any]:
    return await rig.client.start_workflow(
        SupervisionSweepWorkflow.run, SweepPolicy(), id="supervision-sweep",
        task_queue=TASK_QUEUE)


# -- license terms (time-skipping: their timers are days before a date) ------------------

async def start_term(rig: Rig, name: str, *, days_left: int, reminder_days: list[int],
                     grace_days: float) -> tuple[WorkflowHandle[Any, Any], LicenseTermInput]:
    today = (await rig.now()).date()
    term = LicenseTermInput(
        license_number=name, valid_until=today + timedelta(days=days_left),
        holder=Recipient(id=APPLICANT.national_code, mobile=APPLICANT.mobile),
        policy=TermPolicy(reminder_days=reminder_days, grace_days=grace_days))
    handle = await rig.client.start_workflow(LicenseTermWorkflow.run, term,
                                             id=f"license-{name}", task_queue=TASK_QUEUE)
    return handle, term


@path("license_term", "reminders_and_renewal", time_skipping=True)
async def license_term_renewed(rig: Rig) -> WorkflowHandle[Any, Any]:
    """Two reminders, then a renewal: the term goes on as a new run (continue-as-new);
    the recorded history is the first run's."""
    handle, term = await start_term(rig, "GL-06-000124", days_left=40, reminder_days=[30, 7],
                                    grace_days=0)
    await rig.sleep(end_of(term.valid_until) - timedelta(days=7) + timedelta(hours=1)
                    - await rig.now())
    await rig.notice("expiry_reminder", count=2)
    await handle.signal("license_changed", license_changed(
        handle, "renewed", number=term.license_number,
        valid_until=term.valid_until + timedelta(days=5 * 365)))
    first = rig.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    deadline = time.monotonic() + 30
    while (await first.describe()).status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
        if time.monotonic() > deadline:
            raise TimeoutError("the term did not go on as a new run")
        await asyncio.sleep(0.05)
    # the new run's timers are years away; it has no part in the recording
    await rig.client.get_workflow_handle(handle.id).terminate(reason="recorded")
    return first


@path("license_term", "expiry", time_skipping=True)
async def license_term_expiry(rig: Rig) -> WorkflowHandle[Any, Any]:
    """One reminder, no renewal, expiry after a day's grace."""
    handle, _ = await start_term(rig, "GL-06-000125", days_left=8, reminder_days=[7],
                                 grace_days=1)
    return handle


# -- servers ---------------------------------------------------------------------------

async def run_worker(client: Client, bus: RecordingBus) -> Worker:
    return Worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS,
                  activities=BusActivities(bus).all(),  # type: ignore[arg-type]
                  workflow_runner=workflow_runner())


@asynccontextmanager
async def dev_server() -> AsyncIterator[Rig]:
    """A dev server of our own with the search attributes the worker sets."""
    attributes = [arg for key in search_attributes.ALL
                  for arg in ("--search-attribute", f"{key.name}=Keyword")]
    with temporal_dev_server(*attributes) as address:
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        bus = RecordingBus()

        async def now() -> datetime:
            return datetime.now(UTC)

        async with await run_worker(client, bus):
            yield Rig(client, bus, lambda d: asyncio.sleep(d.total_seconds()), now)


@asynccontextmanager
async def time_skipping() -> AsyncIterator[Rig]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server())
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        bus = RecordingBus()
        async with await run_worker(env.client, bus):
            yield Rig(env.client, bus, env.sleep, env.get_current_time)
    finally:
        await env.shutdown()


async def record(path: RecordedPath, rig: Rig, tag: str | None) -> None:
    started = time.monotonic()
    rig.bus.published.clear()  # one path at a time: what is published belongs to this one
    handle = await path.drive(rig)
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await asyncio.wait_for(handle.result(), 120)
    description = await handle.describe()
    if description.status not in (WorkflowExecutionStatus.COMPLETED,
                                  WorkflowExecutionStatus.CONTINUED_AS_NEW):
        raise RuntimeError(f"{path.key} ended {description.status}, not as recorded")
    history = await handle.fetch_history()
    file = path.file(tag)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(history.to_json() + "\n")
    print(f"{file.relative_to(HISTORIES)}: {len(history.events)} events, "
          f"{file.stat().st_size // 1024} KiB, "
          f"{time.monotonic() - started:.1f}s", flush=True)


async def main(only: list[str], tag: str | None = None) -> None:
    chosen = [p for p in PATHS if not only or any(
        p.key == name or p.folder == name for name in only)]
    if not chosen:
        raise SystemExit(f"no recorded path named {only}; --list shows them")
    for skipping, server in ((False, dev_server), (True, time_skipping)):
        batch = [p for p in chosen if p.time_skipping == skipping]
        if not batch:
            continue
        async with server() as rig:
            for recorded in batch:
                await record(recorded, rig, tag)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.histories.record",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="a workflow folder (new_license) or one path (new_license/rejection);"
                             " repeatable; default: every path")
    parser.add_argument("--tag", help="write <path>.<tag>.json beside the existing recording "
                                      "instead of replacing it (after a deliberate change)")
    parser.add_argument("--list", action="store_true", help="list the paths and exit")
    args = parser.parse_args(argv)
    if args.list:
        for recorded in PATHS:
            print(recorded.key, "(time-skipping)" if recorded.time_skipping else "")
        return
    if args.tag and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", args.tag):
        parser.error("--tag: lower-case letters, digits and dashes, e.g. notice-before-decision")
    asyncio.run(main(args.only, args.tag))
    # the SDK's core threads release the closed clients in the background; an interpreter
    # that finalises under them aborts, so let them finish first
    gc.collect()
    time.sleep(1)


if __name__ == "__main__":
    cli(sys.argv[1:])
