"""Columns of one kind of identifier (a column of emails, phone numbers, SSNs): the verdict on
each value in one tight loop, without candidates, windows or result objects.

A column's kind is decided once, from the shape of its first values. For a value of that exact
shape, `KINDS[kind].check` gives the verdict the recogniser and the detector's acceptance rules
would give it (the same functions, called directly); values of any other shape go the general way.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from hfguard.pii import checks
from hfguard.pii.recognizers import _NANP, _nanp_valid, email_ok

KIND_SAMPLE = 200  # first non-empty values of a column that decide its kind
KIND_SHARE = 0.9  # of them in the kind's shape


# Documentation examples (checks.documentation_example) are IBANs, an NPI and an MBI: of the
# shapes below only a phone number can spell one (the NPI's ten digits).
_EXAMPLE_NPI = "1245319599"


def _email(value: str) -> bool:
    return email_ok(value) and not checks.email_not_personal(value)


def _phone(value: str) -> bool:
    m = _NANP.fullmatch(value)
    if m is None:
        return False
    digits = m.group(1) + m.group(2) + m.group(3)
    distinct = set(digits) | ({"1"} if value[0] == "1" else set())
    return _nanp_valid(int(digits[:7])) and len(distinct) >= 4 and digits != _EXAMPLE_NPI


def _ssn(value: str) -> bool:
    # ddd-dd-dddd: Presidio's invalidation (one kind of separator; not all one digit; group,
    # serial, area 000/666 and published numbers) is within ssn_digits_ok's
    return checks.ssn_digits_ok(value[:3] + value[4:6] + value[7:])


class Kind(NamedTuple):
    shape: re.Pattern[str]  # a value the prefilter takes whole, as one candidate of this entity only
    check: Callable[[str], bool]


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# Shapes the prefilter takes whole, as one candidate of that entity only (checked case by case
# against prefilter.find_candidates): an email's local part starts with a letter and has no "+"
# or "%" (a digit run after those is a candidate of its own); phone numbers are North American,
# written with one kind of separator (bare digits are a phone number only with context).
KINDS: dict[str, Kind] = {
    "EMAIL_ADDRESS": Kind(re.compile(rf"[A-Za-z](?:[A-Za-z0-9._-]{{0,62}}[A-Za-z0-9])?@{_LABEL}(?:\.{_LABEL})+"), _email),
    "PHONE_NUMBER": Kind(re.compile(
        r"(?:1-)?[2-9]\d\d-[2-9]\d\d-\d{4}|\([2-9]\d\d\) ?[2-9]\d\d-\d{4}|[2-9]\d\d\.[2-9]\d\d\.\d{4}|"
        r"[2-9]\d\d [2-9]\d\d \d{4}"
    ), _phone),
    "US_SSN": Kind(re.compile(r"\d{3}-\d{2}-\d{4}"), _ssn),
}


def column_kind(values: list[str], enabled: Callable[[str], bool]) -> str | None:
    """The kind whose shape nearly all of the first non-empty values have, if any."""
    sample = [v for v in values[: KIND_SAMPLE * 2] if v and not v.isspace()][:KIND_SAMPLE]
    if len(sample) < 5:
        return None
    for name, kind in KINDS.items():
        if enabled(name) and sum(1 for v in sample if kind.shape.fullmatch(v)) >= KIND_SHARE * len(sample):
            return name
    return None
