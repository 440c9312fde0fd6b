"""The new-license workflow's clock: reminders, escalations, correction rounds, abandonment
and withdrawal, each over days of workflow time in seconds of test time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from services.contracts.applications import ApplicationCorrected, ApplicationWithdrawn
from services.contracts.licensing import LicenseIssued
from services.contracts.tasks import TaskCompleted
from tests.workflows.conftest import Harness, policies


def completed(task: dict[str, Any], outcome: str, actor: str, **data: Any) -> TaskCompleted:
    return TaskCompleted(
        task_key=task["task_key"], task_id="t-" + task["task_key"][-20:], kind=task["kind"],
        case_id=task["case_id"], outcome=outcome, reason=data.pop("reason", None), actor=actor,
        completed_at=datetime.now(UTC), data=data,
    )


def opened(kind: str, attempt: int = 1):
    return lambda m: (m["type"].endswith(".task.open") and m["payload"]["kind"] == kind
                      and m["payload"]["task_key"].endswith(f":{kind}:{attempt}"))


def deadline(stage: str, level: int = 0):
    return lambda m: (m["type"].endswith(".task.escalate") and m["payload"]["stage"] == stage
                      and m["payload"]["level"] == level)


async def finish_after_review(h: Harness, handle: WorkflowHandle[Any, Any]) -> None:
    inspection = (await h.licensing.wait_for(opened("site_inspection")))[0]["payload"]
    await handle.signal("task_completed", completed(inspection, "pass", "inspector.rasht"))
    decision = (await h.licensing.wait_for(opened("licensing_decision")))[0]["payload"]
    await handle.signal("task_completed", completed(decision, "approve", "officer.rasht"))
    issue = (await h.issue.wait_for(lambda m: True))[0]["payload"]
    await handle.signal("license_issued", LicenseIssued(
        application_id=issue["application_id"], case_id=issue["case_id"], license_id="1",
        license_number="GL-06-000001", office_id="o1", issued_at=datetime.now(UTC),
        valid_until=datetime.now(UTC).date()))


async def test_reminder_then_breach_escalates_and_the_case_goes_on_when_done(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(due_hours=72, remind_before_hours=24,
                                    escalate_every_hours=24))
    review = (await h.applications.wait_for(opened("document_review")))[0]["payload"]
    assert review["candidate_role"] == "clerk" and review["county"] == "rasht"

    await h.env.sleep(timedelta(hours=49))  # past due - remind_before
    reminder = (await h.applications.wait_for(deadline("reminder")))[0]["payload"]
    assert reminder["task_key"] == review["task_key"] and not reminder["return_to_queue"]

    await h.env.sleep(timedelta(hours=24))  # past the due time: breach
    first = (await h.applications.wait_for(deadline("escalation", 1)))[0]["payload"]
    assert first["return_to_queue"] is True
    await h.env.sleep(timedelta(hours=24))  # nobody acted: escalate again
    await h.applications.wait_for(deadline("escalation", 2))

    await handle.signal("task_completed", completed(review, "accept", "clerk.rasht"))
    await finish_after_review(h, handle)
    result = await handle.result()
    assert result.status == "issued" and result.license_number == "GL-06-000001"

    timeline = await h.statuses(handle.id)
    kinds = [(e["kind"], e["status"]) for e in timeline]
    assert kinds[:4] == [("status", "document_review"), ("reminder", "document_review"),
                         ("escalation", "document_review"), ("escalation", "document_review")]
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    assert timeline[-1]["status"] == "issued"


async def test_a_correction_round_returns_to_the_same_clerk(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies())
    review = (await h.applications.wait_for(opened("document_review")))[0]["payload"]
    await handle.signal("task_completed", completed(
        review, "correction", "clerk.rasht", reason="the deed is unreadable",
        documents=[{"document_type": "premises_document", "verdict": "reject",
                    "reason": "unreadable scan"},
                   {"document_type": "national_id_card", "verdict": "accept"}]))

    notice = (await h.notices.wait_for(
        lambda m: m["payload"]["template"] == "correction_requested"))[0]["payload"]
    assert notice["data"]["documents"] == [{"type": "premises_document",
                                            "reason": "unreadable scan"}]
    asked = [e for e in await h.statuses(handle.id) if e["status"] == "correction_requested"]
    assert asked[0]["documents"] == ["premises_document"] and asked[0]["awaiting"] == "applicant"

    await h.env.sleep(timedelta(days=3))  # the applicant takes a few days
    await handle.signal("correction_submitted", ApplicationCorrected(
        application_id=review["application_id"], case_id=review["case_id"],
        documents=["premises_document"], corrected_at=datetime.now(UTC)))
    second = (await h.applications.wait_for(opened("document_review", 2)))[0]["payload"]
    assert second["assignee"] == "clerk.rasht"

    await handle.signal("task_completed", completed(second, "accept", "clerk.rasht"))
    await finish_after_review(h, handle)
    result = await handle.result()
    assert result.status == "issued" and result.review_rounds == 2


async def test_a_correction_not_answered_in_fourteen_days_abandons_the_case(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(correction_days=14))
    review = (await h.applications.wait_for(opened("document_review")))[0]["payload"]
    await handle.signal("task_completed", completed(
        review, "correction", "clerk.rasht", reason="missing clearance",
        documents=[{"document_type": "clearance_certificate", "verdict": "reject",
                    "reason": "missing"}]))
    await h.notices.wait_for(lambda m: m["payload"]["template"] == "correction_requested")

    result = await handle.result()  # the server skips the fourteen days
    assert result.status == "abandoned"
    await h.notices.wait_for(lambda m: m["payload"]["template"] == "application_abandoned")
    assert (await h.statuses(handle.id))[-1]["status"] == "abandoned"
    assert not [m for m in await h.applications.drain() if opened("document_review", 2)(m)]


async def test_withdrawal_cancels_the_open_task_and_ends_the_case(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies())
    review = (await h.applications.wait_for(opened("document_review")))[0]["payload"]
    await handle.signal("task_completed", completed(review, "accept", "clerk.rasht"))
    inspection = (await h.licensing.wait_for(opened("site_inspection")))[0]["payload"]

    await handle.signal("withdraw", ApplicationWithdrawn(
        application_id=review["application_id"], case_id=review["case_id"],
        reason="I found another location", withdrawn_at=datetime.now(UTC)))
    result = await handle.result()
    assert result.status == "withdrawn" and result.reason == "I found another location"

    cancel = (await h.licensing.wait_for(lambda m: m["type"].endswith(".task.cancel")))
    assert cancel[0]["payload"]["task_key"] == inspection["task_key"]
    assert (await h.statuses(handle.id))[-1]["status"] == "withdrawn"
    await h.notices.wait_for(lambda m: m["payload"]["template"] == "application_withdrawn")
    assert await h.issue.drain() == []
