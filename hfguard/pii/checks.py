"""Pure checks (no Presidio): checksums and look-alike filters for personal and health identifiers.

Used by our own recognisers, by the detector's rules after them, and by the dense-column checks.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from hfguard.secrets.validators import iban, luhn_checksum_ok

# Redaction tags: what `hfguard redact` (and Presidio's anonymizer) leaves in place of a value:
# an entity tag (<US_SSN>, <PHONE_NUMBER>: upper-case words joined by "_", or one of Presidio's
# one-word names), a keyed pseudonym (<US_SSN_3fa9c21b0d4e>) and a secret's <REDACTED:rule-id>.
# A tag is neutral: no context word for anything, never part of a value; and the words before
# it labelled the value it replaced ("SSN: <US_SSN>. Ref 395271046": the SSN was the tag's), so
# context stops at a tag (else a redacted copy, its values shorter or longer than the tags, could
# lend a later number a context word the original did not). Matched without regard to case (the
# prefilter sees lower-cased text); "<td>" or "<phone>" are no tags.
TAG = re.compile(
    r"<(?:redacted:[a-z0-9][a-z0-9_.-]{0,79}|[a-z][a-z0-9]*(?:_[a-z0-9]+){1,8}|"
    r"person|location|nrp|url|organization|age|id|uuid|email|crypto)>",
    re.IGNORECASE,
)

_NON_DIGITS = re.compile(r"\D")
# A phone number's digits, fewer distinct than this: filler (555-555-5555, 212-121-2121); a real
# number can have only three (575-977-9795, a valid New Mexico number).
PHONE_MIN_DISTINCT_DIGITS = 3


def digits_of(value: str) -> str:
    return _NON_DIGITS.sub("", value)


# --- dates and times: never a phone number ------------------------------------------------------

# The ways dates and times are written in logs and data (each part in its valid range, so that
# a phone number's groups rarely fit): a phone number never holds a date's or a time's digits.
# - year first: 2026-11-30, 2026/11/30, 2026.11.30 (ISO 8601, Python logging, TensorFlow, glog);
# - day or month first, four-digit year: 30.11.2026, 30/11/2026, 11/30/2026, 30-11-2026; with a
#   two-digit year only when a time follows (30/11/26 14:23);
# - a month's name: Nov 30 2026, Nov 30, 30 Nov 2026, 30 November 2026 (syslog, ctime, prose);
# - a time: 14:23, 14:23:45, with ,123 or .123456 fractions, AM/PM, and a zone (Z, +02:00,
#   -0500) after it; 9:05 PM;
# - compact date and time (file names, build stamps): 20261130T142345, 20261130-142345,
#   20261130_142345, 20261130 142345.
_YEAR = r"(?:1[89]|2[01])\d\d"
_MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
_DAY_NUM = r"(?:0?[1-9]|[12]\d|3[01])"
# (English month names and their abbreviations, capitalised or in capitals: "Nov", "NOV",
# "November", "Sept."; not "may" the verb)
_MONTHS = ("Jan(?:uary)?", "Feb(?:ruary)?", "Mar(?:ch)?", "Apr(?:il)?", "May", "June?", "July?", "Aug(?:ust)?",
           "Sep(?:t(?:ember)?)?", "Oct(?:ober)?", "Nov(?:ember)?", "Dec(?:ember)?")
_MONTH_NAME = "(?:" + "|".join(_MONTHS + tuple(m.upper() for m in _MONTHS)) + r")(?![A-Za-z])\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_CLOCK = (
    r"(?<![\d:.,])(?:[01]?\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:[.,]\d{1,9})?)?(?!\d|:\d)"
    r"(?:[ \t]?[AaPp]\.?[Mm]\b\.?)?(?:[ \t]?(?:Z\b|UTC\b|GMT\b|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?(?![\d:])))?"
)
DATETIME = re.compile(
    rf"(?<![\d./-]){_YEAR}(?P<s1>[-/.]){_MONTH_NUM}(?P=s1){_DAY_NUM}(?![\d/]|[.-]\d)(?:T(?=\d))?"
    rf"|(?<![\d./-]){_DAY_NUM}(?P<s2>[-/.]){_DAY_NUM}(?P=s2)(?:{_YEAR}(?![\d/]|[.-]\d)|\d\d(?=[ T]{_CLOCK}))"
    rf"|(?<![\w]){_MONTH_NAME}[ \t]{{1,2}}{_DAY_NUM}{_ORDINAL}(?!\d)(?:,?[ \t]{_YEAR}(?!\d))?"
    rf"|(?<![\d\w]){_DAY_NUM}{_ORDINAL}[ \t](?:of[ \t])?{_MONTH_NAME},?[ \t]{_YEAR}(?!\d)"
    rf"|(?<!\d){_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[T _-]?(?:[01]\d|2[0-3])[0-5]\d[0-5]\d(?!\d)"
    rf"|{_CLOCK}"
)
# Whether a date or a time can touch text[start:end] (a run of digits): a date's separators in
# it, a time's colon or a date's separator right before or after it, a month's name beside it, a
# compact date and time in it. A phone number written 415-555-2671, (415) 555-2671 or
# +44 20 7946 0958 gives none: the full search below runs for few runs of digits.
# (the first three letters of each of _MONTHS: Nov, nov, NOV)
_MONTH_WORD = (
    "(?:" + "|".join(f"[{m[0]}{m[0].lower()}]{m[1:3]}" for m in _MONTHS) + "|" + "|".join(m[:3].upper() for m in _MONTHS) + ")"
)
# (led by \d, so that re skips to the digits; one, two or four digits first: not an SSN's three)
_DATE_IN_RUN = re.compile(r"\d(?<!\d\d)(?:(?:\d|\d{3})?[-/.]\d\d?[-/.]\d|\d{7}[T _-]?\d{6}(?!\d))")
_MONTH_BEFORE = re.compile(rf"{_MONTH_WORD}[A-Za-z]*\.?[ \t]{{1,2}}$")
_MONTH_AFTER = re.compile(rf"(?:st|nd|rd|th)?[ \t](?:of[ \t])?{_MONTH_WORD}")
_DATE_SEPARATORS = ":/.-"
DATETIME_REACH = 32  # characters either side of a span where a date or time touching it can start or end


def may_touch_datetime(text: str, start: int, end: int) -> bool:
    """A cheap test: can a date or a time overlap text[start:end]? (False: none can.)"""
    after = text[end : end + 2]
    if len(after) == 2 and after[0] in _DATE_SEPARATORS and after[1].isdigit():
        return True
    if start >= 2 and text[start - 1] in ":/.-," and text[start - 2].isdigit():  # (",": 14:23:45,123)
        return True
    if _DATE_IN_RUN.search(text, max(0, start - 14), end + 14) is not None:  # (a compact one may jut out)
        return True
    if (
        start >= 2 and text[start - 1] in " \t" and (text[start - 2].isalpha() or text[start - 2] == ".")
        and _MONTH_BEFORE.search(text, max(0, start - 14), start) is not None
    ):
        return True
    return _MONTH_AFTER.match(text, end) is not None


def datetime_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The dates and times that overlap text[start:end] (found within DATETIME_REACH of it)."""
    if not may_touch_datetime(text, start, end):
        return []
    lo, hi = max(0, start - DATETIME_REACH), min(len(text), end + DATETIME_REACH)
    return [m.span() for m in DATETIME.finditer(text, lo, hi) if m.start() < end and start < m.end()]


def outside_datetimes(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """text[start:end] without the dates and times in it: the pieces between them (all of it
    when it touches none)."""
    spans = datetime_spans(text, start, end)
    if not spans:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    pos = start
    for s, e in spans:
        if s > pos:
            pieces.append((pos, s))
        pos = max(pos, e)
    if pos < end:
        pieces.append((pos, end))
    return pieces




# Card numbers printed in every payment provider's documentation: test data, not a person's card.
TEST_CARDS = frozenset(
    ["4111111111111111", "4242424242424242", "4012888888881881", "4222222222222", "4000056655665556", "5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222", "378282246310005", "371449635398431", "378734493671000", "6011111111111117", "6011000990139424", "3056930009020004", "30569309025904", "38520000023237", "3566002020360505", "3530111333300000", "6200000000000005", "4000000000000002", "4000000000000077", "4000000000009995", "4012000033330026", "5425233430109903", "4917610000000000", "6759649826438453", "36227206271667", "3530111333300000"]
)


# 12-digit cards are Maestro's (50, 56-69, 0604).
_MAESTRO_12 = re.compile(r"5[06-9]\d{10}|6\d{11}|0604\d{8}")


_NUMERIC_TOKEN = re.compile(r"[-+]?(?:\d+(?:[.,:]\d+)*|\.\d+)(?:[eE][-+]?\d+)?%?|NA|NaN|nan|null|NULL|-|\.|\?")
_ROW_LABEL = re.compile(r"\"[^\"]*\"|'[^']*'|[A-Za-z_][\w.-]*")


def across_number_columns(text: str, start: int, end: int) -> bool:
    """text[start:end] holds whitespace and stands on a line of numbers (and missing-value
    marks, after at most a row label such as "Aberdeen_City"), among other numbers: a run across
    the columns of a whitespace-separated numeric table (a CSV that did not parse, R's .dat, a
    printed array), not one identifier. A value alone on its line, or after a label only
    ("Tel 404 634 1925"), stays."""
    value = text[start:end]
    if " " not in value and "\t" not in value:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if line_end - line_start > 65536:
        return False
    before, after = text[line_start:start].split(), text[end:line_end].split()
    labelled = bool(before) and _NUMERIC_TOKEN.fullmatch(before[0]) is None and _ROW_LABEL.fullmatch(before[0]) is not None
    others = before[1:] + after if labelled else before + after
    if not others or not all(_NUMERIC_TOKEN.fullmatch(token) for token in others):
        return False
    return not labelled or len(others) >= 2


def card_ok(value: str) -> bool:
    digits = digits_of(value)
    if len(digits) == 12 and _MAESTRO_12.fullmatch(digits) is None:
        return False
    return 12 <= len(digits) <= 19 and luhn_checksum_ok(digits) and digits not in TEST_CARDS and len(set(digits)) > 2


# Values printed in standards and official documentation as examples (IBAN registry, CMS):
# anyone's code and docs may quote them.
_DOCUMENTATION_EXAMPLES = frozenset({
    "DE89370400440532013000", "GB29NWBK60161331926819", "GB82WEST12345698765432",
    "FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957",
    "1245319599", "1EG4TE5MK73",
})
_SEPARATORS = re.compile(r"[\s-]")


def documentation_example(value: str) -> bool:
    return _SEPARATORS.sub("", value).upper() in _DOCUMENTATION_EXAMPLES


# Numbers the SSA never issues, or that were published (advertising, documentation).
_SSN_PUBLISHED = frozenset({"078051120", "219099999", "123456789", "457555462"})


def ssn_ok(value: str) -> bool:
    """US SSN structure: area 001-665 or 667-899, group 01-99, serial 0001-9999."""
    return ssn_digits_ok(digits_of(value))


def ssn_digits_ok(digits: str) -> bool:
    if len(digits) != 9 or digits in _SSN_PUBLISHED or len(set(digits)) == 1:
        return False
    area, group, serial = int(digits[:3]), digits[3:5], digits[5:]
    return 0 < area < 900 and area != 666 and group != "00" and serial != "0000"


def iban_ok(value: str) -> bool:
    """The IBAN checksum (validators.iban), with at least 11 characters after the check digits."""
    return len(_SEPARATORS.sub("", value)) >= 15 and iban(value)


# Public resolvers and well-known service addresses that appear in code and docs everywhere.
_WELL_KNOWN_IPS = frozenset(
    ["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220", "4.2.2.1", "4.2.2.2", "64.6.64.6", "64.6.65.6", "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001"]
)


def public_ip(value: str) -> bool:
    """A globally routable address that is not a well-known public service."""
    try:
        address = ipaddress.ip_address(value.split("/")[0].split("%")[0])
    except ValueError:
        return False
    return address.is_global and not address.is_multicast and value not in _WELL_KNOWN_IPS


_VERSION_BEFORE = re.compile(
    r"(?:[vV=<>~^@]|\b(?:version|ver|release|rel|firmware|fw|build|update|patch|driver|rev|revision|"
    r"python|model|bios)\.?|[-_/]|\d\.)\s*$",
    re.IGNORECASE,
)


_TAG_BEFORE = re.compile(r"<[A-Za-z][^<>]*>\s*$")  # "<td>1.2.3.4</td>": a table cell, not ">=1.2.3.4"


def version_like(text: str, start: int, end: int) -> bool:
    """An IPv4-shaped string that is really a version (v1.2.3.4, ==2.0.0.1, 1.2.3.4.5)."""
    before = text[max(0, start - 16) : start]
    after = text[end : end + 2]
    if _VERSION_BEFORE.search(before) and _TAG_BEFORE.search(before) is None:
        return True
    return after[:1] == "." and after[1:2].isdigit()


# Domains reserved for documentation and tests (RFC 2606 / 6761) and local names.
_RESERVED_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local", ".internal", ".lan")
_RESERVED_LABELS = frozenset({"example", "localhost"})
_NO_REPLY = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|bounces?|git)(?:[-_.+].*)?$",
    re.IGNORECASE,
)


# Mail domains of machine identities, no person behind any address in them (providers' docs):
# Google Cloud's service accounts and service agents, SA_NAME@PROJECT_ID.iam.gserviceaccount.com,
# PROJECT_NUMBER-compute@developer.gserviceaccount.com, PROJECT_ID@appspot.gserviceaccount.com,
# service-PROJECT_NUMBER@gcp-sa-SERVICE.iam.gserviceaccount.com (cloud.google.com/iam/docs/
# service-account-types): the client_email of every service-account key file.
_MACHINE_DOMAINS = ("gserviceaccount.com",)
# A forge's private commit address names its user, whatever "noreply" says: GitHub's
# ID+USERNAME@users.noreply.github.com, GitLab's ID-USERNAME@users.noreply.gitlab.com (their docs
# on commit email privacy). A person's, reported. (A GitHub App's ID+SLUG[bot]@... is no address
# the email pattern takes: its local part ends in "]".)
_PERSONAL_NOREPLY = ("users.noreply.github.com", "users.noreply.gitlab.com")


def email_not_personal(address: str) -> bool:
    """Reserved/documentation domains, no-reply and machine addresses are not personal data."""
    local, _, domain = address.rpartition("@")
    return not local or _domain_not_personal(domain) or bool(_NO_REPLY.match(local))


@lru_cache(maxsize=65536)
def _domain_not_personal(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    if not domain or domain.endswith(_RESERVED_SUFFIXES) or domain in _RESERVED_LABELS:
        return True
    if _in_domain(domain, _MACHINE_DOMAINS):
        return True
    labels = domain.split(".")
    if any(label in _RESERVED_LABELS for label in labels[:-1]):
        return True
    return ("noreply" in domain or "no-reply" in domain) and not _in_domain(domain, _PERSONAL_NOREPLY)


def _in_domain(domain: str, parents: tuple[str, ...]) -> bool:
    """`domain` is one of `parents` or a subdomain of one."""
    return any(domain == p or domain.endswith("." + p) for p in parents)


# --- health identifiers ---------------------------------------------------------------------

# ICD-10-CM categories: letter -> highest two-digit category used (chapter ranges; U: special).
_ICD_MAX = {
    "A": 99, "B": 99, "C": 96, "D": 89, "E": 89, "F": 99, "G": 99, "H": 95, "I": 99, "J": 99,
    "K": 95, "L": 99, "M": 99, "N": 99, "O": 9, "P": 96, "Q": 99, "R": 99, "S": 99, "T": 88,
    "V": 99, "W": 99, "X": 99, "Y": 99, "Z": 99,
}
_ICD_LETTER_CATEGORIES = frozenset({"C4A", "C7A", "C7B", "D3A", "M1A", "O9A", "Z3A"})
_ICD_RE = re.compile(r"([A-Z])(\d)([0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?")


def icd10_ok(code: str) -> bool:
    """A structurally valid ICD-10-CM code whose category lies in a used chapter range."""
    m = _ICD_RE.fullmatch(code.upper())
    if not m:
        return False
    letter, d1, c2, tail = m.groups()
    category = letter + d1 + c2
    if letter == "U":
        return category in {"U07", "U09"}
    if not c2.isdigit():
        return category in _ICD_LETTER_CATEGORIES
    if letter == "O":  # O00-O99 plus O9A
        pass
    elif int(d1 + c2) > _ICD_MAX.get(letter, -1):
        return False
    # 4th-6th characters: digits or X placeholders (a few letters in injury codes), the 7th an
    # extension letter.
    return not tail or re.fullmatch(r"[0-9X][0-9A-Z]{0,2}[A-Z0-9]?", tail) is not None


def npi_ok(value: str) -> bool:
    """US National Provider Identifier: 10 digits, Luhn over the 80840 card-issuer prefix."""
    digits = digits_of(value)
    return len(digits) == 10 and digits[0] in "12" and luhn_checksum_ok("80840" + digits)


_DEA_FIRST = frozenset("ABCDEFGHJKLMPRSTUX")


def dea_ok(value: str) -> bool:
    """DEA registration number: registrant letter, name letter (or 9), 7 digits with checksum."""
    value = value.upper()
    if not re.fullmatch(r"[A-Z][A-Z9]\d{7}", value) or value[0] not in _DEA_FIRST:
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


_MBI_ALPHA = "AC-HJKMNP-RT-Y"  # letters except S, L, O, I, B, Z
MBI_PATTERN = (
    rf"[1-9][{_MBI_ALPHA}][{_MBI_ALPHA}0-9]\d-?[{_MBI_ALPHA}][{_MBI_ALPHA}0-9]\d-?"
    rf"[{_MBI_ALPHA}][{_MBI_ALPHA}]\d\d"
)
_MBI_RE = re.compile(MBI_PATTERN)


def mbi_ok(value: str) -> bool:
    """Medicare Beneficiary Identifier (11 characters, fixed letter/digit positions)."""
    return bool(_MBI_RE.fullmatch(value.upper())) and len(set(digits_of(value))) > 1


# --- a named person next to health data ----------------------------------------------------------

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][{_LOW}]+(?:[-'’][{_UP}][{_LOW}]+)?"
# A capitalised name of two words (a particle allowed between), or a title and a surname, as the
# subject of a diagnosis: "Maria Lopez was diagnosed with", "Mr. Okafor has been diagnosed",
# "Lola del Quintero tested positive for", "John Smith is being treated for".
_SUFFIX = r"(?:,? (?:Jr|Sr)\.|,? (?:Jr|Sr|II|III|IV)\b)"  # "Robert Hale Jr.", "John Smith III"
# Conditions of special sensitivity named about a person ("Ann Lee has HIV", "is HIV positive",
# "is HIV+"): case-sensitive, and "has HIV" only where the sentence or clause ends or goes on
# ("Gilead Sciences has HIV drugs in development" is about the drugs).
SENSITIVE_CONDITION = r"(?:HIV|AIDS|HCV|HBV|hepatitis [BC])"
_CONDITION_VERB = (
    rf"(?:has|had|is living with|lives with) {SENSITIVE_CONDITION}(?=[.,;:!?)\n]|\s+(?:and|but|since|for|with)\b|\Z)|"
    r"(?:is|was) HIV[- ]?(?:positive\b|\+(?!\w))"
)
SUBJECT_NAME = re.compile(
    rf"(?<![\w.'’-])((?:Mr|Mrs|Ms|Mx|Dr)\.? {_WORD}|{_WORD}(?: (?:de|del|della|di|da|van|von|le|la))? {_WORD}{_SUFFIX}?)"
    r" (?:(?:was|is|has been|had been|was being|got) diagnosed with\b|"
    r"(?:was|has been|had been|was being|is being) treated for\b|"
    r"(?:(?:has|had|was) )?tested positive for\b|"
    rf"{_CONDITION_VERB})"
)
# Where a sensitive condition is named (subject_names is asked about the text before each).
CONDITION_WORD = re.compile(r"(?:HIV|AIDS|HCV|HBV|[Hh]epatitis [BC])\b")
# Literals, one in every CONDITION_WORD match, to find each by str.find (or test for any at all).
CONDITION_LITERALS = ("HIV", "AIDS", "HCV", "HBV", "epatitis")
# Capitalised words that are no name: determiners and pronouns, people by their role, months and
# days, and the nouns of diseases ("Hodgkin Lymphoma", "Crohn Disease").
_NOT_NAME_WORDS = frozenset("""
the this that these those our his her their my your its each every no one some many most all both another any
which who he she they we patient patients participant participants subject subjects child children mother father
son daughter wife husband woman women man men boy girl baby infant resident residents veteran member employee
doctor nurse case cases individual person people sample cohort group control controls volunteer donor recipient
user customer client mom dad brother sister friend neighbour neighbor family everyone nobody somebody someone
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday today yesterday recently later earlier also then after before when while if
disease diseases syndrome lymphoma disorder sclerosis cancer carcinoma leukemia leukaemia tumor tumour virus
infection fever palsy dystrophy anemia anaemia diabetes hepatitis dementia ataxia chorea arthritis sarcoma
""".split())
# First words of eponymous diseases: "Hodgkin", "Alzheimer", "Crohn" before a second capitalised word.
_EPONYMS = frozenset("""
alzheimer alzheimers parkinson parkinsons hodgkin hodgkins crohn crohns huntington huntingtons addison cushing
graves hashimoto asperger aspergers tourette kaposi lyme ebola zika marfan raynaud sjogren sjögren guillain
bell down turner klinefelter meniere ménière paget hirschsprung kawasaki duchenne becker gaucher fabry pompe
""".split())
# Words with the endings of clinical nouns (Adenocarcinoma, Myeloma, Fibrillation, Nephropathy):
# "Lung Adenocarcinoma was diagnosed with..." names a disease, not a person.
_CLINICAL_NOUN = re.compile(
    r"(?:(?:carcin|myel|melan|gli|blast|sarc|lymph|aden|fibr|lip|mesotheli|hemat|haemat)omas?|"
    r"itis|osis|pathy|plasia|ation|ectomy|algia)$"
)
_TITLE_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Herr|Frau|Mme)\.?\s*$")
# An article or possessive just before: "The Oak Table was treated for termites", "This Teak
# Bench is treated for outdoor use" name a thing.
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an|this|these|those|our|my|your|their|its|each|every)\s+\Z", re.IGNORECASE)


SUBJECT_REACH = 96  # characters before "diagnosed" where its subject may start


def subject_names(
    text: str, windows: list[tuple[int, int]] | None = None
) -> list[tuple[int, int, tuple[int, int]]]:
    """Person names that are the subject of a diagnosis (SUBJECT_NAME, without the determiners,
    roles and eponymous diseases that look like names, nor words after an article), in the
    (start, end) windows of text given, else in all of it: (start, end, the span of the verb
    after the name)."""
    found: list[tuple[int, int, tuple[int, int]]] = []
    for start, end in windows if windows is not None else [(0, len(text))]:
        for m in SUBJECT_NAME.finditer(text, start, end):
            words = [w.rstrip(".").lower() for w in m.group(1).split(" ")]
            if words[0] in _EPONYMS or any(w in _NOT_NAME_WORDS or _CLINICAL_NOUN.search(w) for w in words):
                continue
            if _ARTICLE_BEFORE.search(text, max(0, m.start(1) - 8), m.start(1)):
                continue
            found.append((m.start(1), m.end(1), (m.end(1) + 1, m.end())))
    return found


# A name right after "Patient" / "Pt" with no colon, closed by a comma or a parenthesis: "Patient
# Jessica Thomas, DOB ...", "Pt Robert Hale Jr., 61". Words of services and roles ("Patient Care
# Technician, ...", "Patient Safety Week, ...") are no name.
PATIENT_NAME = re.compile(
    rf"P(?:atient|ATIENT|t\.?) ((?:(?:Mr|Mrs|Ms|Mx|Dr)\.? )?{_WORD}"
    rf"(?: (?:de|del|della|di|da|van|von|le|la))?(?: {_WORD}){{1,2}}{_SUFFIX}?)(?=\s?[,(;]|\.(?:\s|$))"
)
_SERVICE_WORDS = frozenset("""
care safety portal portals services service education experience information access advocate advocacy relations
satisfaction records record history intake transport transportation navigator navigation technician coordinator
registration rights privacy support centered centred first zero notes note summary reported outcomes outcome data
identifier name number id account engagement assistance financial billing monitoring management flow journey
protection consent discharge admission room unit ward
""".split())


def patient_names(text: str) -> list[tuple[int, int]]:
    """Person names right after "Patient" / "Pt" and before a comma, a bracket or the end of the
    sentence ("Patient Jessica Thomas,", "Patient Mary Duffy. Assessment: ..."): (start, end) of each."""
    found: list[tuple[int, int]] = []
    for m in PATIENT_NAME.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-"):
            continue  # (a word start: led by a literal, the search is quick)
        words = [w.strip(".,").lower() for w in m.group(1).split(" ")]
        if any(w in _NOT_NAME_WORDS or w in _SERVICE_WORDS or w in _EPONYMS or _CLINICAL_NOUN.search(w) for w in words):
            continue
        found.append((m.start(1), m.end(1)))
    return found


# Clinical section cues that introduce a diagnosis or a code, as "Diagnosis:" does ("Assessment:
# HIV disease (B20)", "A/P: ...", "Problem list: 1. I10 ..."): an ICD-10 code after one, in the
# same paragraph, is a diagnosis code. (On lower-cased text.)
_CLINICAL_CUE = re.compile(
    r"(?:assessment(?: and plan| & plan)?|impressions?|a/p|a&p|problem list|diagnoses|"
    r"conditions?|reason for (?:visit|admission|referral)|chief complaint|principal diagnosis|"
    r"discharge diagnos[ie]s|final diagnosis)\s*(?:[:=\-\u2013]|\n)"
)
ICD_CUE_REACH = 160  # characters after a section cue where its codes may stand (a short problem list)
# A disease (its words, or a clinical noun ending) right before a code in parentheses: "HIV
# disease (B20)", "asthma (J45.909)", "major depressive disorder (F32.9)". A word that is no
# disease ("vitamin (B12)", "Boeing (B52)") is none.
_DISEASE_BEFORE = re.compile(
    r"(?<![a-z])(?:disease|disorder|syndrome|infection|asthma|diabetes|mellitus|hypertension|depression|pain|"
    r"cancer|failure|fracture|hiv|aids|hepatitis [a-e]|pneumonia|influenza|migraine|anemia|anaemia|obesity|"
    r"insufficiency|injury|deficiency|dementia|epilepsy|stroke|covid-19|sepsis|ulcer|lesion|neoplasm|"
    r"hyperlipidemia|hyperlipidaemia|hypothyroidism|hyperthyroidism|copd|gerd|[a-z]+(?:itis|osis|pathy|emia|aemia|oma|algia|plasia))"
    r"(?:,? (?:unspecified|type \d|stage \w+|uncomplicated|[a-z]+ episode))?\s?\($"
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def clinical_cues(lowered: str) -> list[tuple[int, int]]:
    """(start, end) of each clinical section cue in a lower-cased text."""
    found: set[tuple[int, int]] = set()
    for word in _CUE_WORDS:
        at = lowered.find(word)
        while at >= 0:  # (str.find from word to word: a regex alternation crawls through megabytes)
            m = _CLINICAL_CUE.match(lowered, at)
            if m is not None and not _letter_before(lowered, at):
                found.add(m.span())
            at = lowered.find(word, at + 1)
    return sorted(found)


def condition_spots(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sensitive condition named in a text (CONDITION_WORD)."""
    found: list[tuple[int, int]] = []
    for word in CONDITION_LITERALS:
        at = text.find(word)
        while at >= 0:
            m = CONDITION_WORD.match(text, at - 1 if word == "epatitis" and at else at)
            if m is not None:
                found.append(m.span())
            at = text.find(word, at + 1)
    return sorted(found)


def _letter_before(lowered: str, start: int) -> bool:
    return start > 0 and "a" <= lowered[start - 1] <= "z"  # (checked here: a look-behind slows the search)


# The first words of the cues, each found by str.find
_CUE_WORDS = ("assessment", "impression", "a/p", "a&p", "problem list", "diagnoses", "condition", "reason for",
              "chief complaint", "principal diagnosis", "discharge diagnos", "final diagnosis")


def _has_cue_word(lowered: str) -> bool:
    return any(word in lowered for word in _CUE_WORDS)


def icd_context(lowered: str, start: int, end: int) -> bool:
    """A clinical section cue shortly before an ICD-10-shaped code text[start:end] (in the same
    paragraph), or the code in parentheses right after a disease: the context "Diagnosis:"
    gives, for the other ways notes introduce a diagnosis."""
    if (
        start and lowered[start - 1] == "(" and lowered[end : end + 1] == ")"
        and _DISEASE_BEFORE.search(lowered, max(0, start - 48), start)
    ):
        return True
    begin = max(0, start - ICD_CUE_REACH)
    if not _has_cue_word(lowered[begin:start]):
        return False
    cues = [m for m in _CLINICAL_CUE.finditer(lowered, begin, start) if not _letter_before(lowered, m.start())]
    return bool(cues) and _PARAGRAPH_BREAK.search(lowered, cues[-1].end() - 1, start) is None


def code_like(value: str) -> bool:
    """An ICD-10 code ("B20"), capitals and digits ("MRN4482913"), or any span with a digit in it
    ("Ward C12"): what NER may take for a name, never a person's name (names hold no digits)."""
    return any(c.isdigit() for c in value) or icd10_ok(value.strip())


def names_a_person(text: str, start: int, end: int) -> bool:
    """Whether a person name found in text (by NER or after a cue) identifies someone enough to
    tie health data to them: a first and a last name, or a title and a name; not a determiner or
    a disease ("Hodgkin"), not an author cited ("Smith et al.")."""
    words = text[start:end].split()
    if not words or any(w.strip(".,'’").lower() in _NOT_NAME_WORDS for w in words):
        return False
    if text[end : end + 12].lstrip().lower().startswith("et al"):
        return False
    return len(words) >= 2 or _TITLE_BEFORE.search(text[max(0, start - 8) : start]) is not None


# Mailboxes of a role, not of a person (RFC 2142 and common practice): "support@", "info@".
_ROLE_MAILBOXES = frozenset("""
info support help helpdesk contact contacts sales marketing admin administrator office team hello press media
privacy legal billing accounts accounting security abuse postmaster webmaster hostmaster safety
pharmacovigilance medinfo enquiries inquiries feedback service customerservice careers jobs hr
""".split())


def role_address(address: str) -> bool:
    """An email address of a role ("support@", "safety@"): it identifies no one."""
    local = address.rpartition("@")[0].lower()
    return local in _ROLE_MAILBOXES
