"""A license's term under the time-skipping server: a year of reminders and expiry in
seconds, renewal on the very last day, expiry only after the grace."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.contracts.licensing import LicenseChanged, LicenseSnapshot
from services.contracts.notifications import Recipient
from tests.workflows.conftest import Harness
from workflows.license_term.workflow import LicenseTermInput, LicenseTermWorkflow, end_of
from workflows.policies import TermPolicy


async def start_term(h: Harness, *, days_left: int, grace_days: float = 30
                     ) -> tuple[Any, LicenseTermInput]:
    today = (await h.env.get_current_time()).date()
    number = f"GL-06-{uuid.uuid4().int % 10**6:06d}"
    term = LicenseTermInput(
        license_number=number, valid_until=today + timedelta(days=days_left),
        holder=Recipient(id="0499370899", mobile="09121234567"),
        policy=TermPolicy(reminder_days=[90, 30, 7], grace_days=grace_days))
    handle = await h.client.start_workflow(LicenseTermWorkflow.run, term,
                                           id=f"license-{number}", task_queue=h.task_queue)
    return handle, term


def renewed(term: LicenseTermInput, version: int, until: date) -> LicenseChanged:
    return LicenseChanged(
        change="renewed", actor="officer.rasht", occurred_at=datetime.now(UTC),
        application_id="a1", case_id="application-a1",
        license=LicenseSnapshot(
            number=term.license_number, status="active", holder_national_code="0499370899",
            holder_name="Maryam Ahmadi", holder_mobile="09121234567", office_id="o1",
            county="rasht", area="urban", address="Rasht", issued_at=datetime.now(UTC),
            valid_until=until, version=version))


def notices(h: Harness, number: str):
    return lambda m: (m["payload"]["case_id"] == f"license-{number}")


async def test_a_year_of_reminders_then_expiry_after_the_grace(harness: Harness) -> None:
    h = harness
    handle, term = await start_term(h, days_left=365, grace_days=30)
    await h.env.sleep(timedelta(days=365 - 89))
    first = await h.notices.wait_for(notices(h, term.license_number))
    assert first[0]["payload"]["template"] == "expiry_reminder"
    assert first[0]["payload"]["data"]["days_left"] == 90
    assert first[0]["payload"]["recipient"]["id"] == "0499370899"

    await h.env.sleep(timedelta(days=1))
    result = await handle.result()  # the server skips to the end of the grace
    assert result.outcome == "expired"
    expire = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.expire")
    assert expire[0]["payload"]["valid_until"] == term.valid_until.isoformat()
    sent = [m["payload"] for m in await h.notices.drain()
            if notices(h, term.license_number)(m)]
    assert [(n["template"], n["data"].get("days_left")) for n in sent] == [
        ("expiry_reminder", 90), ("expiry_reminder", 30), ("expiry_reminder", 7),
        ("license_expired", None)]
    now = await h.env.get_current_time()
    assert now >= end_of(term.valid_until) + timedelta(days=30)


async def test_renewed_on_the_last_day_does_not_expire(harness: Harness) -> None:
    h = harness
    handle, term = await start_term(h, days_left=10, grace_days=0)
    # the seven-day reminder, then the last day itself
    await h.env.sleep(end_of(term.valid_until) - timedelta(days=7) + timedelta(hours=1)
                      - await h.env.get_current_time())
    await h.notices.wait_for(lambda m: notices(h, term.license_number)(m)
                             and m["payload"]["data"].get("days_left") == 7)
    last_day = end_of(term.valid_until) - timedelta(hours=2)
    await h.env.sleep(last_day - await h.env.get_current_time())
    new_end = term.valid_until + timedelta(days=5 * 365)
    await handle.signal("license_changed", renewed(term, 2, new_end))

    # the term goes on as a new run, ending five years later: nothing expires now
    await h.env.sleep(timedelta(days=3))
    assert await h.lifecycle.drain() == []
    assert await handle.query(LicenseTermWorkflow.valid_until) == new_end


async def test_expired_after_grace_not_before(harness: Harness) -> None:
    h = harness
    handle, term = await start_term(h, days_left=3, grace_days=14)
    await h.env.sleep(end_of(term.valid_until) + timedelta(days=13)
                      - await h.env.get_current_time())
    assert [m for m in await h.lifecycle.drain()
            if m["type"] == "licensing.license.expire"] == []
    result = await handle.result()
    assert result.outcome == "expired"
    await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.expire")
