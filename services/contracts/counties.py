"""Reference data every service agrees on: the counties (شهرستان) of Gilan province."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator


@dataclass(frozen=True)
class County:
    code: str
    name_fa: str
    name_en: str


GILAN_COUNTIES: tuple[County, ...] = (
    County("astara", "آستارا", "Astara"),
    County("astaneh", "آستانه اشرفیه", "Astaneh-ye Ashrafiyeh"),
    County("amlash", "املش", "Amlash"),
    County("anzali", "بندر انزلی", "Bandar-e Anzali"),
    County("khomam", "خمام", "Khomam"),
    County("rasht", "رشت", "Rasht"),
    County("rezvanshahr", "رضوانشهر", "Rezvanshahr"),
    County("rudbar", "رودبار", "Rudbar"),
    County("rudsar", "رودسر", "Rudsar"),
    County("siahkal", "سیاهکل", "Siahkal"),
    County("shaft", "شفت", "Shaft"),
    County("sowmeh_sara", "صومعه‌سرا", "Sowme'eh Sara"),
    County("talesh", "تالش", "Talesh"),
    County("fuman", "فومن", "Fuman"),
    County("lahijan", "لاهیجان", "Lahijan"),
    County("langarud", "لنگرود", "Langarud"),
    County("masal", "ماسال", "Masal"),
)

COUNTIES_BY_CODE: dict[str, County] = {c.code: c for c in GILAN_COUNTIES}


def _check_county(code: str) -> str:
    if code not in COUNTIES_BY_CODE:
        raise ValueError("county_unknown")
    return code


CountyCode = Annotated[str, AfterValidator(_check_county)]
