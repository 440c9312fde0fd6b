"""The complaint and review workflows on the time-skipping server: what they ask of the
services, in what order, and how the days of a reopening window or a suspension pass."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from services.contracts.complaints import (
    Complainant,
    ComplaintFiled,
    ComplaintOffice,
    ComplaintReopened,
)
from services.contracts.licensing import ReviewAnswered, ReviewDecided, ReviewOpened
from tests.workflows.conftest import Harness
from services.contracts.tasks import TaskCompleted
from tests.workflows.test_new_license_workflow import completed as task_completed
from workflows.complaint.inputs import ComplaintInput
from workflows.complaint.workflow import ComplaintWorkflow
from workflows.policies import ComplaintPolicies, ReviewPolicies, StepPolicy
from workflows.review.inputs import ReviewInput
from workflows.review.workflow import ReviewWorkflow

STEP = StepPolicy.from_hours(due=72, remind_before=24, escalate_every=24, return_to_queue=True)
CHECKLIST = {item: {"passed": True} for item in (
    "signage", "equipment", "premises_match_address", "staff_present", "tariff_displayed",
    "operator_is_holder", "opening_hours")}


def completed(task: dict[str, Any], outcome: str, actor: str, **data: Any) -> TaskCompleted:
    """As the owning service announces it: the whole outcome, reason included, in data."""
    event = task_completed(task, outcome, actor, **data)
    if "reason" in data:
        event.data["reason"] = data["reason"]
    return event


def complaint_policies() -> ComplaintPolicies:
    return ComplaintPolicies(
        steps={"complaint_triage": STEP, "complaint_investigation": STEP,
               "site_inspection": STEP},
        office_response_seconds=7 * 86400, reopen_window_seconds=10 * 86400)


def task_opened(kind: str, key_end: str):
    return lambda m: (m["type"].endswith(".task.open") and m["payload"]["kind"] == kind
                      and m["payload"]["task_key"].endswith(f":{kind}:{key_end}"))


async def file(h: Harness) -> tuple[WorkflowHandle[Any, Any], ComplaintFiled]:
    complaint_id = uuid.uuid4().hex
    filed = ComplaintFiled(
        complaint_id=complaint_id, case_id=f"complaint-{complaint_id}",
        tracking_code="K7M2P9Q4RT", channel="phone_195", category="fee_above_tariff",
        complainant=Complainant(mobile="09351234567", name="Sara"),
        office=ComplaintOffice(office_id="o1", license_number="GL-06-000123",
                               office_name="دفتر پیشخوان ۱۲", county="rasht",
                               holder_national_code="0499370899", holder_name="Maryam Ahmadi",
                               holder_mobile="09121234567", manager_mobile="09127654321"),
        description="charged 500,000 rials for a 120,000 rial service", filed_by="operator195",
        filed_at=datetime.now(UTC))
    handle = await h.client.start_workflow(
        ComplaintWorkflow.run, ComplaintInput(complaint=filed, policies=complaint_policies()),
        id=filed.case_id, task_queue=h.task_queue)
    return handle, filed


async def statuses(h: Harness, case_id: str) -> list[dict[str, Any]]:
    return [m["payload"] for m in await h.complaint_status.drain()
            if m["correlation_id"] == case_id]


def templates(notices: list[dict[str, Any]], case_id: str) -> list[tuple[str, str]]:
    return [(m["payload"]["template"], m["payload"]["recipient"]["id"]) for m in notices
            if m["correlation_id"] == case_id]


async def test_a_complaint_through_an_inspection_a_resolution_and_a_reopening(
        harness: Harness) -> None:
    h = harness
    handle, filed = await file(h)
    triage = (await h.complaints.wait_for(task_opened("complaint_triage", "1:1")))[0]["payload"]
    assert triage["candidate_role"] == "complaints_officer" and triage["county"] == "rasht"
    await handle.signal("task_completed", completed(triage, "accept", "complaints.officer"))

    # the investigation goes to whoever took the complaint up; they order an inspection
    first = (await h.complaints.wait_for(
        task_opened("complaint_investigation", "1:1")))[0]["payload"]
    assert first["assignee"] == "complaints.officer"
    await handle.signal("task_completed", completed(
        first, "inspect", "complaints.officer", result="inspect", reason="check the tariff"))
    inspection = (await h.licensing.wait_for(task_opened("site_inspection", "1:1")))[0]["payload"]
    assert inspection["data"]["office_id"] == "o1"
    assert inspection["data"]["ordered_because"] == "check the tariff"
    checklist = {**CHECKLIST, "tariff_displayed": {"passed": False, "note": "no tariff"}}
    await handle.signal("task_completed", completed(
        inspection, "fail", "inspector.rasht", result="fail", reason="no tariff on the wall",
        checklist=checklist))

    # its findings come back to the investigation, which upholds the complaint
    second = (await h.complaints.wait_for(
        task_opened("complaint_investigation", "1:2")))[0]["payload"]
    assert second["data"]["inspection"]["result"] == "fail"
    assert second["data"]["inspection"]["failed_items"] == ["tariff_displayed"]
    await handle.signal("task_completed", completed(
        second, "upheld", "complaints.officer", result="upheld", reason="overcharged",
        refund_ordered=True, refund_amount=380000, sanction_recommended="warning"))

    resolved = await h.complaint_status.wait_for(
        lambda m: m["correlation_id"] == filed.case_id and m["payload"]["status"] == "resolved")
    resolution = resolved[0]["payload"]["resolution"]
    assert resolution["upheld"] and resolution["refund_amount"] == 380000
    assert resolution["sanction_recommended"] == "warning"
    assert resolved[0]["payload"]["reopen_until"]

    # the complainant reopens it within the window: back to investigation, round two
    await handle.signal("reopen", ComplaintReopened(
        complaint_id=filed.complaint_id, case_id=filed.case_id, reason="no refund yet", round=2,
        reopened_at=datetime.now(UTC)))
    again = (await h.complaints.wait_for(
        task_opened("complaint_investigation", "2:1")))[0]["payload"]
    assert again["assignee"] == "complaints.officer" and again["data"]["round"] == 2
    await handle.signal("task_completed", completed(
        again, "not_upheld", "complaints.officer", result="not_upheld",
        reason="refund was paid"))
    result = await handle.result()  # ten days of reopening window pass here
    assert result.status == "closed" and result.upheld is False and result.rounds == 2

    steps = [(s["status"], s["round"]) for s in await statuses(h, filed.case_id)
             if s["kind"] == "status"]
    assert steps[0] == ("received", 1) and steps[-1] == ("closed", 2)
    assert ("inspection", 1) in steps and ("resolved", 2) in steps
    assert [s["seq"] for s in await statuses(h, filed.case_id)] == sorted(
        s["seq"] for s in await statuses(h, filed.case_id))
    notices = await h.notices.drain()
    told = templates(notices, filed.case_id)
    # the complainant and the manager have no account, so no inbox; the holder has one
    accounts = {m["payload"]["recipient"]["id"]: m["payload"]["recipient"]["account"]
                for m in notices if m["correlation_id"] == filed.case_id}
    assert accounts == {"mobile:09351234567": False, "manager:o1": False, "0499370899": True}
    assert ("complaint_received", "mobile:09351234567") in told
    assert ("complaint_received", "0499370899") in told  # the holder
    assert ("complaint_received", "manager:o1") in told  # and the manager
    assert ("complaint_response_requested", "0499370899") in told
    assert told.count(("complaint_resolved", "mobile:09351234567")) == 2


async def test_a_complaint_rejected_at_triage_ends_there(harness: Harness) -> None:
    h = harness
    handle, filed = await file(h)
    triage = (await h.complaints.wait_for(task_opened("complaint_triage", "1:1")))[0]["payload"]
    await handle.signal("task_completed", completed(
        triage, "merge", "complaints.officer", result="merge", reason="same visit",
        duplicate_of="A2B3C4D5E6"))
    result = await handle.result()
    assert result.status == "merged" and result.duplicate_of == "A2B3C4D5E6"
    last = (await statuses(h, filed.case_id))[-1]
    assert last["status"] == "merged" and last["duplicate_of"] == "A2B3C4D5E6"
    told = [m["payload"] for m in await h.notices.drain()
            if m["correlation_id"] == filed.case_id
            and m["payload"]["template"] == "complaint_triaged"]
    assert told and told[0]["data"]["result"] == "merged"
    assert not [m for m in await h.complaints.drain()
                if task_opened("complaint_investigation", "1:1")(m)]


def review_opened() -> ReviewOpened:
    review_id = uuid.uuid4().hex
    return ReviewOpened(
        review_id=review_id, case_id=f"review-{review_id}", office_id="o1",
        office_name="دفتر پیشخوان ۱۲", license_number="GL-06-000123", county="rasht",
        holder_national_code="0499370899", holder_name="Maryam Ahmadi",
        holder_mobile="09121234567", reasons=["idle"], details={"idle": "120"},
        opened_at=datetime.now(UTC))


async def test_a_review_suspends_the_license_and_the_suspension_lifts_at_its_end(
        harness: Harness) -> None:
    h = harness
    review = review_opened()
    handle = await h.client.start_workflow(
        ReviewWorkflow.run,
        ReviewInput(review=review, policies=ReviewPolicies(
            steps={"site_inspection": STEP, "review_decision": STEP},
            answer_seconds=7 * 86400)),
        id=review.case_id, task_queue=h.task_queue)
    inspection = (await h.licensing.wait_for(
        lambda m: m["payload"].get("task_key") == f"{review.case_id}:site_inspection"))[0]
    await handle.signal("answered", ReviewAnswered(
        review_id=review.review_id, case_id=review.case_id,
        text="the office was closed for renovation", answered_at=datetime.now(UTC)))
    await handle.signal("task_completed", completed(
        inspection["payload"], "pass", "inspector.rasht", result="pass", checklist=CHECKLIST))
    decision = (await h.licensing.wait_for(
        lambda m: m["payload"].get("task_key") == f"{review.case_id}:review_decision"))[0]
    assert decision["payload"]["candidate_role"] == "licensing_officer"
    assert decision["payload"]["data"]["answer"] == "the office was closed for renovation"
    assert decision["payload"]["data"]["reasons"] == ["idle"]
    await handle.signal("task_completed", completed(
        decision["payload"], "suspension", "officer.rasht", result="suspension",
        suspension_days=30, reason="idle for four months"))
    decide = (await h.supervision.wait_for(
        lambda m: m["type"] == "licensing.review.decide"))[0]["payload"]
    assert decide["decision"] == "suspension" and decide["suspension_days"] == 30
    await handle.signal("review_decided", ReviewDecided(
        review_id=review.review_id, case_id=review.case_id,
        license_number=review.license_number, decision="suspension", applied=True,
        suspended_until=date.today() + timedelta(days=30), decided_at=datetime.now(UTC)))

    result = await handle.result()  # thirty days pass
    assert result.lifted and result.answered and result.decision == "suspension"
    reinstate = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.reinstate")
    assert reinstate[0]["payload"]["case_id"] == review.case_id
    told = [t for t, _ in templates(await h.notices.drain(), review.case_id)]
    assert told == ["review_opened", "sanction_imposed", "suspension_lifted"]
