"""A new-license case end to end, driven over HTTP only, as the people involved would."""

from __future__ import annotations

import httpx

from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import eventually
from tests.e2e.conftest import Stack
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.process import WORKFLOWS, workflow_runner

APPLICANT = {
    "national_code": "0499370899",
    "name": "مریم احمدی",
    "mobile": "09121234567",
    "email": "maryam@example.org",
    "language": "fa",
    "county": "rasht",
    "area": "urban",
    "address": "رشت، خیابان امام خمینی، پلاک ۱۲",
}


async def open_task(client: httpx.AsyncClient, kind: str, case_id: str) -> dict:
    async def find() -> dict | None:
        reply = await client.get("/tasks", params={"kind": kind, "case_id": case_id,
                                                   "status": "open"})
        assert reply.status_code == 200, reply.text
        tasks = reply.json()
        return tasks[0] if tasks else None

    return await eventually(find)


async def complete(client: httpx.AsyncClient, task: dict, outcome: str, actor: str,
                   reason: str | None = None) -> None:
    body = {"outcome": outcome, "actor": actor}
    if reason:
        body["reason"] = reason
    reply = await client.post(f"/tasks/{task['id']}/complete", json=body)
    assert reply.status_code == 200, reply.text


async def status_of(stack: Stack, application_id: str, wanted: str) -> dict:
    async def check() -> dict | None:
        reply = await stack.applications.get(f"/applications/{application_id}")
        assert reply.status_code == 200
        data = reply.json()
        return data if data["status"] == wanted else None

    return await eventually(check)


async def test_a_new_license_is_issued_after_every_step(stack: Stack) -> None:
    reply = await stack.applications.post("/applications", json=APPLICANT)
    assert reply.status_code == 201, reply.text
    application = reply.json()
    app_id, case_id = application["id"], application["case_id"]
    assert application["status"] == "submitted"

    review = await open_task(stack.applications, "document_review", case_id)
    assert review["county"] == "rasht" and review["candidate_role"] == "clerk"
    await status_of(stack, app_id, "document_review")
    await complete(stack.applications, review, "accept", "clerk:rezaei")

    inspection = await open_task(stack.licensing, "site_inspection", case_id)
    await status_of(stack, app_id, "inspection")
    await complete(stack.licensing, inspection, "pass", "inspector:karimi")

    decision = await open_task(stack.licensing, "licensing_decision", case_id)
    await status_of(stack, app_id, "decision")
    await complete(stack.licensing, decision, "approve", "officer:moradi")

    final = await status_of(stack, app_id, "issued")
    number = final["license_number"]
    assert number and number.startswith("GL-")

    licenses = (await stack.licensing.get("/licenses", params={"application_id": app_id})).json()
    assert [lic["number"] for lic in licenses] == [number]
    assert licenses[0]["holder_name"] == APPLICANT["name"]
    assert (await stack.licensing.get(f"/licenses/{number}")).json()["status"] == "active"

    timeline = final["timeline"]
    assert [e["status"] for e in timeline] == [
        "submitted", "document_review", "inspection", "decision", "issuing", "issued",
    ]
    actors = {e["status"]: e["actor"] for e in timeline}
    assert actors["inspection"] == "clerk:rezaei"
    assert actors["decision"] == "inspector:karimi"
    assert actors["issuing"] == "officer:moradi"
    times = [e["occurred_at"] for e in timeline]
    assert times == sorted(times)

    async def notices() -> list[dict] | None:
        reply = await stack.notifications.get(
            "/deliveries", params={"recipient_id": APPLICANT["national_code"],
                                   "case_id": case_id})
        sms = [d for d in reply.json() if d["channel"] == "sms"]
        return sms if len(sms) >= 4 else None

    sms = await eventually(notices)
    assert [d["template"] for d in sms] == [
        "application_received", "application_step", "application_step", "license_issued",
    ]
    assert all(d["address"] == APPLICANT["mobile"] and d["language"] == "fa" for d in sms)
    assert number in sms[-1]["body_en"]
    # Persian text carries Persian digits
    assert "۰" in sms[-1]["body"] or "۱" in sms[-1]["body"]

    handle = stack.workflows.client.get_workflow_handle_for(NewLicenseWorkflow.run, case_id)
    result = await handle.result()
    assert result.status == "issued" and result.license_number == number
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    # the recorded history replays against today's code: the workflow is deterministic
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                   workflow_runner=workflow_runner()).replay_workflow(
        await handle.fetch_history())


async def test_a_rejected_inspection_ends_the_case_with_the_reason(stack: Stack) -> None:
    applicant = {**APPLICANT, "national_code": "0013542419", "language": "en"}
    application = (await stack.applications.post("/applications", json=applicant)).json()
    app_id, case_id = application["id"], application["case_id"]

    await complete(stack.applications,
                   await open_task(stack.applications, "document_review", case_id),
                   "accept", "clerk:rezaei")
    inspection = await open_task(stack.licensing, "site_inspection", case_id)
    reason = "The premises have no public entrance on the street."
    await complete(stack.licensing, inspection, "fail", "inspector:karimi", reason)

    final = await status_of(stack, app_id, "rejected")
    assert final["decision_reason"] == reason
    assert final["timeline"][-1]["actor"] == "inspector:karimi"
    assert final["license_number"] is None

    licenses = (await stack.licensing.get("/licenses", params={"application_id": app_id})).json()
    assert licenses == []
    decisions = (await stack.licensing.get(
        "/tasks", params={"case_id": case_id, "kind": "licensing_decision"})).json()
    assert decisions == []

    async def rejection_notice() -> list[dict] | None:
        reply = await stack.notifications.get(
            "/deliveries", params={"recipient_id": applicant["national_code"],
                                   "case_id": case_id})
        found = [d for d in reply.json()
                 if d["template"] == "application_rejected" and d["channel"] == "sms"]
        return found or None

    notice = (await eventually(rejection_notice))[0]
    assert reason in notice["body"] and notice["language"] == "en"


async def test_a_clerk_cannot_complete_a_review_twice(stack: Stack) -> None:
    application = (await stack.applications.post("/applications", json=APPLICANT)).json()
    review = await open_task(stack.applications, "document_review", application["case_id"])
    await complete(stack.applications, review, "accept", "clerk:rezaei")
    again = await stack.applications.post(
        f"/tasks/{review['id']}/complete",
        json={"outcome": "reject", "reason": "changed my mind", "actor": "clerk:other"})
    assert again.status_code == 409


async def test_every_service_is_ready_and_serves_metrics(stack: Stack) -> None:
    for client in (stack.applications, stack.licensing, stack.notifications, stack.complaints):
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "broker": True}
        assert (await client.get("/healthz")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert "pishkhan_http_requests_total" in metrics
        assert "pishkhan_outbox_backlog" in metrics
    assert await stack.workflows.ready() == {"broker": True, "temporal": True, "worker": True}
