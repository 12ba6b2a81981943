"""Columns of one kind of identifier (a column of emails, phone numbers, SSNs): the verdict on
every value at once, without candidates, windows or result objects.

A column's kind is decided once, from the shape of its first values. For a value of that exact
shape, `KINDS[kind].check` gives the verdict the recogniser and the detector's acceptance rules
would give it (the same functions, called directly); `verdicts` gives the same verdicts for a
whole batch with pyarrow.compute (regex filters in C; Python only for each distinct email
domain and phone prefix). Values of any other shape go the general way; so do North American
numbers with an unassigned area code, whose verdict depends on the column's header (a phone
header is a cue for them), which a kind does not know.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from hfguard.pii import checks
from hfguard.pii.recognizers import _nanp_valid, email_domain_ok, email_ok

KIND_SAMPLE = 200  # first non-empty values of a column that decide its kind
KIND_SHARE = 0.9  # of them in the kind's shape
# Batches from this many values go to pyarrow (importing pyarrow.compute, and pandas with it,
# costs a few hundred ms: more than checking a small file's values one by one).
VECTOR_MIN = 2048


def _email(value: str) -> bool:
    # (documentation examples are IBANs, an NPI and an MBI: no value of these shapes is one)
    return email_ok(value) and not checks.email_not_personal(value)


_DROP_SEPARATORS = str.maketrans("", "", "()-. ")


def _phone_valid(value: str) -> bool:
    digits = value.translate(_DROP_SEPARATORS)
    national = digits[1:] if len(digits) == 11 else digits
    return _nanp_valid(int(national[:7]))


def _phone(value: str) -> bool:
    return _phone_valid(value) and len(set(value.translate(_DROP_SEPARATORS))) >= checks.PHONE_MIN_DISTINCT_DIGITS


def _ssn(value: str) -> bool:
    # ddd-dd-dddd: Presidio's invalidation (one kind of separator; not all one digit; group,
    # serial, area 000/666 and published numbers) is within ssn_digits_ok's
    return checks.ssn_digits_ok(value[:3] + value[4:6] + value[7:])


class Shape(Protocol):
    @property
    def pattern(self) -> str: ...

    def fullmatch(self, string: str) -> object | None: ...


class Kind(NamedTuple):
    shape: Shape  # a value the prefilter takes whole, as one candidate of this entity only
    check: Callable[[str], bool]


_PHONE_SHAPE = re.compile(
    r"(?:1-)?[2-9]\d\d-[2-9]\d\d-\d{4}|\([2-9]\d\d\) ?[2-9]\d\d-\d{4}|[2-9]\d\d\.[2-9]\d\d\.\d{4}|"
    r"[2-9]\d\d [2-9]\d\d \d{4}"
)


class _AssignedPhone:
    """The phone kind's shape: a North American number written with separators, with an
    assigned area code and exchange (a valid number). The others, unassigned area codes, go the
    general way, where the column's header decides: in a column named phone they are phone
    numbers still (made up or mistyped), elsewhere not (recognizers.PhoneRecognizer._cued)."""

    pattern = _PHONE_SHAPE.pattern

    def fullmatch(self, string: str) -> object | None:
        m = _PHONE_SHAPE.fullmatch(string)
        return m if m is not None and _phone_valid(string) else None


NO_CANDIDATE = "NO_CANDIDATE"  # a kind of values that hold no personal data
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# Shapes the prefilter takes whole, as one candidate of that entity only (checked case by case
# against prefilter.find_candidates): an email's local part starts with a letter and has no "+"
# or "%" (a digit run after those is a candidate of its own); phone numbers are North American,
# written with one kind of separator (bare digits are a phone number only with context).
KINDS: dict[str, Kind] = {
    "EMAIL_ADDRESS": Kind(re.compile(rf"[A-Za-z](?:[A-Za-z0-9._-]{{0,62}}[A-Za-z0-9])?@{_LABEL}(?:\.{_LABEL})+"), _email),
    "PHONE_NUMBER": Kind(_AssignedPhone(), _phone),
    "US_SSN": Kind(re.compile(r"\d{3}-\d{2}-\d{4}"), _ssn),
    # IDs such as B012345678 or 42, ISO dates: the prefilter finds nothing in them (no keyword,
    # no '@', ':' or '.', a digit run too short or led by a letter, a date) and skips them here
    # (only where the prefilter would have work: digit runs of nine and more, dates)
    NO_CANDIDATE: Kind(re.compile(r"[A-Za-z][0-9]{9,30}|[0-9]{4}-[0-9]{2}-[0-9]{2}"), lambda value: False),
}


def column_kind(values: list[str], enabled: Callable[[str], bool]) -> str | None:
    """The kind whose shape nearly all of the first non-empty values have, if any."""
    sample = [v for v in values[: KIND_SAMPLE * 2] if v and not v.isspace()][:KIND_SAMPLE]
    if len(sample) < 5:
        return None
    for name, kind in KINDS.items():
        shape = _PHONE_SHAPE if name == "PHONE_NUMBER" else kind.shape  # (a column of phones, assigned or not)
        if (name == NO_CANDIDATE or enabled(name)) and sum(1 for v in sample if shape.fullmatch(v)) >= KIND_SHARE * len(sample):
            return name
    return None


# --- the same verdicts, vectorised ------------------------------------------------------------

# ssn_digits_ok as a regex: area 001-899 but 666, group 01-99, serial 0001-9999; the published
# numbers and those of one repeated digit as a set.
_SSN_OK = (
    r"^(?:00[1-9]|0[1-9]\d|[1-5]\d\d|6[0-57-9]\d|66[0-57-9]|[78]\d\d)-(?:0[1-9]|[1-9]\d)-"
    r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d\d\d)$"
)
_SSN_REFUSED = sorted(
    {f"{d[:3]}-{d[3:5]}-{d[5:]}" for d in checks._SSN_PUBLISHED} | {f"{c * 3}-{c * 2}-{c * 4}" for c in "123456789"}
)


def _email_verdicts(pa: Any, pc: Any, arr: Any) -> Any:
    parts = pc.extract_regex(arr, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)$")
    local, domain = pc.struct_field(parts, "local"), pc.struct_field(parts, "domain")
    domain = pc.utf8_lower(domain)
    good = [d for d in pc.unique(domain).to_pylist() if d and email_domain_ok(d) and not checks._domain_not_personal(d)]
    no_reply = pc.match_substring_regex(local, checks._NO_REPLY.pattern, ignore_case=True)
    return pc.and_(pc.is_in(domain, value_set=pa.array(good, pa.string())), pc.invert(no_reply))


# The number types phonenumbers tries (_number_type_helper): a number matching the general
# pattern and one of these is valid for the region.
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
                 "fixed_line", "mobile")


def _valid_for_us(pa: Any, pc: Any, numbers: Any) -> Any:
    """phonenumbers.is_valid_number_for_region(number, "US") for an array of national numbers,
    with the US metadata's own patterns; a number valid for the US is valid (see _nanp_valid)."""
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region("US")
    if metadata is None:
        return pa.nulls(len(numbers), pa.bool_())
    length = pc.utf8_length(numbers)

    def matching(desc: Any) -> Any:
        if desc is None or not desc.national_number_pattern:
            return None
        found = pc.match_substring_regex(numbers, f"^(?:{desc.national_number_pattern})$")
        if desc.possible_length:
            found = pc.and_(found, pc.is_in(length, value_set=pa.array(list(desc.possible_length), length.type)))
        return found

    general = matching(metadata.general_desc)
    typed = [m for m in (matching(getattr(metadata, name)) for name in _NUMBER_TYPES) if m is not None]
    if general is None or not typed:
        return pa.nulls(len(numbers), pa.bool_())
    anyone = typed[0]
    for other in typed[1:]:
        anyone = pc.or_(anyone, other)
    return pc.and_(general, anyone)


def _phone_assigned(pa: Any, pc: Any, arr: Any) -> Any:
    """_phone_valid for an array (the rest of _AssignedPhone.fullmatch, after the regex)."""
    digits = pc.replace_substring_regex(arr, r"\D", "")
    national = pc.if_else(pc.equal(pc.utf8_length(digits), 11), pc.utf8_slice_codeunits(digits, 1, 11), digits)
    prefixes = pc.utf8_slice_codeunits(national, 0, 7)
    unique = pc.unique(prefixes)
    try:  # the US verdict for all prefixes at once; the others one by one
        us = pc.fill_null(_valid_for_us(pa, pc, pc.binary_join_element_wise(unique, "000", "")), False).to_pylist()
    except pa.ArrowException:  # a pattern RE2 cannot read
        us = [False] * len(unique)
    valid = [p for p, ok in zip(unique.to_pylist(), us) if p and (ok or _nanp_valid(int(p)))]
    return pc.is_in(prefixes, value_set=pa.array(valid, pa.string()))


def _phone_verdicts(pa: Any, pc: Any, arr: Any) -> Any:
    distinct = None
    for digit in "0123456789":
        present = pc.cast(pc.match_substring(arr, digit), pa.int8())
        distinct = present if distinct is None else pc.add(distinct, present)
    return pc.greater_equal(distinct, checks.PHONE_MIN_DISTINCT_DIGITS)


def _ssn_verdicts(pa: Any, pc: Any, arr: Any) -> Any:
    refused = pc.is_in(arr, value_set=pa.array(_SSN_REFUSED, pa.string()))
    return pc.and_(pc.match_substring_regex(arr, _SSN_OK), pc.invert(refused))


_VERDICTS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "EMAIL_ADDRESS": _email_verdicts, "PHONE_NUMBER": _phone_verdicts, "US_SSN": _ssn_verdicts,
}


def verdicts(kind: str, values: list[str]) -> tuple[int, list[int], list[int]] | None:
    """(how many values have the kind's shape, the numbers of those accepted, the numbers of the
    others); None when the values cannot go to Arrow (undecodable bytes kept as lone
    surrogates): check them one by one."""
    if kind == NO_CANDIDATE:
        return None  # a fullmatch a value costs less than importing pyarrow.compute
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

    try:
        arr = pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        return None
    shaped = pc.match_substring_regex(arr, f"^(?:{KINDS[kind].shape.pattern})$")
    if kind == "PHONE_NUMBER":
        shaped = pc.and_(shaped, pc.fill_null(_phone_assigned(pa, pc, arr), False))
    accepted = pc.and_(shaped, pc.fill_null(_VERDICTS[kind](pa, pc, arr), False))
    return (
        int(pc.sum(pc.cast(shaped, pa.int64())).as_py() or 0),
        pc.indices_nonzero(accepted).to_pylist(),
        pc.indices_nonzero(pc.invert(shaped)).to_pylist(),
    )
