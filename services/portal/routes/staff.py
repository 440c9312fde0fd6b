"""Pages of the directorate's staff: the inbox of their role (mine, the county's queue,
a supervisor's overview; overdue first), a task with what it needs (documents to read, the
inspection checklist, the decision), claim, release, complete, reassign; and the 195
operator's intake form."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.contracts.complaints import COMPLAINT_CATEGORIES
from services.contracts.counties import COUNTIES_BY_CODE
from services.contracts.tasks import CHECKLIST_ITEMS, OUTCOME_MODEL
from services.contracts.types import to_latin_digits
from services.portal.backend import BackendError, FieldProblem
from services.portal.i18n import N_
from services.portal.routes.public import COMPLAINT_FIELDS, complaint_body
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

STAFF_ROLES = ("clerk", "inspector", "licensing_officer", "complaints_officer", "supervisor",
               "admin")
Staff = Annotated[WebSession, Depends(require(*STAFF_ROLES))]
TASK_SERVICES = ("applications", "licensing", "complaints")

# which services hold the tasks each role works on
SERVICES_OF_ROLE = {
    "clerk": ("applications",),
    "inspector": ("licensing",),
    "licensing_officer": ("licensing",),
    "complaints_officer": ("complaints",),
    "supervisor": TASK_SERVICES,
    "admin": TASK_SERVICES,
}
KINDS_OF_SERVICE = {
    "applications": ("document_review",),
    "licensing": ("site_inspection", "licensing_decision", "review_decision"),
    "complaints": ("complaint_triage", "complaint_investigation"),
}
# a rule an outcome broke, and the form field it belongs to
OUTCOME_CODE_FIELD = {
    "reason_required": "reason",
    "duplicate_of_required": "duplicate_of",
    "duplicate_of_only_on_merge": "duplicate_of",
    "refund_amount_required": "refund_amount",
    "refund_amount_without_refund": "refund_amount",
    "remedy_only_when_upheld": "result",
    "suspension_days_required": "suspension_days",
    "suspension_days_only_on_suspension": "suspension_days",
    "checklist_incomplete": "checklist",
    "correction_needs_rejected_documents": "documents",
    "accept_with_rejected_documents": "documents",
    "outcome_invalid": "result",
}
# the kinds whose outcome the portal checks against the contract's own model before it
# posts, so every broken rule is said next to its field in the person's language
CHECKED_HERE = ("complaint_triage", "complaint_investigation", "review_decision")
OUTCOME_WORDS = {
    "reason_required": N_("Write the reason for this decision."),
    "duplicate_of_required": N_("Write the tracking code of the earlier complaint."),
    "duplicate_of_only_on_merge": N_(
        "The tracking code of an earlier complaint goes only with a merge."),
    "remedy_only_when_upheld": N_(
        "A refund or a sanction can only go with an upheld complaint."),
    "refund_amount_required": N_("Write the amount to refund (rials)."),
    "refund_amount_without_refund": N_(
        'Tick "Order a refund" or leave the amount empty.'),
    "suspension_days_required": N_("Write the number of days of suspension."),
    "suspension_days_only_on_suspension": N_(
        "Days of suspension go only with a suspension."),
    "literal_error": N_("Choose one of the options."),
    "int_parsing": N_("Write a whole number."),
    "int_type": N_("Write a whole number."),
    "greater_than": N_("The number is out of the allowed range."),
    "greater_than_equal": N_("The number is out of the allowed range."),
    "less_than_equal": N_("The number is out of the allowed range."),
    "string_too_short": N_("Too short."),
    "string_too_long": N_("Too long."),
}
COMPLAINT_ROLES = ("complaints_officer", "admin")
ComplaintsStaff = Annotated[WebSession, Depends(require(*COMPLAINT_ROLES))]
REVIEW_ROLES = ("licensing_officer", "supervisor", "admin")
ReviewStaff = Annotated[WebSession, Depends(require(*REVIEW_ROLES))]
PAGE_SIZE = 25
# how licensing names an inspection's photo: the SHA-256 of its content
PHOTO_REF = re.compile(r"[0-9a-f]{64}")
PHOTO_TYPES = ("image/jpeg", "image/png")


def services_for(who: WebSession) -> tuple[str, ...]:
    found: list[str] = []
    for role in who.roles:
        for service in SERVICES_OF_ROLE.get(role, ()):
            if service not in found:
                found.append(service)
    return tuple(found)


def _due_key(task: dict[str, Any]) -> tuple[int, str]:
    return (0 if task.get("overdue") else 1, task.get("due_at") or "9999")


@router.get("/work")
async def inbox(request: Request, who: Staff, view: str = "", kind: str = "",
                overdue: str = "", status: str = "") -> Response:
    supervisor = who.has("supervisor", "admin")
    view = view if view in ("mine", "queue", "all") else ("all" if supervisor and not who.has(
        "clerk", "inspector", "licensing_officer", "complaints_officer") else "mine")
    params: dict[str, Any] = {"limit": 100}
    if kind:
        params["kind"] = kind
    if overdue == "1":
        params["overdue"] = "true"
    if status in ("open", "claimed", "completed", "cancelled"):
        params["status"] = status
    elif view != "queue":
        params.setdefault("status", None)
    params = {k: v for k, v in params.items() if v is not None}
    path = {"mine": "/tasks/mine", "queue": "/tasks/queue", "all": "/tasks"}[view]
    tasks: list[dict[str, Any]] = []
    unavailable: list[str] = []
    for service in services_for(who):
        if kind and kind not in KINDS_OF_SERVICE[service]:
            continue
        try:
            page = await backend(request).get(service, path, params=params, token=who.token)
        except BackendError as exc:
            if exc.status in (403, 404):
                continue
            unavailable.append(service)
            continue
        for task in page["items"]:
            task["service"] = service
            if view == "mine" and not status and task["status"] not in ("open", "claimed"):
                continue
            tasks.append(task)
    tasks.sort(key=_due_key)
    kinds = [k for s in services_for(who) for k in KINDS_OF_SERVICE[s]]
    return render(request, "staff/inbox.html", tasks=tasks, view=view, kind=kind,
                  overdue=overdue, status=status, kinds=kinds, supervisor=supervisor,
                  unavailable=unavailable)


def _service(service: str) -> str:
    if service not in TASK_SERVICES:
        raise HTTPException(404)
    return service


async def _context(request: Request, who: WebSession, task: dict[str, Any]) -> dict[str, Any]:
    """What the person needs to see to do the task: the case or the complaint, and an
    inspection's photos."""
    context: dict[str, Any] = {"case": None, "complaint": None, "candidates": [],
                               "review": None, "photos": [], "inspection_photos": []}
    if task.get("application_id"):
        try:
            context["case"] = await backend(request).get(
                "applications", f"/applications/{quote(task['application_id'])}", token=who.token)
        except BackendError:
            context["case"] = None
    if task["kind"].startswith("complaint_"):
        complaint_id = task.get("data", {}).get("complaint_id") or task["case_id"].removeprefix(
            "complaint-")
        try:
            context["complaint"] = await backend(request).get(
                "complaints", f"/complaints/{quote(complaint_id)}", token=who.token)
        except BackendError:
            context["complaint"] = None
    if task["service"] == "licensing" and task["kind"] == "site_inspection":
        context["photos"] = await _inspection_photos(request, who, task["id"])
        if task["status"] == "completed":
            # what the outcome names, in its order
            by_ref = {p["photo"]: p for p in context["photos"]}
            context["photos"] = [by_ref[ref] for ref in (task.get("result") or {}).get(
                "photos", []) if ref in by_ref]
    inspection = (task.get("data") or {}).get("inspection") or {}
    if task["kind"] == "review_decision" and inspection.get("task_id"):
        context["inspection_photos"] = await _inspection_photos(request, who,
                                                                str(inspection["task_id"]))
    if task["kind"] == "review_decision" and task.get("data", {}).get("review_id"):
        try:
            context["review"] = await backend(request).get(
                "licensing", f"/reviews/{quote(str(task['data']['review_id']))}",
                token=who.token)
        except BackendError:
            context["review"] = None
    if who.has("supervisor", "admin"):
        service = task["service"]
        try:
            context["candidates"] = await backend(request).get(
                service, "/tasks/candidates", params={"kind": task["kind"]}, token=who.token)
        except BackendError:
            context["candidates"] = []
    return context


async def _task_page(request: Request, who: WebSession, service: str, task_id: str,
                     form: Form | None = None, status_code: int = 200) -> Response:
    task = await backend(request).get(service, f"/tasks/{quote(task_id)}", token=who.token)
    task["service"] = service
    context = await _context(request, who, task)
    return render(request, "staff/task.html", task=task, form=form or Form(),
                  mine=task.get("assignee") == who.principal.sub, **context,
                  status_code=status_code)


@router.get("/tasks/{task_id}")
async def task_link(request: Request, task_id: str, who: Staff) -> Response:
    """Where a reminder or an escalation points: the task, in whichever service holds it."""
    for service in services_for(who):
        try:
            await backend(request).get(service, f"/tasks/{quote(task_id)}", token=who.token)
        except BackendError as exc:
            if exc.status in (403, 404, 422):
                continue
            raise
        return redirect(f"/work/{service}/{quote(task_id)}")
    raise HTTPException(404)


@router.get("/work/{service}/{task_id}")
async def task_page(request: Request, service: str, task_id: str, who: Staff) -> Response:
    return await _task_page(request, who, _service(service), task_id)


@router.post("/work/{service}/{task_id}/{action}")
async def task_action(request: Request, service: str, task_id: str, action: str,
                      who: Staff) -> Response:
    service = _service(service)
    if action not in ("claim", "release", "complete", "reassign"):
        raise HTTPException(404)
    data = await form_data(request)
    form = Form(values=data)
    json: Any = None
    if action == "reassign":
        json = {"assignee": data.get("assignee", "")}
        if data.get("note", "").strip():
            json["note"] = data["note"].strip()
    if action == "complete":
        task = await backend(request).get(service, f"/tasks/{quote(task_id)}", token=who.token)
        outcome, index = await outcome_from_form(request, task, data)
        if service == "licensing" and task["kind"] == "site_inspection":
            uploaded = await _upload_photos(request, who, task_id, form)
            outcome["photos"] = list(dict.fromkeys([*outcome["photos"], *uploaded]))
            if not form.ok:
                return await _task_page(request, who, service, task_id, form, 422)
        json = {"outcome": outcome}
        if task["kind"] in CHECKED_HERE:
            for name, code in outcome_problems(task["kind"], outcome):
                form.error(name, locale(request).gettext(OUTCOME_WORDS.get(
                    code, N_("This value is not accepted."))))
            if not form.ok:
                return await _task_page(request, who, service, task_id, form, 422)
    try:
        await backend(request).post(service, f"/tasks/{quote(task_id)}/{action}", json=json,
                                    token=who.token)
    except BackendError as exc:
        if exc.status == 404:
            raise
        if action == "complete":
            exc.problems = [_outcome_problem(p, index) for p in exc.problems]
        form.absorb(exc, locale(request), known=tuple(data) + (
            "reason", "result", "documents", "checklist", "duplicate_of", "refund_amount",
            "suspension_days", "assignee", "photos"))
        return await _task_page(request, who, service, task_id, form, 422)
    if action in ("complete", "release", "reassign"):
        return redirect("/work")
    return redirect(f"/work/{service}/{quote(task_id)}")


def _outcome_problem(problem: FieldProblem, index: dict[int, str]) -> FieldProblem:
    field = problem.field or ""
    if field == "outcome" or not field.startswith("outcome."):
        field = OUTCOME_CODE_FIELD.get(problem.code, field)
    else:
        parts = field.split(".")[1:]
        if parts[:1] == ["documents"] and len(parts) >= 3 and parts[1].isdigit():
            field = f"{parts[2]}_{index.get(int(parts[1]), parts[1])}"
        elif parts[:1] == ["checklist"] and len(parts) >= 2:
            field = f"item_{parts[1]}"
        else:
            field = parts[0]
            if field in ("documents", "checklist") or not field:
                field = OUTCOME_CODE_FIELD.get(problem.code, field)
    return FieldProblem(field=field, code=problem.code, message=problem.message)


# how to put right each rule of an outcome model for a second look, so one check reports
# every rule broken (a model's own check stops at the first)
_SET_RIGHT: dict[str, dict[str, Any]] = {
    "reason_required": {"reason": "-"},
    "duplicate_of_required": {"duplicate_of": "XXXX"},
    "duplicate_of_only_on_merge": {"duplicate_of": None},
    "remedy_only_when_upheld": {"refund_ordered": False, "refund_amount": None,
                                "sanction_recommended": "none"},
    "refund_amount_required": {"refund_amount": 1},
    "refund_amount_without_refund": {"refund_amount": None},
    "suspension_days_required": {"suspension_days": 1},
    "suspension_days_only_on_suspension": {"suspension_days": None},
}


def outcome_problems(kind: str, outcome: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, code) for every rule of the kind's outcome model that the outcome breaks:
    the same model the service checks it with."""
    found: list[tuple[str, str]] = []
    outcome = dict(outcome)
    for _attempt in range(len(_SET_RIGHT)):
        try:
            OUTCOME_MODEL[kind].model_validate(outcome)
        except ValidationError as exc:
            for error in exc.errors():
                code = str(error.get("type", "value_error"))
                if code == "value_error":
                    code = str((error.get("ctx") or {}).get("error", code))
                loc = [str(p) for p in error.get("loc", ())]
                name = loc[0] if loc else OUTCOME_CODE_FIELD.get(code, "result")
                if (name, code) not in found:
                    found.append((name, code))
                if loc or code not in _SET_RIGHT:
                    return found
                outcome.update(_SET_RIGHT[code])
        else:
            return found
    return found


def _number(value: str | None) -> int | str | None:
    """A whole number as typed, in Persian or Latin digits, with or without separators;
    kept as text when it is not one (the outcome's check then says so)."""
    text = str(to_latin_digits(value or "")).replace(",", "").replace("\u066c", "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


async def outcome_from_form(request: Request, task: dict[str, Any], data: dict[str, str]
                            ) -> tuple[dict[str, Any], dict[int, str]]:
    """The structured outcome a kind of task takes, from the fields of its form; and, for a
    document review, which document each position in the list is."""
    kind = task["kind"]
    reason = (data.get("reason") or "").strip() or None
    outcome: dict[str, Any] = {"result": data.get("result", "")}
    index: dict[int, str] = {}
    if kind == "document_review":
        documents = []
        for name in sorted(k for k in data if k.startswith("verdict_")):
            document_type = name.removeprefix("verdict_")
            verdict = data[name]
            if verdict not in ("accept", "reject"):
                continue
            index[len(documents)] = document_type
            documents.append({"document_type": document_type, "verdict": verdict,
                              "reason": (data.get(f"reason_{document_type}") or "").strip()
                              or None})
        outcome["documents"] = documents
        outcome["reason"] = reason
    elif kind == "site_inspection":
        checklist = {}
        for item in CHECKLIST_ITEMS:
            value = data.get(f"item_{item}")
            if value in ("pass", "fail"):
                checklist[item] = {"passed": value == "pass",
                                   "note": (data.get(f"note_{item}") or "").strip() or None}
        outcome["checklist"] = checklist
        outcome["reason"] = reason
        outcome["photos"] = await _kept_photos(request)
    elif kind in ("licensing_decision",):
        outcome["reason"] = reason
    elif kind == "complaint_triage":
        outcome["reason"] = reason
        if (data.get("duplicate_of") or "").strip():
            outcome["duplicate_of"] = data["duplicate_of"].strip().upper()
    elif kind == "complaint_investigation":
        outcome["reason"] = reason
        outcome["refund_ordered"] = data.get("refund_ordered") == "1"
        amount = _number(data.get("refund_amount"))
        if amount is not None:
            outcome["refund_amount"] = amount
        outcome["sanction_recommended"] = data.get("sanction_recommended") or "none"
    elif kind == "review_decision":
        outcome["reason"] = reason
        days = _number(data.get("suspension_days"))
        if days is not None:
            outcome["suspension_days"] = days
    return outcome, index


async def _kept_photos(request: Request) -> list[str]:
    """The photos uploaded for the inspection before (an earlier try of this form) that the
    inspector keeps in the outcome."""
    return [ref for ref in (await request.form()).getlist("photo")
            if isinstance(ref, str) and PHOTO_REF.fullmatch(ref)]


async def _upload_photos(request: Request, who: WebSession, task_id: str, form: Form
                         ) -> list[str]:
    """Each photo chosen in the form, uploaded to the inspection in licensing with the
    person's token; the references licensing gives them, for the outcome. A refused photo
    is said at the field by its name; the others are still uploaded, so the page shows
    them as kept and only the refused one needs choosing again."""
    refs: list[str] = []
    language = locale(request)
    for upload in (await request.form()).getlist("photos"):
        if not (hasattr(upload, "read") and upload.filename):
            continue  # the empty part of a file field with nothing chosen
        content = await upload.read()
        try:
            reply = await backend(request).post(
                "licensing", f"/tasks/{quote(task_id)}/photos", token=who.token,
                files={"file": (upload.filename, content,
                                upload.content_type or "application/octet-stream")})
        except BackendError as exc:
            if not exc.problems:
                form.absorb(exc, language)
                break  # the task itself is refused: no other photo will do better
            for problem in exc.problems:
                form.error("photos", f"{upload.filename[:80]}: {problem.text(language.code)}")
            continue
        refs.append(str(reply["photo"]))
    return refs


async def _inspection_photos(request: Request, who: WebSession, task_id: str
                             ) -> list[dict[str, Any]]:
    """The photos uploaded for a site inspection, as licensing lists them to this person;
    none when they may not see them."""
    try:
        found = await backend(request).get("licensing", f"/tasks/{quote(task_id)}/photos",
                                           token=who.token)
    except BackendError:
        return []
    return [p for p in found if PHOTO_REF.fullmatch(str(p.get("photo", "")))]


@router.get("/work/{service}/{task_id}/photos/{photo}")
async def inspection_photo(request: Request, service: str, task_id: str, photo: str,
                           who: Staff) -> Response:
    """A photo of a site inspection, as licensing serves it to those who may see it."""
    if service != "licensing" or not PHOTO_REF.fullmatch(photo):
        raise HTTPException(404)
    reply = await backend(request).raw(
        "licensing", "GET", f"/tasks/{quote(task_id)}/photos/{photo}", token=who.token)
    if reply.status_code != 200:
        raise BackendError(reply.status_code if reply.status_code < 500 else 503)
    media_type = reply.headers.get("content-type", "")
    if media_type not in PHOTO_TYPES:
        raise BackendError(503)
    return Response(reply.content, media_type=media_type,
                    headers={"content-disposition": f'inline; filename="{photo}"',
                             "x-content-type-options": "nosniff",
                             "content-security-policy": "default-src 'none'; sandbox",
                             "cache-control": "private, no-store"})


# -- complaints, for the complaints officer ----------------------------------------------------

COMPLAINT_STATUSES = ("received", "triage", "investigation", "inspection", "resolved",
                      "rejected", "merged", "closed")


def _page_link(filters: dict[str, str]) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


@router.get("/staff/complaints")
async def complaints_list(request: Request, who: ComplaintsStaff, status: str = "",
                          category: str = "", county: str = "", channel: str = "",
                          page: int = 1) -> Response:
    page = max(1, min(page, 10_000))
    filters = {"status": status if status in COMPLAINT_STATUSES else "",
               "category": category if category in COMPLAINT_CATEGORIES else "",
               "county": county if county in COUNTIES_BY_CODE else "",
               "channel": channel if channel in ("web", "phone_195") else ""}
    params: dict[str, Any] = {k: v for k, v in filters.items() if v}
    params.update(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = await backend(request).get("complaints", "/complaints", params=params,
                                        token=who.token)
    pages = max(1, math.ceil(result["total"] / PAGE_SIZE))
    return render(request, "staff/complaints.html", result=result, filters=filters, page=page,
                  pages=pages, link=_page_link(filters), statuses=COMPLAINT_STATUSES,
                  categories=COMPLAINT_CATEGORIES)


async def _tasks_of_case(request: Request, who: WebSession, service: str, case_id: str
                         ) -> list[dict[str, Any]]:
    """The open and claimed tasks of a case that the person can see in their lists."""
    found: dict[str, dict[str, Any]] = {}
    for path in ("/tasks/mine", "/tasks/queue"):
        try:
            page = await backend(request).get(service, path, params={"limit": 100},
                                              token=who.token)
        except BackendError:
            continue
        for task in page["items"]:
            if task["case_id"] == case_id and task["status"] in ("open", "claimed"):
                task["service"] = service
                found[task["id"]] = task
    return sorted(found.values(), key=_due_key)


@router.get("/staff/complaints/{complaint_id}")
async def complaint_page(request: Request, complaint_id: str, who: ComplaintsStaff
                         ) -> Response:
    complaint = await backend(request).get("complaints", f"/complaints/{quote(complaint_id)}",
                                           token=who.token)
    tasks = await _tasks_of_case(request, who, "complaints", complaint["case_id"])
    return render(request, "staff/complaint.html", complaint=complaint, tasks=tasks)


@router.get("/staff/complaints/{complaint_id}/attachments/{attachment_id}")
async def complaint_attachment(request: Request, complaint_id: str, attachment_id: str,
                               who: ComplaintsStaff) -> Response:
    """A complainant's file, shown in the browser, in a sandbox."""
    reply = await backend(request).raw(
        "complaints", "GET",
        f"/complaints/{quote(complaint_id)}/attachments/{quote(attachment_id)}",
        token=who.token)
    if reply.status_code != 200:
        raise BackendError(reply.status_code if reply.status_code < 500 else 503)
    disposition = reply.headers.get("content-disposition", "attachment").replace(
        "attachment", "inline", 1)
    return Response(reply.content, media_type=reply.headers.get("content-type"),
                    headers={"content-disposition": disposition,
                             "x-content-type-options": "nosniff",
                             "content-security-policy": "default-src 'none'; sandbox",
                             "cache-control": "private, no-store"})


# -- supervision reviews, for licensing officers ---------------------------------------------

@router.get("/staff/reviews")
async def reviews_list(request: Request, who: ReviewStaff, status: str = "",
                       county: str = "", page: int = 1) -> Response:
    page = max(1, min(page, 10_000))
    filters = {"status": status if status in ("open", "decided") else "",
               "county": county if county in COUNTIES_BY_CODE and who.has("admin") else ""}
    params: dict[str, Any] = {k: v for k, v in filters.items() if v}
    params.update(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    try:
        result = await backend(request).get("licensing", "/reviews", params=params,
                                            token=who.token)
    except BackendError as exc:
        if exc.status != 403:  # a person without a county on their account sees none
            raise
        result = {"items": [], "total": 0}
    pages = max(1, math.ceil(result["total"] / PAGE_SIZE))
    return render(request, "staff/reviews.html", result=result, filters=filters, page=page,
                  pages=pages, link=_page_link(filters), admin=who.has("admin"))


# -- the 195 line -------------------------------------------------------------------------------

# the complaints service takes a phone complaint from a 195 operator only
Operator = Annotated[WebSession, Depends(require("operator_195"))]


@router.get("/intake")
async def intake_form(request: Request, who: Operator) -> Response:
    return render(request, "staff/intake.html", form=Form(), categories=COMPLAINT_CATEGORIES,
                  filed=None)


@router.post("/intake")
async def intake(request: Request, who: Operator) -> Response:
    data = await form_data(request)
    body, form = complaint_body(data, data.get("language") or locale(request).code)
    from services.portal.routes.public import _portal_problems

    _portal_problems(form, request)
    if form.ok:
        try:
            filed = await backend(request).post("complaints", "/complaints/phone", json=body,
                                                token=who.token)
        except BackendError as exc:
            form.absorb(exc, locale(request), known=COMPLAINT_FIELDS)
        else:
            return render(request, "staff/intake.html", form=Form(),
                          categories=COMPLAINT_CATEGORIES, filed=filed)
    return render(request, "staff/intake.html", form=form, categories=COMPLAINT_CATEGORIES,
                  filed=None, status_code=422)
