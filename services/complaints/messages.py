"""What the complaints service says to people, in English and Persian: its own refusals, in
the same body as the kit's errors (each names its field, when there is one, and why)."""

from __future__ import annotations

from typing import Any

from services.kit.errors import error_item, message_text

# code -> (en, fa), for the codes only this service raises
MESSAGES: dict[str, tuple[str, str]] = {
    "office_required": (
        "Choose the office: give its license number or pick it from the registry.",
        "دفتر را مشخص کنید: شماره پروانه آن را وارد کنید یا آن را از فهرست دفاتر انتخاب کنید.",
    ),
    "office_unknown": (
        "There is no licensed office with this number.",
        "دفتری دارای پروانه با این شماره وجود ندارد.",
    ),
    "too_many_from_mobile": (
        "Too many complaints from this mobile number. Try again in {minutes} minute(s).",
        "تعداد شکایت‌های ثبت‌شده با این شماره همراه بیش از حد مجاز است. {minutes} دقیقه دیگر "
        "دوباره تلاش کنید.",
    ),
    "too_many_from_address": (
        "Too many complaints from your network. Try again in {minutes} minute(s).",
        "تعداد شکایت‌های ثبت‌شده از شبکه شما بیش از حد مجاز است. {minutes} دقیقه دیگر دوباره "
        "تلاش کنید.",
    ),
    "too_many_lookups": (
        "Too many failed look-ups from your network. Try again in {minutes} minute(s).",
        "تعداد جست‌وجوهای ناموفق از شبکه شما بیش از حد مجاز است. {minutes} دقیقه دیگر دوباره "
        "تلاش کنید.",
    ),
    "complaint_not_found": (
        "No complaint matches this tracking code and mobile number.",
        "شکایتی با این کد پیگیری و شماره همراه یافت نشد.",
    ),
    "complaint_final": (
        "This complaint is closed: nothing more can be added to it.",
        "این شکایت بسته شده است و چیزی به آن افزوده نمی‌شود.",
    ),
    "too_many_attachments": (
        "A complaint takes at most {limit} files.",
        "برای هر شکایت حداکثر {limit} فایل پذیرفته می‌شود.",
    ),
    "not_resolved_yet": (
        "A complaint can be rated once it has been resolved.",
        "پس از رسیدگی به شکایت می‌توانید به آن امتیاز دهید.",
    ),
    "already_rated": (
        "You have already rated this resolution.",
        "شما پیش‌تر به این نتیجه رسیدگی امتیاز داده‌اید.",
    ),
    "not_reopenable": (
        "Only a resolved complaint can be reopened.",
        "فقط شکایتی که به آن رسیدگی شده است را می‌توان دوباره باز کرد.",
    ),
    "reopen_window_passed": (
        "The time to reopen this complaint has passed.",
        "مهلت درخواست رسیدگی دوباره به این شکایت به پایان رسیده است.",
    ),
    "reopen_already_requested": (
        "Reopening this complaint has already been requested.",
        "درخواست رسیدگی دوباره به این شکایت پیش‌تر ثبت شده است.",
    ),
    "answer_not_awaited": (
        "The office's written answer is not awaited at this stage of the complaint.",
        "در این مرحله از رسیدگی، پاسخ کتبی دفتر پذیرفته نمی‌شود.",
    ),
    "answer_too_late": (
        "The time for the office's written answer has passed.",
        "مهلت پاسخ کتبی دفتر به پایان رسیده است.",
    ),
}


def text(code: str, **values: object) -> dict[str, str]:
    return message_text(code, MESSAGES, **values)


def body(code: str, field: str | None = None, **values: object) -> dict[str, Any]:
    """The kit's error body, with this service's wording."""
    item = error_item(("body", *field.split(".")) if field else (), code)
    item["message"] = text(code, **values)
    return {"detail": [item]}
