"""Validated domain value types used in messages and HTTP schemas."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

_PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def to_latin_digits(value: object) -> object:
    """Accept Persian and Arabic-Indic digits as people type them."""
    if isinstance(value, str):
        return value.translate(_PERSIAN_DIGITS).strip()
    return value


def national_code_is_valid(code: str) -> bool:
    """The Iranian national code (کد ملی): ten digits, the last a mod-11 check digit."""
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    total = sum(int(code[i]) * (10 - i) for i in range(9))
    remainder = total % 11
    check = int(code[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def _check_national_code(code: str) -> str:
    if not re.fullmatch(r"\d{10}", code):
        raise ValueError("national_code_format")
    if not national_code_is_valid(code):
        raise ValueError("national_code_check_digit")
    return code


def _check_mobile(mobile: str) -> str:
    mobile = re.sub(r"[\s-]", "", mobile)
    if mobile.startswith("+98"):
        mobile = "0" + mobile[3:]
    elif mobile.startswith("0098"):
        mobile = "0" + mobile[4:]
    if not re.fullmatch(r"09\d{9}", mobile):
        raise ValueError("mobile_format")
    return mobile


NationalCode = Annotated[str, BeforeValidator(to_latin_digits), AfterValidator(_check_national_code)]
Mobile = Annotated[str, BeforeValidator(to_latin_digits), AfterValidator(_check_mobile)]
PersonName = Annotated[str, Field(min_length=2, max_length=120)]
Address = Annotated[str, Field(min_length=5, max_length=500)]
Area = Literal["urban", "rural"]
Language = Literal["fa", "en"]
