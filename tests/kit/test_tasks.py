"""Human tasks over HTTP, as clerks, inspectors and supervisors use them: inboxes and their
filters, claim races, only the assignee completes, supervisors reassign, the least-loaded
inspector gets the next inspection, deadlines notify and escalate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest

from services.applications.app import create_app as applications_app
from services.applications.settings import ApplicationsSettings
from services.contracts.tasks import (
    CHECKLIST_ITEMS,
    ApplicationsTaskDeadline,
    CancelApplicationsTask,
    OpenApplicationsTask,
    OpenLicensingTask,
)
from services.kit.bus import Bus
from services.licensing.app import create_app as licensing_app
from services.licensing.settings import LicensingSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, announce_staff, eventually, serving

CLERK = ("clerk.rasht", "clerk", "rasht")
CLERK2 = ("clerk2.rasht", "clerk", "rasht")
CLERK_FUMAN = ("clerk.fuman", "clerk", "fuman")
SUPERVISOR = ("supervisor.rasht", "supervisor", "rasht")
INSPECTOR = ("inspector.rasht", "inspector", "rasht")
INSPECTOR2 = ("inspector2.rasht", "inspector", "rasht")


def who(issuer: TokenIssuer, person: tuple[str, str, str]) -> dict[str, str]:
    return issuer.headers(person[0], person[1], county=person[2])


@pytest.fixture
async def applications(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer,
                       peer: Bus, tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApplicationsSettings(database_url=database_url, documents_dir=str(tmp_path),
                                    **bus_ns.settings(), **issuer.settings())
    async with serving(applications_app(settings)) as client:
        await announce_staff(peer, CLERK, CLERK2, CLERK_FUMAN, SUPERVISOR)
        await roster_arrived(client, issuer, "document_review", 2)
        yield client


@pytest.fixture
async def licensing(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer,
                    peer: Bus) -> AsyncIterator[httpx.AsyncClient]:
    settings = LicensingSettings(database_url=database_url, **bus_ns.settings(),
                                 **issuer.settings())
    async with serving(licensing_app(settings)) as client:
        await announce_staff(peer, INSPECTOR, INSPECTOR2, SUPERVISOR)
        await roster_arrived(client, issuer, "site_inspection", 2)
        yield client


async def roster_arrived(api: httpx.AsyncClient, issuer: TokenIssuer, kind: str,
                         count: int) -> None:
    async def arrived() -> bool:
        reply = await api.get("/tasks/candidates", params={"kind": kind},
                              headers=who(issuer, SUPERVISOR))
        return len(reply.json()) == count

    await eventually(arrived)


async def open_review(peer: Bus, case: str, *, county: str = "rasht",
                      due_in: timedelta | None = None, assignee: str | None = None) -> None:
    command = OpenApplicationsTask(
        task_key=f"{case}:document_review:1", kind="document_review", case_id=case,
        candidate_role="clerk", county=county, assignee=assignee,
        due_at=datetime.now(UTC) + due_in if due_in is not None else None)
    await peer.publish(command, correlation_id=case)


async def task_of(api: httpx.AsyncClient, issuer: TokenIssuer, case: str) -> dict:
    async def found() -> dict | None:
        page = (await api.get("/tasks", params={"case_id": case},
                              headers=issuer.headers("admin", "admin"))).json()
        return page["items"][0] if page["items"] else None

    return await eventually(found)


ACCEPT = {"outcome": {"result": "accept", "documents": [
    {"document_type": "national_id_card", "verdict": "accept"}]}}


async def test_a_review_waits_in_the_county_queue_and_is_opened_once(
    applications: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus
) -> None:
    await open_review(peer, "application-q1")
    await open_review(peer, "application-q1")  # asked twice, e.g. a retried activity
    task = await task_of(applications, issuer, "application-q1")
    assert task["status"] == "open" and task["assignee"] is None
    await asyncio.sleep(0.3)
    queue = (await applications.get("/tasks/queue", headers=who(issuer, CLERK))).json()
    assert [t["case_id"] for t in queue["items"]] == ["application-q1"]
    other_county = (await applications.get("/tasks/queue", headers=who(issuer, CLERK_FUMAN))).json()
    assert other_county["items"] == []


async def test_two_clerks_claiming_at_once_one_wins(applications: httpx.AsyncClient,
                                                     issuer: TokenIssuer, peer: Bus) -> None:
    await open_review(peer, "application-c1")
    task = await task_of(applications, issuer, "application-c1")
    replies = await asyncio.gather(*[
        applications.post(f"/tasks/{task['id']}/claim", headers=who(issuer, person))
        for person in (CLERK, CLERK2, CLERK, CLERK2)
    ])
    assert sorted(r.status_code for r in replies) == [200, 409, 409, 409]
    winner = next(r.json()["assignee"] for r in replies if r.status_code == 200)
    loser = CLERK if winner == CLERK2[0] else CLERK2

    # only the assignee completes; the other clerk sees 403
    refused = await applications.post(f"/tasks/{task['id']}/complete", json=ACCEPT,
                                      headers=who(issuer, loser))
    assert refused.status_code == 403
    mine = (await applications.get("/tasks/mine", headers=issuer.headers(
        winner, "clerk", county="rasht"))).json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    done = await applications.post(f"/tasks/{task['id']}/complete", json=ACCEPT,
                                   headers=issuer.headers(winner, "clerk", county="rasht"))
    assert done.status_code == 200, done.text
    detail = (await applications.get(f"/tasks/{task['id']}", headers=issuer.headers(
        winner, "clerk", county="rasht"))).json()
    assert detail["status"] == "completed" and detail["completed_by"] == winner
    assert [e["action"] for e in detail["history"]] == ["opened", "claimed", "completed"]


async def test_claim_release_and_a_clerk_of_another_county(applications: httpx.AsyncClient,
                                                           issuer: TokenIssuer, peer: Bus) -> None:
    await open_review(peer, "application-r1")
    task = await task_of(applications, issuer, "application-r1")
    # another county's clerk: the task does not exist for them
    assert (await applications.post(f"/tasks/{task['id']}/claim",
                                    headers=who(issuer, CLERK_FUMAN))).status_code == 404
    assert (await applications.get(f"/tasks/{task['id']}",
                                   headers=who(issuer, CLERK_FUMAN))).status_code == 404
    # completing before claiming
    assert (await applications.post(f"/tasks/{task['id']}/complete", json=ACCEPT,
                                    headers=who(issuer, CLERK))).status_code == 409
    assert (await applications.post(f"/tasks/{task['id']}/claim",
                                    headers=who(issuer, CLERK))).status_code == 200
    assert (await applications.post(f"/tasks/{task['id']}/release",
                                    headers=who(issuer, CLERK2))).status_code == 403
    released = await applications.post(f"/tasks/{task['id']}/release", headers=who(issuer, CLERK))
    assert released.json()["status"] == "open" and released.json()["assignee"] is None


async def test_staff_without_a_county_work_every_countys_queue(
    applications: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus
) -> None:
    await open_review(peer, "application-p1")
    await open_review(peer, "application-p2", county="fuman")
    province = issuer.headers("clerk.province", "clerk")  # no county claim: province-wide

    async def both() -> list[str] | None:
        page = (await applications.get("/tasks/queue", headers=province)).json()
        found = sorted(t["case_id"] for t in page["items"])
        return found if len(found) == 2 else None

    assert await eventually(both) == ["application-p1", "application-p2"]
    # county staff keep their own county's queue
    queue = (await applications.get("/tasks/queue", headers=who(issuer, CLERK_FUMAN))).json()
    assert [t["case_id"] for t in queue["items"]] == ["application-p2"]
    task = await task_of(applications, issuer, "application-p1")
    assert (await applications.get(f"/tasks/{task['id']}", headers=province)).status_code == 200
    assert (await applications.get(f"/tasks/{task['id']}",
                                   headers=who(issuer, CLERK_FUMAN))).status_code == 404
    claimed = await applications.post(f"/tasks/{task['id']}/claim", headers=province)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "clerk.province"
    # a role it does not hold still gives nothing, county or not
    inspector = issuer.headers("inspector.province", "inspector")
    assert (await applications.get("/tasks/queue", headers=inspector)).json()["items"] == []
    assert (await applications.post(f"/tasks/{task['id']}/release",
                                    headers=inspector)).status_code == 404


async def test_only_a_supervisor_of_the_county_reassigns(applications: httpx.AsyncClient,
                                                         issuer: TokenIssuer, peer: Bus) -> None:
    await open_review(peer, "application-s1", assignee=CLERK[0])
    task = await task_of(applications, issuer, "application-s1")
    assert task["status"] == "claimed" and task["assignee"] == CLERK[0]
    body = {"assignee": CLERK2[0], "note": "clerk.rasht is on leave"}
    assert (await applications.post(f"/tasks/{task['id']}/reassign", json=body,
                                    headers=who(issuer, CLERK))).status_code == 403
    outsider = issuer.headers("supervisor.fuman", "supervisor", county="fuman")
    assert (await applications.post(f"/tasks/{task['id']}/reassign", json=body,
                                    headers=outsider)).status_code == 404
    wrong = await applications.post(f"/tasks/{task['id']}/reassign",
                                    json={"assignee": CLERK_FUMAN[0]},
                                    headers=who(issuer, SUPERVISOR))
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "assignee"
    done = await applications.post(f"/tasks/{task['id']}/reassign", json=body,
                                   headers=who(issuer, SUPERVISOR))
    assert done.status_code == 200 and done.json()["assignee"] == CLERK2[0]
    history = (await applications.get(f"/tasks/{task['id']}",
                                      headers=who(issuer, SUPERVISOR))).json()["history"]
    assert history[-1]["action"] == "reassigned" and history[-1]["actor"] == SUPERVISOR[0]
    assert history[-1]["detail"]["from"] == CLERK[0]


async def test_inbox_filters_order_and_pages(applications: httpx.AsyncClient,
                                             issuer: TokenIssuer, peer: Bus) -> None:
    await open_review(peer, "application-f3", due_in=timedelta(days=3))
    await open_review(peer, "application-f1", due_in=timedelta(hours=-2))  # already late
    await open_review(peer, "application-f2", due_in=timedelta(days=1))
    await open_review(peer, "application-f4")  # no due time: last

    async def queue(**params: Any) -> dict:
        reply = await applications.get("/tasks/queue", params=params, headers=who(issuer, CLERK))
        assert reply.status_code == 200, reply.text
        return reply.json()

    await eventually(lambda: _total(queue(), 4))
    assert [t["case_id"] for t in (await queue())["items"]] == [
        "application-f1", "application-f2", "application-f3", "application-f4"]
    late = await queue(overdue="true")
    assert [t["case_id"] for t in late["items"]] == ["application-f1"]
    assert late["items"][0]["overdue"] is True
    soon = await queue(due_before=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert [t["case_id"] for t in soon["items"]] == ["application-f1", "application-f2"]
    page = await queue(limit=2, offset=2)
    assert page["total"] == 4 and [t["case_id"] for t in page["items"]] == [
        "application-f3", "application-f4"]
    assert (await queue(kind="site_inspection"))["items"] == []


async def _total(pending: Any, count: int) -> bool:
    return (await pending)["total"] == count


async def test_the_inspection_goes_to_the_least_loaded_inspector(
    licensing: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus
) -> None:
    async def open_inspection(case: str) -> dict:
        await peer.publish(OpenLicensingTask(
            task_key=f"{case}:site_inspection:1", kind="site_inspection", case_id=case,
            candidate_role="inspector", county="rasht"), correlation_id=case)
        return await task_of(licensing, issuer, case)

    first = await open_inspection("application-i1")
    second = await open_inspection("application-i2")
    third = await open_inspection("application-i3")
    assert {first["assignee"], second["assignee"]} == {INSPECTOR[0], INSPECTOR2[0]}
    # each now has one; the tie goes to the first by name
    assert third["assignee"] == INSPECTOR[0]

    inspector = issuer.headers(first["assignee"], "inspector", county="rasht")
    incomplete = await licensing.post(f"/tasks/{first['id']}/complete", headers=inspector,
                                      json={"outcome": {"result": "pass", "checklist": {}}})
    assert incomplete.status_code == 422
    assert incomplete.json()["detail"][0]["code"] == "checklist_incomplete"
    checklist = {item: {"passed": True} for item in CHECKLIST_ITEMS}
    checklist["operator_is_holder"] = {"passed": False, "note": "run by a proxy"}
    failed = await licensing.post(f"/tasks/{first['id']}/complete", headers=inspector, json={
        "outcome": {"result": "fail", "checklist": checklist, "reason": "proxy operator"}})
    assert failed.status_code == 200, failed.text
    findings = (await licensing.get("/findings", headers=who(issuer, SUPERVISOR))).json()
    assert [(f["kind"], f["case_id"], f["note"]) for f in findings] == [
        ("operator_not_holder", "application-i1" if first["case_id"] == "application-i1"
         else first["case_id"], "run by a proxy")]


async def test_deadlines_remind_the_assignee_then_escalate_to_the_supervisor(
    applications: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus, bus_ns: BusNamespace,
    amqp: aio_pika.abc.AbstractChannel,
) -> None:
    case = "application-d1"
    await open_review(peer, case, assignee=CLERK[0], due_in=timedelta(hours=1))
    task = await task_of(applications, issuer, case)
    for stage, level, action in (("reminder", 0, "reminded"), ("escalation", 1, "escalated")):
        await peer.publish(ApplicationsTaskDeadline(
            task_key=task["task_key"], case_id=case, kind="document_review", stage=stage,
            level=level, return_to_queue=stage == "escalation"), correlation_id=case)

        async def handled(action: str = action) -> bool:
            t = (await applications.get(f"/tasks/{task['id']}",
                                        headers=who(issuer, SUPERVISOR))).json()
            return action in [e["action"] for e in t["history"]]

        await eventually(handled)  # hours apart in life; one after the other here

    async def escalated() -> dict | None:
        t = (await applications.get(f"/tasks/{task['id']}", headers=who(issuer, SUPERVISOR))).json()
        return t if t["escalation_level"] == 1 else None

    late = await eventually(escalated)
    assert late["status"] == "open" and late["assignee"] is None  # back in the queue
    assert [e["action"] for e in late["history"]][-3:] == [
        "reminded", "escalated", "returned_to_queue"]

    notices = await amqp.get_queue(f"{bus_ns.queue_prefix}notifications.notification-request")
    seen: list[str] = []

    async def both() -> bool:
        while (m := await notices.get(no_ack=True, fail=False)) is not None:
            body = m.body.decode()
            seen.append(("task_reminder" if "task_reminder" in body else "task_escalated")
                        + ":" + ("clerk.rasht" if '"id":"clerk.rasht"' in body
                                 else "supervisor.rasht"))
        return len(seen) >= 2

    await eventually(both)
    assert sorted(seen) == ["task_escalated:supervisor.rasht", "task_reminder:clerk.rasht"]
    metrics = (await applications.get("/metrics")).text
    assert 'pishkhan_task_sla_breaches_total{kind="document_review"} 1.0' in metrics
    assert 'pishkhan_task_reminders_total{kind="document_review"} 1.0' in metrics
    assert 'pishkhan_tasks_open{county="rasht",kind="document_review",overdue="false"} 1.0' in metrics

    await peer.publish(CancelApplicationsTask(task_key=task["task_key"], case_id=case,
                                              kind="document_review", reason="withdrawn"),
                       correlation_id=case)

    async def cancelled() -> bool:
        t = (await applications.get(f"/tasks/{task['id']}", headers=who(issuer, SUPERVISOR))).json()
        return t["status"] == "cancelled"

    await eventually(cancelled)
