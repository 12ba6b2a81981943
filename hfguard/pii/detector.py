"""The PII/health detector: prefilter -> Presidio on windows -> our checks -> per-column and
per-file aggregation -> severity.

Per file, every hit is held until `finish()`: whether a file or a column is "full" of personal
data (one high finding) or holds a stray value (one low/medium finding each) is only known at
the end. Windows are analysed in batches of about BATCH_CHARS, grouped by the entities worth
trying, so Presidio sees a small part of the text and a handful of calls per megabyte.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from hfguard.models import Category, Chunk, ChunkKind, Match, Severity
from hfguard.pii import checks
from hfguard.pii.columns import Field, classify, free_text, is_empty, value_fits
from hfguard.pii.entities import ENTITIES, PERSON_IDENTIFIERS, Entity
from hfguard.pii.prefilter import Candidate, context_distance, find_candidates, has_context, merge_windows

if TYPE_CHECKING:
    from hfguard.pii import PiiDetector
    from hfguard.pii.presidio_engine import Result

BATCH_CHARS = 64 * 1024  # window text per Presidio call
NER_BATCH_CHARS = 64 * 1024
NER_FILE_CHARS = 4 * 1024 * 1024  # NER budget per file
NER_COLUMN_CHARS = 256 * 1024  # NER budget per column: enough to know what a column holds
MAX_KEPT_HITS = 5000  # per entity and file; beyond this hits are only counted
COLUMN_FULL = 5  # distinct values: a column (or file) "full" of personal data
FILE_FULL = 20  # distinct values in a text file, with FILE_FULL_DENSITY of its lines
FILE_FULL_DENSITY = 0.2
TRUST_AFTER = 32  # windows Presidio checked before a column's values are counted cheaply
TRUST_RATIO = 0.9
NOISE_AFTER = 20  # single-token columns that rarely validate are IDs, not personal data
NOISE_RATIO = 0.6

# Files that list a project's people on purpose (public contributor information).
_PEOPLE_FILES = re.compile(
    r"(?:^|/)(?:authors|contributors|maintainers|credits|thanks|codeowners|owners|\.mailmap|metadata|"
    r"pkg-info|changelog|changes|history|news|copying|copyright|license|licence|notice)(?:[._-][^/]*)?$",
    re.IGNORECASE,
)
_HEALTH_PHRASE = re.compile(
    r"\bdiagnos(?:ed|is|es)\b|\bprescribed\b|\b\d+(?:\.\d+)?\s?mg\b|\bicd-?10\b|\bdx\s*[:=]|\bmedications?\s*[:=]",
    re.IGNORECASE,
)
_PERSON_LABEL = re.compile(
    r"\b(?:patient(?:\s+name)?|name|dob|date\s+of\s+birth|d\.o\.b\.?|mrn|ssn)\s*[:=#]", re.IGNORECASE
)


@dataclass
class Hit:
    chunk: Chunk
    start: int
    end: int
    value: str
    order: int


@dataclass
class ColumnStat:
    count: int = 0
    distinct: set[str] = field(default_factory=set)
    first: Hit | None = None
    first_row: int | None = None
    last_row: int | None = None
    tried: int = 0
    confirmed: int = 0

    def add(self, hit: Hit) -> None:
        self.count += 1
        if len(self.distinct) < 10000:
            self.distinct.add(hit.value)
        if self.first is None or _position(hit) < _position(self.first):
            self.first = hit
        row = hit.chunk.row
        if row is not None:
            self.first_row = row if self.first_row is None else min(self.first_row, row)
            self.last_row = row if self.last_row is None else max(self.last_row, row)


@dataclass
class FieldStat:
    info: Field
    cells: int = 0
    multiword: int = 0
    fits: int = 0
    first_fit: Hit | None = None
    ner_chars: int = 0


@dataclass
class _Pending:
    chunk: Chunk
    start: int
    end: int
    prefix: str
    info: Field | None
    entities: frozenset[str]
    lowered: str


def _position(hit: Hit) -> tuple[int, int, int]:
    return (hit.chunk.row or 0, hit.chunk.line or 0, hit.order)


def _phone_ok(value: str) -> bool:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None if value.lstrip().startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


# Cheap checks that count the values of a column Presidio has already vouched for.
_TRUSTED_CHECKS: dict[str, Callable[[str], bool]] = {
    "EMAIL_ADDRESS": lambda v: not checks.email_not_personal(v),
    "PHONE_NUMBER": _phone_ok,
    "CREDIT_CARD": checks.card_ok,
    "US_SSN": checks.ssn_ok,
    "IBAN_CODE": checks.iban_ok,
    "IP_ADDRESS": checks.public_ip,
}


class FilePiiDetector:
    def __init__(self, parent: PiiDetector, path: str) -> None:
        self.parent = parent
        self.path = path
        self._order = 0
        self._pending: dict[frozenset[str], list[_Pending]] = {}
        self._pending_chars = 0
        self._ner_pending: list[tuple[Chunk, Field | None]] = []
        self._ner_pending_chars = 0
        self._columns: dict[tuple[str, str], ColumnStat] = {}
        self._fields: dict[str, FieldStat] = {}
        self._trusted: dict[str, set[str]] = {}
        self._text_hits: dict[str, list[Hit]] = {}
        self._text_distinct: dict[str, set[str]] = {}
        self._text_lines: dict[str, set[tuple[int, int]]] = {}
        self._text_counts: dict[str, int] = {}
        self._text_line_total = 0
        self._row: int | None = None
        self._row_person: list[str] = []
        self._row_health: list[tuple[str, Hit]] = []
        self._joined = ColumnStat()
        self._joined_fields: tuple[list[str], list[str]] | None = None
        self.chars_total = 0
        self.chars_presidio = 0
        self.chars_ner = 0
        self.windows = 0
        self.ner_capped = False

    # --- feeding -----------------------------------------------------------------------------

    def feed(self, chunk: Chunk) -> list[Match]:
        text = chunk.text
        if not text:
            return []
        self.chars_total += len(text)
        info = classify(chunk.field) if chunk.field else None
        tabular = chunk.kind is ChunkKind.DATA and info is not None
        if chunk.kind is not ChunkKind.DATA:
            self._text_line_total += text.count("\n") + 1
        lowered = text.lower()
        candidates = find_candidates(text, lowered)
        if tabular:
            assert info is not None
            self._feed_cell(chunk, info, candidates)
            candidates = self._trusted_fast_path(chunk, info, candidates)
        elif chunk.kind is not ChunkKind.CODE and _HEALTH_PHRASE.search(text):
            self._line_joins(chunk, candidates)
        if candidates:
            prefix = f"{info.words.replace('_', ' ')}: " if info is not None else ""
            for w in merge_windows(text, candidates):
                entities = frozenset(w.entities)
                self._pending.setdefault(entities, []).append(
                    _Pending(chunk, w.start, w.end, prefix, info if tabular else None, entities, lowered)
                )
                self._pending_chars += w.end - w.start + len(prefix)
        if self.parent.ner_enabled and self._wants_ner(chunk, info, tabular):
            self._ner_pending.append((chunk, info))
            self._ner_pending_chars += len(text)
        if self._pending_chars >= BATCH_CHARS:
            self._flush()
        if self._ner_pending_chars >= NER_BATCH_CHARS:
            self._flush_ner()
        return []

    def _wants_ner(self, chunk: Chunk, info: Field | None, tabular: bool) -> bool:
        if chunk.kind not in (ChunkKind.PROSE, ChunkKind.OUTPUT, ChunkKind.DATA):
            return False
        if self.chars_ner + self._ner_pending_chars >= NER_FILE_CHARS:
            self.ner_capped = True
            return False
        if tabular:
            assert info is not None
            stat = self._fields[info.key]
            if not free_text(chunk.text) or stat.ner_chars >= NER_COLUMN_CHARS:
                return False
            stat.ner_chars += len(chunk.text)
        return True

    def _feed_cell(self, chunk: Chunk, info: Field, candidates: list[Candidate]) -> None:
        """Column bookkeeping for one table cell or JSON value, and the record (row) join."""
        stat = self._fields.get(info.key)
        if stat is None:
            stat = self._fields[info.key] = FieldStat(info)
        value = chunk.text
        if is_empty(value):
            return
        stat.cells += 1
        if free_text(value):
            stat.multiword += 1
        header_entity = info.entity
        if info.plain_name:
            header_entity = "PERSON"
        shape = header_entity if header_entity in ("PERSON", "DATE_OF_BIRTH", "STREET_ADDRESS") else None
        if info.health == "strong" and shape is None and header_entity is None:
            shape = "HEALTH_FIELD"
        fits = shape is not None and value_fits(shape, value)
        if fits:
            stat.fits += 1
            if stat.first_fit is None:
                stat.first_fit = self._hit(chunk, 0, len(value))
        if chunk.row is None:
            return
        if chunk.row != self._row:
            self._finish_row()
            self._row = chunk.row
        # person identifier: a column that says so, or a value that is one
        if (header_entity in PERSON_IDENTIFIERS and (shape is None or fits)) or any(
            "EMAIL_ADDRESS" in ents and not checks.email_not_personal(value[s:e])
            or "US_SSN" in ents and "-" in value[s:e] and checks.ssn_ok(value[s:e])
            for s, e, ents in candidates
        ):
            self._row_person.append(info.key)
        health_header = info.health is not None or (
            header_entity is not None and ENTITIES[header_entity].category is Category.HEALTH
        )
        if health_header or _HEALTH_PHRASE.search(value):
            self._row_health.append((info.key, self._hit(chunk, 0, len(value))))

    def _finish_row(self) -> None:
        if self._row_person and self._row_health:
            person = [f for f in self._row_person]
            health = [f for f, _ in self._row_health if f not in person] or [self._row_health[0][0]]
            hit = next((h for f, h in self._row_health if f in health), self._row_health[0][1])
            self._joined.add(hit)
            if self._joined_fields is None:
                self._joined_fields = (person, health)
        self._row_person = []
        self._row_health = []

    def _line_joins(self, chunk: Chunk, candidates: list[Candidate]) -> None:
        """Prose and outputs: a line with health wording and a person identifier is a record."""
        text = chunk.text
        for m in _HEALTH_PHRASE.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            person = bool(_PERSON_LABEL.search(text, line_start, line_end)) or any(
                line_start <= s < line_end
                and ("EMAIL_ADDRESS" in ents and not checks.email_not_personal(text[s:e])
                     or "US_SSN" in ents and checks.ssn_ok(text[s:e]))
                for s, e, ents in candidates
            )
            if person:
                self._record("HEALTH_RECORD", chunk, m.start(), m.end(), None)

    def _trusted_fast_path(self, chunk: Chunk, info: Field, candidates: list[Candidate]) -> list[Candidate]:
        """Values of a column Presidio has vouched for are counted with our cheap checks."""
        trusted = self._trusted.get(info.key)
        if not trusted:
            return candidates
        rest: list[Candidate] = []
        for s, e, ents in candidates:
            usable = [x for x in ents if x in trusted]
            if len(usable) == len(ents):
                value = chunk.text[s:e]
                for entity in usable:
                    if _TRUSTED_CHECKS[entity](value):
                        self._record(entity, chunk, s, e, info)
                        break
            else:
                rest.append((s, e, ents))
        return rest

    # --- Presidio ----------------------------------------------------------------------------

    def _flush(self) -> None:
        if not self._pending:
            return
        analyzer = self.parent.analyzer()
        pending, self._pending, self._pending_chars = self._pending, {}, 0
        for entities, items in pending.items():
            texts = [p.prefix + p.chunk.text[p.start : p.end] for p in items]
            self.chars_presidio += sum(len(t) for t in texts)
            self.windows += len(texts)
            for item, results in zip(items, analyzer.analyze_windows(texts, entities)):
                self._take_results(item, results)

    def _take_results(self, item: _Pending, results: list[Result]) -> None:
        offset = item.start - len(item.prefix)
        words = item.info.words if item.info is not None else ""
        kept: list[tuple[int, int, int, str]] = []  # (context distance, start, end, entity)
        for r in results:
            if r.start < len(item.prefix):
                continue
            start, end = r.start + offset, r.end + offset
            if self._acceptable(r.entity, r.score, item.chunk, start, end, item.info, item.lowered):
                distance = context_distance(r.entity, item.lowered, start, end, words)
                kept.append((999 if distance is None else distance, start, end, r.entity))
        # One value, one entity: "NPI 1245319599" is an NPI, not also a phone number. A value
        # whose own context word stands nearest wins.
        kept.sort(key=lambda k: (k[0], not ENTITIES[k[3]].sensitive, k[1]))
        taken: list[tuple[int, int]] = []
        confirmed: set[str] = set()
        for _, start, end, name in kept:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            self._record(name, item.chunk, start, end, item.info)
            confirmed.add(name)
        info = item.info
        if info is None:
            return
        for entity in item.entities:
            if entity not in _TRUSTED_CHECKS:
                continue
            stat = self._columns.setdefault((info.key, entity), ColumnStat())
            stat.tried += 1
            if entity in confirmed:
                stat.confirmed += 1
            if stat.tried >= TRUST_AFTER and stat.confirmed >= TRUST_RATIO * stat.tried:
                self._trusted.setdefault(info.key, set()).add(entity)

    def _flush_ner(self) -> None:
        if not self._ner_pending:
            return
        pending, self._ner_pending, self._ner_pending_chars = self._ner_pending, [], 0
        texts = [chunk.text for chunk, _ in pending]
        self.chars_ner += sum(len(t) for t in texts)
        for (chunk, info), results in zip(pending, self.parent.analyzer().analyze_ner(texts)):
            lowered = chunk.text.lower()
            tabular = info if chunk.kind is ChunkKind.DATA else None
            for r in results:
                if self._acceptable(r.entity, r.score, chunk, r.start, r.end, tabular, lowered):
                    self._record(r.entity, chunk, r.start, r.end, tabular)

    # --- deciding ----------------------------------------------------------------------------

    def _acceptable(
        self, name: str, score: float, chunk: Chunk, start: int, end: int, info: Field | None, lowered: str
    ) -> bool:
        entity = ENTITIES.get(name)
        if entity is None or not self.parent.enabled(entity):
            return False
        if score < (entity.min_score if entity.min_score is not None else self.parent.threshold):
            return False
        value = chunk.text[start:end]
        words = info.words if info is not None else ""
        if entity.needs_context and not (
            has_context(name, lowered, start, end, words) or (info is not None and info.entity == name)
        ):
            return False
        return _value_ok(name, value, chunk, lowered, start, end, words, info)

    def _hit(self, chunk: Chunk, start: int, end: int) -> Hit:
        self._order += 1
        return Hit(chunk, start, end, chunk.text[start:end], self._order)

    def _record(self, name: str, chunk: Chunk, start: int, end: int, info: Field | None) -> None:
        hit = self._hit(chunk, start, end)
        if chunk.kind is ChunkKind.DATA:
            key = info.key if info is not None else ""
            self._columns.setdefault((key, name), ColumnStat()).add(hit)
            return
        kept = self._text_hits.setdefault(name, [])
        if len(kept) < MAX_KEPT_HITS:
            kept.append(hit)
        self._text_counts[name] = self._text_counts.get(name, 0) + 1
        self._text_distinct.setdefault(name, set()).add(hit.value)
        self._text_lines.setdefault(name, set()).add((id(chunk), chunk.text.count("\n", 0, start)))

    # --- finishing ---------------------------------------------------------------------------

    def finish(self) -> list[Match]:
        self._flush()
        self._flush_ner()
        self._finish_row()
        matches: list[Match] = []
        matches += self._column_matches()
        matches += self._text_matches()
        return matches

    def notes(self) -> list[str]:
        if self.chars_total == 0:
            return []
        parts: list[str] = []
        if self.parent.ner_enabled and (self.chars_ner or self.ner_capped):
            capped = " (NER budget per file reached)" if self.ner_capped else ""
            parts.append(
                f"NER ({self.parent.ner_model}) saw {_size(self.chars_ner)} of {_size(self.chars_total)}{capped}"
            )
        if self.chars_total >= 1024 * 1024 and self.chars_presidio:
            share = 100.0 * self.chars_presidio / self.chars_total
            parts.append(
                f"Presidio saw {_size(self.chars_presidio)} of {_size(self.chars_total)} "
                f"({share:.1f}%) in {self.windows:,} windows"
            )
        return [f"{self.path}: PII: " + "; ".join(parts)] if parts else []

    def _column_matches(self) -> list[Match]:
        matches: list[Match] = []
        emitted_fields: set[str] = set()
        has_person_column = any(
            e in PERSON_IDENTIFIERS and e != "PERSON" and s.count for (_, e), s in self._columns.items()
        ) or any(
            f.info.entity in PERSON_IDENTIFIERS and f.info.entity != "PERSON" and f.cells for f in self._fields.values()
        )
        strong_health = False
        for (key, name), stat in sorted(self._columns.items(), key=lambda kv: _position(kv[1].first) if kv[1].first else (0, 0, 0)):
            if stat.first is None or not stat.count:
                continue
            entity = ENTITIES[name]
            fstat = self._fields.get(key)
            single_token = fstat is not None and fstat.multiword * 2 < fstat.cells
            header_says = fstat is not None and fstat.info.entity == name
            if (
                fstat is not None and single_token and not header_says and stat.tried >= NOISE_AFTER
                and stat.confirmed < NOISE_RATIO * stat.tried
            ):
                continue  # an ID column whose values sometimes pass a checksum
            if entity.category is Category.HEALTH:
                strong_health = True
            matches.append(self._aggregate(entity, stat, key, free=fstat is not None and not single_token))
            emitted_fields.add(key)
        # header-only columns: names, dates of birth, addresses, health fields
        for key, fstat in self._fields.items():
            info = fstat.info
            if fstat.first_fit is None or not fstat.cells or fstat.fits < 0.6 * fstat.cells:
                continue
            if info.plain_name or info.entity == "PERSON":
                name = "PERSON"
                if info.plain_name and not has_person_column:
                    continue
                if (key, "PERSON") in self._columns:
                    continue
            elif info.entity in ("DATE_OF_BIRTH", "STREET_ADDRESS"):
                name = info.entity
            elif info.health == "strong" and info.entity is None:
                name = "HEALTH_FIELD"
                strong_health = True
            else:
                continue
            entity = ENTITIES[name]
            if not self.parent.enabled(entity):
                continue
            stat = ColumnStat()
            stat.count = fstat.fits
            stat.first = fstat.first_fit
            stat.first_row = fstat.first_fit.chunk.row
            stat.distinct = {fstat.first_fit.value}
            matches.append(self._aggregate(entity, stat, key, free=False, full=fstat.fits >= COLUMN_FULL))
        joined = ENTITIES["HEALTH_RECORD"]
        if self._joined.count and not strong_health and self.parent.enabled(joined):
            person, health = self._joined_fields or ([], [])
            match = self._aggregate(joined, self._joined, "", free=False)
            detail = f" ({', '.join(_field_names(person))} with {', '.join(_field_names(health))})"
            matches.append(_with_message(match, (match.message or "") + detail))
        return matches

    def _aggregate(self, entity: Entity, stat: ColumnStat, key: str, free: bool, full: bool | None = None) -> Match:
        assert stat.first is not None
        first = stat.first
        if full is None:
            full = len(stat.distinct) >= COLUMN_FULL
        if entity.sensitive or (full and entity.name != "LOCATION"):
            severity = Severity.HIGH
        elif entity.name == "LOCATION":
            severity = Severity.MEDIUM if full else Severity.LOW
        else:
            severity = Severity.MEDIUM
        where = "in this column" if key else "in this file"
        if free:
            where = "in this free-text column"
        noun = entity.noun if stat.count == 1 else entity.plural
        rows = ""
        if stat.first_row is not None and stat.last_row is not None and stat.last_row != stat.first_row:
            rows = f" (rows {stat.first_row:,}\u2013{stat.last_row:,})"
        message = f"{stat.count:,} {noun} {where}{rows}"
        return Match(
            entity.rule_id, entity.category, severity, first.chunk, first.start, first.end, first.value,
            message=message, count=stat.count,
        )

    def _text_matches(self) -> list[Match]:
        matches: list[Match] = []
        people_file = bool(_PEOPLE_FILES.search(self.path))
        for name, hits in self._text_hits.items():
            entity = ENTITIES[name]
            distinct = len(self._text_distinct.get(name, ()))
            lines = len(self._text_lines.get(name, ()))
            count = self._text_counts.get(name, len(hits))
            full = (
                not entity.sensitive and not people_file and distinct >= FILE_FULL
                and lines >= FILE_FULL_DENSITY * max(1, self._text_line_total)
                and name != "LOCATION"
            )
            if full:
                first = min(hits, key=_position)
                matches.append(Match(
                    entity.rule_id, entity.category, Severity.HIGH, first.chunk, first.start, first.end,
                    first.value, message=f"{count:,} {entity.plural} in this file ({distinct:,} distinct)",
                    count=count,
                ))
                continue
            for hit in hits:
                matches.append(Match(
                    entity.rule_id, entity.category, _single_severity(entity, hit.chunk.kind, people_file),
                    hit.chunk, hit.start, hit.end, hit.value, message=entity.noun,
                ))
        return matches


def _single_severity(entity: Entity, kind: ChunkKind, people_file: bool) -> Severity:
    if entity.sensitive:
        return Severity.HIGH
    if people_file or entity.name == "LOCATION":
        return Severity.LOW
    if kind is ChunkKind.OUTPUT:
        return Severity.MEDIUM
    return Severity.LOW


def _value_ok(
    name: str, value: str, chunk: Chunk, lowered: str, start: int, end: int, words: str, info: Field | None
) -> bool:
    """Our own look-alike filters on top of Presidio's validation."""
    if name == "EMAIL_ADDRESS":
        return not checks.email_not_personal(value)
    if name == "IP_ADDRESS":
        return checks.public_ip(value) and not checks.version_like(chunk.text, start, end)
    if name == "CREDIT_CARD":
        if not checks.card_ok(value):
            return False
        spaced = any(c in value for c in " -")
        # a bare 13-19 digit integer in code or metadata is a number unless context says card
        return spaced or chunk.kind in (ChunkKind.DATA, ChunkKind.PROSE, ChunkKind.OUTPUT) or has_context(
            name, lowered, start, end, words
        )
    if name == "US_SSN":
        if not checks.ssn_ok(value):
            return False
        return "-" in value or " " in value or has_context(name, lowered, start, end, words) or (
            info is not None and info.entity == name
        )
    if name == "PHONE_NUMBER":
        digits = checks.digits_of(value)
        if len(set(digits)) < 4:
            return False
        if chunk.kind is ChunkKind.CODE and digits == value.lstrip("+"):
            # a bare integer in code is a number unless context says phone
            return has_context(name, lowered, start, end, words)
        return True
    if name == "IBAN_CODE":
        return checks.iban_ok(value)
    return True


def _field_names(keys: list[str]) -> list[str]:
    seen: list[str] = []
    for key in keys:
        if key not in seen:
            seen.append(key)
    return seen[:3]


def _with_message(match: Match, message: str) -> Match:
    from dataclasses import replace

    return replace(match, message=message)


def _size(chars: int) -> str:
    if chars >= 1024 * 1024:
        return f"{chars / (1024 * 1024):.1f} MB"
    if chars >= 1024:
        return f"{chars / 1024:.1f} kB"
    return f"{chars} B"
