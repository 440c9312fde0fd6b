"""Persian text as people type it, and dates as they read them."""

from __future__ import annotations

import datetime as dt

from services.licensing.persian import (
    jalali,
    license_number,
    normalize,
    search_key,
    sort_key,
)


def test_one_spelling_whatever_the_keyboard() -> None:
    assert normalize("علي  كريمي") == "علی کریمی"
    assert search_key("صومعه‌سرا") == search_key("صومعه سرا") == search_key("صومعهسرا")
    assert search_key("شمارهٔ ۱۲") == search_key("شماره 12")
    assert normalize("مـــريم") == "مریم"  # tatweel
    assert normalize("Rasht  Office") == "rasht office"


def test_names_sort_in_persian_alphabetical_order_with_numbers_in_order() -> None:
    names = ["گیلان", "کیش", "پارس", "بابل", "ژیلا", "چالوس", "آستارا"]
    assert sorted(names, key=sort_key) == ["آستارا", "بابل", "پارس", "چالوس", "ژیلا", "کیش",
                                           "گیلان"]
    offices = [f"دفتر شماره {n}" for n in ("۱۰", "۲", "۱", "۱۱")]
    assert sorted(offices, key=sort_key) == [f"دفتر شماره {n}" for n in ("۱", "۲", "۱۰", "۱۱")]


def test_license_numbers_and_jalali_dates() -> None:
    assert license_number(" gl-۰۶-۰۰۰۱۲ ") == "GL-06-00012"
    assert jalali(dt.date(2024, 5, 4)) == "۱۵ اردیبهشت ۱۴۰۳"
    assert jalali(dt.date(2024, 3, 20)) == "۱ فروردین ۱۴۰۳"  # Nowruz: the year turns
    # a moment late on 3 May in UTC is already 4 May in Iran
    assert jalali(dt.datetime(2024, 5, 3, 22, 0, tzinfo=dt.UTC)) == "۱۵ اردیبهشت ۱۴۰۳"
