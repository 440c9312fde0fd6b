"""A license's life after issuance, over HTTP on the real stack: the holder renews it, then
transfers it to a new holder who consents, and the new holder moves the office within the
county; licensing keeps the history and every case ends on the applicant's timeline."""

from __future__ import annotations

from typing import Any

from services.contracts.applications import REQUIRED_DOCUMENTS_BY_KIND
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import eventually
from tests.e2e.conftest import Stack
from tests.e2e.test_new_license import (
    APPLICANT,
    PDF,
    People,
    apply,
    claim_and_complete,
    complete,
    inspect_and_decide,
    inspection,
    review,
    status_of,
    task_in,
)
from workflows.license_term.workflow import LicenseTermWorkflow

NEW_HOLDER = {"national_code": "0013542419", "name": "رضا کریمی", "mobile": "09111111111"}


async def upload_all(stack: Stack, me: dict[str, str], case: dict[str, Any]) -> None:
    for document_type in REQUIRED_DOCUMENTS_BY_KIND[case["kind"]]:
        reply = await stack.applications.post(
            f"/applications/{case['id']}/documents", headers=me,
            data={"document_type": document_type},
            files={"file": (f"{document_type}.pdf", PDF, "application/pdf")})
        assert reply.status_code == 201, reply.text


async def license_of(stack: Stack, number: str) -> dict:
    reply = await stack.licensing.get(f"/licenses/{number}")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def open_for(stack: Stack, me: dict[str, str], path: str, body: dict) -> dict:
    async def tried() -> dict | None:
        reply = await stack.applications.post(path, json=body, headers=me)
        if reply.status_code == 422 and reply.json()["detail"][0]["code"] == "license_not_yours":
            return None  # licensing's news of the license has not arrived yet
        assert reply.status_code == 201, reply.text
        return reply.json()

    return await eventually(tried)


async def test_renewal_transfer_and_change_of_address(staffed: Stack,
                                                      issuer: TokenIssuer, peer: Bus) -> None:
    stack = staffed
    people = People(issuer, APPLICANT["national_code"])
    application = await apply(stack, people.applicant, APPLICANT)
    await claim_and_complete(stack.applications, people.clerk, application["case_id"],
                             "document_review", review("accept"))
    await inspect_and_decide(stack, people, application["case_id"])
    number = (await status_of(stack, people.applicant, application["id"], "issued")
              )["license_number"]
    issued = await license_of(stack, number)

    # the license's term runs as its own workflow from issuance
    term = stack.workflows.client.get_workflow_handle_for(
        LicenseTermWorkflow.run, f"{stack.workflows.settings.workflow_id_prefix}license-{number}")

    async def term_running() -> bool:
        try:
            until = await term.query(LicenseTermWorkflow.valid_until)
        except Exception:  # not started yet: the bridge is still on its way
            return False
        return until.isoformat() == issued["valid_until"]

    await eventually(term_running, timeout=40)

    # 1. renewal: documents, no open findings so no inspection, the officer approves
    renewal = await open_for(stack, people.applicant, "/applications/renewal",
                             {"license_number": number})
    await upload_all(stack, people.applicant, renewal)
    await claim_and_complete(stack.applications, people.clerk, renewal["case_id"],
                             "document_review", review("accept"))
    await claim_and_complete(stack.licensing, people.officer, renewal["case_id"],
                             "licensing_decision", {"result": "approve"})
    done = await status_of(stack, people.applicant, renewal["id"], "renewed")
    assert [e["status"] for e in done["timeline"]] == [
        "submitted", "document_review", "decision", "renewed"]
    renewed = await license_of(stack, number)
    assert renewed["valid_until"] > issued["valid_until"]

    # 2. transfer: the new holder consents and sends their papers; a second is refused
    transfer = await open_for(stack, people.applicant, "/applications/transfer",
                              {"license_number": number, "new_holder": NEW_HOLDER})
    again = await stack.applications.post("/applications/transfer", headers=people.applicant,
                                          json={"license_number": number,
                                                "new_holder": NEW_HOLDER})
    assert again.status_code == 409
    newcomer = issuer.applicant(NEW_HOLDER["national_code"])
    await status_of(stack, newcomer, transfer["id"], "awaiting_consent")
    assert (await stack.applications.post(f"/applications/{transfer['id']}/consent",
                                          headers=newcomer)).status_code == 200
    await upload_all(stack, newcomer, transfer)
    await claim_and_complete(stack.applications, people.clerk, transfer["case_id"],
                             "document_review", review("accept"))
    await claim_and_complete(stack.licensing, people.officer, transfer["case_id"],
                             "licensing_decision", {"result": "approve"})
    await status_of(stack, people.applicant, transfer["id"], "transferred")
    moved = await license_of(stack, number)
    assert moved["holder_name"] == NEW_HOLDER["name"]
    officer = people.officer
    history = (await stack.licensing.get(f"/licenses/{number}/history", headers=officer)).json()
    changes = [h["change"] for h in history]
    assert changes[:3] == ["issued", "renewed", "transferred"]

    # 3. change of address by the new holder, in the same county
    new_address = "رشت، بلوار گیلان، پلاک ۲۰"
    relocation = await open_for(stack, newcomer, "/applications/address-change",
                                {"license_number": number, "county": "rasht",
                                 "address": new_address})
    visit = await task_in(stack.licensing, people.inspector, "mine", relocation["case_id"],
                          "site_inspection")
    assert visit["data"]["address"] == new_address
    await complete(stack.licensing, people.inspector, visit, inspection("pass"))
    await claim_and_complete(stack.licensing, people.officer, relocation["case_id"],
                             "licensing_decision", {"result": "approve"})
    await status_of(stack, newcomer, relocation["id"], "relocated")
    assert (await license_of(stack, number))["address"] == new_address
