"""A new-license case end to end, driven over HTTP only by each role with its own token:
the applicant, the county's clerk, inspector and licensing officer."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from services.contracts.applications import REQUIRED_DOCUMENTS
from services.contracts.tasks import CHECKLIST_ITEMS
from tests.auth_fixtures import TokenIssuer
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
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class People:
    def __init__(self, issuer: TokenIssuer, national_code: str) -> None:
        self.applicant = issuer.applicant(national_code)
        self.clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")
        self.inspector = issuer.headers("inspector.rasht", "inspector", county="rasht")
        self.officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")
        self.ops = issuer.headers("ops", "ops")


async def apply(stack: Stack, me: dict[str, str], applicant: dict[str, Any]) -> dict:
    reply = await stack.applications.post("/applications", json=applicant, headers=me)
    assert reply.status_code == 201, reply.text
    application = reply.json()
    for document_type in REQUIRED_DOCUMENTS:
        uploaded = await stack.applications.post(
            f"/applications/{application['id']}/documents", headers=me,
            data={"document_type": document_type},
            files={"file": (f"{document_type}.pdf", PDF, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
    return application


async def task_in(client: httpx.AsyncClient, headers: dict, inbox: str, case_id: str,
                  kind: str) -> dict:
    async def find() -> dict | None:
        reply = await client.get(f"/tasks/{inbox}", params={"kind": kind, "case_id": case_id},
                                 headers=headers)
        assert reply.status_code == 200, reply.text
        items = [t for t in reply.json()["items"] if t["status"] in ("open", "claimed")]
        return items[0] if items else None

    return await eventually(find)


async def claim_and_complete(client: httpx.AsyncClient, headers: dict, case_id: str, kind: str,
                             outcome: dict) -> dict:
    task = await task_in(client, headers, "queue", case_id, kind)
    claimed = await client.post(f"/tasks/{task['id']}/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text
    return await complete(client, headers, task, outcome)


async def complete(client: httpx.AsyncClient, headers: dict, task: dict, outcome: dict) -> dict:
    done = await client.post(f"/tasks/{task['id']}/complete", json={"outcome": outcome},
                             headers=headers)
    assert done.status_code == 200, done.text
    return done.json()


def review(result: str, rejected: dict[str, str] | None = None, reason: str | None = None
           ) -> dict:
    rejected = rejected or {}
    return {"result": result, "reason": reason, "documents": [
        {"document_type": t, "verdict": "reject" if t in rejected else "accept",
         "reason": rejected.get(t)} for t in REQUIRED_DOCUMENTS]}


def inspection(result: str, reason: str | None = None, **failed: str) -> dict:
    return {"result": result, "reason": reason, "checklist": {
        item: {"passed": item not in failed, "note": failed.get(item)} for item in CHECKLIST_ITEMS}}


async def status_of(stack: Stack, me: dict[str, str], application_id: str, wanted: str
                    ) -> dict:
    async def check() -> dict | None:
        reply = await stack.applications.get(f"/applications/{application_id}", headers=me)
        assert reply.status_code == 200
        data = reply.json()
        return data if data["status"] == wanted else None

    return await eventually(check)


async def inspect_and_decide(stack: Stack, people: People, case_id: str) -> None:
    # the inspection is assigned straight to the county's inspector
    task = await task_in(stack.licensing, people.inspector, "mine", case_id, "site_inspection")
    await complete(stack.licensing, people.inspector, task, inspection("pass"))
    await claim_and_complete(stack.licensing, people.officer, case_id, "licensing_decision",
                             {"result": "approve"})


async def test_a_new_license_is_issued_after_every_step(staffed: Stack,
                                                        issuer: TokenIssuer) -> None:
    stack = staffed
    people = People(issuer, APPLICANT["national_code"])
    application = await apply(stack, people.applicant, APPLICANT)
    app_id, case_id = application["id"], application["case_id"]

    waiting = await status_of(stack, people.applicant, app_id, "document_review")
    assert waiting["awaiting"] == "clerk" and waiting["awaiting_until"]
    await claim_and_complete(stack.applications, people.clerk, case_id, "document_review",
                             review("accept"))
    await status_of(stack, people.applicant, app_id, "inspection")
    await inspect_and_decide(stack, people, case_id)

    final = await status_of(stack, people.applicant, app_id, "issued")
    number = final["license_number"]
    assert number and number.startswith("GL-")

    licenses = (await stack.licensing.get("/licenses", params={"application_id": app_id})).json()
    assert [lic["number"] for lic in licenses] == [number]
    assert licenses[0]["holder_name"] == APPLICANT["name"]

    timeline = final["timeline"]
    assert [e["status"] for e in timeline] == [
        "submitted", "document_review", "inspection", "decision", "issuing", "issued",
    ]
    actors = {e["status"]: e["actor"] for e in timeline}
    assert actors["submitted"] == APPLICANT["national_code"]
    assert actors["inspection"] == "clerk.rasht"
    assert actors["decision"] == "inspector.rasht"
    assert actors["issuing"] == "officer.rasht"
    times = [e["occurred_at"] for e in timeline]
    assert times == sorted(times)

    async def notices() -> list[dict] | None:
        reply = await stack.notifications.get(
            "/ops/deliveries", headers=people.ops,
            params={"order": "oldest", "recipient_id": APPLICANT["national_code"],
                    "case_id": case_id})
        sms = [d for d in reply.json() if d["channel"] == "sms"]
        return sms if len(sms) >= 6 else None

    sms = await eventually(notices)
    assert [d["template"] for d in sms] == [
        "application_received", "application_step", "inspection_scheduled",
        "application_step", "decision_made", "license_issued",
    ]
    assert all(d["language"] == "fa" for d in sms)
    assert number in sms[-1]["body_en"]

    handle = stack.workflows.client.get_workflow_handle_for(NewLicenseWorkflow.run, case_id)
    result = await handle.result()
    assert result.status == "issued" and result.license_number == number
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    # the recorded history replays against today's code: the workflow is deterministic
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                   workflow_runner=workflow_runner()).replay_workflow(await handle.fetch_history())


async def test_a_correction_round_then_issuance(staffed: Stack, issuer: TokenIssuer) -> None:
    stack = staffed
    applicant = {**APPLICANT, "national_code": "0084575948", "language": "en"}
    people = People(issuer, applicant["national_code"])
    application = await apply(stack, people.applicant, applicant)
    app_id, case_id = application["id"], application["case_id"]

    await claim_and_complete(stack.applications, people.clerk, case_id, "document_review",
                             review("correction", {"premises_document": "the scan is unreadable"},
                                    reason="one document must be sent again"))
    asked = await status_of(stack, people.applicant, app_id, "correction_requested")
    assert asked["awaiting"] == "applicant" and asked["awaiting_until"]
    assert asked["correction_documents"] == ["premises_document"]

    replaced = await stack.applications.post(
        f"/applications/{app_id}/documents", headers=people.applicant,
        data={"document_type": "premises_document"},
        files={"file": ("deed.pdf", PDF + b"% clearer scan\n", "application/pdf")})
    assert replaced.status_code == 201
    sent = await stack.applications.post(f"/applications/{app_id}/corrections",
                                         headers=people.applicant)
    assert sent.status_code == 200, sent.text

    # the second review goes straight back to the same clerk
    second = await task_in(stack.applications, people.clerk, "mine", case_id, "document_review")
    assert second["task_key"].endswith(":document_review:2")
    await complete(stack.applications, people.clerk, second, review("accept"))
    await status_of(stack, people.applicant, app_id, "inspection")
    await inspect_and_decide(stack, people, case_id)
    final = await status_of(stack, people.applicant, app_id, "issued")
    statuses = [e["status"] for e in final["timeline"]]
    assert statuses == ["submitted", "document_review", "correction_requested",
                        "document_review", "inspection", "decision", "issuing", "issued"]
    assert final["timeline"][2]["actor"] == "clerk.rasht"


async def test_a_failed_inspection_ends_the_case_with_the_reason(staffed: Stack,
                                                                 issuer: TokenIssuer) -> None:
    stack = staffed
    applicant = {**APPLICANT, "national_code": "0013542419", "language": "en"}
    people = People(issuer, applicant["national_code"])
    application = await apply(stack, people.applicant, applicant)
    app_id, case_id = application["id"], application["case_id"]
    await claim_and_complete(stack.applications, people.clerk, case_id, "document_review",
                             review("accept"))
    reason = "The premises have no public entrance on the street."
    task = await task_in(stack.licensing, people.inspector, "mine", case_id, "site_inspection")
    await complete(stack.licensing, people.inspector, task,
                   inspection("fail", reason, premises_match_address="a back room"))

    final = await status_of(stack, people.applicant, app_id, "rejected")
    assert final["decision_reason"] == reason
    assert final["timeline"][-1]["actor"] == "inspector.rasht"
    assert final["license_number"] is None
    licenses = (await stack.licensing.get("/licenses", params={"application_id": app_id})).json()
    assert licenses == []

    async def rejection_notice() -> list[dict] | None:
        reply = await stack.notifications.get(
            "/ops/deliveries", headers=people.ops,
            params={"order": "oldest", "recipient_id": applicant["national_code"],
                    "case_id": case_id})
        found = [d for d in reply.json()
                 if d["template"] == "application_rejected" and d["channel"] == "sms"]
        return found or None

    notice = (await eventually(rejection_notice))[0]
    assert reason in notice["body"] and notice["language"] == "en"


async def test_withdrawal_cancels_the_open_task(staffed: Stack, issuer: TokenIssuer) -> None:
    stack = staffed
    people = People(issuer, APPLICANT["national_code"])
    application = await apply(stack, people.applicant, APPLICANT)
    app_id, case_id = application["id"], application["case_id"]
    task = await task_in(stack.applications, people.clerk, "queue", case_id, "document_review")
    withdrawn = await stack.applications.post(f"/applications/{app_id}/withdraw",
                                              json={"reason": "moving abroad"},
                                              headers=people.applicant)
    assert withdrawn.status_code == 202
    final = await status_of(stack, people.applicant, app_id, "withdrawn")
    assert final["timeline"][-1]["note"] == "moving abroad"

    async def cancelled() -> bool:
        t = (await stack.applications.get(f"/tasks/{task['id']}", headers=people.clerk)).json()
        return t["status"] == "cancelled"

    await eventually(cancelled)
    again = await stack.applications.post(f"/applications/{app_id}/withdraw",
                                          headers=people.applicant)
    assert again.status_code == 409


async def test_every_service_is_ready_and_serves_metrics(stack: Stack) -> None:
    for client in (stack.applications, stack.licensing, stack.notifications, stack.complaints):
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["database"] is True and checks["broker"] is True and all(checks.values())
        assert (await client.get("/healthz")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert "pishkhan_http_requests_total" in metrics
        assert "pishkhan_outbox_backlog" in metrics
    assert await stack.workflows.ready() == {"broker": True, "temporal": True, "worker": True}
