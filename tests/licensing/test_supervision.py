"""Supervision over the real bus, as the schedule and the review workflow drive it: a sweep
opens one review per office that needs one (idle, upheld complaints, findings), a
complaint's recommended sanction opens or joins a review, the officer's decision is
applied to the license through its history, and a suspension's end lifts only its own
suspension."""

from __future__ import annotations

import datetime as dt
import uuid

import aio_pika
import httpx
import pytest
from sqlmodel import col, select, update

from services.contracts.complaints import ComplaintResolution, ComplaintResolved
from services.contracts.licensing import (
    DecideReview,
    ReinstateLicense,
    ReviewDecision,
    SweepOffices,
)
from services.contracts.tasks import CHECKLIST_ITEMS, OpenLicensingTask
from services.kit.bus import Bus
from services.kit.db import utcnow
from services.kit.http import Runtime
from services.licensing import service
from services.licensing.models import License, Office, Review, UpheldComplaint
from services.licensing.persian import IRAN, jalali_month, local_today
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually
from tests.licensing.conftest import (
    Holder,
    Recorder,
    a_national_code,
    add_license,
    handled,
    office_of,
    settle,
)

OPENED = "licensing.review.opened"
DECIDED = "licensing.review.decided"
CHANGED = "licensing.license.changed"
IDLE_DAYS = 60


def sweep_command(sweep_id: str | None = None, *, as_of: dt.datetime | None = None,
                  upheld_threshold: int = 3) -> SweepOffices:
    return SweepOffices(sweep_id=sweep_id or uuid.uuid4().hex[:12], as_of=as_of or utcnow(),
                        idle_days=IDLE_DAYS, upheld_threshold=upheld_threshold,
                        lookback_days=365)


async def run_sweep(peer: Bus, store: Runtime, command: SweepOffices) -> None:
    envelope = await peer.publish(command, correlation_id=f"sweep-{command.sweep_id}")
    await handled(store, envelope)


async def make_idle(store: Runtime, number: str, days: int) -> None:
    """No activity, and no issuance, for ``days``."""
    office = await office_of(store, number)
    day = local_today() - dt.timedelta(days=days)
    issued_at = dt.datetime.combine(day, dt.time(9), tzinfo=IRAN)
    statements = (
        update(Office).where(col(Office.id) == office.id).values(last_activity_on=day),
        update(License).where(col(License.number) == number).values(issued_at=issued_at),
    )
    async with store.uow() as uow:
        for statement in statements:
            await uow.session.exec(statement)  # type: ignore[call-overload]
        await uow.commit()


def resolution(*, upheld: bool = True, sanction: str = "none") -> ComplaintResolution:
    return ComplaintResolution(upheld=upheld, summary="بررسی شد", resolved_by="complaints.rasht",
                               sanction_recommended=sanction)  # type: ignore[arg-type]


def resolved(complaint: str, office_id: str, number: str, *, upheld: bool = True,
             sanction: str = "none", round_: int = 1) -> ComplaintResolved:
    return ComplaintResolved(
        complaint_id=complaint, case_id=f"complaint-{complaint}", tracking_code=f"TC-{complaint}",
        office_id=office_id, license_number=number, county="rasht", category="fee_above_tariff",
        round=round_, resolution=resolution(upheld=upheld, sanction=sanction),
        resolved_at=utcnow(),
    )


async def reviews_of(store: Runtime, office_id: str) -> list[Review]:
    async with store.db.sessionmaker() as session:
        rows = await session.exec(select(Review).where(Review.office_id == office_id)
                                  .order_by(col(Review.id)))
        return list(rows.all())


async def upheld_rows(store: Runtime, office_id: str) -> list[str]:
    async with store.db.sessionmaker() as session:
        rows = await session.exec(select(UpheldComplaint.complaint_id)
                                  .where(UpheldComplaint.office_id == office_id))
        return sorted(rows.all())


async def open_idle_review(peer: Bus, store: Runtime, recorder: Recorder, number: str
                           ) -> dict:
    """An idle office swept into a review; the ReviewOpened payload."""
    await make_idle(store, number, 100)
    await run_sweep(peer, store, sweep_command())
    [opened] = await recorder.wait_for(OPENED, license_number=number)
    return opened.payload


def decide(opened: dict, decision: ReviewDecision, *, days: int | None = None,
           reason: str | None = "repeated breaches") -> DecideReview:
    return DecideReview(review_id=opened["review_id"], case_id=opened["case_id"],
                        license_number=opened["license_number"], decision=decision,
                        suspension_days=days, reason=reason, actor="officer.rasht")


# -- the sweep --------------------------------------------------------------------------

async def test_a_sweep_opens_one_review_for_an_idle_office_and_none_for_a_busy_one(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    idle = await add_license(store, county="rasht", holder=holder)
    busy = await add_license(store, county="rasht")
    await make_idle(store, idle, 100)
    await make_idle(store, busy, 100)
    busy_office = await office_of(store, busy)
    # the busy office reports this month's work: it is active again
    year, month = jalali_month(local_today())
    await licensing.post(f"/offices/{busy_office.id}/activity",
                         json={"year": year, "month": month, "service_count": 80},
                         headers=issuer.headers("admin", "admin"))

    first = sweep_command()
    await run_sweep(peer, store, first)
    [opened] = await recorder.wait_for(OPENED)
    payload = opened.payload
    office = await office_of(store, idle)
    assert payload["office_id"] == office.id and payload["license_number"] == idle
    assert payload["reasons"] == ["idle"] and payload["details"]["idle_days"] == "100"
    assert payload["case_id"].startswith("review-")
    assert opened.correlation_id == payload["case_id"]
    assert payload["holder_national_code"] == holder.national_code
    assert payload["holder_mobile"] == holder.mobile and payload["county"] == "rasht"
    assert payload["office_name"] == office.name and payload["recommended"] is None

    # the same sweep delivered again, and the next sweep while the review is open: nothing
    await run_sweep(peer, store, first.model_copy())
    await run_sweep(peer, store, sweep_command())
    await settle()
    assert len(recorder.of(OPENED)) == 1
    assert [r.status for r in await reviews_of(store, office.id)] == ["open"]
    assert await reviews_of(store, busy_office.id) == []

    listed = (await licensing.get("/reviews", params={"status": "open"},
                                  headers=issuer.headers("officer.rasht", "licensing_officer",
                                                         county="rasht"))).json()
    assert listed["total"] == 1 and listed["items"][0]["case_id"] == payload["case_id"]


async def test_only_one_open_review_per_office_even_past_the_service(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    number = await add_license(store)
    office = await office_of(store, number)
    async with store.uow() as uow:
        uow.session.add(Review(office_id=office.id, open_office_id=office.id,
                               license_number=number, county="rasht", reasons=["idle"]))
        await uow.commit()
    with pytest.raises(Exception, match="(?i)unique"):
        async with store.uow() as uow:
            uow.session.add(Review(office_id=office.id, open_office_id=office.id,
                                   license_number=number, county="rasht", reasons=["idle"]))
            await uow.commit()


async def test_after_a_decision_only_what_happens_next_counts_and_as_of_is_the_clock(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    number = await add_license(store)
    opened = await open_idle_review(peer, store, recorder, number)
    await peer.publish(decide(opened, "warning"), correlation_id=opened["case_id"])
    await recorder.wait_for(DECIDED)
    # decided today: not idle today, idle again once idle_days have passed since
    await run_sweep(peer, store, sweep_command())
    await settle()
    assert len(recorder.of(OPENED)) == 1
    later = utcnow() + dt.timedelta(days=IDLE_DAYS + 2)
    await run_sweep(peer, store, sweep_command(as_of=later))
    [_, again] = await recorder.wait_for(OPENED, count=2)
    assert again.payload["reasons"] == ["idle"]
    assert again.payload["details"]["idle_days"] == str(IDLE_DAYS + 2)


async def test_k_upheld_complaints_open_a_review_and_one_resolved_again_as_not_upheld_leaves(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    flagged = await add_license(store)
    below = await add_license(store)
    flagged_office, below_office = await office_of(store, flagged), await office_of(store, below)
    for complaint in ("c1", "c2", "c3"):
        await peer.publish(resolved(complaint, flagged_office.id, flagged), correlation_id="c")
    for complaint in ("c4", "c5"):
        await peer.publish(resolved(complaint, below_office.id, below), correlation_id="c")
    last = await peer.publish(resolved("c6", below_office.id, below, upheld=False),
                              correlation_id="c")
    await handled(store, last)
    assert await upheld_rows(store, flagged_office.id) == ["c1", "c2", "c3"]
    assert await upheld_rows(store, below_office.id) == ["c4", "c5"]

    # reopened and resolved again: not upheld after all
    again = await peer.publish(resolved("c5", below_office.id, below, upheld=False, round_=2),
                               correlation_id="c")
    await handled(store, again)
    assert await upheld_rows(store, below_office.id) == ["c4"]

    await run_sweep(peer, store, sweep_command(upheld_threshold=3))
    [opened] = await recorder.wait_for(OPENED)
    assert opened.payload["license_number"] == flagged
    assert opened.payload["reasons"] == ["upheld_complaints"]
    assert opened.payload["details"] == {"upheld_complaints": "3"}
    await settle()
    assert len(recorder.of(OPENED)) == 1


async def test_a_recommended_sanction_opens_a_review_and_a_second_one_joins_it(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    number = await add_license(store)
    office = await office_of(store, number)
    await peer.publish(resolved("s1", office.id, number, sanction="warning"), correlation_id="c")
    [opened] = await recorder.wait_for(OPENED)
    assert opened.payload["reasons"] == ["complaint_sanction"]
    assert opened.payload["recommended"] == "warning"
    assert opened.payload["details"] == {"complaint_tracking_code": "TC-s1"}

    last = await peer.publish(resolved("s2", office.id, number, sanction="revocation"),
                              correlation_id="c")
    await handled(store, last)
    [review] = await reviews_of(store, office.id)
    assert review.status == "open" and review.reasons == ["complaint_sanction"]
    assert review.recommended == "revocation"
    assert review.details == {"complaint_tracking_code": "TC-s1,TC-s2"}
    assert await upheld_rows(store, office.id) == ["s1", "s2"]
    await settle()
    assert len(recorder.of(OPENED)) == 1


async def test_a_failed_site_inspection_is_a_finding_that_a_sweep_reviews(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    number = await add_license(store)
    office = await office_of(store, number)
    # nobody on the roster: the inspection waits in the county's queue
    await peer.publish(OpenLicensingTask(
        task_key="inspect-1", kind="site_inspection", case_id="complaint-x1",
        candidate_role="inspector", county="rasht", data={"office_id": office.id}),
        correlation_id="complaint-x1")
    inspector = issuer.headers("inspector.rasht", "inspector", county="rasht")

    async def task() -> dict | None:
        mine = (await licensing.get("/tasks/queue", headers=inspector)).json()["items"]
        return mine[0] if mine else None

    found = await eventually(task)
    claimed = await licensing.post(f"/tasks/{found['id']}/claim", headers=inspector)
    assert claimed.status_code == 200
    checklist = {item: {"passed": True} for item in CHECKLIST_ITEMS}
    checklist["tariff_displayed"] = {"passed": False, "note": "no tariff on the wall"}
    checklist["operator_is_holder"] = {"passed": False, "note": "run by a relative"}
    done = await licensing.post(f"/tasks/{found['id']}/complete", headers=inspector,
                                json={"outcome": {"result": "fail", "checklist": checklist,
                                                  "reason": "tariff and operator"}})
    assert done.status_code == 200, done.text
    officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")
    kinds = sorted(f["kind"] for f in (await licensing.get("/findings", headers=officer)).json())
    assert kinds == ["failed_inspection", "operator_not_holder"]

    await run_sweep(peer, store, sweep_command())
    [opened] = await recorder.wait_for(OPENED)
    assert opened.payload["office_id"] == office.id
    assert opened.payload["reasons"] == ["failed_inspection", "operator_not_holder"]
    assert opened.payload["details"] == {"failed_inspection": "1", "operator_not_holder": "1"}


async def test_the_review_decision_is_a_licensing_officers_task(
    licensing: httpx.AsyncClient, peer: Bus, recorder: Recorder, issuer: TokenIssuer
) -> None:
    await peer.publish(OpenLicensingTask(
        task_key="review-9:decision", kind="review_decision", case_id="review-9",
        candidate_role="licensing_officer", county="rasht"), correlation_id="review-9")
    officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")

    async def task() -> dict | None:
        items = (await licensing.get("/tasks/queue", headers=officer)).json()["items"]
        return items[0] if items else None

    found = await eventually(task)
    assert found["kind"] == "review_decision"
    await licensing.post(f"/tasks/{found['id']}/claim", headers=officer)
    bad = await licensing.post(f"/tasks/{found['id']}/complete", headers=officer,
                               json={"outcome": {"result": "suspension", "reason": "tariff"}})
    assert bad.status_code == 422
    done = await licensing.post(f"/tasks/{found['id']}/complete", headers=officer,
                                json={"outcome": {"result": "suspension", "suspension_days": 30,
                                                  "reason": "tariff"}})
    assert done.status_code == 200, done.text
    [completed] = await recorder.wait_for("licensing.task.completed")
    assert completed.payload["outcome"] == "suspension"
    assert completed.payload["data"]["suspension_days"] == 30


# -- decisions --------------------------------------------------------------------------

@pytest.mark.parametrize("decision, days, status, change", [
    ("warning", None, "active", "warned"),
    ("suspension", 30, "suspended", "suspended"),
    ("revocation", None, "revoked", "revoked"),
    ("no_action", None, "active", None),
])
async def test_a_decision_changes_the_license_through_its_history_once(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer, decision: ReviewDecision, days: int | None, status: str,
    change: str | None
) -> None:
    number = await add_license(store)
    opened = await open_idle_review(peer, store, recorder, number)
    command = decide(opened, decision, days=days,
                     reason=None if decision == "no_action" else "repeated breaches")
    await peer.publish(command, correlation_id=opened["case_id"])
    [answer] = await recorder.wait_for(DECIDED)
    facts = answer.payload
    assert answer.correlation_id == opened["case_id"]
    assert (facts["decision"], facts["applied"], facts["refusal"]) == (decision, True, None)
    until = (local_today() + dt.timedelta(days=days)).isoformat() if days else None
    assert facts["suspended_until"] == until

    # the same decision again (a retried activity): nothing changes, the answer comes again
    await peer.publish(command.model_copy(), correlation_id=opened["case_id"])
    [_, repeated] = await recorder.wait_for(DECIDED, count=2)
    assert repeated.payload == facts

    admin = issuer.headers("admin", "admin")
    history = (await licensing.get(f"/licenses/{number}/history", headers=admin)).json()
    if change is None:
        assert [e["change"] for e in history] == ["imported"]
    else:
        assert [e["change"] for e in history] == ["imported", change]
        assert history[-1]["case_id"] == opened["case_id"]
        assert history[-1]["actor"] == "officer.rasht"
        assert history[-1]["reason"] == "repeated breaches"
        [changed] = await recorder.wait_for(CHANGED, change=change)
        assert changed.payload["case_id"] == opened["case_id"]
        assert changed.correlation_id == opened["case_id"]
        assert changed.payload["license"]["status"] == status
        assert changed.payload["license"]["version"] == 2
        assert changed.payload["license"]["office_manager_mobile"] == "09119999999"
    # one change at most, however often the decision came
    assert [e.payload["change"] for e in recorder.of(CHANGED) if e.payload["change"] != "imported"
            ] == ([change] if change else [])
    assert (await licensing.get(f"/licenses/{number}")).json()["status"] == status

    review = (await licensing.get(f"/reviews/{opened['review_id']}", headers=admin)).json()
    assert review["status"] == "decided" and review["decision"] == decision
    assert review["decided_by"] == "officer.rasht" and review["suspended_until"] == until
    assert review["applied"] is True

    verified = (await licensing.get(f"/verify/{number}.json")).json()
    assert verified["state"] == {"active": "valid"}.get(status, status)
    assert verified["suspended_until"] == until
    if decision == "suspension":
        page = await licensing.get(f"/verify/{number}")
        assert 'id="suspended-until"' in page.text and f'data-date="{until}"' in page.text


async def test_a_revoked_license_leaves_the_registrys_active_list_and_verifies_as_revoked(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    number = await add_license(store, county="rasht")
    keep = await add_license(store, county="rasht")

    async def listed() -> set[str]:
        page = (await licensing.get("/registry/offices", params={"county": "rasht"})).json()
        return {o["license_number"] for o in page["items"]}

    assert await listed() == {number, keep}
    opened = await open_idle_review(peer, store, recorder, number)
    await peer.publish(decide(opened, "revocation"), correlation_id=opened["case_id"])
    await recorder.wait_for(DECIDED)
    assert await listed() == {keep}
    revoked = (await licensing.get("/registry/offices", params={"status": "revoked"})).json()
    assert [o["license_number"] for o in revoked["items"]] == [number]
    verified = (await licensing.get(f"/verify/{number}.json")).json()
    assert (verified["state"], verified["status"]) == ("revoked", "revoked")
    assert "REVOKED" in verified["message"]["en"]
    counties = (await licensing.get("/registry/counties")).json()
    rasht = next(c for c in counties if c["code"] == "rasht")
    assert rasht["active_offices"]["total"] == 1


async def test_a_decision_the_license_cannot_take_closes_the_review_unapplied(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    number = await add_license(store)
    opened = await open_idle_review(peer, store, recorder, number)
    async with store.uow() as uow:  # revoked meanwhile, by another case
        await service.revoke(uow, number, actor="officer.rasht", reason="sold by proxy")
        await uow.commit()
    await peer.publish(decide(opened, "suspension", days=10), correlation_id=opened["case_id"])
    [answer] = await recorder.wait_for(DECIDED)
    assert answer.payload["applied"] is False
    assert answer.payload["refusal"] == "license_revoked"
    assert answer.payload["suspended_until"] is None
    review = (await licensing.get(f"/reviews/{opened['review_id']}",
                                  headers=issuer.headers("admin", "admin"))).json()
    assert (review["status"], review["applied"], review["refusal"]) == (
        "decided", False, "license_revoked")
    assert recorder.of(CHANGED, change="suspended") == []


async def test_the_end_of_a_suspension_lifts_only_the_suspension_of_its_own_review(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer, amqp: aio_pika.abc.AbstractChannel, bus_ns: BusNamespace
) -> None:
    number = await add_license(store)
    opened = await open_idle_review(peer, store, recorder, number)
    await peer.publish(decide(opened, "suspension", days=7), correlation_id=opened["case_id"])
    await recorder.wait_for(DECIDED)

    def reinstate(case_id: str) -> ReinstateLicense:
        return ReinstateLicense(license_number=number, case_id=case_id, review_id="0",
                                reason="suspension ended")

    # another case's end: nothing
    other = await peer.publish(reinstate("review-999999"), correlation_id="review-999999")
    await handled(store, other)
    assert (await licensing.get(f"/licenses/{number}")).json()["status"] == "suspended"

    own = await peer.publish(reinstate(opened["case_id"]), correlation_id=opened["case_id"])
    [lifted] = await recorder.wait_for(CHANGED, change="reinstated")
    assert lifted.payload["case_id"] == opened["case_id"]
    assert lifted.payload["license"]["status"] == "active"
    await handled(store, own)
    # delivered again (a retried timer activity): already lifted, nothing to do
    again = await peer.publish(reinstate(opened["case_id"]), correlation_id=opened["case_id"])
    await handled(store, again)
    assert len(recorder.of(CHANGED, change="reinstated")) == 1
    history = (await licensing.get(f"/licenses/{number}/history",
                                   headers=issuer.headers("admin", "admin"))).json()
    assert [e["change"] for e in history] == ["imported", "suspended", "reinstated"]
    assert (await licensing.get(f"/verify/{number}.json")).json()["suspended_until"] is None
    dlq = await amqp.get_queue(f"{bus_ns.queue_prefix}licensing.license-lifecycle.dlq",
                               ensure=True)
    assert await dlq.get(no_ack=True, fail=False) is None


async def test_a_later_suspension_is_not_lifted_by_the_end_of_an_earlier_one(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    number = await add_license(store)
    office = await office_of(store, number)
    first = await open_idle_review(peer, store, recorder, number)
    await peer.publish(decide(first, "suspension", days=7), correlation_id=first["case_id"])
    await recorder.wait_for(DECIDED)
    # while suspended, a complaint's sanction opens a second review, which suspends anew
    await peer.publish(resolved("k1", office.id, number, sanction="suspension"),
                       correlation_id="c")
    [_, second] = await recorder.wait_for(OPENED, count=2)
    await peer.publish(decide(second.payload, "suspension", days=30),
                       correlation_id=second.payload["case_id"])
    await recorder.wait_for(DECIDED, count=2)
    ended = await peer.publish(ReinstateLicense(license_number=number, case_id=first["case_id"],
                                                review_id=first["review_id"], reason="ended"),
                               correlation_id=first["case_id"])
    await handled(store, ended)
    assert (await licensing.get(f"/licenses/{number}")).json()["status"] == "suspended"
    verified = (await licensing.get(f"/verify/{number}.json")).json()
    assert verified["suspended_until"] == (local_today() + dt.timedelta(days=30)).isoformat()


# -- the holder's answer and who sees reviews ---------------------------------------------

async def test_the_holder_answers_before_the_decision_and_a_later_answer_replaces_it(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="rasht", holder=holder)
    opened = await open_idle_review(peer, store, recorder, number)
    url = f"/reviews/{opened['review_id']}/answer"
    mine = issuer.applicant(holder.national_code)

    short = await licensing.post(url, json={"text": "کوتاه"}, headers=mine)
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "text"
    stranger = await licensing.post(url, json={"text": "دفتر در حال تعمیر بود."},
                                    headers=issuer.applicant(a_national_code()))
    assert stranger.status_code == 404
    officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")
    assert (await licensing.post(url, json={"text": "دفتر در حال تعمیر بود."},
                                 headers=officer)).status_code == 403

    first = await licensing.post(url, json={"text": "دفتر دو ماه در حال تعمیر بود."},
                                 headers=mine)
    assert first.status_code == 200, first.text
    second = await licensing.post(url, json={"text": "دفتر سه ماه برای تعمیر بسته بود."},
                                  headers=mine)
    assert second.status_code == 200
    answered = await recorder.wait_for("licensing.review.answered", count=2)
    assert answered[-1].payload["text"] == "دفتر سه ماه برای تعمیر بسته بود."
    assert answered[-1].correlation_id == opened["case_id"]
    review = (await licensing.get(f"/reviews/{opened['review_id']}", headers=mine)).json()
    assert review["answer"] == "دفتر سه ماه برای تعمیر بسته بود."
    assert review["answered_at"] is not None

    await peer.publish(decide(opened, "warning"), correlation_id=opened["case_id"])
    await recorder.wait_for(DECIDED)
    late = await licensing.post(url, json={"text": "یک توضیح دیگر پس از تصمیم."}, headers=mine)
    assert late.status_code == 409
    assert late.json()["detail"][0]["code"] == "review_closed"
    assert "پاسخی پذیرفته نمی‌شود" in late.json()["detail"][0]["message"]["fa"]


async def test_reviews_are_for_the_countys_licensing_staff_and_the_holder(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "رضا کریمی", "09111111111")
    number = await add_license(store, county="rasht", holder=holder)
    fuman = await add_license(store, county="fuman")
    await make_idle(store, fuman, 100)
    opened = await open_idle_review(peer, store, recorder, number)
    await recorder.wait_for(OPENED, count=2)

    def people(role: str, county: str) -> dict[str, str]:
        return issuer.headers(f"{role}.{county}", role, county=county)

    for role in ("licensing_officer", "supervisor"):
        page = (await licensing.get("/reviews", headers=people(role, "rasht"))).json()
        assert [r["license_number"] for r in page["items"]] == [number]
        assert (await licensing.get(f"/reviews/{opened['review_id']}",
                                    headers=people(role, "fuman"))).status_code == 404
    everything = (await licensing.get("/reviews", headers=issuer.headers("admin", "admin"))).json()
    assert everything["total"] == 2
    only_fuman = (await licensing.get("/reviews", params={"county": "fuman"},
                                      headers=issuer.headers("admin", "admin"))).json()
    assert [r["county"] for r in only_fuman["items"]] == ["fuman"]
    assert (await licensing.get("/reviews", params={"county": "fuman"},
                                headers=people("licensing_officer", "rasht"))).status_code == 403
    inspector = people("inspector", "rasht")
    assert (await licensing.get("/reviews", headers=inspector)).status_code == 403
    assert (await licensing.get("/reviews",
                                headers=issuer.applicant(holder.national_code))).status_code == 403
    decided = (await licensing.get("/reviews", params={"status": "decided"},
                                   headers=issuer.headers("admin", "admin"))).json()
    assert decided["total"] == 0

    mine = issuer.applicant(holder.national_code)
    assert (await licensing.get(f"/reviews/{opened['review_id']}", headers=mine)).status_code == 200
    own = (await licensing.get(f"/licenses/{number}/reviews", headers=mine)).json()
    assert [r["case_id"] for r in own] == [opened["case_id"]]
    assert own[0]["reasons"] == ["idle"]
    other = issuer.applicant(a_national_code())
    assert (await licensing.get(f"/licenses/{number}/reviews", headers=other)).status_code == 404
    one = f"/reviews/{opened['review_id']}"
    assert (await licensing.get(one, headers=other)).status_code == 404
    assert (await licensing.get("/reviews/999999", headers=issuer.headers("admin", "admin"))
            ).status_code == 404


async def test_metrics_count_reviews_by_reason_and_status_and_applied_sanctions(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    suspended = await add_license(store)
    still_open = await add_license(store)
    opened = await open_idle_review(peer, store, recorder, suspended)
    office = await office_of(store, still_open)
    await peer.publish(resolved("m1", office.id, still_open, sanction="warning"),
                       correlation_id="c")
    await recorder.wait_for(OPENED, count=2)
    await peer.publish(decide(opened, "suspension", days=5), correlation_id=opened["case_id"])
    await recorder.wait_for(DECIDED)
    metrics = (await licensing.get("/metrics")).text
    assert 'pishkhan_reviews{reason="idle",status="decided"} 1.0' in metrics
    assert 'pishkhan_reviews{reason="complaint_sanction",status="open"} 1.0' in metrics
    assert 'pishkhan_sanctions{kind="suspension"} 1.0' in metrics
    assert 'pishkhan_sanctions{kind="revocation"} 0.0' in metrics
    assert 'pishkhan_licenses{area="urban",county="rasht",status="suspended"} 1.0' in metrics
