"""The whole platform behind the portal, driven with a real browser: the services, the
worker and the bridge (tests/e2e's ``start_stack``), the identity service with its demo
users, and the portal; Debian's Chromium through Playwright.

Screenshots of every page go to var/artifacts/screenshots/<lang>/ (git-ignored)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.identity.app import create_app as identity_app
from services.identity.seed import seed
from services.portal.app import create_app as portal_app
from services.portal.sessions import LANGUAGE_COOKIE
from services.portal.settings import PortalSettings
from tests.conftest import BusNamespace, eventually, serving
from tests.e2e.conftest import Stack, start_stack
from tests.identity.conftest import identity_settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ISSUER = "http://identity.test"
PASSWORD = "demo-password-for-browser-tests"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1200, "height": 900}


@dataclass
class Platform:
    stack: Stack
    identity: httpx.AsyncClient
    portal_url: str
    browser: Browser

    async def token(self, username: str) -> dict[str, str]:
        reply = await self.identity.post("/token", data={"username": username,
                                                         "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        return {"authorization": f"Bearer {reply.json()['access_token']}"}

    async def context(self, *, phone: bool = False) -> BrowserContext:
        context = await self.browser.new_context(viewport=PHONE if phone else DESKTOP,
                                                 base_url=self.portal_url)
        context.set_default_timeout(15_000)
        return context

    async def sign_in(self, context: BrowserContext, username: str) -> Page:
        page = await context.new_page()
        await page.goto("/signin")
        await page.fill("#f-username", username)
        await page.fill("#f-password", PASSWORD)
        await page.click("form[action='/signin'] button[type=submit]")
        await page.wait_for_load_state()
        assert "/signin" not in page.url, await page.inner_text("main")
        return page


# what every page must have, whoever it is for: a language and direction, a label for
# every field, a name for every button and a text for every image; and on a phone's
# 360 px no sideways scrolling
_BASICS = """() => {
  const named = (el) => (el.textContent || el.value || el.getAttribute('aria-label')
                         || el.getAttribute('title') || '').trim() !== '';
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !['hidden', 'submit', 'button'].includes(el.type))
    .filter((el) => !((el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
                      || el.closest('label') || el.getAttribute('aria-label')
                      || el.getAttribute('aria-labelledby')))
    .map((el) => el.outerHTML.slice(0, 160));
  const nameless = [...document.querySelectorAll('button, input[type=submit]')]
    .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 160));
  const imagesWithoutText = [...document.querySelectorAll('img')]
    .filter((el) => !el.hasAttribute('alt')).map((el) => el.outerHTML.slice(0, 160));
  const html = document.documentElement;
  return {unlabelled, nameless, imagesWithoutText, lang: html.lang, dir: html.dir,
          overflow: html.scrollWidth - window.innerWidth};
}"""


async def check_basics(page: Page, language: str, name: str) -> None:
    found = await page.evaluate(_BASICS)
    where = f"{name} ({language})"
    assert found["lang"] == language, where
    assert found["dir"] == ("rtl" if language == "fa" else "ltr"), where
    assert not found["unlabelled"], (where, found["unlabelled"])
    assert not found["nameless"], (where, found["nameless"])
    assert not found["imagesWithoutText"], (where, found["imagesWithoutText"])
    viewport = page.viewport_size
    if viewport and viewport["width"] <= 400:
        assert found["overflow"] <= 0, (where, f"{found['overflow']} px wider than the phone")


async def shot(page: Page, language: str, name: str) -> None:
    """The page as it is now; for a page reached by a plain GET in Persian, the same
    address in English too (in another tab of the same signed-in context), so that the
    artifacts hold every page in both languages. Pages showing a form's errors are
    kept in the language they were made in."""
    folder = SCREENSHOTS / language
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    await check_basics(page, language, name)
    if language != "fa" or "error" in name:
        return
    context = page.context
    english = await context.new_page()
    url = page.url
    host = urlsplit(url).hostname or "127.0.0.1"
    try:
        await context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "domain": host,
                                    "path": "/"}])
        await english.goto(url)
        folder = SCREENSHOTS / "en"
        folder.mkdir(parents=True, exist_ok=True)
        await english.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        await check_basics(english, "en", name)
    finally:
        await context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "fa", "domain": host,
                                    "path": "/"}])
        await english.close()


async def reload_until(page: Page, check: Callable[[], Awaitable[bool]],
                       timeout: float = 40.0) -> None:
    """Reload a page until what a workflow does in the background shows on it."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} did not change in {timeout}s:\n"
                                 f"{await page.inner_text('main')}")
        await asyncio.sleep(0.5)
        await page.reload()


@pytest.fixture
async def platform(bus_ns: BusNamespace, tmp_path: Path, temporal_address: str
                   ) -> AsyncIterator[Platform]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make browser (apt-get install chromium)")
    settings = identity_settings(f"sqlite+aiosqlite:///{tmp_path}/identity.db", bus_ns,
                                 tmp_path, issuer=ISSUER, demo_password=PASSWORD)
    async with AsyncExitStack() as exit_stack:
        identity = await exit_stack.enter_async_context(serving(identity_app(settings)))
        auth: dict[str, Any] = {"jwks_url": f"{identity.base_url}/.well-known/jwks.json",
                                "jwt_issuer": ISSUER, "jwt_audience": "pishkhan"}
        stack = await start_stack(exit_stack, bus_ns=bus_ns, tmp_path=tmp_path,
                                  temporal_address=temporal_address, auth=auth)
        result = await seed(settings)
        assert result.unpublished == 0
        portal = await exit_stack.enter_async_context(serving(portal_app(PortalSettings(
            identity_url=str(identity.base_url), applications_url=str(stack.applications.base_url),
            licensing_url=str(stack.licensing.base_url),
            complaints_url=str(stack.complaints.base_url),
            notifications_url=str(stack.notifications.base_url),
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", **auth))))
        playwright = await exit_stack.enter_async_context(async_playwright())
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        exit_stack.push_async_callback(browser.close)
        platform = Platform(stack, identity, str(portal.base_url), browser)

        # the services' rosters come from the identity service's events
        supervisor = await platform.token("supervisor.rasht")

        async def rosters() -> bool:
            a = await stack.applications.get("/tasks/candidates",
                                             params={"kind": "document_review"},
                                             headers=supervisor)
            b = await stack.licensing.get("/tasks/candidates",
                                          params={"kind": "site_inspection"}, headers=supervisor)
            c = await stack.licensing.get("/tasks/candidates",
                                          params={"kind": "licensing_decision"},
                                          headers=supervisor)
            return bool(a.json()) and len(b.json()) == 2 and bool(c.json())

        await eventually(rosters, timeout=30)
        yield platform
