"""The pattern tier: hfguard's recognisers for personal and health identifiers. No Presidio, no spaCy.

Each recogniser has Presidio's recogniser interface (`analyze(text, entities, nlp_artifacts)`
returning results with Presidio's fields) and its score semantics: a pattern's base score; 1.0
once a checksum or validator confirms the value; dropped when the validator rejects it; +0.35
(at least 0.4, at most 1.0) when one of its context words is among the five words before the
value. The context step is done here and flagged in `recognition_metadata` as Presidio's own
recognisers do, so the same recogniser gives the same scores inside Presidio's AnalyzerEngine
(see presidio_adapter.py) and on its own.

Validation uses maintained libraries: phonenumbers (the matcher Presidio uses) for phones,
python-stdnum for IBAN, NHS, ITIN and bitcoin check digits, tldextract's bundled public-suffix
snapshot (never a download) for email domains, and the Luhn check the secret rules share.
Explicit registry: RECOGNIZERS.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from hfguard.pii import checks
from hfguard.pii.checks import TAG
from hfguard.secrets.validators import luhn_checksum_ok

MAX_SCORE = 1.0
CONTEXT_FACTOR = 0.35  # Presidio's context_similarity_factor
CONTEXT_MIN_SCORE = 0.4  # Presidio's min_score_with_context_similarity
CONTEXT_PREFIX_WORDS = 5  # Presidio's context_prefix_count
IS_SCORE_ENHANCED_BY_CONTEXT_KEY = "is_score_enhanced_by_context"  # Presidio's metadata key
RECOGNIZER_NAME_KEY = "recognizer_name"


@dataclass
class RecognizerResult:
    """Presidio's RecognizerResult, in fields (entity_type, start, end, score, metadata)."""

    entity_type: str
    start: int
    end: int
    score: float
    analysis_explanation: Any = None
    recognition_metadata: dict[str, Any] = field(default_factory=dict)

    def contained_in(self, other: RecognizerResult) -> bool:
        return self.start >= other.start and self.end <= other.end


class Pattern(NamedTuple):
    name: str
    regex: str
    score: float


_WORD = re.compile(r"[^\W_]+(?:[#'][^\W_]*)?")

def tag_spans(text: str) -> list[tuple[int, int]]:
    """Where the redaction tags of a text stand."""
    return [m.span() for m in TAG.finditer(text)] if "<" in text else []


def blank_tags(text: str) -> str:
    """The text with each redaction tag replaced by as many spaces (offsets unchanged)."""
    if "<" not in text:
        return text
    return TAG.sub(lambda m: " " * (m.end() - m.start()), text)


def _text_before(text: str, start: int) -> str:
    """The 96 characters before text[start], from the end of the last redaction tag among them."""
    before = text[max(0, start - 96) : start]
    if ">" in before:  # (a wider slice: a tag cut in half at the edge must still be seen whole)
        wide = text[max(0, start - 192) : start]
        tags = list(TAG.finditer(wide))
        if tags:
            return wide[tags[-1].end() :][-96:]
    return before


def context_words(text: str, start: int) -> list[str]:
    """The (at most) five words before text[start], lower-cased: where Presidio looks; none
    before a redaction tag."""
    return [w.lower() for w in _WORD.findall(_text_before(text, start))[-CONTEXT_PREFIX_WORDS:]]


def remove_duplicates(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Presidio's rule: drop zero scores, and a result inside another of the same entity with an
    equal or higher score."""
    ordered = sorted(results, key=lambda r: (r.entity_type, r.start, -(r.end - r.start), -r.score))
    kept: list[RecognizerResult] = []
    for r in ordered:
        if r.score <= 0:
            continue
        if any(r.entity_type == k.entity_type and r.contained_in(k) and r.score <= k.score for k in kept):
            continue
        kept.append(r)
    return kept


class Recognizer:
    """Base: Presidio's EntityRecognizer interface (name, supported_entities, analyze)."""

    name = "Recognizer"
    supported_entities: tuple[str, ...] = ()
    supported_language = "en"
    context: tuple[str, ...] = ()

    def analyze(self, text: str, entities: Iterable[str] | None = None, nlp_artifacts: Any = None) -> list[RecognizerResult]:
        wanted = self.supported_entities if entities is None else entities
        if not any(e in self.supported_entities for e in wanted):
            return []
        results = self.find(text)
        if results and "<" in text:
            tags = tag_spans(text)  # (a value never takes in a redaction tag)
            results = [r for r in results if not any(r.start < e and s < r.end for s, e in tags)]
        for r in results:
            self.enhance(text, r)
        return remove_duplicates(results)

    def find(self, text: str) -> list[RecognizerResult]:
        raise NotImplementedError

    def result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            self.supported_entities[0], start, end, score,
            recognition_metadata={RECOGNIZER_NAME_KEY: self.name, IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True},
        )

    def enhance(self, text: str, result: RecognizerResult) -> None:
        """Presidio's context rule (LemmaContextAwareEnhancer): a context word in one of the
        five words before the value raises the score."""
        if not self.context or result.score >= MAX_SCORE:
            return
        words = context_words(text, result.start)
        if any(c in w for w in words for c in self.context):
            result.score = min(MAX_SCORE, max(result.score + CONTEXT_FACTOR, CONTEXT_MIN_SCORE))


class PatternRecognizer(Recognizer):
    """Regex candidates, each checked: `validate` True -> score 1.0, False -> dropped;
    `invalidate` True -> dropped (Presidio's PatternRecognizer)."""

    def __init__(
        self, name: str, entity: str, patterns: Sequence[Pattern], context: Sequence[str],
        validate: Callable[[str], bool] | None = None, invalidate: Callable[[str], bool] | None = None,
    ) -> None:
        self.name = name
        self.supported_entities = (entity,)
        self.patterns = tuple(patterns)
        self.context = tuple(context)
        self._validate = validate
        self._invalidate = invalidate
        self._compiled = [(re.compile(p.regex), p.score) for p in self.patterns]

    def find(self, text: str) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        validate, invalidate = self._validate, self._invalidate
        for regex, score in self._compiled:
            for m in regex.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                value = text[start:end]
                if invalidate is not None and invalidate(value):
                    continue
                if validate is not None:
                    if not validate(value):
                        continue
                    found.append(self.result(start, end, MAX_SCORE))
                else:
                    found.append(self.result(start, end, score))
        return found


# --- email ----------------------------------------------------------------------------------------

_EMAIL = (
    r"\b((([!#$%&'*+\-/=?^_`{|}~\w])|([!#$%&'*+\-/=?^_`{|}~\w][!#$%&'*+\-/=?^_`{|}~\.\w]{0,}"
    r"[!#$%&'*+\-/=?^_`{|}~\w]))[@]\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)+)\b"
)
_extractor: Any = None


@lru_cache(maxsize=65536)
def email_domain_ok(domain: str) -> bool:
    """The domain ends in a public suffix (Presidio's email validation), checked against the
    public-suffix snapshot bundled with tldextract: no URLs, no cache, never a fetch."""
    global _extractor
    if _extractor is None:
        import tldextract

        _extractor = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    return bool(_extractor(domain).fqdn != "")


def email_ok(address: str) -> bool:
    return email_domain_ok(address.rpartition("@")[2].lower())


# --- phone ----------------------------------------------------------------------------------------

# Presidio's regions for numbers written without a country code (it lists "UK" and "FE", which
# phonenumbers does not know: GB and FR are meant). A number written with "+" or "00" is matched
# whatever its country: phonenumbers reads the country code from it.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "IT", "ES")
# Cheap candidates: a run of digits with the separators phone numbers use, 7 digits or more, and
# an extension ("x412", " ext. 12") after it.
_PHONE_CANDIDATE = re.compile(r"(?:\+|\b00)?\(?\d[\d \t().\-/]{5,24}\d(?:[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6}\b)?")
_EXTENSION = re.compile(r"[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6}$")
# ddd-dd-dddd (an SSN), NDC drug codes (4-4-2, 5-3-2, 5-4-1), hyphenated ISBNs (a one-digit
# check group at the end): no phone number is written so.
_NOT_PHONE_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}|\d{4,5}-\d{3,4}-\d{1,2}|(?:\d{1,5}-){2,4}\d")
_CODE_LABELS = ("isbn", "issn", "ndc", "doi", "sku", "ean", "upc", "gtin")


def _after_code_label(text: str, start: int) -> bool:
    return any(w.startswith(_CODE_LABELS) for w in context_words(text, start)[-2:])
_NANP = re.compile(r"(?:\+?1[ .-]?)?\(?([2-9]\d\d)\)?[ .-]?([2-9]\d\d)[ .-]?(\d{4})")


@lru_cache(maxsize=262144)
def _nanp_valid(prefix: int) -> bool:
    """Validity of a 10-digit North American number from its first seven digits (area code,
    exchange, first digit of the line): phonenumbers' NANP metadata decides on no more than
    those, so one answer serves every number that shares them (tested against phonenumbers).
    A number valid for the US is valid (the US is the first region phonenumbers tries)."""
    import phonenumbers

    number = phonenumbers.PhoneNumber(country_code=1, national_number=prefix * 1000)
    return bool(phonenumbers.is_valid_number_for_region(number, "US") or phonenumbers.is_valid_number(number))


@lru_cache(maxsize=16384)
def _matcher_spans(candidate: str) -> tuple[tuple[int, int], ...]:
    """phonenumbers' PhoneNumberMatcher (leniency VALID, as Presidio) over one candidate, in
    Presidio's regions; the first region that finds numbers decides."""
    import phonenumbers

    for region in PHONE_REGIONS:
        spans = tuple((m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=1))
        if spans:
            return spans
    return ()


class PhoneRecognizer(Recognizer):
    """Phone numbers in every region written with a country code, and in Presidio's regions
    written without one: a regex finds candidates, phonenumbers validates them. Score 0.4
    (Presidio's), raised by context words."""

    name = "PhoneRecognizer"
    supported_entities = ("PHONE_NUMBER",)
    context = ("phone", "number", "telephone", "cell", "cellphone", "mobile", "call")
    SCORE = 0.4

    def find(self, text: str) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        for start, end in _phone_candidates(text):
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-/#"):
                continue  # the tail of a code ("INV-2016-084791", "ref/2016-084791")
            if end < len(text) and text[end] == "#":
                continue  # a number template ("+44(0)113 496 0###")
            if end + 1 < len(text) and text[end] in "-." and text[end + 1].isalnum():
                continue  # the head of a UUID, a version or a hyphenated code
            if start >= 2 and text[start - 1] in ".," and text[start - 2].isdigit():
                continue  # the decimals of a number
            # (an opening parenthesis closed nowhere in the candidate is not part of the number)
            bare = start + 1 if text[start] == "(" and ")" not in text[start:end] else start
            if _NOT_PHONE_SHAPE.fullmatch(text, bare, end) or _after_code_label(text, start):
                continue  # an SSN's, an NDC's or an ISBN's shape, or after such a label
            candidate = text[start:end]
            extension = _EXTENSION.search(candidate)
            core = candidate[: extension.start()] if extension is not None else candidate
            nanp = _NANP.fullmatch(core)
            if nanp is not None and core[:1] not in "+0":
                # the common North American shape: validity from the first seven digits
                digits = nanp.group(1) + nanp.group(2) + nanp.group(3)
                if _nanp_valid(int(digits[:7])) or (not core.isdigit() and self._cued(text, start, True)):
                    found.append(self.result(start, end, self.SCORE))
                continue
            spans = _matcher_spans(candidate)
            if not spans and len(checks.digits_of(candidate)) >= 9 and self._cued(text, start, not candidate.isdigit()):
                spans = _possible_spans(candidate)  # (eight digits and fewer: a model, a serial)
            for s, e in spans:
                found.append(self.result(start + s, start + e, self.SCORE))
        return found

    def _cued(self, text: str, start: int, separated: bool) -> bool:
        """A phone word among the few words before: "Phone: 04 3421 438", "call me at 822-614-9935"
        is a phone number if it has a possible length for its region, valid or not (unassigned
        area codes: made-up or mistyped numbers are still written as someone's number).

        A column's name before its value ("phone_number: <value>", as the detector analyses
        a cell) is a cue when it is a phone header by whole words (phone, phone_number, tel,
        mobile, ...: columns.classify) and the value is written as a phone number is, with
        separators or an extension. A bare run of digits needs a valid number even there:
        "phone_id", "phone_model" are phone headers too, and their values are IDs."""
        if _LABEL_ONLY.fullmatch(text, 0, start):
            return separated and _phone_header(text[: start - 2])
        words = context_words(text, start)[-3:]
        return any(w.startswith(_PHONE_CUES) for w in words) or "my number" in " ".join(words)


def _phone_candidates(text: str) -> Iterator[tuple[int, int]]:
    """_PHONE_CANDIDATE's spans, none of them holding a date's or a time's digits: a candidate
    that touches a date or a time ("2026-11-30 14" of "2026-11-30 14:23:45,123", Python
    logging's timestamp) is searched again in the pieces around them, where a phone number
    written next to a timestamp is still found. A run of ten or thirteen digits after a time
    label ("time=1732976625", "timestamp: 1732976625123") is a Unix time."""
    for m in _PHONE_CANDIDATE.finditer(text):
        start, end = m.span()
        if not checks.may_touch_datetime(text, start, end):
            if text[start] not in "12" or not _unix_time(text, start, end):
                yield start, end
            continue
        for lo, hi in checks.outside_datetimes(text, start, end):
            for piece in _PHONE_CANDIDATE.finditer(text, lo, hi):
                if not _unix_time(text, *piece.span()):
                    yield piece.span()


# A Unix time in seconds (2001-09 to 2038: ten digits led by 1 or 2) or milliseconds (thirteen),
# right after a time label: "ts=", "timestamp:", "epoch", "created_at", "time".
_UNIX_TIME = re.compile(r"[12]\d{9}(?:\d{3})?")
_TIME_LABEL = re.compile(
    r"(?<![A-Za-z0-9])(?:time|timestamp|ts|epoch|unix|unixtime|date|datetime|created|updated|modified|mtime|ctime|atime|"
    r"[a-z]+_at|[a-z]+_(?:time|ts|timestamp|date))[\"']?[ \t]*[:=][ \t]*[\"']?$",
    re.IGNORECASE,
)


def _unix_time(text: str, start: int, end: int) -> bool:
    return _UNIX_TIME.fullmatch(text, start, end) is not None and (
        _TIME_LABEL.search(text, max(0, start - 24), start) is not None
    )


_LABEL_ONLY = re.compile(r"[\w ]{1,80}: ")


@lru_cache(maxsize=4096)
def _phone_header(label: str) -> bool:
    from hfguard.pii.columns import classify

    return classify(label).entity == "PHONE_NUMBER"
# Words that announce a phone number (several languages): with one right before it, a number
# that is possible (right length for its region) counts, valid or not.
_PHONE_CUES = ("phone", "tel", "mobile", "cell", "call", "fax", "whatsapp", "handy", "telefon", "téléphone",
               "portable", "cellulare", "móvil", "movil", "reach")


@lru_cache(maxsize=16384)
def _possible_spans(candidate: str) -> tuple[tuple[int, int], ...]:
    """phonenumbers' matcher with leniency POSSIBLE, in Presidio's regions."""
    import phonenumbers

    for region in PHONE_REGIONS:
        spans = tuple((m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=0))
        if spans:
            return spans
    return ()


# --- cards, national identifiers ---------------------------------------------------------------


def _luhn(value: str) -> bool:
    return luhn_checksum_ok(checks.digits_of(value))


def _ssn_invalid(value: str) -> bool:
    """Presidio's UsSsnRecognizer.invalidate_result."""
    if len({c for c in value if c in ".- "}) > 1:
        return True
    digits = checks.digits_of(value)
    if not digits or len(set(digits)) == 1:
        return True
    if digits[3:5] == "00" or digits[5:] == "0000" or digits[:3] in ("000", "666"):
        return True
    return digits in ("123456789", "987654320", "078051120")


def _ip_invalid(value: str) -> bool:
    try:
        ipaddress.ip_interface(value)
    except ValueError:
        return True
    return False


def _stdnum(module: str) -> Callable[[str], bool]:
    """python-stdnum's is_valid for one identifier (imported on first use)."""
    checker: list[Callable[[str], bool]] = []

    def valid(value: str) -> bool:
        if not checker:
            import importlib

            checker.append(importlib.import_module(f"stdnum.{module}").is_valid)
        return bool(checker[0](value))

    return valid


def _iban_valid(value: str) -> bool:
    """The country's IBAN length and format and the mod-97 check digits; not the national
    account number's own check digits (a Spanish IBAN with a wrong CCC is still someone's
    account number as written, and what a generator or a typo produces)."""
    from stdnum import iban

    return bool(iban.is_valid(value, check_country=False))
_nhs_valid = _stdnum("gb.nhs")
_bitcoin_valid = _stdnum("bitcoin")

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b")
_IBAN_GROUP_END = re.compile(r"[ -]?[A-Z0-9]{1,4}$")


class IbanRecognizer(Recognizer):
    """IBANs, compact or in groups; python-stdnum checks the country's length and format and the
    mod-97 check digits. A greedy match that swallowed the next word is shortened group by
    group until it validates."""

    name = "IbanRecognizer"
    supported_entities = ("IBAN_CODE",)
    context = ("iban", "bank", "transaction")

    def find(self, text: str) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        for m in _IBAN.finditer(text):
            start = m.start()
            value = m.group()
            for _ in range(3):
                if _iban_valid(value):
                    found.append(self.result(start, start + len(value), MAX_SCORE))
                    break
                shorter = _IBAN_GROUP_END.sub("", value)
                if len(shorter) < 15 or shorter == value:
                    break
                value = shorter
        return found


EMAIL = PatternRecognizer(
    "EmailRecognizer", "EMAIL_ADDRESS", [Pattern("Email (Medium)", _EMAIL, 0.5)], ["email"],
    validate=email_ok,
)
_CARD_CUES = ("card", "credit", "debit", "visa", "master", "maestro", "amex", "pan", "paid", "payment", "charged",
              "karte", "carte", "tarjeta", "carta")


class CardRecognizer(PatternRecognizer):
    """Presidio's card patterns and more; 12 digits are a (Maestro) card only with a card word
    among the five words before."""

    def find(self, text: str) -> list[RecognizerResult]:
        return [
            r for r in super().find(text)
            if len(checks.digits_of(text[r.start : r.end])) != 12
            or any(w.startswith(_CARD_CUES) for w in context_words(text, r.start))
        ]


CREDIT_CARD = CardRecognizer(
    "CreditCardRecognizer", "CREDIT_CARD",
    [
        Pattern(
            "All Credit Cards (weak)",
            r"\b(?!1\d{12}(?!\d))((4\d{3})|(5[0-5]\d{2})|(6\d{3})|(1\d{3})|(3\d{3}))[- ]?(\d{3,4})[- ]?(\d{3,4})[- ]?(\d{3,5})\b",
            0.3,
        ),
        # Mastercard's 2-series (2221-2720), which Presidio's pattern leaves out.
        Pattern("Mastercard 2-series", r"\b2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b", 0.3),
        # JCB's 15-digit 2131/1800 numbers, and 18-19 digit PANs (UnionPay, Visa, Maestro), which
        # Presidio's pattern leaves out; 12-digit Maestro (checks.card_ok: 50, 56-69 only).
        Pattern("JCB 15", r"\b(?:2131|1800)\d{11}\b", 0.3),
        Pattern("Long PAN", r"\b[3-6]\d{3}(?:[- ]?\d{4}){3}[- ]?\d{2,3}\b", 0.3),
        Pattern("Maestro 12", r"\b(?:5[06-9]\d\d|6\d{3}|0604)[- ]?\d{4}[- ]?\d{4}\b", 0.3),
    ],
    ["credit", "card", "visa", "mastercard", "cc ", "amex", "discover", "jcb", "diners", "maestro", "instapayment"],
    validate=lambda v: _luhn(v) and (len(checks.digits_of(v)) != 12 or checks.card_ok(v)),
)
US_SSN = PatternRecognizer(
    "UsSsnRecognizer", "US_SSN",
    [
        Pattern("SSN1 (very weak)", r"\b([0-9]{5})-([0-9]{4})\b", 0.05),
        Pattern("SSN2 (very weak)", r"\b([0-9]{3})-([0-9]{6})\b", 0.05),
        Pattern("SSN3 (very weak)", r"\b(([0-9]{3})-([0-9]{2})-([0-9]{4}))\b", 0.05),
        Pattern("SSN4 (very weak)", r"\b[0-9]{9}\b", 0.05),
        Pattern("SSN5 (medium)", r"\b([0-9]{3})[- .]([0-9]{2})[- .]([0-9]{4})\b", 0.5),
    ],
    ["social", "security", "ssn", "ssns", "ssid"],
    invalidate=_ssn_invalid,
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
_H = r"[0-9A-Fa-f]{1,4}"
IP_ADDRESS = PatternRecognizer(
    "IpRecognizer", "IP_ADDRESS",
    [
        Pattern("IPv4", rf"\b{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/(?:[0-2]?\d|3[0-2]))?\b", 0.6),
        Pattern(
            "IPv6",
            rf"(?<![\w:])(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}|"
            rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}|"
            rf"{_H}:(?::{_H}){{1,6}}|:(?::{_H}){{1,7}})(?:%[0-9a-zA-Z]+)?(?:/(?:12[0-8]|1[01]\d|[1-9]?\d))?(?![\w:]|\.\d)",
            0.6,
        ),
    ],
    ["ip", "ipv4", "ipv6"],
    invalidate=_ip_invalid,
)
US_PASSPORT = PatternRecognizer(
    "UsPassportRecognizer", "US_PASSPORT",
    [Pattern("Passport (very weak)", r"(\b[0-9]{9}\b)", 0.05),
     Pattern("Passport Next Generation (very weak)", r"(\b[A-Z][0-9]{8}\b)", 0.1)],
    ["us", "united", "states", "passport", "passport#", "travel", "document"],
)
US_DRIVER_LICENSE = PatternRecognizer(
    "UsLicenseRecognizer", "US_DRIVER_LICENSE",
    [
        Pattern(
            "Driver License - Alphanumeric (weak)",
            r"\b([A-Z][0-9]{3,6}|[A-Z][0-9]{5,9}|[A-Z][0-9]{6,8}|[A-Z][0-9]{4,8}|[A-Z][0-9]{9,11}|[A-Z]{1,2}[0-9]{5,6}|"
            r"H[0-9]{8}|V[0-9]{6}|X[0-9]{8}|[A-Z]{2}[0-9]{2,5}|[A-Z]{2}[0-9]{3,7}|[0-9]{2}[A-Z]{3}[0-9]{5,6}|"
            r"[A-Z][0-9]{13,14}|[A-Z][0-9]{18}|[A-Z][0-9]{6}R|[A-Z][0-9]{9}|[A-Z][0-9]{1,12}|[0-9]{9}[A-Z]|"
            r"[A-Z]{2}[0-9]{6}[A-Z]|[0-9]{8}[A-Z]{2}|[0-9]{3}[A-Z]{2}[0-9]{4}|[A-Z][0-9][A-Z][0-9][A-Z]|[0-9]{7,8}[A-Z])\b",
            0.3,
        ),
        Pattern("Driver License - Digits (very weak)", r"\b([0-9]{6,14}|[0-9]{16})\b", 0.01),
    ],
    ["driver", "license", "permit", "lic", "identification", "dls", "cdls", "lic#", "driving"],
)
# A token that starts with letters and ends in "-" or "_" right before the digits: ORD-69548600,
# INV_12345678, SKU-2024-12345678 are order, invoice and product identifiers, not accounts.
_CODE_PREFIX = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*[-_]$")
# The end of a sentence: a word of five letters or more, then . ! or ?, then a capital letter
# ("... final account. Order <digits>"); not an abbreviation ("Acct. No. <digits>").
_SENTENCE_END = re.compile(r"[^\W\d_]{5}[.!?]+[\s\"')]+(?=[A-Z])")
# Words that label a number of another kind: after the account word and before the number, they
# say what the number is ("account for order 12345678", "bank transfer ref 20240501").
_OTHER_LABELS = frozenset({
    "order", "orders", "ord", "invoice", "inv", "ref", "reference", "ticket", "case", "sku", "tracking", "item",
    "serial", "booking", "confirmation", "reservation", "transaction", "shipment", "parcel", "po", "receipt",
    "claim", "model", "part", "version", "build",
})


class BankAccountRecognizer(PatternRecognizer):
    """Presidio's US bank account pattern (8-17 digits, weak: it counts only with context), with
    the context word close and about this number: in the same sentence, with no other label
    (order, invoice, ref, ...) between it and the number; and no digits glued to a code's
    letters (ORD-69548600)."""

    def find(self, text: str) -> list[RecognizerResult]:
        return [r for r in super().find(text) if not self._in_code(text, r.start)]

    def _in_code(self, text: str, start: int) -> bool:
        m = _CODE_PREFIX.search(text, max(0, start - 40), start)
        return m is not None and m.group()[:-1].lower() not in self.context  # (ACCT-<digits> is one)

    def enhance(self, text: str, result: RecognizerResult) -> None:
        if result.score >= MAX_SCORE:
            return
        before = _text_before(text, result.start)
        ends = list(_SENTENCE_END.finditer(before))
        if ends:
            before = before[ends[-1].end() :]
        words = [w.lower() for w in _WORD.findall(before)[-CONTEXT_PREFIX_WORDS:]]
        for i in range(len(words) - 1, -1, -1):
            if any(c in words[i] for c in self.context):
                if not _OTHER_LABELS.intersection(words[i + 1 :]):
                    result.score = min(MAX_SCORE, max(result.score + CONTEXT_FACTOR, CONTEXT_MIN_SCORE))
                return


US_BANK_NUMBER = BankAccountRecognizer(
    "UsBankRecognizer", "US_BANK_NUMBER", [Pattern("Bank Account (weak)", r"\b[0-9]{8,17}\b", 0.05)],
    ["check", "account", "account#", "acct", "bank", "save", "debit"],
)
_ITIN_GROUP = r"(5\d|6[0-5]|7\d|8[0-8]|9([0-2]|[4-9]))"
US_ITIN = PatternRecognizer(
    "UsItinRecognizer", "US_ITIN",
    [
        Pattern("Itin (very weak)", rf"\b9\d{{2}}[- ]{_ITIN_GROUP}\d{{4}}\b|\b9\d{{2}}{_ITIN_GROUP}[- ]\d{{4}}\b", 0.05),
        Pattern("Itin (weak)", rf"\b9\d{{2}}{_ITIN_GROUP}\d{{4}}\b", 0.3),
        Pattern("Itin (medium)", rf"\b9\d{{2}}[- ]{_ITIN_GROUP}[- ]\d{{4}}\b", 0.5),
    ],
    ["individual", "taxpayer", "itin", "tax", "payer", "taxid", "tin"],
)
UK_NHS = PatternRecognizer(
    "NhsRecognizer", "UK_NHS", [Pattern("NHS (medium)", r"\b([0-9]{3})[- ]?([0-9]{3})[- ]?([0-9]{4})\b", 0.5)],
    ["national health service", "nhs", "health services authority", "health authority"],
    validate=_nhs_valid,
)
CRYPTO = PatternRecognizer(
    "CryptoRecognizer", "CRYPTO", [Pattern("Crypto (Medium)", r"\b(?:bc1|[13])[a-zA-HJ-NP-Z0-9]{25,59}\b", 0.5)],
    ["wallet", "btc", "bitcoin", "crypto"],
    validate=_bitcoin_valid,
)

# --- health identifiers (hfguard's own) -----------------------------------------------------------

class Icd10Recognizer(PatternRecognizer):
    """ICD-10-CM codes; written without the dot ("E119") only after a diagnosis word."""

    def find(self, text: str) -> list[RecognizerResult]:
        return [
            r for r in super().find(text)
            if r.end - r.start <= 3 or text[r.start + 3] == "."
            or any(c in w for w in context_words(text, r.start) for c in self.context)
        ]


ICD10_CODE = Icd10Recognizer(
    "Icd10Recognizer", "ICD10_CODE",
    [Pattern("icd10_code", r"\b(?:[A-TV-Z]\d[0-9A-Z]|U0[79])(?:\.[0-9A-Z]{1,4})?\b", 0.5),
     # without the dot (CMS, MIMIC: "E119"): a diagnosis word must stand before it
     Pattern("icd10_code_compact", r"\b[A-TV-Z]\d\d[0-9X][0-9A-Z]{0,3}\b", 0.4)],
    ["icd", "icd10", "diagnosis", "diagnoses", "dx", "diagnosed"],
    invalidate=lambda v: not checks.icd10_ok(v),
)
MEDICAL_RECORD_NUMBER = PatternRecognizer(
    "MrnRecognizer", "MEDICAL_RECORD_NUMBER",
    [Pattern("medical_record_number", r"\b(?:[A-Z]{1,3}-?)?\d{5,12}\b", 0.5)],
    ["mrn", "record", "patient", "chart"],
    invalidate=lambda v: len(set(v)) <= 2,
)
US_NPI = PatternRecognizer(
    "NpiRecognizer", "US_NPI", [Pattern("us_npi", r"\b[12]\d{9}\b", 0.5)], ["npi", "provider"],
    invalidate=lambda v: not checks.npi_ok(v),
)
US_DEA = PatternRecognizer(
    "DeaRecognizer", "US_DEA", [Pattern("us_dea", r"\b[A-Z][A-Z9]\d{7}\b", 0.5)], ["dea", "prescriber"],
    invalidate=lambda v: not checks.dea_ok(v),
)
MEDICARE_MBI = PatternRecognizer(
    "MbiRecognizer", "MEDICARE_MBI", [Pattern("medicare_mbi", rf"\b{checks.MBI_PATTERN}\b", 0.5)],
    ["mbi", "medicare", "beneficiary"],
    invalidate=lambda v: not checks.mbi_ok(v),
)

# --- dates of birth and names after a cue (no NER) -------------------------------------------------

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-](?:1[89]|20)\d\d|(?:1[89]|20)\d\d[./-]\d{{1,2}}[./-]\d{{1,2}}|"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\.? (?:of )?)?{_MONTH} (?:\d{{1,2}}(?:st|nd|rd|th)?,? )?(?:1[89]|20)\d\d)"
)
_DOB_CUE = (
    r"(?:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born(?: on| in)?|geboren(?: am)?|geburtsdatum|"
    r"n[ée]e? le|date de naissance|nat[oa] il|data di nascita|fecha de nacimiento|nacid[oa] el)"
)


class DateOfBirthRecognizer(Recognizer):
    """A date right after a birth cue ("DOB 07/24/1936", "born on 3 March 1961", "date of birth:
    1985-02-11", and the German, French, Italian and Spanish cues). A date alone is no date of
    birth."""

    name = "DateOfBirthRecognizer"
    supported_entities = ("DATE_OF_BIRTH",)
    SCORE = 0.85
    _REGEX = re.compile(rf"(?<![\w.]){_DOB_CUE}\s*[:=#-]?\s*({_DATE})(?![\w])", re.IGNORECASE)

    def find(self, text: str) -> list[RecognizerResult]:
        return [self.result(m.start(1), m.end(1), self.SCORE) for m in self._REGEX.finditer(text)]


_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LOWER = "a-zß-öø-ÿā-ž"
_NAME_WORD = rf"[{_UPPER}][{_LOWER}]+(?:[-'][{_UPPER}][{_LOWER}]+)?"
_PARTICLE = r"(?:de|del|della|di|da|dos|das|du|van|von|der|den|la|le|y|zu)"
_PERSON_NAME = rf"{_NAME_WORD}(?: {_PARTICLE})*(?: {_NAME_WORD}){{1,3}}"
_NOT_NAMES = frozenset({"sir", "madam", "customer", "team", "all", "colleagues", "friends", "support", "user", "client",
                        "mr", "mrs", "ms", "dr", "the", "doctor", "hello", "thanks"})


class CuedNameRecognizer(Recognizer):
    """A person's name (two to four capitalised words, particles and accents allowed) right
    after a clear cue: "Patient: Lola del Quintero", "Dear Anna Schmidt", "Name: Jean Dupont",
    "Pt John Smith". Names elsewhere need NER."""

    name = "CuedNameRecognizer"
    supported_entities = ("PERSON",)
    SCORE = 0.6
    _REGEX = re.compile(
        rf"(?<![\w])(?:[Pp]atient(?: [Nn]ame)?\s*:|[Pp]t\.?(?=\s)|Dear|[Nn]ame\s*:|[Ff]ull [Nn]ame\s*:|NAME\s*:|PATIENT\s*:)"
        rf"\s*(?:(?:Mr|Mrs|Ms|Dr|Prof|Herr|Frau|Mme|M|Sig|Sra?)\.? (?=[{_UPPER}])({_NAME_WORD}(?: {_PARTICLE})*(?: {_NAME_WORD}){{0,3}})|"
        rf"(?:Dipl\.-Ing\. )?({_PERSON_NAME}))(?![\w])"
    )

    def find(self, text: str) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        for m in self._REGEX.finditer(text):
            group = 1 if m.group(1) is not None else 2  # after a title one name suffices ("Dear Mr. Smith")
            if m.group(group).split(" ")[0].lower() in _NOT_NAMES:
                continue
            found.append(self.result(m.start(group), m.end(group), self.SCORE))
        return found


# Explicit registry: entity -> its recogniser.
RECOGNIZERS: dict[str, Recognizer] = {
    "EMAIL_ADDRESS": EMAIL,
    "PHONE_NUMBER": PhoneRecognizer(),
    "CREDIT_CARD": CREDIT_CARD,
    "US_SSN": US_SSN,
    "IBAN_CODE": IbanRecognizer(),
    "IP_ADDRESS": IP_ADDRESS,
    "US_PASSPORT": US_PASSPORT,
    "US_DRIVER_LICENSE": US_DRIVER_LICENSE,
    "US_BANK_NUMBER": US_BANK_NUMBER,
    "US_ITIN": US_ITIN,
    "UK_NHS": UK_NHS,
    "CRYPTO": CRYPTO,
    "ICD10_CODE": ICD10_CODE,
    "MEDICAL_RECORD_NUMBER": MEDICAL_RECORD_NUMBER,
    "US_NPI": US_NPI,
    "US_DEA": US_DEA,
    "MEDICARE_MBI": MEDICARE_MBI,
}
# Recognisers of values that only a cue makes personal data (no pattern of their own), outside
# the registry hfguard hands to Presidio pipelines (PERSON there is NER's).
CUE_RECOGNIZERS: dict[str, Recognizer] = {
    "DATE_OF_BIRTH": DateOfBirthRecognizer(),
    "PERSON": CuedNameRecognizer(),
}
HEALTH_RECOGNIZERS = ("ICD10_CODE", "MEDICAL_RECORD_NUMBER", "US_NPI", "US_DEA", "MEDICARE_MBI")


# Results computed by another process for the same texts and entities (a piece of a large file
# scanned by a worker, hfguard.split.Memo): looked up, and added to, while set.
RESULTS_MEMO: dict[tuple[str, frozenset[str]], list[RecognizerResult]] | None = None


class PatternAnalyzer:
    """Runs the recognisers of the wanted entities over a text, as Presidio's AnalyzerEngine
    does with pattern recognisers (without an NLP pipeline)."""

    def __init__(self, recognizers: Iterable[Recognizer] | None = None) -> None:
        self.recognizers = list(
            [*RECOGNIZERS.values(), *CUE_RECOGNIZERS.values()] if recognizers is None else recognizers
        )
        self.supported = frozenset(e for r in self.recognizers for e in r.supported_entities)
        self._chosen: dict[frozenset[str], list[Recognizer]] = {}

    def analyze(self, text: str, entities: Iterable[str] | None = None) -> list[RecognizerResult]:
        wanted = self.supported if entities is None else frozenset(entities)
        memo = RESULTS_MEMO
        if memo is None:
            return self._analyze(text, wanted)
        known = memo.get((text, wanted))
        if known is None:
            known = memo[(text, wanted)] = self._analyze(text, wanted)
        return list(known)

    def _analyze(self, text: str, wanted: frozenset[str]) -> list[RecognizerResult]:
        chosen = self._chosen.get(wanted)
        if chosen is None:
            chosen = self._chosen[wanted] = [r for r in self.recognizers if wanted.intersection(r.supported_entities)]
        results: list[RecognizerResult] = []
        for recogniser in chosen:
            results += recogniser.analyze(text, wanted)
        if any(r.entity_type in _NUMBER_ENTITIES for r in results):
            results = [
                r for r in results
                if r.entity_type not in _NUMBER_ENTITIES or not checks.across_number_columns(text, r.start, r.end)
            ]
        return remove_duplicates(results) if len(chosen) > 1 else results


def warm_up() -> None:
    """Load what the recognisers load on first use (phonenumbers' metadata for PHONE_REGIONS,
    the public-suffix list, the recognisers' regexes): a process about to fork workers does it
    once for all of them (hfguard.split; ~0.1 s of CPU each)."""
    import phonenumbers

    sample = "Call 020 7946 0018 or +1 415 555 0134, mail a.b@example.org, SSN 512-38-4471, card 4111 1111 1111 1111"
    for region in PHONE_REGIONS:
        list(phonenumbers.PhoneNumberMatcher(sample, region, leniency=1))
    email_domain_ok("example.org")
    PatternAnalyzer().analyze(sample)


# Digit-run identifiers that a run across the columns of a numeric table can imitate.
_NUMBER_ENTITIES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_ITIN", "US_BANK_NUMBER", "UK_NHS",
                              "US_DRIVER_LICENSE", "US_PASSPORT", "MEDICAL_RECORD_NUMBER", "US_NPI"})
