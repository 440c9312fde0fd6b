"""Renders a notice from its Jinja2 template in Persian and English.

Each template is one file per language, ``templates/<lang>/<name>.j2``, with the blocks
``subject`` (e-mail subject, inbox title), ``text`` (the message itself: in-app, the
e-mail's plain part, and the SMS unless there is an ``sms`` block, a shorter wording) and
``html`` (the e-mail's HTML part, inside ``_email.html.j2``).
The text blocks are rendered as they are; the html block and the layout by a second
environment that escapes every value. The labels of ``_labels.j2`` (steps, task kinds,
documents …) are globals of both, so a template needs no import.

Persian text gets Jalali dates, Persian digits and the Persian thousands separator in sums
of money (filter ``amount``); English gets Gregorian dates. The SMS is the text and the
link to the case, shortened to a budget of segments, never losing the link.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jdatetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("fa", "en")
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)

# Where a template's link points; the field must be in the data. A template whose readers
# differ (``audience``) points each at its own page, the first one listed unless the data
# names another. Anything else is a case of an application.
Link = tuple[str, str]
COMPLAINT_TRACKING: Link = ("/complaints/track?code={}", "tracking_code")  # public, no login
OFFICE_COMPLAINT: Link = ("/office/complaints/{}", "complaint_id")  # the office's portal
LICENSE: Link = ("/licenses/{}", "license_number")
LINKS: dict[str, Link | dict[str, Link]] = {
    "task_reminder": ("/tasks/{}", "task_id"),
    "task_escalated": ("/tasks/{}", "task_id"),
    "complaint_received": {"complainant": COMPLAINT_TRACKING, "office": OFFICE_COMPLAINT},
    "complaint_response_requested": OFFICE_COMPLAINT,
    "complaint_triaged": COMPLAINT_TRACKING,
    "complaint_resolved": COMPLAINT_TRACKING,
    "expiry_reminder": LICENSE,
    "sanction_imposed": LICENSE,
    "suspension_lifted": LICENSE,
    "review_opened": LICENSE,
    "review_closed": LICENSE,
    "license_renewed": LICENSE,
    "license_transferred": LICENSE,
    "address_changed": LICENSE,
    "license_expired": LICENSE,
}
DEFAULT_LINK = ("/applications/{}", "application_id")

# -- SMS length ------------------------------------------------------------------------
# GSM 03.38: a message written only in these characters travels in 7-bit septets (160 in
# one SMS, 153 per part once split); the extension characters take two septets. Anything
# else (Persian) makes the whole message UCS-2: 70 alone, 67 per part.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_units(text: str) -> tuple[int, bool]:
    """(length in the units the network counts, whether it must go as UCS-2)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text):
        return sum(2 if c in _GSM7_EXTENSION else 1 for c in text), False
    # UCS-2 counts UTF-16 code units: a character outside the BMP takes two
    return len(text.encode("utf-16-le")) // 2, True


def sms_segments(text: str) -> int:
    units, ucs2 = sms_units(text)
    single, part = (70, 67) if ucs2 else (160, 153)
    if units <= single:
        return 1
    return -(-units // part)


def sms_capacity(segments: int, *, ucs2: bool) -> int:
    single, part = (70, 67) if ucs2 else (160, 153)
    return single if segments == 1 else part * segments


class Unrenderable(Exception):
    pass


def persian_digits(value: Any) -> str:
    return str(value).translate(_TO_PERSIAN)


@dataclass(frozen=True)
class Rendition:
    """One notice in one language, shaped for every channel."""

    subject: str
    text: str
    link: str
    sms: str
    email_text: str
    html: str


def _tidy(text: str) -> str:
    """Trim each line and keep at most one blank line between paragraphs."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


class Renderer:
    def __init__(self, *, timezone: str, public_base_url: str, sms_max_segments: int = 3) -> None:
        self.zone = ZoneInfo(timezone)
        self.public_base_url = public_base_url.rstrip("/")
        self.sms_max_segments = sms_max_segments
        self.text_environments = {lang: self._environment(lang, html=False) for lang in LANGUAGES}
        self.html_environments = {lang: self._environment(lang, html=True) for lang in LANGUAGES}

    # -- environments ------------------------------------------------------------------

    def _environment(self, language: str, *, html: bool) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES / language),
            undefined=StrictUndefined,
            autoescape=html,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["date"] = lambda value: self._date(value, language)
        env.filters["longdate"] = lambda value: self._long_date(value, language)
        env.filters["digits"] = persian_digits if language == "fa" else str
        env.filters["amount"] = lambda value: _amount(value, language)
        labels = env.get_template("_labels.j2").module
        env.globals.update({name: getattr(labels, name) for name in dir(labels)
                            if name.isupper()})
        env.globals["language"] = language
        env.globals["fail"] = _fail
        return env

    # -- dates -------------------------------------------------------------------------

    def _moment(self, value: Any) -> dt.date | dt.datetime:
        moment = value
        if isinstance(value, str):
            try:
                moment = (dt.date.fromisoformat(value) if len(value) == 10
                          else dt.datetime.fromisoformat(value))
            except ValueError as exc:
                raise Unrenderable(f"not a date: {value!r}") from exc
        if isinstance(moment, dt.datetime):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return moment.astimezone(self.zone)
        if isinstance(moment, dt.date):
            return moment
        raise Unrenderable(f"not a date: {value!r}")

    def _date(self, value: Any, language: str) -> str:
        """Short form, for SMS: 1410/01/01 14:30 (Jalali, Persian digits) or 2031-03-21 14:30."""
        moment = self._moment(value)
        if isinstance(moment, dt.datetime):
            if language == "fa":
                return persian_digits(jdatetime.datetime.fromgregorian(datetime=moment)
                                      .strftime("%Y/%m/%d %H:%M"))
            return moment.strftime("%Y-%m-%d %H:%M")
        if language == "fa":
            return persian_digits(jdatetime.date.fromgregorian(date=moment).strftime("%Y/%m/%d"))
        return moment.isoformat()

    def _long_date(self, value: Any, language: str) -> str:
        """Long form, for e-mail: ۱ فروردین ۱۴۱۰، ساعت ۱۴:۳۰ or 21 March 2031, 14:30."""
        moment = self._moment(value)
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        if language == "fa":
            jalali = jdatetime.date.fromgregorian(date=day)
            text = f"{jalali.day} {JALALI_MONTHS[jalali.month - 1]} {jalali.year}"
            if isinstance(moment, dt.datetime):
                text += f"، ساعت {moment:%H:%M}"
            return persian_digits(text)
        text = f"{day.day} {day:%B %Y}"
        if isinstance(moment, dt.datetime):
            text += f", {moment:%H:%M}"
        return text

    # -- rendering ---------------------------------------------------------------------

    def link(self, template: str, data: dict[str, Any]) -> str:
        target = LINKS.get(template, DEFAULT_LINK)
        if isinstance(target, dict):
            audience = data.get("audience") or next(iter(target))
            if audience not in target:
                raise Unrenderable(f"{template}: audience must be {' or '.join(target)}, "
                                   f"not {audience!r}")
            target = target[audience]
        path, field = target
        value = data.get(field)
        if value in (None, ""):
            raise Unrenderable(f"{template}: '{field}' is undefined (needed for the link)")
        return self.public_base_url + path.format(quote(str(value), safe=""))

    def render(self, template: str, data: dict[str, Any]) -> dict[str, Rendition]:
        """Return {"fa": ..., "en": ...}; raise Unrenderable when a template or datum is missing."""
        link = self.link(template, data)
        context = {**data, "link": link}
        return {language: self._render(template, language, context, link)
                for language in LANGUAGES}

    def _render(self, template: str, language: str, context: dict[str, Any],
                link: str) -> Rendition:
        try:
            text_env = self.text_environments[language]
            source = text_env.get_template(f"{template}.j2")
            subject = " ".join(_block(source, "subject", context).split())
            text = _tidy(_block(source, "text", context))
            short = (_tidy(_block(source, "sms", context)) if "sms" in source.blocks
                     else text)
            html_env = self.html_environments[language]
            html_source = html_env.get_template(f"{template}.j2")
            content = Markup(_block(html_source, "html", context).strip())
            html = html_env.get_template("_email.html.j2").render(
                subject=subject, content=content, link=link)
            footer = str(text_env.globals["FOOTER"])
        except (TemplateError, ValueError, TypeError, KeyError) as exc:
            raise Unrenderable(f"{template}/{language}: {exc}") from exc
        if not subject or not text:
            raise Unrenderable(f"{template}/{language}: empty subject or text")
        return Rendition(
            subject=subject,
            text=text,
            link=link,
            sms=self.fit_sms(short, link),
            email_text=f"{text}\n\n{link}\n\n-- \n{footer}",
            html=html,
        )

    def fit_sms(self, text: str, link: str) -> str:
        """The text and the link within the segment budget; the text is cut, never the link."""
        whole = f"{text}\n{link}"
        if sms_segments(whole) <= self.sms_max_segments:
            return whole
        _, ucs2 = sms_units(whole)
        ellipsis = "…" if ucs2 else "..."
        room = sms_capacity(self.sms_max_segments, ucs2=ucs2) - sms_units(f"{ellipsis}\n{link}")[0]
        cut = text
        while cut and sms_units(cut)[0] > room:
            cut = cut[:-1]
        # end on a word boundary when there is one nearby
        space = cut.rfind(" ")
        if space > len(cut) * 0.6:
            cut = cut[:space]
        return f"{cut.rstrip()}{ellipsis}\n{link}"


def _amount(value: Any, language: str) -> str:
    """A sum of money in whole rials with thousands separators: ۱٬۲۵۰٬۰۰۰ or 1,250,000."""
    if isinstance(value, bool) or not (isinstance(value, int) or (
            isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value))):
        raise Unrenderable(f"not an amount: {value!r}")
    number = int(value)
    if language == "fa":
        # the Persian thousands separator (U+066C), not a comma
        return persian_digits(f"{number:,}".replace(",", "\u066c"))
    return f"{number:,}"


def _fail(reason: str) -> str:
    """For templates: refuse data they cannot say anything sensible about."""
    raise Unrenderable(reason)


def _block(template: Any, name: str, context: dict[str, Any]) -> str:
    render = template.blocks.get(name)
    if render is None:
        raise Unrenderable(f"{template.name} has no block '{name}'")
    return "".join(render(template.new_context(context)))
