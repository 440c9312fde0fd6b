"""Pages for everyone, signed in or not: the registry of offices, an office, certificate
verification, filing and tracking a complaint; signing in and out; the language switch."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.contracts.complaints import COMPLAINT_CATEGORIES
from services.contracts.counties import COUNTIES_BY_CODE
from services.contracts.types import to_latin_digits
from services.kit.auth import InvalidToken
from services.portal.backend import BackendError
from services.portal.sessions import LANGUAGE_COOKIE, SESSION_COOKIE, new_csrf_token
from services.portal.web import (
    Form,
    backend,
    csrf_protect,
    form_data,
    locale,
    redirect,
    render,
    session_of,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])

PAGE_SIZE = 20
MAX_ATTACHMENTS = 3
# a license number (GL-06-000123) rather than a name: Latin letters, digits, dashes, with digits
_NUMBERISH = re.compile(r"^(?=.*\d{3})[A-Za-z0-9\-/]+$")


def home_for(roles: frozenset[str]) -> str:
    """Where a person lands after signing in."""
    if roles & {"ops", "admin"}:
        return "/ops"
    if "operator_195" in roles:
        return "/intake"
    if roles & {"clerk", "inspector", "licensing_officer", "complaints_officer", "supervisor"}:
        return "/work"
    return "/me"


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
async def home(request: Request) -> Response:
    try:
        counties = await backend(request).get("licensing", "/registry/counties")
    except BackendError:
        counties = []
    return render(request, "public/home.html", counties=counties)


@router.post("/language")
async def switch_language(request: Request) -> Response:
    data = await form_data(request)
    language = data.get("language") if data.get("language") in ("fa", "en") else "fa"
    response = redirect(_safe_next(data.get("next")) or "/")
    # a year: the choice is remembered on this device
    request.app.state.set_cookie(response, LANGUAGE_COOKIE, language, 365 * 86400)
    return response


# -- the registry ---------------------------------------------------------------------------

@router.get("/registry")
async def registry(request: Request, county: str = "", area: str = "", q: str = "",
                   page: int = 1) -> Response:
    page = max(1, min(page, 10_000))
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    if county in COUNTIES_BY_CODE:
        params["county"] = county
    if area in ("urban", "rural"):
        params["area"] = area
    query = str(to_latin_digits(q)).strip()[:100]
    if query:
        params["number" if _NUMBERISH.match(query) else "name"] = query
    result = await backend(request).get("licensing", "/registry/offices", params=params)
    pages = max(1, math.ceil(result["total"] / PAGE_SIZE))
    filters = {"county": params.get("county", ""), "area": params.get("area", ""), "q": q}
    link = "&".join(f"{k}={quote(str(v))}" for k, v in filters.items() if v)
    return render(request, "public/registry.html", result=result, filters=filters, page=page,
                  pages=pages, link=link)


@router.get("/offices/{office_id}")
async def office(request: Request, office_id: str) -> Response:
    found = await backend(request).get("licensing", f"/registry/offices/{quote(office_id)}")
    return render(request, "public/office.html", office=found)


# -- certificate verification (the QR code's target) ------------------------------------------

@router.get("/verify")
async def verify_form(request: Request, number: str = "") -> Response:
    number = str(to_latin_digits(number)).strip()
    if number:
        return redirect(f"/verify/{quote(number, safe='')}")
    return render(request, "public/verify.html", result=None, number="")


@router.get("/verify/{number}")
async def verify(request: Request, number: str) -> Response:
    reply = await backend(request).raw("licensing", "GET", f"/verify/{quote(number, safe='')}.json")
    if reply.status_code not in (200, 404):
        raise BackendError(503)
    result = reply.json()
    return render(request, "public/verify.html", result=result, number=number,
                  status_code=reply.status_code)


@router.get("/licenses/{number}/certificate.pdf")
async def certificate(request: Request, number: str) -> Response:
    reply = await backend(request).raw("licensing", "GET",
                                       f"/licenses/{quote(number, safe='')}/certificate.pdf")
    if reply.status_code != 200:
        raise BackendError(404 if reply.status_code == 404 else 503)
    return Response(reply.content, media_type="application/pdf",
                    headers={"content-disposition": reply.headers.get(
                        "content-disposition", "inline"), "cache-control": "no-cache"})


# -- complaints ------------------------------------------------------------------------------

COMPLAINT_FIELDS = ("mobile", "name", "license_number", "office_id", "category",
                    "amount_charged", "service_name", "description", "file")


def complaint_body(data: dict[str, Any], language: str) -> tuple[dict[str, Any], Form]:
    """The complaint as the service takes it, and the problems the portal can see first."""
    form = Form(values=data)
    loc_errors: list[tuple[str, str]] = []
    body: dict[str, Any] = {"language": language, "description": data.get("description", "")}
    for name in ("mobile", "name", "service_name"):
        if (data.get(name) or "").strip():
            body[name] = data[name].strip()
    body.setdefault("mobile", "")
    if (data.get("office_id") or "").strip():
        body["office_id"] = data["office_id"].strip()
    elif (data.get("license_number") or "").strip():
        body["license_number"] = str(to_latin_digits(data["license_number"])).strip()
    else:
        loc_errors.append(("license_number", "missing"))
    body["category"] = data.get("category", "")
    amount = str(to_latin_digits(data.get("amount_charged") or "")).replace(",", "").strip()
    if amount:
        if amount.isdigit():
            body["amount_charged"] = int(amount)
        else:
            loc_errors.append(("amount_charged", "int_parsing"))
    return body, form if not loc_errors else _with(form, loc_errors)


def _with(form: Form, problems: list[tuple[str, str]]) -> Form:
    form.values["_portal_errors"] = problems
    return form


def _portal_problems(form: Form, request: Request) -> None:
    _ = locale(request).gettext
    words = {"missing": _("This field is required."),
             "int_parsing": _("Write a whole number (rials), without letters.")}
    for name, code in form.values.pop("_portal_errors", []):
        form.error(name, words[code])


async def _attach(request: Request, code: str, mobile: str, files: list[Any], form: Form
                  ) -> None:
    for upload in files[:MAX_ATTACHMENTS]:
        content = await upload.read()
        if not content:
            continue
        try:
            await backend(request).post(
                "complaints", f"/complaints/track/{quote(code)}/attachments",
                data={"mobile": mobile},
                files={"file": (upload.filename or "attachment", content,
                                upload.content_type or "application/octet-stream")})
        except BackendError as exc:
            form.absorb(exc, locale(request), known=("file",))


def _files(form_multi: Any) -> list[Any]:
    return [v for v in form_multi.getlist("file") if hasattr(v, "read") and v.filename]


@router.get("/complaints/new")
async def complaint_form(request: Request, office_id: str = "", license_number: str = ""
                         ) -> Response:
    office = None
    if office_id:
        try:
            office = await backend(request).get("licensing",
                                                f"/registry/offices/{quote(office_id)}")
        except BackendError:
            office = None
    form = Form(values={"office_id": office["office_id"] if office else "",
                        "license_number": license_number})
    return render(request, "public/complaint_new.html", form=form, office=office,
                  categories=COMPLAINT_CATEGORIES)


@router.post("/complaints/new")
async def file_complaint(request: Request) -> Response:
    data = await form_data(request)
    body, form = complaint_body(data, locale(request).code)
    _portal_problems(form, request)
    office = None
    if body.get("office_id"):
        try:
            office = await backend(request).get(
                "licensing", f"/registry/offices/{quote(body['office_id'])}")
        except BackendError:
            office = None
    if form.ok:
        try:
            filed = await backend(request).post("complaints", "/complaints", json=body)
        except BackendError as exc:
            form.absorb(exc, locale(request), known=COMPLAINT_FIELDS)
        else:
            multi = await request.form()
            await _attach(request, filed["tracking_code"], body["mobile"], _files(multi), form)
            return redirect(f"/complaints/filed/{quote(filed['tracking_code'])}")
    return render(request, "public/complaint_new.html", form=form, office=office,
                  categories=COMPLAINT_CATEGORIES, status_code=422)


@router.get("/complaints/filed/{code}")
async def complaint_filed(request: Request, code: str) -> Response:
    return render(request, "public/complaint_filed.html", code=code)


@router.get("/complaints/track")
async def track_form(request: Request, code: str = "") -> Response:
    """The tracking form; a notice's link fills in the code, the mobile proves the rest."""
    code = str(to_latin_digits(code)).strip().upper()[:20]
    return render(request, "public/track.html", form=Form(values={"code": code}), tracking=None)


async def _tracking(request: Request, code: str, mobile: str) -> Any:
    return await backend(request).get("complaints", f"/complaints/track/{quote(code)}",
                                      params={"mobile": mobile})


@router.post("/complaints/track")
async def track(request: Request) -> Response:
    data = await form_data(request)
    code = str(to_latin_digits(data.get("code", ""))).strip().upper()
    mobile = str(to_latin_digits(data.get("mobile", ""))).strip()
    form = Form(values={"code": code, "mobile": mobile})
    _ = locale(request).gettext
    if not code:
        form.error("code", _("This field is required."))
    if not mobile:
        form.error("mobile", _("This field is required."))
    tracking = None
    if form.ok:
        try:
            tracking = await _tracking(request, code, mobile)
        except BackendError as exc:
            if exc.status == 404:
                form.general.append(_("No complaint matches this tracking code and mobile "
                                      "number."))
            else:
                form.absorb(exc, locale(request), known=("code", "mobile"))
    return render(request, "public/track.html", form=form, tracking=tracking,
                  status_code=200 if tracking else 422)


@router.get("/complaints/track/{code}/{action}")
async def track_again(code: str, action: str) -> Response:
    """After a rating or a reopening (the language switch, a reload): the form again, with
    the code; the mobile is asked again, as it is never put in an address."""
    return redirect(f"/complaints/track?code={quote(code, safe='')}")


@router.post("/complaints/track/{code}/{action}")
async def track_action(request: Request, code: str, action: str) -> Response:
    """Rate the handling, reopen, or add an attachment; the mobile proves it is theirs."""
    data = await form_data(request)
    mobile = str(to_latin_digits(data.get("mobile", ""))).strip()
    form = Form(values={"code": code, "mobile": mobile, **data})
    done = None
    _ = locale(request).gettext
    try:
        if action == "rating":
            rating = int(str(to_latin_digits(data.get("rating") or "0")))
            if not 1 <= rating <= 5:
                raise ValueError(rating)
            await backend(request).post(
                "complaints", f"/complaints/track/{quote(code)}/rating",
                json={"mobile": mobile, "rating": rating,
                      "comment": (data.get("comment") or "").strip() or None})
            done = _("Thank you: your rating was recorded.")
        elif action == "reopen":
            reason = (data.get("reason") or "").strip()
            if not reason:
                form.error("reason", _("This field is required."))
            else:
                await backend(request).post(
                    "complaints", f"/complaints/track/{quote(code)}/reopen",
                    json={"mobile": mobile, "reason": reason})
                done = _("Your complaint was reopened.")
        elif action == "attachments":
            await _attach(request, code, mobile, _files(await request.form()), form)
            done = None if form.general or form.errors else _("The file was added.")
        else:
            return render(request, "errors/404.html", status_code=404)
    except ValueError:
        form.error("rating", _("Choose from 1 to 5."))
    except BackendError as exc:
        form.absorb(exc, locale(request), known=("rating", "comment", "reason", "file"))
    try:
        tracking = await _tracking(request, code, mobile)
    except BackendError:
        tracking = None
    return render(request, "public/track.html", form=form, tracking=tracking, done=done,
                  status_code=200 if form.ok else 422)


# -- signing in and out -----------------------------------------------------------------------

@router.get("/signin")
async def signin_form(request: Request, next: str = "") -> Response:
    if session_of(request):
        return redirect(_safe_next(next) or home_for(session_of(request).roles))  # type: ignore[union-attr]
    return render(request, "public/signin.html", form=Form(values={"next": next}))


@router.post("/signin")
async def signin(request: Request) -> Response:
    data = await form_data(request)
    username = str(to_latin_digits(data.get("username", ""))).strip()
    form = Form(values={"username": username, "next": data.get("next", "")})
    _ = locale(request).gettext
    if not username:
        form.error("username", _("This field is required."))
    if not data.get("password"):
        form.error("password", _("This field is required."))
    if form.ok:
        try:
            reply = await backend(request).post(
                "identity", "/token",
                data={"username": username, "password": data["password"],
                      "grant_type": "password"})
            principal = await request.app.state.verifier.verify(reply["access_token"])
        except BackendError as exc:
            form.general.append(exc.message(locale(request).code) or _(
                "Wrong username or password."))
        except InvalidToken:
            form.general.append(_("Signing in is not possible right now. Please try again "
                                  "later."))
        else:
            session = await request.app.state.sessions.open(
                reply["access_token"], principal, int(reply.get("expires_in", 3600)))
            response = redirect(_safe_next(form.values["next"]) or home_for(principal.roles))
            request.app.state.set_cookie(response, SESSION_COOKIE, session.id, None)
            # a new CSRF token with the new session
            request.state.csrf_token = new_csrf_token()
            request.state.rotate_csrf = True
            request.state.new_session = True
            return response
    return render(request, "public/signin.html", form=form, status_code=401 if form.general
                  else 422)


@router.post("/signout")
async def signout(request: Request) -> Response:
    await request.app.state.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
