"""What a column (CSV header, JSON key path) says it holds, and what its values look like.

Used to aggregate findings per column, to give the recognisers the column name as context, to find
columns that no pattern can recognise (names, dates of birth, addresses, diagnoses) and to tell
which records join a person with health data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hfguard.pii.checks import TAG

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INDEX = re.compile(r"\[\d*\]|\.\d+(?=\.|$)")

# Header words (normalised: lower case, words joined by "_") -> entity. First match wins.
_HEADER_ENTITIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:^|_)(?:e_?mail|email_?address|mail)(?:_|$)"), "EMAIL_ADDRESS"),
    (re.compile(r"(?:^|_)(?:phone|mobile|cell|cellphone|tel|telephone|fax|msisdn|whatsapp)(?:_|$)"), "PHONE_NUMBER"),
    (re.compile(r"(?:^|_)(?:ssn|social_security(?:_number)?|ss_number)(?:_|$)"), "US_SSN"),
    (re.compile(r"(?:^|_)(?:credit_?card|debit_?card|card_?(?:number|no|num)|cc_?(?:number|num|no)|pan)(?:_|$)"), "CREDIT_CARD"),
    (re.compile(r"(?:^|_)iban(?:_|$)"), "IBAN_CODE"),
    (re.compile(r"(?:^|_)(?:ip|ip_?addr(?:ess)?|client_?ip|remote_?addr|src_?ip|source_?ip|ipv4|ipv6)(?:_|$)"), "IP_ADDRESS"),
    (re.compile(r"(?:^|_)passport"), "US_PASSPORT"),
    (re.compile(r"(?:^|_)(?:driver|drivers_?licen[cs]e|dl_?(?:number|no))"), "US_DRIVER_LICENSE"),
    (re.compile(r"(?:^|_)(?:bank_?account|account_?(?:number|no|num)|acct)(?:_|$)"), "US_BANK_NUMBER"),
    (re.compile(r"(?:^|_)(?:itin|taxpayer_?id)(?:_|$)"), "US_ITIN"),
    (re.compile(r"(?:^|_)nhs"), "UK_NHS"),
    (re.compile(r"(?:^|_)(?:btc|bitcoin|wallet)(?:_|$)"), "CRYPTO"),
    (re.compile(r"(?:^|_)(?:icd|icd_?10|icd10_?(?:cm|code)?|dx_?code|diagnosis_?code)(?:_|$)"), "ICD10_CODE"),
    (re.compile(r"(?:^|_)(?:mrn|medical_?record(?:_?(?:number|no|id))?)(?:_|$)"), "MEDICAL_RECORD_NUMBER"),
    (re.compile(r"(?:^|_)npi(?:_|$)"), "US_NPI"),
    (re.compile(r"(?:^|_)dea(?:_?(?:number|no|num))?(?:_|$)"), "US_DEA"),
    (re.compile(r"(?:^|_)(?:mbi|medicare_?(?:id|number|no))(?:_|$)"), "MEDICARE_MBI"),
    (re.compile(r"(?:^|_)(?:dob|date_?of_?birth|birth_?date|birthday|birth_?day)(?:_|$)"), "DATE_OF_BIRTH"),
    (re.compile(r"(?:^|_)(?:first_?name|last_?name|full_?name|surname|given_?name|family_?name|"
                r"middle_?name|(?:customer|patient|client|person|contact|member|employee|user)_?name)(?:_|$)"), "PERSON"),
    (re.compile(r"(?:^|_)(?:street|street_?address|home_?address|address(?:_?line)?\d?|mailing_?address|"
                r"billing_?address|shipping_?address|addr)(?:_|$)"), "STREET_ADDRESS"),
]
# Headers that say health data by themselves (strong), or only next to a person identifier (weak).
# Whole header words only: `rx_bytes`, `gau_icdf`, `river_discharge_m3s` and `patients` (a count)
# say nothing about health.
_HEALTH_STRONG = re.compile(
    r"(?:^|_)(?:diagnos[ie]s|diagnosis|diagnosis_?(?:codes?|desc\w*|names?)|dx(?:_?codes?)?|"
    r"icd(?:_?(?:9|10))?(?:_?cm)?(?:_?codes?)?|mrn|medical_?records?(?:_?(?:number|no|id))?|"
    r"patient_?(?:diagnos[ie]s|diagnosis|conditions?|notes?|history)|medications?|"
    r"prescriptions?|rx(?:_?(?:names?|drugs?|codes?))?|npi|mbi|medicare_?(?:id|number|no)|hiv(?:_?status)?|"
    r"allerg(?:y|ies)|lab_?results?|blood_?type|comorbidit(?:y|ies)|chief_?complaint|"
    r"discharge_?(?:diagnos[ie]s|diagnosis|summary|notes?))$"
)
_HEALTH_WEAK = re.compile(
    r"(?:^|_)(?:(?:medical|health)_?(?:conditions?|history|notes?|status)|diseases?|symptoms?|treatments?|"
    r"drugs?|drug_?name|dosage|dose|vaccin\w*|therapy|therapies|clinical_?notes?|clinical_?history)(?:_|$)"
)
_PLAIN_NAME = re.compile(
    r"^(?:name|names|author|reviewer|reviewer_?name|username|user|patient|customer|client|employee|member|"
    r"guest|passenger|contact|cardholder|account_?holder|policy_?holder|beneficiary|subscriber)$"
)

_EMPTY_VALUES = frozenset({"", "none", "null", "nan", "n/a", "na", "-", "unknown", "0", "false", "no", "[]", "{}"})
# Person names in many languages: titles (Dr., Sig.ra, Univ.Prof., Dipl.-Ing.), particles (del,
# van der, de la), accents, initials, degrees after (B.Sc., PhD). Letters spelled as ranges (not
# \w) so RE2 (count_fits) reads the same pattern.
_L = "A-Za-z\u00c0-\u024f"
_UP = "A-Z\u00c0-\u00de"
_TITLE = (
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Univ\.Prof|Dipl\.-[A-Z][a-z]+(?:\.\(FH\))?|Sig|Sig\.ra|Sr|Sra|Mme|Mlle|"
    r"Herr|Frau|Ing|Dott|Dott\.ssa|Mag|Lic)\.? )"
)
_PARTICLE = r"(?:de|del|della|delle|dei|degli|di|da|dal|dos|das|do|du|des|van|von|der|den|ten|ter|la|le|y|i|zu|zur|af|av)"
_NAME_WORD = rf"[{_UP}][{_L}'-]*\.?"
_SUFFIX = r"(?:B\.Sc\.|M\.Sc\.|B\.A\.|M\.A\.|B\.Eng\.|M\.Eng\.|MBA|PhD|Jr\.|Sr\.|MD|DDS|DVM|II|III|IV)"
_NAME_PATTERN = rf"{_TITLE}*{_NAME_WORD}(?: (?:{_PARTICLE} )*{_NAME_WORD}){{0,5}}(?:,? {_SUFFIX})?"
_NAME_VALUE = re.compile(_NAME_PATTERN)
_DATE_VALUE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T ][\d:.Z+-]*)?|"
    r"(?:\d{1,2} )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|\d{8}",
    re.IGNORECASE,
)
# A house number then the street ("12 Main St", "34, rue de Godard"), or the street then the
# number ("Hauptstr. 5", "Via Roma, 12", "Plaza de Belén Gómez 66").
# a street word then its name, no number ("rue de Dupuy", "chemin de Le Roux").
_ADDRESS_PATTERN = (
    rf"\d+[A-Za-z]?,?(?: [{_L}0-9.'-]+){{1,8}}|[{_L}0-9.' -]+,? \d+[A-Za-z]?|"
    rf"(?i:rue|avenue|boulevard|chemin|impasse|allée|quai|via|viale|piazza|corso|calle|avenida|paseo|"
    rf"camino|rua|straße|strasse|weg|gasse)(?: [{_L}'-]+){{1,6}}"
)
_ADDRESS_VALUE = re.compile(_ADDRESS_PATTERN)


@dataclass(frozen=True)
class Field:
    key: str  # the column identity used to aggregate (indices removed)
    words: str  # normalised header words ("customer_email"), also the recognisers' context
    entity: str | None  # what the header says the values are
    health: str | None  # "strong" or "weak" when the header says health data
    plain_name: bool  # "name"/"author": a person name only next to other personal columns


@lru_cache(maxsize=4096)
def classify(field: str) -> Field:
    key = _INDEX.sub("[]", field)
    last = re.split(r"[./\[\]]+", key.strip("./[]"))[-1] if key.strip("./[]") else key
    words = _CAMEL.sub("_", last).lower()
    words = re.sub(r"[^a-z0-9]+", "_", words).strip("_")
    entity = next((e for pattern, e in _HEADER_ENTITIES if pattern.search(words)), None)
    health: str | None = None
    if _HEALTH_STRONG.search(words):
        health = "strong"
    elif _HEALTH_WEAK.search(words):
        health = "weak"
    return Field(key, words, entity, health, bool(_PLAIN_NAME.match(words)))


def is_empty(value: str) -> bool:
    """A cell with nothing in it: blank, a null spelled out, or a redaction tag alone
    (`<EMAIL_ADDRESS>`: the value `hfguard redact` took out)."""
    value = value.strip()
    if value[:1] == "<" and value[-1:] == ">":
        return TAG.fullmatch(value) is not None
    return value.lower() in _EMPTY_VALUES


def value_fits(entity: str, value: str, full_name: bool = False) -> bool:
    """Does a cell value look like what a header-only entity says (names, dates, addresses)?
    `full_name`: a first and a last name (for a bare "name" column, which may name anything)."""
    value = value.strip()
    if entity == "PERSON":
        return len(value) <= 80 and bool(_NAME_VALUE.fullmatch(value)) and (not full_name or " " in value)
    if entity == "DATE_OF_BIRTH":
        return len(value) <= 40 and bool(_DATE_VALUE.fullmatch(value))
    if entity == "STREET_ADDRESS":
        return 6 <= len(value) <= 200 and bool(_ADDRESS_VALUE.match(value)) and any(c.isalpha() for c in value)
    if entity == "HEALTH_FIELD":  # a diagnosis, a drug, a code: a number alone is a count or a measure
        return not is_empty(value) and any(c.isalpha() for c in value)
    return not is_empty(value)


def free_text(value: str) -> bool:
    """A sentence rather than an identifier: worth NER, and never an ID column."""
    return len(value) >= 24 and value.count(" ") >= 3


# The same tests for a whole batch with pyarrow.compute (RE2 spellings of the regexes above).
_WHITESPACE = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace())  # what str.strip() strips
def _re2(pattern: str) -> str:
    """A pattern of this module in RE2's spelling (characters beyond ASCII as \\x{...})."""
    return "".join(f"\\x{{{ord(c):04x}}}" if ord(c) > 127 else c for c in pattern)


_FITS_RE2: dict[str, tuple[str, int, int]] = {  # entity -> (regex on the stripped value, min length, max length)
    "PERSON": ("^(?:" + _re2(_NAME_PATTERN) + ")$", 0, 80),
    "DATE_OF_BIRTH": ("(?i)^(?:" + _DATE_VALUE.pattern + ")$", 0, 40),
    "STREET_ADDRESS": ("^(?:" + _re2(_ADDRESS_PATTERN) + ")", 6, 200),  # and a letter anywhere
}


def count_fits(entity: str, values: list[str], full_name: bool = False) -> int | None:
    """How many non-empty `values` fit `entity` (value_fits), or None: count them one by one."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

    rule = _FITS_RE2.get(entity)
    if rule is None and entity != "HEALTH_FIELD":
        return None
    try:
        arr = pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        return None
    stripped = pc.utf8_trim(arr, characters=_WHITESPACE)
    fits = pc.invert(pc.is_in(pc.utf8_lower(stripped), value_set=pa.array(sorted(_EMPTY_VALUES), pa.string())))
    if rule is not None:
        pattern, shortest, longest = rule
        length = pc.utf8_length(stripped)
        fits = pc.and_(fits, pc.and_(pc.greater_equal(length, shortest), pc.less_equal(length, longest)))
        fits = pc.and_(fits, pc.match_substring_regex(stripped, pattern))
        if entity == "STREET_ADDRESS":
            fits = pc.and_(fits, pc.match_substring_regex(stripped, r"\pL"))
        if entity == "PERSON" and full_name:
            fits = pc.and_(fits, pc.match_substring(stripped, " "))
    if entity == "HEALTH_FIELD":
        fits = pc.and_(fits, pc.match_substring_regex(stripped, r"\pL"))
    return int(pc.sum(pc.cast(fits, pa.int64())).as_py() or 0)
