"""Fast candidate search: which spans of a text could be personal or health data, and which
entities (Presidio's names) to try on a window around each. Plain `re` and one Aho-Corasick
pass; no Presidio, no spaCy.

Every regex here starts with a character class and has no leading look-behind, so `re` can skip
ahead quickly (each runs at 60-200 MB/s here); word boundaries are checked in Python on the few
matches.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs

from hfguard.pii.checks import across_number_columns, may_touch_datetime, outside_datetimes
from hfguard.pii.recognizers import blank_tags, tag_spans

# Digit runs of nine characters or more (phones, cards, SSNs); dotted forms have their own.
_NUMBER = re.compile(r"\d[\d ()\-]{7,26}\d")
_DOTTED = re.compile(r"\d{1,4}\.\d{1,3}\.\d{1,4}(?:\.\d{1,3}(?:/\d{1,2})?)?")
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_EMAIL_LOCAL = re.compile(r"[\w.!#$%&'*+=?^`{|}~-]{1,64}$")
_IBAN = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)")  # not into "Quien"
_BTC = re.compile(r"[13][a-km-zA-HJ-NP-Z1-9]{25,34}")
_BECH32 = re.compile(r"bc1[02-9ac-hj-np-z]{25,59}")
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}")
_IPV6 = re.compile(r"[23][0-9a-fA-F]{3}:[0-9a-fA-F:]{3,40}")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?")
_QUICK = re.compile(r"[\d@]")
_SPACE = re.compile(r"\s")
_TWO_DIGITS = re.compile(r"\d\d")
_FOUR_DIGITS = re.compile(r"\d{4}")

WINDOW_BEFORE = 48  # chars before a candidate: enough for the five context words
WINDOW_AFTER = 16
CONTEXT_AFTER = 24

# Context keywords (lower case; "|" separates them) -> entities they make worth trying, and
# that need them. Together they cover every context word of CONTEXT_RES below.
_TRIGGERS: dict[str, tuple[str, ...]] = {}
_HEALTH = ("ICD10_CODE", "MEDICAL_RECORD_NUMBER", "US_NPI", "US_DEA", "MEDICARE_MBI")
for _words, _entities in [
    (
        (
            "icd|diagnos|dx|diag|mrn|medical record|medical_record|medicalrecord|patient|chart|npi|"
            "national provider|national_provider|dea|prescriber|medicare|mbi|beneficiary"
        ),
        _HEALTH,
    ),
    ("passport", ("US_PASSPORT",)),
    ("driv|licence|license|lic|dl|dln", ("US_DRIVER_LICENSE",)),
    ("bank|account|acct|routing|checking|savings", ("US_BANK_NUMBER",)),
    ("itin|taxpayer", ("US_ITIN",)),
    ("nhs", ("UK_NHS",)),
    (
        (
            "dob|d.o.b|date of birth|birthdate|birth date|birthday|born|geboren|geburtsdatum|naissance|nascita|"
            "nacimiento|nato|nata|nacido|nacida"
        ),
        ("DATE_OF_BIRTH",),
    ),
    ("patient|pt|dear|name", ("PERSON",)),
]:
    for _w in _words.split("|"):
        _TRIGGERS[_w] = _TRIGGERS.get(_w, ()) + _entities
# The value follows its label within this many characters (CONTEXT_REACH, plus a prefix such
# as "MRN-"), so a keyword with no digit that close announces nothing.
_TRIGGER_REACH = 72

# Regexes for our own "is there context" check, per entity that needs it (on lower-cased text).
# Word edges are letters only, so `patient_mrn`, `user_ssn` and `PROVIDER_NPI` count.
_W = r"(?<![a-z])"
_E = r"(?![a-z])"
CONTEXT_RES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern.replace("<", _W).replace(">", _E))
    for name, pattern in {
        "ICD10_CODE": r"icd|diagnos|<dx>|<diag>",
        "MEDICAL_RECORD_NUMBER": r"<mrn|medical[\s_-]*record|patient[\s_-]*(?:id|no|num|#)|chart[\s_-]*(?:no|num|#)",
        "US_NPI": r"<npi>|national[\s_-]*provider",
        "US_DEA": r"<dea>|prescriber",
        "MEDICARE_MBI": r"<mbi>|medicare|beneficiary",
        "US_PASSPORT": r"passport",
        # not a bare "license": every source file's header has one
        "US_DRIVER_LICENSE": r"driv|<dl>|<dln>|licen[cs]e[\s_-]*(?:no|num|#|id)|<lic[\s_-]*(?:no|num|#)",
        "US_BANK_NUMBER": r"bank|account|<acct|routing|checking|savings",
        "US_ITIN": r"<itin>|taxpayer",
        "UK_NHS": r"<nhs>",
        "DATE_OF_BIRTH": (
            r"<dob>|d\.o\.b|date of birth|<birth[ ]?date|<birthday|<born>|<geboren>|<geburtsdatum|naissance|nascita|"
            r"nacimiento|<nat[oa]>|<nacid[oa]>"
        ),
        # only where a name can follow: "Patient:", "Pt John", "Dear Ann", "Name: Ann"
        "PERSON": r"(?:patient(?: name)?\s*:|pt\.?\s|dear\s|(?:full )?name\s*:)",
        "US_SSN": r"<ssn|social[\s_-]*security|<ss#",
        "CREDIT_CARD": r"card|visa|master|amex|<cc>|credit|debit|payment|<pan>",
        "PHONE_NUMBER": (
            r"phone|mobile|<cell|<tel>|<fax>|<call|text me|whatsapp|<telefon|<handy>|<cellulare|<portable>|"
            r"<m[oó]vil>|<my number>|<num[eé]ro de t[eé]l|<reach me"
        ),
    }.items()
}


_KEYWORDS = list(_TRIGGERS)
# Candidates from a context keyword span the text after it, not a value: the recognisers must look.
TRIGGER_SETS = frozenset(_TRIGGERS.values())
# Byte automatons over an ASCII copy ("?" for anything else: offsets stay character offsets) run
# several times faster than over str.
_AUTOMATON: Any = ahocorasick_rs.BytesAhoCorasick([k.encode() for k in _KEYWORDS])


def _ascii(lowered: str) -> bytes:
    return lowered.encode("ascii", "replace")


@dataclass
class Window:
    start: int
    end: int
    entities: set[str]


# Identifiers sit right after their label ("MRN: <digits>"); diagnosis codes may come in lists.
_CONTEXT_REACH = {"ICD10_CODE": 64, "PHONE_NUMBER": 64, "CREDIT_CARD": 64, "US_SSN": 48}
_CONTEXT_REACH_DEFAULT = 32


# The literal start of every alternative in CONTEXT_RES: one Aho-Corasick pass over a text finds
# them all, and the entity's regex confirms each where it stands (a long alternation with
# look-behinds crawls through megabytes).
_ANCHORS: dict[str, tuple[str, ...]] = {
    "ICD10_CODE": ("icd", "diagnos", "dx", "diag"),
    "MEDICAL_RECORD_NUMBER": ("mrn", "medical", "patient", "chart"),
    "US_NPI": ("npi", "national"),
    "US_DEA": ("dea", "prescriber"),
    "MEDICARE_MBI": ("mbi", "medicare", "beneficiary"),
    "US_PASSPORT": ("passport",),
    "US_DRIVER_LICENSE": ("driv", "dl", "dln", "licen", "lic"),
    "US_BANK_NUMBER": ("bank", "account", "acct", "routing", "checking", "savings"),
    "US_ITIN": ("itin", "taxpayer"),
    "UK_NHS": ("nhs",),
    "US_SSN": ("ssn", "social", "ss#"),
    "CREDIT_CARD": ("card", "visa", "master", "amex", "cc", "credit", "debit", "payment", "pan"),
    "PHONE_NUMBER": ("phone", "mobile", "cell", "tel", "fax", "call", "text me", "whatsapp", "telefon", "handy",
                     "portable", "movil", "m\u00f3vil", "my number", "numero de", "num\u00e9ro de", "reach me"),
}
_ANCHOR_WORDS = sorted({a for anchors in _ANCHORS.values() for a in anchors})
_ANCHOR_ENTITIES = {a: tuple(e for e, anchors in _ANCHORS.items() if a in anchors) for a in _ANCHOR_WORDS}
_ANCHOR_AUTOMATON: Any = ahocorasick_rs.BytesAhoCorasick([a.encode() for a in _ANCHOR_WORDS])
_POSITIONS: list[tuple[str, dict[str, tuple[list[int], list[int]]]]] = []
_TAG_STARTS = "<tags>"  # a key of a _POSITIONS table: where the redaction tags stand (starts, ends)


# Results computed by another process for the same texts (a piece of a large file scanned by a
# worker, hfguard.split.Memo): looked up, and added to, while set. Only long texts (chunks).
MEMO_MIN_CHARS = 4096
CANDIDATES_MEMO: dict[tuple[str, str], tuple[Candidate, ...]] | None = None


def _positions(entity: str, lowered: str) -> tuple[list[int], list[int]]:
    """(starts, ends) of the context words for `entity` in a text; computed once per text."""
    for text, table in _POSITIONS:
        if text is lowered:
            break
    else:
        table = {}
        tags = tag_spans(lowered)
        if tags:
            table[_TAG_STARTS] = ([s for s, _ in tags], [e for _, e in tags])
        words = blank_tags(lowered)  # a redaction tag (<us_ssn>) is no context word
        for index, start, _ in _ANCHOR_AUTOMATON.find_matches_as_indexes(_ascii(words), overlapping=True):
            for name in _ANCHOR_ENTITIES[_ANCHOR_WORDS[index]]:
                m = CONTEXT_RES[name].match(words, start)
                if m is not None:
                    starts, ends = table.setdefault(name, ([], []))
                    if not starts or starts[-1] != start:
                        starts.append(start)
                        ends.append(m.end())
        _POSITIONS.append((lowered, table))
        if len(_POSITIONS) > 4:
            del _POSITIONS[0]
    return table.get(entity, ([], []))


def _tag_between(lowered: str, end: int, start: int) -> bool:
    """A redaction tag between a context word (ending at `end`) and a value (at `start`): the
    word labelled the value the tag replaced, not this one. (The tags of a text are found with
    its context words, once.)"""
    starts, ends = _positions(_TAG_STARTS, lowered)
    if not starts:
        return False
    i = bisect.bisect_left(starts, end)
    return i < len(starts) and ends[i] <= start


def context_distance(entity: str, lowered: str, start: int, end: int, extra: str = "") -> int | None:
    """How far before text[start:end] the nearest context word for `entity` stands (0 when it
    is in `extra`, the column name); CONTEXT_AFTER when one follows closely; None: none."""
    pattern = CONTEXT_RES.get(entity)
    if pattern is None:
        return 0
    if extra and pattern.search(extra):
        return 0
    reach = _CONTEXT_REACH.get(entity, _CONTEXT_REACH_DEFAULT)
    starts, ends = _positions(entity, lowered)
    nearest: int | None = None
    i = bisect.bisect_left(starts, start - reach)
    while i < len(starts) and starts[i] < start:
        if ends[i] <= start and not _other_line(lowered, ends[i], start):
            nearest = start - ends[i]
        i += 1
    if nearest is not None and not _tag_between(lowered, start - nearest, start):
        return nearest
    i = bisect.bisect_left(starts, end)
    if i < len(starts) and ends[i] <= end + CONTEXT_AFTER:
        return CONTEXT_AFTER
    return None


_LABEL_GAP = re.compile(r"[\s:=#.\-()]*")


def _other_line(lowered: str, end: int, start: int) -> bool:
    """A context word on an earlier line with other text between: another row's or another
    sentence's word ("Call me ...\nRef 7374595313"), not a label above its value ("Phone:\n...")."""
    return "\n" in lowered[end:start] and _LABEL_GAP.fullmatch(lowered, end, start) is None


def has_context(entity: str, lowered: str, start: int, end: int, extra: str = "") -> bool:
    """A context word for `entity` shortly before (or just after) text[start:end], or in `extra`."""
    return context_distance(entity, lowered, start, end, extra) is not None


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


_SSN_PHONE = ("US_SSN", "PHONE_NUMBER")
_PHONE_ONLY = ("PHONE_NUMBER",)
_IP_ONLY = ("IP_ADDRESS",)
_PHONE_CARD = ("PHONE_NUMBER", "CREDIT_CARD")
_CARD_ONLY = ("CREDIT_CARD",)
_NONE: tuple[str, ...] = ()
_DOTTED_PHONE = re.compile(r"\+?\(?\d{2,4}\)?[. ]\d{3}[. ]\d{4}")
_SINGLE_DIGIT_GROUP = re.compile(r"(?:^|[ ()-])\d(?=[ ()-]|$)")
_EXTENSION = re.compile(r" ?(?:x|ext\.?|extension) ?\d{1,6}(?![\w])", re.IGNORECASE)


def _after(text: str, end: int) -> str:
    """The character after a number, as the shape tests see it: a phone extension ("x412",
    " ext. 12") ends the number like a space; "-" before a letter (a UUID's
    head, "5332-eb12") continues the token like a letter."""
    after = text[end] if end < len(text) else " "
    if after.isalnum() and after in "xXeE" and _EXTENSION.match(text, end):
        return " "
    if after == "-" and end + 1 < len(text) and text[end + 1].isalnum():
        return "a"
    return after


def _number_runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The digit run text[start:end] without the dates and times it touches ("2026-11-30 14" of a
    logging timestamp, "(020)74960083 05" before "/15/2029"): the runs of the pieces around them,
    where a phone number next to a timestamp still stands (recognizers.PhoneRecognizer does the
    same)."""
    run = text[start:end]
    if end - start - run.count(" ") - run.count("-") - run.count("(") - run.count(")") <= 8 and text[start - 1 : start] != "+":
        return [(start, end)]  # (eight digits or fewer: nothing _number_entities takes, cut or not; an ISO date)
    if not may_touch_datetime(text, start, end):
        return [(start, end)]
    runs: list[tuple[int, int]] = []
    for lo, hi in outside_datetimes(text, start, end):
        for m in _NUMBER.finditer(text, lo, hi):
            s, e = m.span()
            while e > s and not text[e - 1].isdigit():
                e -= 1
            runs.append((s, e))
    return runs


def _number_entities(text: str, start: int, end: int) -> tuple[int, int, tuple[str, ...]]:
    """Entities a digit run could be, by its shape; adjusted span. Empty: not worth a look.
    Called for every digit run of a scan: the cheap rejections come first."""
    before = text[start - 1] if start else " "
    if before == "+" or before == "(":
        start -= 1
        before = text[start - 1] if start else " "
    after = _after(text, end)
    if before.isalnum() or before in "_.-/:#" or after.isalnum() or after in "_/#":  # (#: "0113 496 0###", a template)
        return start, end, _NONE
    value = text[start:end]
    length = len(value)
    if length == 10 and value[4] == "-" and value[7] == "-":
        return start, end, _NONE  # an ISO date
    n = length - value.count(" ") - value.count("-") - value.count("(") - value.count(")") - value.count("+")
    if n < 8:
        return start, end, _NONE
    if " " in value and len(_SINGLE_DIGIT_GROUP.findall(value.replace("(0)", ""))) > 1:
        return start, end, _NONE  # "0 0 0 1 2 3": numbers in a row, not an identifier
    if n == 9:
        return start, end, _SSN_PHONE  # (nine-digit phone numbers: France, Italy, Spain)
    if n < 10:
        return start, end, _PHONE_ONLY if value[0] == "+" else _NONE
    if n <= 11:
        return start, end, _PHONE_ONLY  # (12 digits: a phone, or a Maestro card)
    if n <= 15:
        return start, end, _PHONE_CARD
    if n <= 19:
        return start, end, _CARD_ONLY
    return start, end, _NONE


def _dotted_entities(text: str, start: int, end: int) -> tuple[str, ...]:
    """An IPv4 address or a dotted phone number; not a version, a decimal or a date."""
    before = text[start - 1] if start else " "
    after = text[end : end + 2]
    if _EXTENSION.match(text, end):
        after = " "
    if before.isalnum() or before in "_.-/:#" or (after[:1].isalnum() or (after and after[0] in "_/")):
        return _NONE  # ("" in "_/" is true: a value at the very end of a text was lost here)
    if after[:1] == "." and after[1:2].isdigit():
        return _NONE  # 1.2.3.4.5
    value = text[start:end]
    if _IPV4.fullmatch(value):
        return _IP_ONLY
    if _DOTTED_PHONE.fullmatch(value):
        return _PHONE_ONLY
    return _NONE


Candidate = tuple[int, int, tuple[str, ...]]  # start, end, entities worth trying

_DOTTED_CORE = re.compile(r"\.\d{1,3}\.\d")  # led by a literal: ten times faster through prose


def _dotted(text: str) -> Iterator[re.Match[str]]:
    """What _DOTTED.finditer(text) finds, found from the dots: each match holds ".d.d", and
    starts at most four digits before its first dot."""
    done = pos = 0
    search = _DOTTED_CORE.search
    while (core := search(text, pos)) is not None:
        dot = core.start()
        pos = dot + 1
        start = dot
        while start > max(done, dot - 4) and text[start - 1].isdigit():
            start -= 1
        m = _DOTTED.match(text, start) if start < dot else None
        if m is not None:
            done = pos = m.end()
            yield m


_IPV6_COLON = re.compile(r":(?<=[23][0-9a-fA-F]{3}:)")  # led by a literal: found from the colons


def _ipv6(text: str) -> Iterator[re.Match[str]]:
    """What _IPV6.finditer(text) finds, found from the colons: each match has its first colon
    four characters in (tens of times faster through prose and code)."""
    end = 0
    for colon in _IPV6_COLON.finditer(text):
        start = colon.start() - 4
        if start >= end and (m := _IPV6.match(text, start)) is not None:
            end = m.end()
            yield m


# ASCII upper-case letters to "U", digits to "D", the rest as is: "UUDD" where an IBAN can start.
_IBAN_SHAPE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"U" * 26 + b"D" * 10)


def _has_iban_start(text: str) -> bool:
    """_IBAN_START.search(text) is not None; for ASCII text a translation and a find (~10x
    quicker than the regex led by a character class)."""
    if text.isascii():
        return text.encode("ascii").translate(_IBAN_SHAPE).find(b"UUDD") >= 0
    return _IBAN_START.search(text) is not None


def _mentions(entity: str, lowered: str, extra: str) -> bool:
    return any(a in lowered or a in extra for a in _ANCHORS[entity])


def bare_number_hint(lowered: str, extra: str = "") -> str:
    """`extra` plus the words that let bare digit runs be SSN/phone candidates in `lowered`:
    find_candidates on a piece of a text, given this, treats digit runs as on the whole text."""
    lowered = blank_tags(lowered)
    words = [_ANCHORS[e][0] for e in ("US_SSN", "PHONE_NUMBER") if _mentions(e, lowered, extra)]
    return " ".join([extra, *words])


def find_candidates(text: str, lowered: str, extra: str = "") -> list[Candidate]:
    """_find_candidates, or what CANDIDATES_MEMO holds for these arguments (a fresh list)."""
    memo = CANDIDATES_MEMO if len(text) >= MEMO_MIN_CHARS else None
    if memo is None:
        return _find_candidates(text, lowered, extra)
    known = memo.get((text, extra))
    if known is None:
        known = memo[(text, extra)] = tuple(_find_candidates(text, lowered, extra))
    return list(known)


def _find_candidates(text: str, lowered: str, extra: str = "") -> list[Candidate]:
    """Spans of `text` that could be personal or health data (lowered = text.lower()).

    Pattern candidates cover the value itself; a context keyword (passport, MRN, ...) yields
    the span from the keyword to ~100 characters after it, where the value would follow.
    `extra` is the column name. A bare run of digits is a phone number or an SSN only with a
    context word: in a text that has none (data tables in code), such runs are skipped here."""
    found: list[Candidate] = []
    lowered = blank_tags(lowered)  # a redaction tag (<us_ssn>) announces nothing
    if _QUICK.search(text) is not None:  # every pattern candidate has a digit or an '@'
        bare_ssn = _mentions("US_SSN", lowered, extra)
        bare_phone = _mentions("PHONE_NUMBER", lowered, extra)
        iban_checked = -1
        iban_misses = 0  # local IBAN searches that found no start
        for m in _NUMBER.finditer(text):
            s, e = m.span()
            # an IBAN holds a run of digits within its first 34 characters: look for one only
            # around digit runs (a regex led by [A-Z] crawls through prose); after many misses
            # (a column of IDs such as B012345678), one search of the whole text says if any can
            before = text[s - 1] if s else " "
            if s > iban_checked and (before.isupper() or (before == " " and s >= 2 and text[s - 2].isupper())):
                if _IBAN_START.search(text, max(0, s - 34), s + 4) is not None:
                    for im in _IBAN.finditer(text, max(0, s - 34), min(len(text), e + 40)):
                        if im.start() > iban_checked and _word_bounded(text, *im.span()):
                            found.append((im.start(), im.end(), ("IBAN_CODE",)))
                            iban_checked = im.end()
                    iban_checked = max(iban_checked, e)
                else:
                    iban_misses += 1
                    if iban_misses == 64 and not _has_iban_start(text):
                        iban_checked = len(text)  # no IBAN can start anywhere in this text
            while e > s and not text[e - 1].isdigit():
                e -= 1
            for rstart, rend in _number_runs(text, s, e):
                if not (bare_ssn and bare_phone) and text[rstart:rend].isdigit():
                    n = rend - rstart
                    if (n == 9 and not (bare_ssn or bare_phone)) or (10 <= n <= 11 and not bare_phone):
                        continue
                rstart, rend, entities = _number_entities(text, rstart, rend)
                if entities and not (" " in text[rstart:rend] and across_number_columns(text, rstart, rend)):
                    found.append((rstart, rend, entities))
        if "." in text:
            for m in _dotted(text):
                entities = _dotted_entities(text, m.start(), m.end())
                if entities:
                    found.append((m.start(), m.end(), entities))
        if "@" in text:
            for m in _EMAIL_DOMAIN.finditer(text):
                local = _EMAIL_LOCAL.search(text, max(0, m.start() - 64), m.start())
                if local is None:
                    continue
                s = local.start()
                if s and text[s - 1] in ":/":  # user:pass@host in a URL
                    continue
                found.append((s, m.end(), ("EMAIL_ADDRESS",)))
        for m in _BTC.finditer(text):
            if _word_bounded(text, *m.span()):
                found.append((m.start(), m.end(), ("CRYPTO",)))
        if "bc1" in text:
            for m in _BECH32.finditer(text):
                if _word_bounded(text, *m.span()):
                    found.append((m.start(), m.end(), ("CRYPTO",)))
        if ":" in text:
            for m in _ipv6(text):
                if m.group().count(":") >= 2 and _word_bounded(text, *m.span()):
                    found.append((m.start(), m.end(), ("IP_ADDRESS",)))
    for index, start, end in _AUTOMATON.find_matches_as_indexes(_ascii(lowered), overlapping=True):
        # a word start; short keywords must also end a word ("dea" but not "deal", "icd10" ok)
        if start and lowered[start - 1].isalpha():
            continue
        if end - start <= 4 and end < len(lowered) and lowered[end].isalpha():
            continue
        stop = min(len(text), end + _TRIGGER_REACH)
        entities = _TRIGGERS[_KEYWORDS[index]]
        # every identifier these keywords announce has digits: two in a row for an ICD code
        # ("I10"), four for the others (a year for a date of birth); a name has none
        if "PERSON" not in entities and (
            (_TWO_DIGITS if "ICD10_CODE" in entities else _FOUR_DIGITS).search(text, end, stop) is None
        ):
            continue
        if not any(CONTEXT_RES[name].match(lowered, start) for name in entities):
            continue  # "License, Version 2.0" is no driver's licence: the same test as acceptance
        found.append((start, min(len(text), stop + 24), entities))
    return found


def merge_windows(text: str, found: list[Candidate], clip_lines: bool = False) -> list[Window]:
    """Windows around candidates, merged where they overlap, snapped to spaces. With
    `clip_lines` (a column of values, one a line) a window never reaches into another value."""
    if not found:
        return []
    found = sorted(found)
    windows: list[Window] = []
    for s, e, entities in found:
        if clip_lines:
            line_end = text.find("\n", s, e)
            e = line_end if line_end >= 0 else e
        ws = max(0, s - WINDOW_BEFORE)
        we = min(len(text), e + WINDOW_AFTER)
        if clip_lines:
            ws = max(ws, text.rfind("\n", ws, s) + 1)
            newline = text.find("\n", e, we)
            we = newline if newline >= 0 else we
        if windows and ws <= windows[-1].end:
            last = windows[-1]
            last.end = max(last.end, we)
            last.entities.update(entities)
        else:
            windows.append(Window(ws, we, set(entities)))
    # snap to whitespace so no token is cut in half (the recognisers' regexes use \b)
    for w in windows:
        if w.start and not text[w.start - 1].isspace():
            space = max(text.rfind(" ", max(0, w.start - 16), w.start), text.rfind("\n", max(0, w.start - 16), w.start))
            if space >= 0 and not (clip_lines and "\n" in text[space + 1 : w.start]):
                w.start = space + 1
            elif space < 0:  # (a long token: a timestamp such as 2026-11-30T14:23:45.123456 is not cut)
                floor = max(0, w.start - 32)
                while w.start > floor and text[w.start - 1] in _NUMBER_CHARS:
                    w.start -= 1
        if w.end < len(text) and not text[w.end].isspace():
            match = _SPACE.search(text, w.end, w.end + 16)
            if match is not None:
                w.end = match.start()
            elif (tail := _NUMBER_TAIL.match(text, w.end)) is not None:
                w.end = tail.end()  # (a long token: a timestamp such as 20290701-170751,123 is not cut in its digits)
    return windows


_NUMBER_TAIL = re.compile(r"[\d:.,+\-/TZ]{0,32}")
_NUMBER_CHARS = frozenset("0123456789:.,+-/TZ")
