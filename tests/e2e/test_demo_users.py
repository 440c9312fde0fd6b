"""The case as the directorate's people run it: the embedded identity service with its
seeded demo users, each signing in with a password and acting with their own token;
a late clerk is reminded and escalated to the supervisor, a correction round goes back
to the same clerk, and every step lands on the applicant's timeline."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from services.identity.app import create_app as identity_app
from services.identity.seed import seed
from tests.conftest import BusNamespace, eventually, serving
from tests.e2e.conftest import start_stack
from tests.e2e.test_new_license import (
    APPLICANT,
    PDF,
    apply,
    claim_and_complete,
    complete,
    inspection,
    review,
    status_of,
    task_in,
)
from tests.identity.conftest import identity_settings

ISSUER = "http://identity.test"
DEMO_PASSWORD = "demo-password-for-tests"


class DemoPeople:
    """Tokens of the seeded demo users, signed in over HTTP like anyone would."""

    def __init__(self, identity: httpx.AsyncClient) -> None:
        self.identity = identity

    async def token(self, username: str) -> dict[str, str]:
        reply = await self.identity.post("/token", data={
            "username": username, "password": DEMO_PASSWORD, "grant_type": "password"})
        assert reply.status_code == 200, reply.text
        return {"authorization": f"Bearer {reply.json()['access_token']}"}


async def test_demo_users_run_a_case_with_an_escalation_and_a_correction(
    bus_ns: BusNamespace, tmp_path: Path, temporal_address: str
) -> None:
    settings = identity_settings(f"sqlite+aiosqlite:///{tmp_path}/identity.db", bus_ns, tmp_path,
                                 issuer=ISSUER, demo_password=DEMO_PASSWORD)
    async with AsyncExitStack() as stack:
        identity = await stack.enter_async_context(serving(identity_app(settings)))
        jwks = f"{identity.base_url}/.well-known/jwks.json"
        services = await start_stack(
            stack, bus_ns=bus_ns, tmp_path=tmp_path, temporal_address=temporal_address,
            auth={"jwks_url": jwks, "jwt_issuer": ISSUER, "jwt_audience": "pishkhan"},
            # the clerk has four seconds: reminded after two, escalated after four
            workflow_settings={"document_review_due_hours": 4 / 3600,
                               "remind_before_hours": 2 / 3600},
        )
        result = await seed(settings)
        assert "clerk.rasht" in result.created and result.unpublished == 0

        people = DemoPeople(identity)
        applicant = await people.token(APPLICANT["national_code"])
        clerk = await people.token("clerk.rasht")
        inspector = await people.token("inspector.rasht")
        officer = await people.token("officer.rasht")
        supervisor = await people.token("supervisor.rasht")
        ops = await people.token("ops")

        # the rosters come from the identity service's events
        async def rosters() -> bool:
            a = await services.applications.get(
                "/tasks/candidates", params={"kind": "document_review"}, headers=supervisor)
            b = await services.licensing.get(
                "/tasks/candidates", params={"kind": "site_inspection"}, headers=supervisor)
            return ([p["username"] for p in a.json()] == ["clerk.rasht"]
                    and [p["username"] for p in b.json()] == ["inspector.rasht",
                                                               "inspector2.rasht"])

        await eventually(rosters)

        application = await apply(services, applicant, APPLICANT)
        app_id, case_id = application["id"], application["case_id"]

        # nobody acts on the review: reminder, then escalation to the supervisor
        async def escalated() -> dict | None:
            data = (await services.applications.get(f"/applications/{app_id}",
                                                     headers=applicant)).json()
            kinds = [e["kind"] for e in data["timeline"]]
            return data if "escalation" in kinds else None

        data = await eventually(escalated, timeout=30)
        kinds = [e["kind"] for e in data["timeline"]]
        assert kinds.index("reminder") < kinds.index("escalation")

        async def supervisor_told() -> list | None:
            reply = await services.notifications.get(
                "/ops/deliveries", headers=ops,
                params={"recipient_id": "supervisor.rasht", "case_id": case_id})
            found = [d for d in reply.json() if d["template"] == "task_escalated"]
            return found or None

        await eventually(supervisor_told)

        # the clerk asks for a correction; the applicant sends the document again
        await claim_and_complete(services.applications, clerk, case_id, "document_review",
                                 review("correction", {"clearance_certificate": "expired"},
                                        reason="the clearance certificate has expired"))
        await status_of(services, applicant, app_id, "correction_requested")
        uploaded = await services.applications.post(
            f"/applications/{app_id}/documents", headers=applicant,
            data={"document_type": "clearance_certificate"},
            files={"file": ("clearance.pdf", PDF + b"% renewed\n", "application/pdf")})
        assert uploaded.status_code == 201
        assert (await services.applications.post(f"/applications/{app_id}/corrections",
                                                 headers=applicant)).status_code == 200

        again = await task_in(services.applications, clerk, "mine", case_id, "document_review")
        await complete(services.applications, clerk, again, review("accept"))
        visit = await task_in(services.licensing, inspector, "mine", case_id, "site_inspection")
        await complete(services.licensing, inspector, visit, inspection("pass"))
        await claim_and_complete(services.licensing, officer, case_id, "licensing_decision",
                                 {"result": "approve"})

        final = await status_of(services, applicant, app_id, "issued")
        steps = [(e["kind"], e["status"], e["actor"]) for e in final["timeline"]]
        assert steps[0] == ("status", "submitted", APPLICANT["national_code"])
        assert ("reminder", "document_review", "system") in steps
        assert ("escalation", "document_review", "system") in steps
        statuses = [s for k, s, _ in steps if k == "status"]
        assert statuses == ["submitted", "document_review", "correction_requested",
                            "document_review", "inspection", "decision", "issuing", "issued"]
        actors = [a for k, _, a in steps if k == "status"]
        assert actors[2] == "clerk.rasht" and actors[4] == "clerk.rasht"
        assert actors[5] == "inspector.rasht" and actors[6] == "officer.rasht"
        assert final["license_number"].startswith("GL-06-")
