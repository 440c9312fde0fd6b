"""What every page handler shares: rendering in the visitor's language, the signed-in
person, role checks, CSRF on every POST, and forms that keep what was typed and show the
services' errors next to their fields."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.portal.backend import Backend, BackendError
from services.portal.i18n import Locale
from services.portal.sessions import CSRF_COOKIE, CSRF_FIELD, WebSession, csrf_matches

log = logging.getLogger("pishkhan.portal")


class SignInRequired(Exception):
    """Raised where a page needs a signed-in person; answered with a redirect to sign in."""


@dataclass
class Form:
    """A form's values as typed and its errors by field (already in the page's language)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def error(self, name: str, text: str) -> None:
        self.errors.setdefault(name, []).append(text)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general

    def absorb(self, exc: BackendError, locale: Locale, *, known: tuple[str, ...] = (),
               rename: dict[str, str] | None = None) -> None:
        """Put a service's refusal on the form: each problem on its field when the form has
        that field, otherwise above the form."""
        rename = rename or {}
        if exc.problems:
            for problem in exc.problems:
                name = rename.get(problem.field or "", problem.field or "")
                text = problem.text(locale.code)
                if name in known:
                    self.error(name, text)
                else:
                    self.general.append(text)
            return
        self.general.append(exc.message(locale.code) or refusal_text(exc, locale))


def refusal_text(exc: BackendError, locale: Locale) -> str:
    _ = locale.gettext
    if exc.status == 409:
        return _("This cannot be done now: the case has moved on. Reload the page and try again.")
    if exc.status == 403:
        return _("You are not allowed to do this.")
    if exc.status == 404:
        return _("Not found.")
    if exc.status == 429:
        return _("Too many attempts. Please wait a little and try again.")
    if exc.status == 503:
        return _("The service is not available right now. Please try again later.")
    return _("The request was not accepted.")


def locale(request: Request) -> Locale:
    found: Locale = request.state.locale
    return found


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


def session_of(request: Request) -> WebSession | None:
    return getattr(request.state, "session", None)


def signed_in(request: Request) -> WebSession:
    session = session_of(request)
    if session is None:
        raise SignInRequired()
    return session


def require(*roles: str) -> Any:
    """A dependency: the signed-in person, who must hold one of ``roles``."""

    def check(request: Request, session: WebSession = Depends(signed_in)) -> WebSession:
        if not session.has(*roles):
            log.warning("portal refused %s %s to %s", request.method, request.url.path,
                        session.principal.sub)
            raise HTTPException(403)
        return session

    return check


async def csrf_protect(request: Request) -> None:
    """Every POST carries the token of the visitor's CSRF cookie in a hidden field."""
    if request.method != "POST":
        return
    form = await request.form()
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)):  # type: ignore[arg-type]
        log.warning("CSRF token missing or wrong on %s", request.url.path)
        raise HTTPException(403, "csrf")


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    env = request.app.state.templates[locale(request).code]
    html = env.get_template(template).render(request=request, session=session_of(request),
                                             csrf_token=request.state.csrf_token, **context)
    return HTMLResponse(html, status_code=status_code,
                        headers={"cache-control": "no-store"} if session_of(request) else None)


def redirect(url: str) -> RedirectResponse:
    # 303: the browser follows a POST's answer with a GET (no resubmission on reload)
    return RedirectResponse(url, status_code=303)


async def form_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if k != CSRF_FIELD and isinstance(v, str)}
