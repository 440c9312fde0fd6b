"""Renders a notice from its Jinja2 template in Persian and English.

Persian text gets Jalali dates and Persian digits; English gets Gregorian dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("fa", "en")
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class Unrenderable(Exception):
    pass


def persian_digits(value: Any) -> str:
    return str(value).translate(_TO_PERSIAN)


class Renderer:
    def __init__(self, *, timezone: str, public_base_url: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.public_base_url = public_base_url.rstrip("/")
        self.environments = {lang: self._environment(lang) for lang in LANGUAGES}

    def _environment(self, language: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES / language),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["date"] = lambda value: self._date(value, language)
        env.filters["digits"] = persian_digits if language == "fa" else str
        return env

    def _date(self, value: Any, language: str) -> str:
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
            moment = moment.astimezone(self.zone)
            if language == "fa":
                return persian_digits(jdatetime.datetime.fromgregorian(datetime=moment)
                                      .strftime("%Y/%m/%d %H:%M"))
            return moment.strftime("%Y-%m-%d %H:%M")
        if isinstance(moment, dt.date):
            if language == "fa":
                return persian_digits(jdatetime.date.fromgregorian(date=moment).strftime("%Y/%m/%d"))
            return moment.isoformat()
        raise Unrenderable(f"not a date: {value!r}")

    def render(self, template: str, data: dict[str, Any]) -> dict[str, str]:
        """Return {"fa": ..., "en": ...}; raise Unrenderable when a template or datum is missing."""
        context = {**data, "link": f"{self.public_base_url}/applications/{data.get('application_id', '')}"}
        bodies = {}
        for language, env in self.environments.items():
            try:
                bodies[language] = env.get_template(f"{template}.txt.j2").render(context).strip()
            except (TemplateError, ValueError, TypeError) as exc:
                raise Unrenderable(f"{template}/{language}: {exc}") from exc
        return bodies
