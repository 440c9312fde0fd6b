"""Persian text as people type it: one search key whatever the keyboard, a sort key in
Persian alphabetical order, Persian digits and Jalali dates for what people read."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

import jdatetime

# the directorate's calendar day: a license valid «until 1 Mehr» is valid all that day in Iran
IRAN = ZoneInfo("Asia/Tehran")

_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Arabic keyboards (and many old databases) give these letters where Persian has others
_LETTERS = str.maketrans({
    "\u064a": "\u06cc",  # ي Arabic yeh -> ی
    "\u0649": "\u06cc",  # ى alef maksura -> ی
    "\u0643": "\u06a9",  # ك Arabic kaf -> ک
    "\u0629": "\u0647",  # ة teh marbuta -> ه
    "\u06c0": "\u0647",  # ۀ heh with yeh -> ه
    "\u0623": "\u0627",  # أ -> ا
    "\u0625": "\u0627",  # إ -> ا
    "\u0624": "\u0648",  # ؤ -> و
})
# zero-width joiners and non-joiners, bidi marks, tatweel and the short vowels: they change
# how a word looks, never which word it is
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u0640\u064b-\u065f\u0670\ufeff]")
_SPACES = re.compile(r"\s+")

PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
# Unicode puts پ چ ژ گ ک ی away from their place in the alphabet; the sort key maps each
# letter to a code point in a private range, in alphabetical order
_SORT = str.maketrans({ch: chr(0xE000 + i) for i, ch in enumerate(PERSIAN_ALPHABET)})
_DIGIT_RUN = re.compile(r"\d+")

JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)


def latin_digits(text: str) -> str:
    return text.translate(_LATIN_DIGITS)


def persian_digits(value: object) -> str:
    return str(value).translate(_PERSIAN_DIGITS)


def normalize(text: str) -> str:
    """One spelling of a text: Persian letters for Arabic ones, Latin digits, lower case,
    single spaces, no zero-width characters."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text.translate(_LETTERS).translate(_LATIN_DIGITS))
    return _SPACES.sub(" ", text).strip().casefold()


def search_key(text: str) -> str:
    """What a substring search compares: ``normalize`` without any spaces, so that
    «صومعه‌سرا», «صومعه سرا» and «صومعهسرا» are one word (people write the half-space
    (ZWNJ) as a space, as nothing, or as a half-space)."""
    return normalize(text).replace(" ", "")


def sort_key(text: str) -> str:
    """Orders names as a Persian reader expects: alphabetically, and «شماره ۲» before
    «شماره ۱۰»."""
    padded = _DIGIT_RUN.sub(lambda m: m.group().rjust(8, "0"), normalize(text))
    return padded.translate(_SORT)


def license_number(text: str) -> str:
    """A license number as typed (Persian digits, lower case, spaces) in its one form."""
    return _SPACES.sub("", latin_digits(text)).upper()


def local_today() -> dt.date:
    return dt.datetime.now(IRAN).date()


def local_date(day: dt.date | dt.datetime) -> dt.date:
    if isinstance(day, dt.datetime):
        return day.astimezone(IRAN).date() if day.tzinfo else day.date()
    return day


def jalali(day: dt.date | dt.datetime) -> str:
    """«۱۵ اردیبهشت ۱۴۰۳»"""
    day = local_date(day)
    j = jdatetime.date.fromgregorian(date=day)
    return persian_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")



def jalali_month(day: dt.date) -> tuple[int, int]:
    """(year, month) of the Jalali month the day falls in."""
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month


def jalali_month_end(year: int, month: int) -> dt.date:
    """The last day of a Jalali month, as a Gregorian date."""
    if month == 12:
        next_first = jdatetime.date(year + 1, 1, 1)
    else:
        next_first = jdatetime.date(year, month + 1, 1)
    return next_first.togregorian() - dt.timedelta(days=1)
