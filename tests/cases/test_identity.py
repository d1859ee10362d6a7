import datetime as dt

import pytest

from cases.identity import (
    InvalidIdNumber,
    InvalidPhone,
    check_character,
    mask_id_number,
    mask_phone,
    normalise_phone,
    parse_resident_id,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_examples_validate(number):
    assert parse_resident_id(number).number == number


def test_lower_case_x_is_normalised():
    parsed = parse_resident_id("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.is_female is True  # sequence 002: even
    assert parsed.region_code == "110105"


def test_spaces_are_ignored():
    assert parse_resident_id(" 110105 19491231 002X ").number == "11010519491231002X"


@pytest.mark.parametrize(
    "number", ["110105194912310021", "11010519491231002Y", "1101051949123100", "", "abc"]
)
def test_bad_numbers_are_refused(number):
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(number)


def test_wrong_check_character_names_the_problem():
    with pytest.raises(InvalidIdNumber, match="check character"):
        parse_resident_id("110105194912310021")


def test_impossible_birth_date_is_refused():
    first17 = "11010519490230002"  # 30 February
    with pytest.raises(InvalidIdNumber, match="not a real date"):
        parse_resident_id(first17 + check_character(first17))


def test_fifteen_digit_legacy_number_is_converted():
    parsed = parse_resident_id("110105491231002")
    assert parsed.number == "11010519491231002X"


def test_check_character_formula_matches_the_standard():
    # S mod 11 = R, check = "10X98765432"[R]
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_masking_shows_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("") == ""
    assert mask_id_number("E1234567") == "E1******"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
        ("+86 139-1234-5678", "+8613912345678"),
        ("008613912345678", "+8613912345678"),
        ("0771-5551234", "0771-5551234"),
        ("010-12345678", "010-12345678"),
        ("", ""),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12912345678", "1391234567", "hello", "+1 415 555 0100"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_phone_mask():
    assert mask_phone("+8613912345678") == "139****5678"
