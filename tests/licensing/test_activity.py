"""Offices report their monthly activity: only the holder (or an admin) reports, a month
reported again is replaced, a future month is refused in both languages, every report is
announced, and a month with services keeps the office's last activity current."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlmodel import col, update

from services.kit.http import Runtime
from services.licensing.models import Office
from services.licensing.persian import jalali_month, local_today
from tests.auth_fixtures import TokenIssuer
from tests.licensing.conftest import Holder, Recorder, a_national_code, add_license, office_of

REPORTED = "licensing.office.activity_reported"


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


async def set_last_activity(store: Runtime, office_id: str, day: dt.date) -> None:
    statement = update(Office).where(col(Office.id) == office_id).values(last_activity_on=day)
    async with store.uow() as uow:
        await uow.session.exec(statement)  # type: ignore[call-overload]
        await uow.commit()


async def test_the_holder_reports_a_month_and_a_second_report_replaces_it(
    licensing: httpx.AsyncClient, store: Runtime, recorder: Recorder, issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="rasht", holder=holder)
    office = await office_of(store, number)
    long_ago = local_today() - dt.timedelta(days=200)
    await set_last_activity(store, office.id, long_ago)
    year, month = jalali_month(local_today())
    url = f"/offices/{office.id}/activity"

    reply = await licensing.post(url, json={"year": year, "month": month, "service_count": 120},
                                 headers=issuer.applicant(holder.national_code))
    assert reply.status_code == 200, reply.text
    assert reply.json()["service_count"] == 120
    [event] = await recorder.wait_for(REPORTED)
    assert event.payload["office_id"] == office.id and event.payload["license_number"] == number
    assert (event.payload["year"], event.payload["month"]) == (year, month)
    assert event.payload["county"] == "rasht" and event.payload["service_count"] == 120
    assert event.payload["reported_by"] == holder.national_code
    page = (await licensing.get(f"/registry/offices/{office.id}")).json()
    assert page["last_activity_on"] == local_today().isoformat()

    # the same month again: one row, the later figure
    again = await licensing.post(url, json={"year": year, "month": month, "service_count": 135},
                                 headers=issuer.applicant(holder.national_code))
    assert again.status_code == 200
    await recorder.wait_for(REPORTED, count=2)
    # an earlier month reported late, and a month without services, do not move it back
    earlier = previous_month(year, month)
    for count in (40, 0):
        late = await licensing.post(url, json={"year": earlier[0], "month": earlier[1],
                                               "service_count": count},
                                    headers=issuer.applicant(holder.national_code))
        assert late.status_code == 200
    rows = (await licensing.get(url, headers=issuer.applicant(holder.national_code))).json()
    assert [(r["year"], r["month"], r["service_count"]) for r in rows] == [
        (year, month, 135), (*earlier, 0)]
    assert (await office_of(store, number)).last_activity_on == local_today()

    metrics = (await licensing.get("/metrics")).text
    assert 'pishkhan_office_activity_reports_total{county="rasht"} 4.0' in metrics


async def test_a_month_with_services_dates_the_office_active_at_that_months_end(
    licensing: httpx.AsyncClient, store: Runtime, issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "رضا کریمی", "09111111111")
    number = await add_license(store, holder=holder)
    office = await office_of(store, number)
    await set_last_activity(store, office.id, local_today() - dt.timedelta(days=400))
    year, month = previous_month(*jalali_month(local_today()))
    reply = await licensing.post(f"/offices/{office.id}/activity",
                                 json={"year": year, "month": month, "service_count": 3},
                                 headers=issuer.applicant(holder.national_code))
    assert reply.status_code == 200
    last = (await office_of(store, number)).last_activity_on
    assert last is not None and jalali_month(last) == (year, month)
    assert jalali_month(last + dt.timedelta(days=1)) != (year, month)  # the month's last day


async def test_only_the_holder_or_an_admin_reports_and_never_for_a_future_month(
    licensing: httpx.AsyncClient, store: Runtime, recorder: Recorder, issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "حسن پوررضا", "09111234567")
    number = await add_license(store, county="rasht", holder=holder)
    office = await office_of(store, number)
    url = f"/offices/{office.id}/activity"
    year, month = jalali_month(local_today())
    body = {"year": year, "month": month, "service_count": 10}

    assert (await licensing.post(url, json=body)).status_code == 401
    stranger = await licensing.post(url, json=body, headers=issuer.applicant(a_national_code()))
    assert stranger.status_code == 403
    officer = await licensing.post(url, json=body, headers=issuer.headers(
        "officer.rasht", "licensing_officer", county="rasht"))
    assert officer.status_code == 403
    unknown = await licensing.post("/offices/nosuchoffice/activity", json=body,
                                   headers=issuer.applicant(holder.national_code))
    assert unknown.status_code == 404

    future = next_month(year, month)
    refused = await licensing.post(url, json={"year": future[0], "month": future[1],
                                              "service_count": 10},
                                   headers=issuer.applicant(holder.national_code))
    assert refused.status_code == 422
    [item] = refused.json()["detail"]
    assert item["field"] == "month" and item["code"] == "activity_month_in_future"
    assert "current month" in item["message"]["en"] and "ماه جاری" in item["message"]["fa"]
    negative = await licensing.post(url, json={**body, "service_count": -1},
                                    headers=issuer.applicant(holder.national_code))
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["field"] == "service_count"

    admin = await licensing.post(url, json=body, headers=issuer.headers("admin", "admin"))
    assert admin.status_code == 200 and admin.json()["reported_by"] == "admin"
    [event] = await recorder.wait_for(REPORTED)
    assert event.payload["reported_by"] == "admin"


async def test_the_reports_are_for_the_holder_and_the_countys_licensing_staff(
    licensing: httpx.AsyncClient, store: Runtime, issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "نرگس خوشرو", "09351234567")
    number = await add_license(store, county="rasht", holder=holder)
    office = await office_of(store, number)
    url = f"/offices/{office.id}/activity"

    async def status(headers: dict[str, str] | None) -> int:
        return (await licensing.get(url, headers=headers)).status_code

    assert await status(issuer.applicant(holder.national_code)) == 200
    assert await status(issuer.applicant(a_national_code())) == 404
    for role in ("licensing_officer", "supervisor"):
        assert await status(issuer.headers(f"{role}.rasht", role, county="rasht")) == 200
        assert await status(issuer.headers(f"{role}.fuman", role, county="fuman")) == 404
    assert await status(issuer.headers("clerk.rasht", "clerk", county="rasht")) == 404
    assert await status(issuer.headers("admin", "admin")) == 200
    assert await status(None) == 401


async def test_a_holder_lists_their_own_licenses_and_nobody_elses(
    licensing: httpx.AsyncClient, store: Runtime, issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    mine = {await add_license(store, holder=holder), await add_license(store, holder=holder)}
    other = await add_license(store)
    reply = await licensing.get("/licenses/mine", headers=issuer.applicant(holder.national_code))
    assert reply.status_code == 200, reply.text
    listed = reply.json()
    assert {lic["number"] for lic in listed} == mine and other not in mine
    assert all(lic["office_id"] and lic["office_name"] for lic in listed)
    stranger = await licensing.get("/licenses/mine", headers=issuer.applicant(a_national_code()))
    assert stranger.json() == []
    clerk = await licensing.get("/licenses/mine",
                                headers=issuer.headers("clerk.rasht", "clerk", county="rasht"))
    assert clerk.status_code == 403
