"""The public registry: search by county, area, status, name and number, Persian-aware;
pages with totals; an office's page shows nothing private; counts per county."""

from __future__ import annotations

import httpx

from services.contracts.counties import GILAN_COUNTIES
from services.kit.http import Runtime
from services.licensing import service
from tests.licensing.conftest import Holder, a_national_code, add_license


async def search(client: httpx.AsyncClient, **params: object) -> dict:
    reply = await client.get("/registry/offices", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_search_filters_by_county_area_status_and_number(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    rasht_urban = [await add_license(store, county="rasht", area="urban") for _ in range(3)]
    rasht_rural = await add_license(store, county="rasht", area="rural")
    fuman = await add_license(store, county="fuman", area="rural")
    inactive = await add_license(store, county="rasht", office_status="inactive")
    suspended = await add_license(store, county="rasht")
    async with store.uow() as uow:
        await service.suspend(uow, suspended, actor="officer.rasht", reason="tariff")
        await uow.commit()

    everything = await search(licensing)
    assert everything["total"] == 5
    assert {o["license_number"] for o in everything["items"]} == {*rasht_urban, rasht_rural, fuman}
    rasht = await search(licensing, county="rasht")
    assert rasht["total"] == 4
    urban = await search(licensing, county="rasht", area="urban")
    assert sorted(o["license_number"] for o in urban["items"]) == sorted(rasht_urban)
    assert (await search(licensing, area="rural"))["total"] == 2
    under_review = await search(licensing, status="inactive")
    assert [o["license_number"] for o in under_review["items"]] == [inactive]
    assert under_review["items"][0]["status"] == "inactive"
    sanctioned = await search(licensing, status="suspended")
    assert [(o["license_number"], o["license_status"]) for o in sanctioned["items"]] == [
        (suspended, "suspended")]
    assert (await search(licensing, status="all"))["total"] == 7

    # a number as people type it: Persian digits, lower case
    typed = fuman.lower().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    by_number = await search(licensing, number=typed)
    assert [o["license_number"] for o in by_number["items"]] == [fuman]
    assert by_number["items"][0]["county_fa"] == "فومن"
    assert (await search(licensing, number="GL-06-99999"))["total"] == 0

    unknown = await licensing.get("/registry/offices", params={"county": "tehran"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["code"] == "county_unknown"


async def test_names_match_however_they_are_typed(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    karimi = Holder(a_national_code(), "رضا کریمی", "09111111111")
    sowmeh = await add_license(store, county="sowmeh_sara", serial=12, holder=karimi)
    await add_license(store, county="rasht", serial=120)
    await add_license(store, county="rasht", serial=7)

    async def numbers(name: str) -> list[str]:
        return [o["license_number"] for o in (await search(licensing, name=name))["items"]]

    # the county's name has a half-space (ZWNJ): a space, nothing or the half-space all match
    for spelling in ("صومعه‌سرا", "صومعه سرا", "صومعهسرا"):
        assert await numbers(spelling) == [sowmeh], spelling
    # Arabic yeh and kaf, as an Arabic keyboard types them, find the Persian name
    assert await numbers("كريمي") == [sowmeh]
    assert await numbers("  رضا   کریمی ") == [sowmeh]
    # Persian and Latin digits are one; a fragment matches anywhere in the name
    assert await numbers("شماره ۱۲ صومعه") == [sowmeh]
    assert await numbers("شماره 12 صومعه") == [sowmeh]
    assert len(await numbers("شماره ۱۲")) == 2  # ۱۲ and ۱۲۰
    assert len(await numbers("پیشخوان")) == 3
    assert await numbers("%") == []


async def test_pages_have_totals_and_follow_county_and_name(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    for serial in (2, 10, 1, 3, 11):
        await add_license(store, county="rasht", serial=serial)
    await add_license(store, county="amlash", serial=1)

    first = await search(licensing, limit=4)
    second = await search(licensing, limit=4, offset=4)
    assert first["total"] == second["total"] == 6
    assert (first["limit"], second["offset"]) == (4, 4)
    names = [o["name"] for o in first["items"] + second["items"]]
    assert len(second["items"]) == 2
    # county by its code, then the office's number in natural order (۲ before ۱۰)
    assert names == [
        "دفتر پیشخوان خدمات دولت شماره ۱ املش",
        *(f"دفتر پیشخوان خدمات دولت شماره {n} رشت" for n in ("۱", "۲", "۳", "۱۰", "۱۱")),
    ]
    beyond = await search(licensing, offset=50)
    assert beyond == {"items": [], "total": 6, "limit": 20, "offset": 50}
    too_many = await licensing.get("/registry/offices", params={"limit": 1000})
    assert too_many.status_code == 422


async def test_the_office_page_shows_no_national_code_nor_mobile(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="lahijan", area="urban", holder=holder)
    item = (await search(licensing, number=number))["items"][0]
    reply = await licensing.get(f"/registry/offices/{item['office_id']}")
    assert reply.status_code == 200
    page = reply.json()
    assert page["license_number"] == number and page["holder_name"] == "مریم احمدی"
    assert page["county_fa"] == "لاهیجان" and page["area"] == "urban"
    assert page["opening_hours"] and page["services"] == ["خدمات گذرنامه", "پرداخت قبوض"]
    assert page["verify_url"] == f"https://pishkhan.test/verify/{number}"
    assert page["certificate_url"] == f"https://pishkhan.test/licenses/{number}/certificate.pdf"
    text = reply.text
    for private in (holder.national_code, holder.mobile, "09119999999"):
        assert private not in text
    assert not {"national_code", "holder_national_code", "mobile", "holder_mobile",
                "manager_mobile"} & set(page)
    for private in (holder.national_code, holder.mobile):
        assert private not in (await licensing.get("/registry/offices")).text
    assert (await licensing.get("/registry/offices/no-such-office")).status_code == 404


async def test_counties_count_their_active_offices(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    await add_license(store, county="rasht", area="urban")
    await add_license(store, county="rasht", area="urban")
    await add_license(store, county="rasht", area="rural")
    await add_license(store, county="rasht", area="rural", office_status="inactive")
    await add_license(store, county="masal", area="rural", status="suspended")
    counties = (await licensing.get("/registry/counties")).json()
    assert [c["code"] for c in counties] == [c.code for c in GILAN_COUNTIES]
    by_code = {c["code"]: c for c in counties}
    assert by_code["rasht"]["name_fa"] == "رشت" and by_code["rasht"]["name_en"] == "Rasht"
    assert by_code["rasht"]["active_offices"] == {"urban": 2, "rural": 1, "total": 3}
    assert by_code["masal"]["active_offices"] == {"urban": 0, "rural": 0, "total": 0}


async def test_metrics_count_licenses_by_status_county_and_area(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    await add_license(store, county="rasht", area="urban")
    await add_license(store, county="rasht", area="urban")
    await add_license(store, county="talesh", area="rural", status="suspended")
    metrics = (await licensing.get("/metrics")).text
    assert 'pishkhan_licenses{area="urban",county="rasht",status="active"} 2.0' in metrics
    assert 'pishkhan_licenses{area="rural",county="talesh",status="suspended"} 1.0' in metrics
