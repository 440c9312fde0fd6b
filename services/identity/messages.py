"""What the identity service says to people, in English and Persian."""

from __future__ import annotations

from services.kit.errors import message_text

# code -> (en, fa), for the codes only this service raises
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_credentials": (
        "Wrong username or password.",
        "نام کاربری یا گذرواژه نادرست است.",
    ),
    "too_many_failures": (
        "Too many failed sign-in attempts for this username. Try again in {minutes} minute(s).",
        ("تلاش‌های ناموفق ورود با این نام کاربری بیش از حد مجاز است. {minutes} دقیقه دیگر دوباره "
         "تلاش کنید."),
    ),
    "unsupported_grant_type": (
        "Only grant_type=password is supported.",
        "فقط grant_type=password پشتیبانی می‌شود.",
    ),
    "user_exists": (
        "A user with this username already exists.",
        "کاربری با این نام کاربری از پیش وجود دارد.",
    ),
    "user_not_found": ("No such user.", "چنین کاربری وجود ندارد."),
    "username_format": (
        ("A username is a 10-digit national code, or starts with a letter and has only "
         "a-z, 0-9, '.', '_' and '-' (3 to 64 characters)."),
        ("نام کاربری یا کد ملی ۱۰ رقمی است، یا با حرف انگلیسی شروع می‌شود و فقط a-z، ۰-۹، "
         "'.'، '_' و '-' دارد (۳ تا ۶۴ نویسه)."),
    ),
    "applicant_username": (
        "An applicant's username is their national code.",
        "نام کاربری متقاضی همان کد ملی اوست.",
    ),
    "roles_required": ("At least one role is required.", "دست‌کم یک نقش لازم است."),
    "county_required": (
        "A clerk, inspector, licensing officer or supervisor works in a county: give it.",
        ("کارشناس پذیرش، بازرس، کارشناس صدور مجوز و ناظر در یک شهرستان کار می‌کنند: شهرستان را "
         "مشخص کنید."),
    ),
    "county_not_allowed": (
        "Only clerks, inspectors, licensing officers and supervisors have a county.",
        "فقط کارشناس پذیرش، بازرس، کارشناس صدور مجوز و ناظر شهرستان دارند.",
    ),
    "self_lockout": (
        "You cannot deactivate yourself or remove your own admin role.",
        "نمی‌توانید حساب خود را غیرفعال کنید یا نقش مدیر را از خود بگیرید.",
    ),
    "county_forbidden": (
        "A supervisor sees only the users of their own county.",
        "ناظر فقط کاربران شهرستان خود را می‌بیند.",
    ),
}


def text(code: str, **values: object) -> dict[str, str]:
    return message_text(code, MESSAGES, **values)
