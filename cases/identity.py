"""Identity numbers and phone numbers (DOMAIN.md §10). Pure functions, no database.

Resident ID (GB 11643-1999): 6-digit address code + 8-digit birth date + 3-digit sequence (odd = male,
even = female) + a check character computed with ISO 7064 MOD 11-2. Legacy 15-digit numbers insert
"19" before the 2-digit year and gain a check character.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


class InvalidIdNumber(ValueError):
    """Raised with a translated, user-facing message."""


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case X
    birth_date: dt.date
    is_female: bool
    region_code: str


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_resident_id(raw: str) -> ResidentId:
    """Validate and normalise a resident ID number (18 characters, or a legacy 15-digit one).

    Raises ``InvalidIdNumber`` with a message that says what is wrong.
    """
    value = re.sub(r"\s+", "", raw or "").upper()
    if re.fullmatch(r"\d{15}", value):
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidIdNumber(
            _("A resident ID number has 18 characters (17 digits and a digit or X), or 15 digits.")
        )
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber(_("The check character does not match: please re-read the ID number."))
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(_("The birth date inside the ID number is not a real date.")) from exc
    if birth > dt.date.today():
        raise InvalidIdNumber(_("The birth date inside the ID number is in the future."))
    return ResidentId(
        number=value, birth_date=birth, is_female=int(value[16]) % 2 == 0, region_code=value[:6]
    )


def mask_id_number(number: str) -> str:
    """First 6 and last 4 characters shown: ``110105********002X``."""
    if not number:
        return ""
    if len(number) <= 10:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """A mainland mobile as E.164 (``+8613912345678``); a landline kept as ``0AAA-NNNNNNNN``.

    Accepts spaces, dashes and a leading +86 / 86 / 0086.
    """
    value = re.sub(r"[\s()]", "", raw or "")
    if not value:
        return ""
    digits = re.sub(r"-", "", value)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and MOBILE_RE.fullmatch(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
            break
    if MOBILE_RE.fullmatch(digits):
        return "+86" + digits
    if LANDLINE_RE.fullmatch(value):
        return value
    raise InvalidPhone(_("Enter an 11-digit mobile number (1xx xxxx xxxx) or a landline with its area code."))


def mask_phone(phone: str) -> str:
    if phone.startswith("+86") and len(phone) == 14:
        return phone[3:6] + "****" + phone[-4:]
    return phone
