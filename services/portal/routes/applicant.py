"""Pages of an applicant (and of a license holder): their cases, applying for a new license,
renewal, transfer and change of address, documents, corrections, withdrawal, consent to a
transfer, in-app notifications, and complaints about their office with a written answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import jdatetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.contracts.applications import FINAL_STATUSES, WITHDRAWABLE_STATUSES
from services.contracts.types import to_latin_digits
from services.portal.backend import BackendError
from services.portal.i18n import IRAN
from services.portal.sessions import WebSession
from services.portal.web import (
    Form,
    backend,
    csrf_protect,
    form_data,
    locale,
    redirect,
    render,
    require,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])
Applicant = Annotated[WebSession, Depends(require("applicant"))]

NEW_LICENSE_FIELDS = ("national_code", "name", "mobile", "email", "county", "area", "address")


def _digits(value: str | None) -> str:
    return str(to_latin_digits(value or "")).strip()


@router.get("/me")
async def dashboard(request: Request, who: Applicant) -> Response:
    cases = await backend(request).get("applications", "/applications", token=who.token,
                                       params={"limit": 50})
    try:
        unread = (await backend(request).get("notifications", "/inbox/unread-count",
                                             token=who.token))["unread"]
    except BackendError:
        unread = None
    try:  # the licenses this person holds: their page has reviews, activity, complaints
        licenses = await backend(request).get("licensing", "/licenses/mine", token=who.token)
    except BackendError:
        licenses = None
    return render(request, "applicant/dashboard.html", cases=cases, unread=unread,
                  licenses=licenses, final=FINAL_STATUSES)


@router.get("/apply/new")
async def new_license_form(request: Request, who: Applicant) -> Response:
    form = Form(values={"national_code": who.principal.national_code or "",
                        "name": who.principal.name or ""})
    return render(request, "applicant/apply_new.html", form=form)


@router.post("/apply/new")
async def apply_new(request: Request, who: Applicant) -> Response:
    data = await form_data(request)
    form = Form(values=data)
    body: dict[str, Any] = {
        "national_code": _digits(data.get("national_code")), "name": data.get("name", "").strip(),
        "mobile": _digits(data.get("mobile")), "county": data.get("county", ""),
        "area": data.get("area", ""), "address": data.get("address", "").strip(),
        "language": locale(request).code,
    }
    if data.get("email", "").strip():
        body["email"] = data["email"].strip()
    try:
        created = await backend(request).post("applications", "/applications", json=body,
                                              token=who.token)
    except BackendError as exc:
        form.absorb(exc, locale(request), known=NEW_LICENSE_FIELDS)
        return render(request, "applicant/apply_new.html", form=form, status_code=422)
    return redirect(f"/cases/{created['id']}")


LICENSE_CASES = {
    "renewal": ("/applications/renewal", ("license_number",)),
    "transfer": ("/applications/transfer", ("license_number", "new_holder.national_code",
                                            "new_holder.name", "new_holder.mobile")),
    "address-change": ("/applications/address-change", ("license_number", "county", "address")),
}


@router.get("/apply/{kind}")
async def license_case_form(request: Request, kind: str, who: Applicant,
                            license_number: str = "") -> Response:
    if kind not in LICENSE_CASES:
        return render(request, "errors/404.html", status_code=404)
    return render(request, "applicant/apply_license_case.html", kind=kind,
                  form=Form(values={"license_number": license_number}))


@router.post("/apply/{kind}")
async def apply_license_case(request: Request, kind: str, who: Applicant) -> Response:
    if kind not in LICENSE_CASES:
        return render(request, "errors/404.html", status_code=404)
    path, known = LICENSE_CASES[kind]
    data = await form_data(request)
    form = Form(values=data)
    body: dict[str, Any] = {"license_number": _digits(data.get("license_number"))}
    if kind == "transfer":
        body["new_holder"] = {
            "national_code": _digits(data.get("new_holder.national_code")),
            "name": data.get("new_holder.name", "").strip(),
            "mobile": _digits(data.get("new_holder.mobile")),
            "language": data.get("new_holder.language") or locale(request).code,
        }
    elif kind == "address-change":
        body["county"] = data.get("county", "")
        body["address"] = data.get("address", "").strip()
    try:
        created = await backend(request).post("applications", path, json=body, token=who.token)
    except BackendError as exc:
        form.absorb(exc, locale(request), known=known)
        return render(request, "applicant/apply_license_case.html", kind=kind, form=form,
                      status_code=422)
    return redirect(f"/cases/{created['id']}")


# -- a case --------------------------------------------------------------------------------

async def _case(request: Request, who: WebSession, case_id: str) -> Any:
    # the applications service answers 404 for somebody else's case: so does the portal
    return await backend(request).get("applications", f"/applications/{quote(case_id)}",
                                      token=who.token)


def _is_new_holder(case: Any, who: WebSession) -> bool:
    return bool(case.get("new_holder_national_code")
                and case["new_holder_national_code"] == who.principal.national_code)


def _case_page(request: Request, who: WebSession, case: Any, form: Form | None = None,
               status_code: int = 200, notice: str | None = None) -> Response:
    current = {d["document_type"]: d for d in case["documents"] if d.get("current")}
    missing = [t for t in case["required_documents"] if t not in current]
    return render(request, "applicant/case.html", case=case, form=form or Form(),
                  current=current, missing=missing, notice=notice,
                  withdrawable=case["status"] in WITHDRAWABLE_STATUSES,
                  final=case["status"] in FINAL_STATUSES,
                  is_owner=case["national_code"] == who.principal.national_code,
                  is_new_holder=_is_new_holder(case, who), status_code=status_code)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, who: Applicant) -> Response:
    return _case_page(request, who, await _case(request, who, case_id))


@router.post("/cases/{case_id}/documents")
async def upload(request: Request, case_id: str, who: Applicant) -> Response:
    form_multi = await request.form()
    document_type = str(form_multi.get("document_type") or "")
    upload = form_multi.get("file")
    form = Form(values={"document_type": document_type})
    _ = locale(request).gettext
    content = await upload.read() if hasattr(upload, "read") else b""  # type: ignore[union-attr]
    if not content:
        form.error("file", _("Choose a file to upload."))
    else:
        try:
            await backend(request).post(
                "applications", f"/applications/{quote(case_id)}/documents", token=who.token,
                data={"document_type": document_type},
                files={"file": (upload.filename or "document", content,  # type: ignore[union-attr]
                                upload.content_type or "application/octet-stream")})  # type: ignore[union-attr]
        except BackendError as exc:
            if exc.status == 404:
                raise
            form.absorb(exc, locale(request), known=("file", "document_type"))
    if form.ok:
        return redirect(f"/cases/{quote(case_id)}#documents")
    return _case_page(request, who, await _case(request, who, case_id), form, 422)


@router.get("/cases/{case_id}/documents/{document_id}")
async def download(request: Request, case_id: str, document_id: str,
                   who: Annotated[WebSession, Depends(require(
                       "applicant", "clerk", "inspector", "licensing_officer", "supervisor",
                       "admin"))]) -> Response:
    """A document, as the applications service serves it to those who may see the case."""
    reply = await backend(request).raw(
        "applications", "GET", f"/applications/{quote(case_id)}/documents/{quote(document_id)}",
        token=who.token)
    if reply.status_code != 200:
        raise BackendError(reply.status_code if reply.status_code < 500 else 503)
    # shown in the browser (inline) so a clerk can read it without saving it
    disposition = reply.headers.get("content-disposition", "attachment").replace(
        "attachment", "inline", 1)
    return Response(reply.content, media_type=reply.headers.get("content-type"),
                    headers={"content-disposition": disposition,
                             "x-content-type-options": "nosniff",
                             "content-security-policy": "default-src 'none'; sandbox",
                             "cache-control": "private, no-store"})


async def _case_action(request: Request, who: WebSession, case_id: str, action: str,
                       json: Any = None) -> Response:
    form = Form()
    try:
        await backend(request).post("applications",
                                    f"/applications/{quote(case_id)}/{action}",
                                    token=who.token, json=json)
    except BackendError as exc:
        if exc.status == 404:
            raise
        form.absorb(exc, locale(request))
        return _case_page(request, who, await _case(request, who, case_id), form, 422)
    return redirect(f"/cases/{quote(case_id)}")


@router.post("/cases/{case_id}/corrections")
async def submit_correction(request: Request, case_id: str, who: Applicant) -> Response:
    return await _case_action(request, who, case_id, "corrections")


@router.post("/cases/{case_id}/withdraw")
async def withdraw(request: Request, case_id: str, who: Applicant) -> Response:
    data = await form_data(request)
    reason = (data.get("reason") or "").strip()
    return await _case_action(request, who, case_id, "withdraw",
                              json={"reason": reason} if reason else None)


@router.post("/cases/{case_id}/consent")
async def consent(request: Request, case_id: str, who: Applicant) -> Response:
    return await _case_action(request, who, case_id, "consent")


# -- notifications ----------------------------------------------------------------------------

@router.get("/notifications")
async def notifications(request: Request,
                        who: Annotated[WebSession, Depends(require(
                            "applicant", "clerk", "inspector", "licensing_officer",
                            "complaints_officer", "supervisor", "operator_195", "ops",
                            "admin"))]) -> Response:
    items = await backend(request).get("notifications", "/inbox", token=who.token,
                                       params={"limit": 50})
    for item in items:
        item["href"] = portal_link(item.get("link"))
    return render(request, "applicant/notifications.html", items=items)


def portal_link(link: str | None) -> str | None:
    """A notice's link as a path on this portal (the notice names the public site's
    address; the page is the same here)."""
    if not link:
        return None
    parts = urlsplit(link)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


@router.get("/applications/{application_id}")
async def application_link(request: Request, application_id: str, who: Applicant) -> Response:
    """Where a notice about an application points: its case page."""
    return redirect(f"/cases/{quote(application_id)}")


@router.post("/notifications/read-all")
async def read_all(request: Request,
                   who: Annotated[WebSession, Depends(require(
                       "applicant", "clerk", "inspector", "licensing_officer",
                       "complaints_officer", "supervisor", "operator_195", "ops",
                       "admin"))]) -> Response:
    await backend(request).post("notifications", "/inbox/read-all", token=who.token)
    return redirect("/notifications")


# -- complaints about the holder's office -----------------------------------------------------

@router.get("/office/complaints")
async def office_complaints(request: Request, who: Applicant) -> Response:
    try:
        items = await backend(request).get("complaints", "/office/complaints", token=who.token)
    except BackendError as exc:
        if exc.status not in (404, 503):
            raise
        items = []
    return render(request, "applicant/office_complaints.html", items=items, form=Form(),
                  answering=None)


async def _office_complaint(request: Request, who: WebSession, complaint_id: str
                            ) -> dict[str, Any]:
    """One complaint about the holder's offices; 404 when it is about somebody else's
    (the complaints service lists only the caller's)."""
    offset = 0
    while offset < 2000:
        items = await backend(request).get("complaints", "/office/complaints", token=who.token,
                                           params={"limit": 200, "offset": offset})
        for item in items:
            if item["id"] == complaint_id:
                found: dict[str, Any] = item
                return found
        if len(items) < 200:
            break
        offset += 200
    raise BackendError(404, "complaint not found")


@router.get("/office/complaints/{complaint_id}")
async def office_complaint(request: Request, complaint_id: str, who: Applicant) -> Response:
    complaint = await _office_complaint(request, who, complaint_id)
    return render(request, "applicant/office_complaint.html", c=complaint, form=Form(),
                  done=request.query_params.get("answered") == "1")


@router.post("/office/complaints/{complaint_id}/response")
async def answer_complaint(request: Request, complaint_id: str, who: Applicant) -> Response:
    data = await form_data(request)
    text = (data.get("text") or "").strip()
    form = Form(values={"text": text})
    _ = locale(request).gettext
    if not text:
        form.error("text", _("This field is required."))
    if form.ok:
        try:
            await backend(request).post("complaints",
                                        f"/complaints/{quote(complaint_id)}/response",
                                        json={"text": text}, token=who.token)
        except BackendError as exc:
            if exc.status == 404:
                raise
            form.absorb(exc, locale(request), known=("text",))
        else:
            return redirect(f"/office/complaints/{quote(complaint_id)}?answered=1")
    complaint = await _office_complaint(request, who, complaint_id)
    return render(request, "applicant/office_complaint.html", c=complaint, form=form,
                  done=False, status_code=422)


# -- a license, for its holder (and the county's licensing staff) -----------------------------

LicenseReader = Annotated[WebSession, Depends(require(
    "applicant", "licensing_officer", "supervisor", "inspector", "admin"))]
ACTIVITY_FIELDS = ("year", "month", "service_count")


def jalali_today() -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=dt.datetime.now(IRAN).date())


async def _office_of(request: Request, number: str) -> dict[str, Any] | None:
    """The office a license belongs to, from the registry (any status)."""
    try:
        page = await backend(request).get("licensing", "/registry/offices",
                                          params={"number": number, "status": "all",
                                                  "limit": 10})
    except BackendError:
        return None
    for item in page["items"]:
        if item["license_number"] == number:
            found: dict[str, Any] = item
            return found
    return None


async def _license_page(request: Request, who: WebSession, number: str, *,
                        form: Form | None = None, activity_form: Form | None = None,
                        answering: str | None = None, notice: str | None = None,
                        status_code: int = 200) -> Response:
    calls = backend(request)
    path = quote(number, safe="")
    # the history is for the holder and the county's staff only: anyone else gets a 404
    history = await calls.get("licensing", f"/licenses/{path}/history", token=who.token)
    license_ = await calls.get("licensing", f"/licenses/{path}")
    try:
        reviews = await calls.get("licensing", f"/licenses/{path}/reviews", token=who.token)
    except BackendError as exc:
        if exc.status not in (403, 404):
            raise
        reviews = []
    office = await _office_of(request, license_["number"])
    activity: list[dict[str, Any]] = []
    if office is not None:
        try:
            activity = await calls.get("licensing", f"/offices/{quote(office['office_id'])}/"
                                       "activity", token=who.token)
        except BackendError as exc:
            if exc.status not in (403, 404):
                raise
    verification = None
    reply = await calls.raw("licensing", "GET", f"/verify/{path}.json")
    if reply.status_code == 200:
        verification = reply.json()
    today = jalali_today()
    if activity_form is None:
        activity_form = Form(values={"year": str(today.year), "month": str(today.month)})
    holder = who.has("applicant")
    return render(request, "applicant/license.html", license=license_, history=history,
                  reviews=reviews, office=office, activity=activity, holder=holder,
                  verification=verification, form=form or Form(), activity_form=activity_form,
                  answering=answering, notice=notice, this_year=today.year,
                  status_code=status_code)


@router.get("/licenses/{number}")
async def license_page(request: Request, number: str, who: LicenseReader) -> Response:
    notice = None
    _ = locale(request).gettext
    if request.query_params.get("done") == "answer":
        notice = _("Your answer was sent; the licensing officer reads it before deciding.")
    elif request.query_params.get("done") == "activity":
        notice = _("The month's activity was recorded.")
    return await _license_page(request, who, _digits(number), notice=notice)


@router.post("/licenses/{number}/reviews/{review_id}/answer")
async def answer_review(request: Request, number: str, review_id: str, who: Applicant
                        ) -> Response:
    data = await form_data(request)
    text = (data.get("text") or "").strip()
    form = Form(values={"text": text})
    _ = locale(request).gettext
    if not text:
        form.error("text", _("This field is required."))
    if form.ok:
        try:
            await backend(request).post("licensing", f"/reviews/{quote(review_id)}/answer",
                                        json={"text": text}, token=who.token)
        except BackendError as exc:
            if exc.status == 404:
                raise
            form.absorb(exc, locale(request), known=("text",))
        else:
            return redirect(f"/licenses/{quote(number, safe='')}?done=answer#review-"
                            f"{quote(review_id)}")
    return await _license_page(request, who, _digits(number), form=form,
                               answering=review_id, status_code=422)


@router.post("/licenses/{number}/activity")
async def report_activity(request: Request, number: str, who: Applicant) -> Response:
    data = await form_data(request)
    values = {name: _digits(data.get(name)).replace(",", "").replace("\u066c", "")
              for name in ACTIVITY_FIELDS}
    form = Form(values=values)
    _ = locale(request).gettext
    for name in ACTIVITY_FIELDS:
        if not values[name]:
            form.error(name, _("This field is required."))
        elif not values[name].isdigit():
            form.error(name, _("Write a whole number."))
    office = await _office_of(request, _digits(number))
    if office is None:
        raise BackendError(404, "office not found")
    if form.ok:
        try:
            await backend(request).post(
                "licensing", f"/offices/{quote(office['office_id'])}/activity",
                json={name: int(values[name]) for name in ACTIVITY_FIELDS}, token=who.token)
        except BackendError as exc:
            if exc.status == 404:
                raise
            form.absorb(exc, locale(request), known=ACTIVITY_FIELDS)
        else:
            return redirect(f"/licenses/{quote(number, safe='')}?done=activity#activity")
    return await _license_page(request, who, _digits(number), activity_form=form,
                               status_code=422)
