"""Languages of the portal: Persian (default, right to left, Jalali dates, Persian digits)
and English. Every string comes from the gettext catalogues in ``locale/<lang>/LC_MESSAGES/
portal.po``, read at start with Babel (no compile step: the .po files are the source and
the only artefact)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("fa", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "portal"
IRAN = ZoneInfo("Asia/Tehran")

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is defined; translated where it is shown."""
    return message


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(language: str) -> Translations:
    with open(po_path(language), "rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def persian_digits(value: Any) -> str:
    return str(value).translate(_TO_PERSIAN)


@dataclass(frozen=True)
class Locale:
    """One language: its translations and how it writes numbers and dates."""

    code: str
    translations: Translations

    @property
    def direction(self) -> str:
        return "rtl" if self.code == "fa" else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def number(self, value: Any) -> str:
        if value is None:
            return ""
        text = f"{value:,}" if isinstance(value, int) else str(value)
        if self.code == "fa":
            return persian_digits(text.replace(",", "٬"))
        return text

    def _parse(self, value: Any) -> dt.datetime | dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, (dt.datetime, dt.date)):
            return value
        text = str(value)
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None

    def date(self, value: Any) -> str:
        """A day: Jalali in Persian (۱۴۰۴/۰۲/۱۱), ISO in English."""
        parsed = self._parse(value)
        if parsed is None:
            return ""
        if isinstance(parsed, dt.datetime):
            parsed = _local(parsed).date()
        if self.code == "fa":
            return persian_digits(jdatetime.date.fromgregorian(date=parsed).strftime("%Y/%m/%d"))
        return parsed.isoformat()

    def datetime(self, value: Any) -> str:
        """A moment, in Iran's time: Jalali in Persian."""
        parsed = self._parse(value)
        if parsed is None:
            return ""
        if not isinstance(parsed, dt.datetime):
            return self.date(parsed)
        local = _local(parsed)
        if self.code == "fa":
            jalali = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None))
            return persian_digits(jalali.strftime("%Y/%m/%d %H:%M"))
        return local.strftime("%Y-%m-%d %H:%M")


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(IRAN)


class Locales:
    def __init__(self) -> None:
        self.by_code = {code: Locale(code, load_translations(code)) for code in LANGUAGES}

    def get(self, code: str | None, default: str = "fa") -> Locale:
        return self.by_code.get(code or "", self.by_code[default])
