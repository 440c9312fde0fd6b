"""HTTP errors people can read: every 422 names the field and says why, in fa and en."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# code -> (en, fa). Codes are our ValueError texts or pydantic's error types.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("This field is required.", "این فیلد الزامی است."),
    "national_code_format": ("A national code is exactly 10 digits.", "کد ملی باید دقیقاً ۱۰ رقم باشد."),
    "national_code_check_digit": (
        "This national code is not valid (its check digit does not match).",
        "کد ملی نامعتبر است (رقم کنترل آن مطابقت ندارد).",
    ),
    "mobile_format": (
        "A mobile number looks like 09xxxxxxxxx (11 digits).",
        "شماره همراه باید به شکل ۰۹xxxxxxxxx و ۱۱ رقم باشد.",
    ),
    "county_unknown": ("Unknown county.", "شهرستان ناشناخته است."),
    "reason_required": ("A reason is required for this outcome.", "برای این نتیجه ذکر دلیل الزامی است."),
    "outcome_invalid": ("This outcome is not allowed for this task.", "این نتیجه برای این کار مجاز نیست."),
    "assignee_not_eligible": (
        "This person cannot take this task (role, county or account).",
        "این شخص نمی‌تواند این کار را بر عهده بگیرد (نقش، شهرستان یا حساب).",
    ),
    "checklist_incomplete": (
        "Every checklist item needs a pass or fail.",
        "برای همه موارد چک‌لیست باید قبول یا رد ثبت شود.",
    ),
    "correction_needs_rejected_documents": (
        "Say which documents must be corrected, and why.",
        "مشخص کنید کدام مدارک و به چه دلیل باید اصلاح شوند.",
    ),
    "accept_with_rejected_documents": (
        "A review that rejects a document cannot accept the application.",
        "بررسی‌ای که مدرکی را رد کرده نمی‌تواند درخواست را تأیید کند.",
    ),
    "document_type_unknown": ("Unknown document type.", "نوع مدرک ناشناخته است."),
    "file_too_large": ("The file is too large.", "حجم فایل بیش از حد مجاز است."),
    "file_type_not_allowed": (
        "Only PDF, JPEG and PNG files are accepted (checked by their content).",
        "فقط فایل‌های PDF، JPEG و PNG پذیرفته می‌شوند (بر اساس محتوای فایل).",
    ),
    "file_empty": ("The file is empty.", "فایل خالی است."),
    # photos of a site inspection
    "photo_type_not_allowed": (
        "Only JPEG and PNG photos are accepted (checked by their content).",
        "فقط عکس‌های JPEG و PNG پذیرفته می‌شوند (بر اساس محتوای فایل).",
    ),
    "too_many_photos": (
        "An inspection takes at most 20 photos.",
        "برای هر بازرسی حداکثر ۲۰ عکس پذیرفته می‌شود.",
    ),
    "photo_not_uploaded": (
        "Every photo named in the outcome must first be uploaded for this inspection.",
        "هر عکسی که در نتیجه آمده باید ابتدا برای همین بازرسی بارگذاری شده باشد.",
    ),
    "national_code_not_yours": (
        "You can only apply with your own national code.",
        "فقط با کد ملی خودتان می‌توانید درخواست ثبت کنید.",
    ),
    "correction_documents_missing": (
        "Upload a new copy of every document the correction request names first.",
        "ابتدا نسخه جدید همه مدارکی را که در درخواست اصلاح آمده بارگذاری کنید.",
    ),
    # outcomes of complaint and review tasks
    "duplicate_of_required": (
        "Give the tracking code of the complaint this one duplicates.",
        "کد رهگیری شکایتی را که این شکایت تکرار آن است وارد کنید.",
    ),
    "duplicate_of_only_on_merge": (
        "A duplicate's tracking code belongs only to a merge.",
        "کد رهگیری شکایت تکراری فقط برای ادغام لازم است.",
    ),
    "remedy_only_when_upheld": (
        "A refund or a sanction can follow only an upheld complaint.",
        "استرداد وجه یا پیشنهاد مجازات فقط برای شکایت واردشده ممکن است.",
    ),
    "refund_amount_required": ("Give the amount to refund.", "مبلغ استرداد را وارد کنید."),
    "refund_amount_without_refund": (
        "An amount is given only when a refund is ordered.",
        "مبلغ فقط وقتی وارد می‌شود که استرداد وجه دستور داده شود.",
    ),
    "suspension_days_required": (
        "Give the number of days of the suspension.",
        "تعداد روزهای تعلیق را وارد کنید.",
    ),
    "suspension_days_only_on_suspension": (
        "Days are given only for a suspension.",
        "تعداد روز فقط برای تعلیق وارد می‌شود.",
    ),
    # licensing's refusals in supervision
    "activity_month_in_future": (
        "Activity can be reported only for the current month or an earlier one.",
        "آمار فعالیت را فقط برای ماه جاری یا ماه‌های گذشته می‌توان ثبت کرد.",
    ),
    "review_closed": (
        "This review has been decided; it no longer takes an answer.",
        "درباره این پرونده نظارتی تصمیم گرفته شده و دیگر پاسخی پذیرفته نمی‌شود.",
    ),
    "license_not_yours": (
        "You hold no license with this number.",
        "پروانه‌ای با این شماره به نام شما نیست.",
    ),
    "license_not_active": (
        "This license is not active (suspended, revoked or expired).",
        "این پروانه فعال نیست (تعلیق، لغو یا منقضی شده است).",
    ),
    "county_must_match": (
        "The new address must be in the same county as the license; moving to another "
        "county needs a new license there.",
        "نشانی جدید باید در همان شهرستان پروانه باشد؛ انتقال به شهرستان دیگر نیازمند پروانه "
        "جدید در آن شهرستان است.",
    ),
    "transfer_to_self": (
        "A license cannot be transferred to its own holder.",
        "پروانه را نمی‌توان به دارنده فعلی آن منتقل کرد.",
    ),
    "case_already_open": (
        "A request of this kind for this license is already in progress.",
        "درخواستی از همین نوع برای این پروانه در جریان است.",
    ),
    "string_too_short": ("Too short.", "بیش از حد کوتاه است."),
    "string_too_long": ("Too long.", "بیش از حد طولانی است."),
    "literal_error": ("Not one of the allowed values.", "جزو مقادیر مجاز نیست."),
    "enum": ("Not one of the allowed values.", "جزو مقادیر مجاز نیست."),
    "string_type": ("Must be text.", "باید متن باشد."),
    "int_parsing": ("Must be a whole number.", "باید عدد صحیح باشد."),
    "value_error": ("Invalid value.", "مقدار نامعتبر است."),
    "extra_forbidden": ("Unknown field.", "فیلد ناشناخته است."),
    "json_invalid": ("The request body is not valid JSON.", "بدنه درخواست JSON معتبر نیست."),
    "model_attributes_type": ("Must be an object.", "باید یک شیء باشد."),
    "dict_type": ("Must be an object.", "باید یک شیء باشد."),
}


_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def message_text(code: str, own: Mapping[str, tuple[str, str]] | None = None,
                 **values: object) -> dict[str, str]:
    """A code's message in en and fa, from a service's own catalogue first and then this
    one's, with ``{placeholders}`` filled (in Persian digits in the fa text)."""
    en, fa = ((own or {}).get(code) or MESSAGES.get(code)
              or ("Invalid value.", "مقدار نامعتبر است."))
    fa_values = {k: str(v).translate(_PERSIAN_DIGITS) for k, v in values.items()}
    return {"en": en.format(**values), "fa": fa.format(**fa_values)}


def error_item(loc: tuple[Any, ...] | list[Any], code: str, fallback: str = "") -> dict[str, Any]:
    en, fa = MESSAGES.get(code, (fallback or "Invalid value.", "مقدار نامعتبر است."))
    field_path = [str(p) for p in loc if p not in ("body", "query", "path")]
    return {
        "field": ".".join(field_path) or None,
        "loc": list(loc),
        "code": code,
        "message": {"en": en, "fa": fa},
    }


def _code(error: dict[str, Any]) -> str:
    if error.get("type") == "value_error":
        original = (error.get("ctx") or {}).get("error")
        if original is not None and str(original) in MESSAGES:
            return str(original)
    return str(error.get("type", "value_error"))


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [error_item(e["loc"], _code(e), e.get("msg", "")) for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": items})


class FieldError(Exception):
    """A business rule broken by one field; rendered like a validation error."""

    def __init__(self, field: str, code: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.status_code = status_code


async def field_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FieldError)
    item = error_item(("body", *exc.field.split(".")), exc.code)
    return JSONResponse(status_code=exc.status_code, content={"detail": [item]})
