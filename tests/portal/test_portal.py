"""The portal's own promises, over fake services: CSRF, cookies, languages and their
catalogues, error pages without internals, and one applicant kept out of another's case."""

from __future__ import annotations

import httpx

from services.portal import catalogue
from services.portal.app import create_app
from tests.auth_fixtures import TokenIssuer
from tests.portal.conftest import (
    FakeServices,
    browser,
    csrf_of,
    portal_client,
    portal_settings,
    sign_in,
    started,
)

APPLICATION = {"national_code": "0499370899", "name": "مریم احمدی", "mobile": "09121234567",
               "county": "rasht", "area": "urban", "address": "رشت، خیابان امام، پلاک ۱۲"}


async def test_a_post_without_the_csrf_token_is_refused(portal: httpx.AsyncClient) -> None:
    await portal.get("/")
    refused = await portal.post("/language", data={"language": "en"})
    assert refused.status_code == 403
    wrong = await portal.post("/language", data={"language": "en", "csrf_token": "forged"})
    assert wrong.status_code == 403
    signin = await portal.post("/signin", data={"username": "0499370899",
                                                "password": "pishkhan-demo"})
    assert signin.status_code == 403 and "pishkhan_session" not in portal.cookies


async def test_the_language_switch_is_remembered(portal: httpx.AsyncClient) -> None:
    home = await portal.get("/")
    assert 'lang="fa" dir="rtl"' in home.text and "فهرست دفاتر" in home.text
    token = await csrf_of(portal, "/")
    switched = await portal.post("/language", data={"language": "en", "next": "/registry",
                                                     "csrf_token": token})
    assert switched.status_code == 303 and switched.headers["location"] == "/registry"
    assert "max-age=31536000" in switched.headers["set-cookie"].lower()
    again = await portal.get("/registry")
    assert 'lang="en" dir="ltr"' in again.text and "Registry of offices" in again.text


async def test_session_and_csrf_cookies_are_httponly_and_lax(portal: httpx.AsyncClient) -> None:
    first = await portal.get("/signin")
    csrf_cookie = first.headers["set-cookie"].lower()
    assert "pishkhan_csrf=" in csrf_cookie and "httponly" in csrf_cookie
    assert "samesite=lax" in csrf_cookie and "secure" not in csrf_cookie
    signed = await sign_in(portal, "0499370899")
    assert signed.status_code == 303 and signed.headers["location"] == "/me"
    cookies = [v.lower() for k, v in signed.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in cookies if c.startswith("pishkhan_session="))
    assert "httponly" in session and "samesite=lax" in session and "secure" not in session
    # signing in gives a new CSRF token
    assert any(c.startswith("pishkhan_csrf=") for c in cookies)


async def test_cookies_are_secure_when_served_over_tls(issuer: TokenIssuer,
                                                       services: FakeServices) -> None:
    async with portal_client(portal_settings(issuer, secure_cookies=True), services,
                             base_url="https://portal.test", raise_app_exceptions=True
                             ) as client:
        reply = await sign_in(client, "0499370899")
        cookies = [v.lower() for k, v in reply.headers.multi_items() if k == "set-cookie"]
        assert cookies and all("; secure" in c for c in cookies)


def test_every_message_has_a_translation_in_both_catalogues() -> None:
    used = catalogue.used_messages()
    assert len(used) > 100
    assert catalogue.missing("fa") == []
    assert catalogue.missing("en") == []


async def test_error_pages_show_no_internals(portal: httpx.AsyncClient) -> None:
    missing = await portal.get("/no/such/page")
    assert missing.status_code == 404
    assert "صفحه یافت نشد" in missing.text and "Traceback" not in missing.text
    broken = await portal.get("/registry", params={"q": "explode"})
    assert broken.status_code == 500
    assert "خطایی رخ داد" in broken.text
    for secret in ("Traceback", "RuntimeError", "a bug in the portal"):
        assert secret not in broken.text


async def test_a_signed_out_visitor_is_sent_to_sign_in(portal: httpx.AsyncClient) -> None:
    reply = await portal.get("/me")
    assert reply.status_code == 303 and reply.headers["location"] == "/signin?next=/me"


async def test_wrong_password_is_said_in_the_visitors_language(
        portal: httpx.AsyncClient) -> None:
    token = await csrf_of(portal)
    reply = await portal.post("/signin", data={"username": "0499370899", "password": "nope",
                                               "csrf_token": token})
    assert reply.status_code == 401 and "نام کاربری یا گذرواژه نادرست است." in reply.text
    assert 'value="0499370899"' in reply.text


async def test_a_service_error_is_shown_next_to_its_field_in_fa_and_en(
        portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "0499370899")
    token = await csrf_of(portal, "/apply/new")
    reply = await portal.post("/apply/new", data={**APPLICATION, "mobile": "12345",
                                                  "csrf_token": token})
    assert reply.status_code == 422
    assert 'id="mobile-error"' in reply.text and "شماره همراه باید" in reply.text
    assert 'aria-describedby="mobile-hint mobile-error"' in reply.text
    # what was typed stays
    assert 'value="12345"' in reply.text and "رشت، خیابان امام، پلاک ۱۲" in reply.text
    token = await csrf_of(portal, "/")
    await portal.post("/language", data={"language": "en", "csrf_token": token})
    token = await csrf_of(portal, "/apply/new")
    reply = await portal.post("/apply/new", data={**APPLICATION, "mobile": "12345",
                                                  "csrf_token": token})
    assert "A mobile number looks like 09xxxxxxxxx" in reply.text


async def test_an_applicant_cannot_open_another_applicants_case(
        issuer: TokenIssuer, services: FakeServices) -> None:
    app = create_app(portal_settings(issuer), transport=httpx.MockTransport(services))
    async with started(app), browser(app, raise_app_exceptions=True) as maryam, \
            browser(app, raise_app_exceptions=True) as reza:
        await sign_in(maryam, "0499370899")
        token = await csrf_of(maryam, "/apply/new")
        created = await maryam.post("/apply/new", data={**APPLICATION, "csrf_token": token})
        assert created.status_code == 303
        case_url = created.headers["location"]
        own = await maryam.get(case_url)
        assert own.status_code == 200 and "مریم احمدی" in own.text
        await sign_in(reza, "0013542419")
        other = await reza.get(case_url)
        assert other.status_code == 404 and "مریم احمدی" not in other.text
        staff_page = await reza.get("/work")
        assert staff_page.status_code == 403


class RecordingServices(FakeServices):
    """The fake services, noting the client address each call names."""

    def __init__(self, issuer: TokenIssuer) -> None:
        super().__init__(issuer)
        self.forwarded: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forwarded.append(request.headers.get("x-forwarded-for"))
        return super().__call__(request)


async def test_every_call_names_the_visitors_address(issuer: TokenIssuer) -> None:
    """The services limit complaints per address: they must see the visitor's, not the
    portal's own."""
    services = RecordingServices(issuer)
    async with portal_client(portal_settings(issuer), services) as client:
        reply = await client.get("/registry")
        assert reply.status_code == 200
    # httpx's ASGI transport presents the visitor as 127.0.0.1
    assert services.forwarded and set(services.forwarded) == {"127.0.0.1"}
