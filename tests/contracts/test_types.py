"""Domain value checks that every service relies on."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from services.contracts.counties import GILAN_COUNTIES
from services.contracts.types import Mobile, NationalCode, national_code_is_valid


@pytest.mark.parametrize("code", ["0499370899", "0013542419", "0084575948"])
def test_valid_national_codes(code: str) -> None:
    assert national_code_is_valid(code)


@pytest.mark.parametrize("code", ["0499370898", "1111111111", "0000000000", "123456789", "abcdefghij"])
def test_invalid_national_codes(code: str) -> None:
    assert not national_code_is_valid(code)


def test_check_digit_rule_for_small_remainders() -> None:
    # remainder < 2: the check digit equals the remainder itself
    body = "000000001"  # weighted sum 2 -> remainder 2 -> check 9
    assert national_code_is_valid(body + "9")
    body = "100000000"  # weighted sum 10 -> remainder 10 -> check 1
    assert national_code_is_valid(body + "1")
    body = "000000010"  # weighted sum 3 -> check 8
    assert national_code_is_valid(body + "8") and not national_code_is_valid(body + "3")


def test_persian_digits_and_spacing_are_normalised() -> None:
    assert TypeAdapter(NationalCode).validate_python("۰۴۹۹۳۷۰۸۹۹") == "0499370899"
    assert TypeAdapter(Mobile).validate_python("+98 912 123 4567") == "09121234567"
    with pytest.raises(ValidationError):
        TypeAdapter(Mobile).validate_python("02112345678")


def test_gilan_has_its_seventeen_counties_with_both_names() -> None:
    assert len(GILAN_COUNTIES) == 17
    assert len({c.code for c in GILAN_COUNTIES}) == 17
    assert all(c.name_fa and c.name_en for c in GILAN_COUNTIES)
