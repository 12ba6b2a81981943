"""The PII/health detector: prefilter -> recognisers on windows or values -> our checks ->
per-column and per-file aggregation -> severity.

The recognisers are hfguard's own pattern tier (recognizers.py): no Presidio or spaCy unless a
spaCy model is configured, and then only for names and places. Tabular readers hand over one
chunk per column and batch of records (values joined by "\\n", `field` = the column): a value
that is one candidate from end to end (an email, a phone, an SSN in its own cell) is checked by
itself; other candidates get a window of text around them. Every hit is held until `finish()`:
whether a column or file is "full" of personal data (one high finding) or holds a stray value
(one low/medium finding) is only known at the end. So is whether health values are tied to a
person: by an identifier in the same record (a row, a JSON record, a paragraph or notebook cell),
which may come in a later column or only from NER.
"""
from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from hfguard.models import (
    MAX_OCCURRENCES,
    Category,
    Chunk,
    ChunkKind,
    Match,
    Severity,
    line_starts,
    value_starts_of,
)
from hfguard.pii import checks, dense
from hfguard.pii.columns import Field, classify, count_fits, free_text, is_empty, value_fits
from hfguard.pii.entities import (
    ENTITIES,
    PERSON_IDENTIFIERS,
    TIE_IDENTIFIERS,
    TIEABLE_HEALTH,
    Entity,
)
from hfguard.pii.prefilter import (
    TRIGGER_SETS,
    Candidate,
    bare_number_hint,
    context_distance,
    find_candidates,
    has_context,
    merge_windows,
)
from hfguard.secrets.engine import lower_same_length

if TYPE_CHECKING:
    from hfguard.pii import PiiDetector
    from hfguard.pii.recognizers import RecognizerResult

NER_BATCH_CHARS = 64 * 1024
NER_FILE_CHARS = 4 * 1024 * 1024  # NER budget per file
NER_COLUMN_CHARS = 256 * 1024  # NER budget per column: enough to know what a column holds
MAX_KEPT_HITS = 5000  # per entity and file outside tables; beyond this hits are only counted
COLUMN_FULL = 5  # distinct values: a column (or file) "full" of personal data
FILE_FULL = 20  # distinct values in a text file, on FILE_FULL_DENSITY of its lines
FILE_FULL_DENSITY = 0.2
CODE_SENSITIVE_FULL = 3  # different SSNs/cards/... in one source file: data, not an example
NOISE_TRIED = 24  # candidates of an entity in a single-token column before it can be judged noise...
NOISE_RATIO = 0.6  # ...confirmed less often than this: the column holds IDs, not PII
STATS_SAMPLE = 2000  # values per column looked at to tell free text from identifiers
JOIN_VALUES = 200_000  # values per column looked at when joining people with health data
JOIN_CHARS = 64 * 1024 * 1024  # column text kept per side for the join (bounds memory)
# Chunk text the places of grouped findings may keep alive per file (each place points into its
# chunk until finish() locates it): a column with a value every few thousand rows of a huge file
# lists fewer places past this, never more memory; `count` stays whole.
PLACES_CHARS = 64 * 1024 * 1024
TIE_HITS = 200_000  # health values in tables kept per file to tie each to its record; past it they count as tied

# Files that list a project's people on purpose (public contributor information).
_PEOPLE_FILES = re.compile(
    r"(?:^|/)(?:authors|contributors|maintainers|credits|thanks|codeowners|owners|\.mailmap|metadata|"
    r"pkg-info|changelog|changes|history|news|copying|copyright|license|licence|notice)(?:[._-][^/]*)?$",
    re.IGNORECASE,
)
# "diagnosis" / "diagnoses" only as a clinical statement ("diagnosis: asthma", "diagnoses of",
# "Diagnoses in"): a "diagnosis script" or a tool that "diagnoses slow networks" is not health data.
_HEALTH_PHRASE = re.compile(
    r"\bdiagnosed\b|\bdiagnos(?:is|es)\b(?=\s*(?:[:=#]|\(|of\b|in\b|was\b|were\b|is\b|are\b|codes?\b|\n))|\bprescribed\b|\b\d+(?:\.\d+)?\s?mg\b|\bicd-?10\b|\bdx\s*[:=]|\bmedications?\s*[:=]|"
    r"\btested positive for\b|"
    # the section labels only a clinical note has (a lone "Assessment:", "Plan:" or "A/P:" is also
    # a school's, a project's or accounts payable's: they are cues for ICD codes, checks.icd_context)
    r"\b(?:chief complaint|assessment (?:and|&) plan|history of present illness)\s*[:=\n]",
    re.IGNORECASE,
)
# The cheap test before _HEALTH_PHRASE: whole phrases where a word alone is common prose (a support
# ticket's "complaint", a project's "and plan").
_HEALTH_WORDS = ("diagnos", "prescribed", "icd", "dx", "medication", "tested positive", "chief complaint",
                 "assessment and plan", "assessment & plan", "present illness")
_TREATED = "treated for"  # health wording only after a person ("John Smith is being treated for"): wood is too
_ICD_ONLY = ("ICD10_CODE",)
_PARENTHESISED_CODE = re.compile(r"\(((?:[A-TV-Z]\d[0-9A-Z]|U0[79])(?:\.[0-9A-Z]{1,4})?)\)")


def _condition_named(text: str) -> bool:
    """A sensitive condition may be named about a person ("has HIV"): checks.CONDITION_WORD."""
    return any(word in text for word in checks.CONDITION_LITERALS)
# A dosage (`500 mg`, `5mg`), searched in the lower-cased text from its literal "mg" (re skips to a
# literal fast; a pattern led by \d tries every position of a digit-heavy text).
_DOSAGE = re.compile(r"mg(?:(?<=\dmg)|(?<=\d\smg))\b")


def _health_phrases(text: str, lowered: str) -> list[re.Match[str]]:
    """The health phrases of a text with health wording (one pass of the phrase regex)."""
    return list(_HEALTH_PHRASE.finditer(text)) if _health_wording(text, lowered) else []


def _health_wording(text: str, lowered: str) -> bool:
    """Cheap test before _HEALTH_PHRASE (a case-insensitive alternation is slow on megabytes)."""
    return any(word in lowered for word in _HEALTH_WORDS) or ("mg" in lowered and _DOSAGE.search(lowered) is not None)


_PERSON_LABEL = re.compile(
    r"\b(?:patient(?:\s+name)?|name|dob|date\s+of\s+birth|d\.o\.b\.?|mrn|ssn)\s*[:=#]", re.IGNORECASE
)
_SHAPED = ("PERSON", "DATE_OF_BIRTH", "STREET_ADDRESS", "HEALTH_FIELD")


Spans = tuple[Chunk, int, "array[int]"]  # a chunk, its sequence number, value offsets (start, end, start, end...)


@dataclass
class Hit:
    chunk: Chunk
    start: int
    end: int
    value: str
    order: tuple[int, int]  # (chunk sequence number, offset): the first hit is the smallest


@dataclass
class ColumnStat:
    count: int = 0
    distinct: set[str] = field(default_factory=set)
    first: Hit | None = None
    places: list[Hit] = field(default_factory=list)  # the first MAX_OCCURRENCES (see keep_places)

    def add(self, hit: Hit, place: bool = True) -> None:
        self.count += 1
        if len(self.distinct) < 10000:
            self.distinct.add(hit.value)
        if self.first is None or hit.order < self.first.order:
            self.first = hit
        if place:
            keep_places(self.places, (hit,))


def keep_places(places: list[Hit], new: Iterator[Hit] | tuple[Hit, ...] | list[Hit]) -> None:
    """Add hits to `places`, which keeps (at least) the MAX_OCCURRENCES first by order: trimmed
    to them whenever it grows past twice that (hits arrive nearly in order)."""
    places.extend(new)
    if len(places) > 2 * MAX_OCCURRENCES:
        places.sort(key=lambda h: h.order)
        del places[MAX_OCCURRENCES:]


def first_places(places: list[Hit], first: Hit | None = None) -> tuple[tuple[Chunk, int], ...]:
    """The MAX_OCCURRENCES first places, in order, as Match.places; `first` (the finding's own
    place) leads them even where the memory bound left it out."""
    ordered = sorted(places, key=lambda h: h.order)
    if first is not None and (not ordered or first.order < ordered[0].order):
        ordered.insert(0, first)
    return tuple((h.chunk, h.start) for h in ordered[:MAX_OCCURRENCES])


@dataclass
class FieldStat:
    info: Field
    shape: str | None  # header-only entity this column may hold (names, DOB, address, health)
    cells: int = 0  # non-empty values sampled
    multiword: int = 0
    fits: int = 0  # values (all of them) that look like `shape`
    fits_sampled: int = 0  # of the sampled ones
    first_fit: Hit | None = None
    fit_places: list[Hit] = field(default_factory=list)  # values that fit, the first MAX_OCCURRENCES
    ner_chars: int = 0
    tried: dict[str, int] = field(default_factory=dict)  # entity -> candidates looked at
    kind: str | None = None  # dense.KINDS of its values, decided on its first batch
    kind_known: bool = False

    @property
    def single_token(self) -> bool:
        return self.cells > 0 and self.multiword * 2 < self.cells


def _header_candidates(chunk: Chunk, entity: str) -> list[Candidate]:
    """Every value of a column whose header names an identifier that needs context (icd10,
    mrn, passport...): the header is the context."""
    found: list[Candidate] = []
    for _, offset, value in iter_values(chunk):
        stripped = value.strip()
        if stripped and len(stripped) <= 64 and not is_empty(stripped):
            start = offset + value.index(stripped[0])
            found.append((start, start + len(stripped), (entity,)))
    return found


def iter_values(chunk: Chunk) -> Iterator[tuple[int, int, str]]:
    """(value number, offset, value) of a column chunk (values joined by newlines, or at
    `starts` for readers that say where each begins)."""
    text = chunk.text
    starts = getattr(chunk, "starts", None)
    if starts is None:
        pos = 0
        for number, value in enumerate(text.split("\n")):
            yield number, pos, value
            pos += len(value) + 1
        return
    separator = getattr(chunk, "separator", 1)
    for number, begin in enumerate(starts):
        end = starts[number + 1] - separator if number + 1 < len(starts) else len(text)
        yield number, begin, text[begin:end]


def _record_key(chunk: Chunk, number: int, value: str) -> Any:
    """Which record (row) value `number` of a column chunk belongs to: the row; in a JSON
    document the innermost list element of its key path (users[3].contact.email -> users[3]),
    outside any list the object that holds it (a top-level key is a record of its own: a flat
    mapping such as language codes -> names is no one's record); in a notebook, a row of that
    cell's table; in an archive, of that member."""
    key = _row_key(chunk, number, value)
    if chunk.cell is None:
        return key if chunk.path is None else (chunk.path, key)
    return (chunk.path, chunk.cell, chunk.location, key)  # (the location names the output)


def _row_key(chunk: Chunk, number: int, value: str) -> Any:
    index = getattr(chunk, "index", None)
    if index is None:  # one value a line, one record a value
        return chunk.row + number if chunk.row is not None else (id(chunk), number)
    row_of = getattr(index, "row_of", None)
    if row_of is not None:
        return row_of(number)
    where = index.where(number, 0, value)
    if where.row is not None:
        return where.row
    path = where.field or ""
    if "]" in path:
        return path[: path.rfind("]") + 1]
    return path.rsplit(".", 1)[0] if "." in path else path  # patient.email -> patient; a top-level key alone


def _tied(record: Any, people: set[Any]) -> bool:
    """A person identifier in this record, or in a JSON record it is part of (a patient's
    visits[2] under patients[3], the visit object under the patient object; in an archive
    member too, whose records are (member, path))."""
    if record in people:
        return True
    head, path = (record[:-1], record[-1]) if isinstance(record, tuple) and record else (None, record)
    if not isinstance(path, str):
        return False
    parts = (path[: i + 1 if c == "]" else i] for i, c in enumerate(path) if c in "].")
    return any((part if head is None else (*head, part)) in people for part in parts)


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class FilePiiDetector:
    def __init__(self, parent: PiiDetector, path: str) -> None:
        self.parent = parent
        self.path = path
        self._seq = 0
        self._ner_pending: list[tuple[Chunk, int, int, str, Field | None]] = []
        self._ner_pending_chars = 0
        self._columns: dict[tuple[str, str], ColumnStat] = {}
        self._fields: dict[str, FieldStat] = {}
        self._text_hits: dict[str, list[Hit]] = {}
        self._text_distinct: dict[str, set[str]] = {}
        self._text_counts: dict[str, int] = {}
        self._text_line_total = 0
        self._recorded: set[tuple[int, int, str]] = set()
        self._place_chunks: dict[int, Chunk] = {}  # chunks places point into (PLACES_CHARS)
        self._place_chars = 0
        # records joining a person with health data: (chunk, value numbers or None for all, key)
        self._person_sources: list[tuple[Chunk, list[int] | None, str]] = []
        self._health_sources: list[tuple[Chunk, list[int] | None, str]] = []
        self._join_chars = 0
        # health values tied to a person per record (finish()): where identifiers were recorded in
        # data chunks (seq -> chunk, offsets), in text (chunk, seq, offset), the health values
        # of tables, and the health phrases of texts (chunk, seq, start, end, its line names a person)
        self._person_hits: dict[int, tuple[Chunk, list[int]]] = {}
        self._person_hit_chars = 0  # text of the chunks _person_hits keeps (JOIN_CHARS)
        self._person_texts: set[Any] = set()  # the paragraphs/cells of texts holding one
        # (column, entity) -> seq -> (chunk, [start, end, start, end...]) of its health values
        self._health_hits: dict[tuple[str, str], dict[int, tuple[Chunk, array[int]]]] = {}
        self._health_kept = 0
        self._phrases: list[tuple[Chunk, int, int, int, bool]] = []
        self._tie_overflow = False  # identifiers past the bounds: a person anywhere ties everything
        self._people: set[Any] | None = None
        self._paragraphs: dict[int, list[int]] = {}  # paragraph starts of the last few text chunks
        self._lines: tuple[Chunk, list[int]] | None = None  # line starts of the last data chunk asked about
        self.chars_total = 0
        self.chars_windows = 0  # text the recognisers saw around candidates
        self.chars_ner = 0
        self.windows = 0
        self.values = 0  # column values that were one candidate each, checked by themselves
        self.ner_capped = False
        # Called with (entity name, chunk, start, end) for every value recorded, when set (redact
        # needs each one; the scan keeps the first of a column); columns then go the general way.
        self.on_hit: Callable[[str, Chunk, int, int], None] | None = None

    # --- feeding -----------------------------------------------------------------------------

    def feed(self, chunk: Chunk) -> list[Match]:
        text = chunk.text
        if not text:
            return []
        self._seq += 1
        seq = self._seq
        self.chars_total += len(text)
        info = classify(chunk.field) if chunk.field else None
        tabular = chunk.kind is ChunkKind.DATA and info is not None
        lowered = lower_same_length(text)
        if tabular:
            assert info is not None
            stat = self._field_stat(info)
            kind = self._kind(stat, chunk)
            if kind is not None:
                candidates, people = self._dense_values(chunk, seq, stat, kind, lowered)
            else:
                candidates = find_candidates(text, lowered, info.words)
                candidates += self._icd_candidates(text, lowered)
                if info.entity is not None and ENTITIES[info.entity].needs_context:
                    candidates += _header_candidates(chunk, info.entity)
                people = candidates
                self._patient_names(chunk, seq, info)
            self._feed_column(chunk, seq, stat, people, lowered)
        else:
            candidates = find_candidates(text, lowered)
            candidates += self._icd_candidates(text, lowered)
            if chunk.kind is not ChunkKind.CODE:
                self._patient_names(chunk, seq, None)
            if chunk.kind is not ChunkKind.DATA:
                self._text_line_total += text.count("\n") + 1
            phrases = _health_phrases(text, lowered) if chunk.kind is not ChunkKind.CODE else []
            if phrases:
                self._line_joins(chunk, seq, candidates, phrases)
            if phrases or ((_TREATED in lowered or _condition_named(text)) and chunk.kind is not ChunkKind.CODE):
                for start, end in self._subject_names(chunk, seq, None, phrases, lowered):
                    if len(self._phrases) < MAX_KEPT_HITS and self._may_place(chunk):
                        self._phrases.append((chunk, seq, start, end, True))
                    else:
                        self._record("HEALTH_RECORD", chunk, seq, start, end, None)
        candidates = _prune(chunk, info if tabular else None, candidates, lowered)
        if candidates:
            if tabular:
                assert info is not None
                candidates = self._analyze_values(chunk, seq, info, candidates, lowered)
            self._analyze_windows(chunk, seq, info if tabular else None, candidates, lowered)
        if self.parent.ner_enabled:
            self._queue_ner(chunk, seq, info if tabular else None)
        if self._ner_pending_chars >= NER_BATCH_CHARS:
            self._flush_ner()
        return []

    def _kind(self, stat: FieldStat, chunk: Chunk) -> str | None:
        """The one kind of identifier (dense.KINDS) this column holds, decided on its first
        batch; None: values go the general way. Values that hold newlines always do."""
        if self.on_hit is not None:
            return None  # the general way records each value
        if not stat.kind_known:
            stat.kind_known = True
            entity = stat.info.entity
            if entity is None or not ENTITIES[entity].needs_context:
                stat.kind = dense.column_kind(chunk.text[: 64 * 1024].split("\n"), self._enabled_name)
        return stat.kind if getattr(chunk, "starts", None) is None else None

    def _enabled_name(self, name: str) -> bool:
        return self.parent.enabled(ENTITIES[name])

    def _dense_values(
        self, chunk: Chunk, seq: int, stat: FieldStat, kind: str, lowered: str
    ) -> tuple[list[Candidate], list[Candidate]]:
        """A column of one kind: the values of the kind's shape get their verdicts all at once
        (dense.verdicts, or one by one with dense.KINDS); the prefilter looks at the other
        values. Returns the candidates of the other values, and those plus the accepted values
        where record joins need them."""
        info = stat.info
        text = chunk.text
        values = text.split("\n")
        starts = [0, *accumulate(len(value) + 1 for value in values)]
        batch = dense.verdicts(kind, values) if len(values) >= dense.VECTOR_MIN else None
        if batch is not None:
            shaped, accepted, others = batch
        else:
            shape, check = dense.KINDS[kind]
            accepted, others, shaped = [], [], 0
            for number, value in enumerate(values):
                if shape.fullmatch(value) is None:
                    others.append(number)
                else:
                    shaped += 1
                    if check(value):
                        accepted.append(number)
        hint = bare_number_hint(lowered, info.words) if others else ""
        candidates: list[Candidate] = []
        for number in others:
            value = values[number]
            if value and not is_empty(value):
                pos = starts[number]
                for s, e, ents in find_candidates(value, lowered[pos : pos + len(value)], hint):
                    candidates.append((s + pos, e + pos, ents))
        if kind != dense.NO_CANDIDATE:
            self.values += shaped
            stat.tried[kind] = stat.tried.get(kind, 0) + shaped
        if info.entity is not None and ENTITIES[info.entity].needs_context:
            candidates += _header_candidates(chunk, info.entity)
        if not accepted:
            return candidates, candidates
        column = self._columns.setdefault((info.key, kind), ColumnStat())
        column.count += len(accepted)
        room = 10000 - len(column.distinct)
        if room > 0:
            column.distinct.update(values[n] for n in accepted[:room])
        first, start = accepted[0], starts[accepted[0]]
        if column.first is None or (seq, start) < column.first.order:
            column.first = Hit(chunk, start, start + len(values[first]), values[first], (seq, start))
        if len(column.places) < MAX_OCCURRENCES and self._may_place(chunk):
            # the place of each accepted value (their numbers come from the verdicts); the places
            # kept so far are all of earlier batches, so a full list takes no more
            keep_places(column.places, [
                Hit(chunk, starts[n], starts[n] + len(values[n]), values[n], (seq, starts[n]))
                for n in accepted[:MAX_OCCURRENCES]
            ])
        if (stat.shape or info.entity) in PERSON_IDENTIFIERS:
            return candidates, candidates  # joins take the whole column
        if kind == "PHONE_NUMBER":  # the phone numbers of a column not named so: identifiers per row
            if self._join_chars + len(text) <= JOIN_CHARS:
                self._person_sources.append((chunk, accepted, info.key))
                self._join_chars += len(text)
            else:
                self._tie_overflow = True
            return candidates, candidates
        entities = (kind,)
        return candidates, candidates + [(starts[n], starts[n] + len(values[n]), entities) for n in accepted]

    def _may_place(self, chunk: Chunk) -> bool:
        """Whether a place may point into `chunk` (kept alive until finish()): chunks already
        pointed into may, others while their text fits in PLACES_CHARS."""
        if id(chunk) in self._place_chunks:
            return True
        if self._place_chars + len(chunk.text) > PLACES_CHARS:
            return False
        self._place_chunks[id(chunk)] = chunk
        self._place_chars += len(chunk.text)
        return True

    def _field_stat(self, info: Field) -> FieldStat:
        stat = self._fields.get(info.key)
        if stat is None:
            shape = "PERSON" if info.plain_name else info.entity
            if shape not in _SHAPED:
                shape = "HEALTH_FIELD" if info.health == "strong" and info.entity is None else None
            stat = self._fields[info.key] = FieldStat(info, shape)
        return stat

    def _analyze_windows(
        self, chunk: Chunk, seq: int, info: Field | None, candidates: list[Candidate], lowered: str
    ) -> None:
        """The recognisers on a window of text around each group of candidates (the entities of
        its candidates only). In a column, the column name stands before the window as context."""
        if not candidates:
            return
        prefix = f"{info.words.replace('_', ' ')}: " if info is not None else ""
        analyzer = self.parent.analyzer()
        text = chunk.text
        for w in merge_windows(text, candidates, clip_lines=info is not None):
            window = prefix + text[w.start : w.end]
            self.windows += 1
            self.chars_windows += len(window)
            results = analyzer.analyze(window, w.entities)
            self._take_results(chunk, seq, w.start - len(prefix), len(prefix), info, lowered, results)

    def _analyze_values(
        self, chunk: Chunk, seq: int, info: Field, candidates: list[Candidate], lowered: str
    ) -> list[Candidate]:
        """Column values that are one candidate from end to end are checked by themselves (the
        column name before them as context), in one loop; the rest is returned for windows.
        Counts the candidates of each entity, to tell a column of IDs from one of PII."""
        text = chunk.text
        size = len(text)
        tried = self._fields[info.key].tried
        prefix = f"{info.words.replace('_', ' ')}: "
        analyze = self.parent.analyzer().analyze
        take = self._take_results
        shift = len(prefix)
        rest: list[Candidate] = []
        candidates.sort()
        reach = -1  # end of the candidates so far (clipped to their line)
        count = len(candidates)
        for i, (s, e, ents) in enumerate(candidates):
            for name in ents:
                tried[name] = tried.get(name, 0) + 1
            whole = (
                ents not in TRIGGER_SETS and (s == 0 or text[s - 1] == "\n") and (e == size or text[e] == "\n")
                and s >= reach and (i + 1 == count or candidates[i + 1][0] >= e)
            )
            line_end = text.find("\n", s, e)
            reach = max(reach, e if line_end < 0 else line_end)
            if not whole:
                rest.append((s, e, ents))
                continue
            self.values += 1
            take(chunk, seq, s - shift, shift, info, lowered, analyze(prefix + text[s:e], ents))
        return rest

    def _queue_ner(self, chunk: Chunk, seq: int, info: Field | None) -> None:
        if chunk.kind not in (ChunkKind.PROSE, ChunkKind.OUTPUT, ChunkKind.DATA):
            return
        if info is None:
            pieces: Iterator[tuple[int, int, str]] = iter([(0, 0, chunk.text)])
        else:
            stat = self._fields[info.key]
            if stat.single_token:
                return
            pieces = iter_values(chunk)
        for _, offset, value in pieces:
            if self.chars_ner + self._ner_pending_chars >= NER_FILE_CHARS:
                self.ner_capped = True
                return
            if info is not None:
                if stat.ner_chars >= NER_COLUMN_CHARS:
                    return
                if not free_text(value):
                    continue
                stat.ner_chars += len(value)
            self._ner_pending.append((chunk, seq, offset, value, info))
            self._ner_pending_chars += len(value)

    def _feed_column(self, chunk: Chunk, seq: int, stat: FieldStat, candidates: list[Candidate], lowered: str) -> None:
        """Column bookkeeping: what its values look like, and which records hold a person
        identifier or health data (joined in finish())."""
        info = stat.info
        sampling = stat.cells < STATS_SAMPLE
        counted = None
        if (
            not sampling and stat.shape is not None and stat.first_fit is not None
            and getattr(chunk, "starts", None) is None and chunk.text.count("\n") >= dense.VECTOR_MIN
            # one by one while the places of a column that will be reported are still wanted
            and (len(stat.fit_places) >= MAX_OCCURRENCES or stat.fits_sampled < 0.6 * stat.cells
                 or not self._may_place(chunk))
        ):
            counted = count_fits(stat.shape, chunk.text.split("\n"), info.plain_name)  # all at once
            stat.fits += counted or 0
        if (sampling or stat.shape is not None) and counted is None:
            for number, offset, value in iter_values(chunk):
                if is_empty(value):
                    continue
                in_sample = stat.cells < STATS_SAMPLE
                if in_sample:
                    stat.cells += 1
                    if free_text(value):
                        stat.multiword += 1
                elif stat.shape is None:
                    break
                if stat.shape is not None and value_fits(stat.shape, value, info.plain_name):
                    stat.fits += 1
                    stat.fits_sampled += in_sample
                    if stat.first_fit is None or len(stat.fit_places) < MAX_OCCURRENCES:
                        hit = Hit(chunk, offset, offset + len(value), value, (seq, offset))
                        stat.first_fit = stat.first_fit or hit
                        if self._may_place(chunk):
                            stat.fit_places.append(hit)
        if self._join_chars > JOIN_CHARS:
            self._tie_overflow = True
            return  # records further on are not joined (a file this large blocks anyway)
        header = stat.shape or info.entity
        if header in PERSON_IDENTIFIERS and (stat.shape is None or stat.fits):
            self._person_sources.append((chunk, None, info.key))
            self._join_chars += len(chunk.text)
        elif candidates:
            numbers = self._value_numbers(chunk, [
                s for s, e, ents in candidates
                if "EMAIL_ADDRESS" in ents and not checks.email_not_personal(chunk.text[s:e])
                and not checks.role_address(chunk.text[s:e])
                or "US_SSN" in ents and "-" in chunk.text[s:e] and checks.ssn_ok(chunk.text[s:e])
            ])
            if numbers:
                self._person_sources.append((chunk, numbers, info.key))
                self._join_chars += len(chunk.text)
        health_header = info.health is not None or (
            info.entity is not None and ENTITIES[info.entity].category is Category.HEALTH
        )
        if health_header:
            self._health_sources.append((chunk, None, info.key))
            self._join_chars += len(chunk.text)
        elif not stat.single_token and (
            (phrases := _health_phrases(chunk.text, lowered)) or _TREATED in lowered or _condition_named(chunk.text)
        ):
            offsets = [m.start() for m in phrases]
            offsets += [start for start, _ in self._subject_names(chunk, seq, info, phrases, lowered)]
            if offsets:
                self._health_sources.append((chunk, self._value_numbers(chunk, offsets), info.key))
                self._join_chars += len(chunk.text)

    def _subject_names(
        self, chunk: Chunk, seq: int, info: Field | None, phrases: list[re.Match[str]], lowered: str
    ) -> list[tuple[int, int]]:
        """Names that are the subject of a diagnosis ("Maria Lopez was diagnosed with ..."), in a
        text or column with health wording: person names (no NER needed) that tie it to them.
        Looked for just before the phrases that can have a subject, before "treated for" and
        the names of sensitive conditions ("has HIV", "is HIV positive"), which are health
        wording only there: the spans of those returned (the others are phrases already)."""
        spots = [(m.start(), m.end()) for m in phrases if m.group()[:1].lower() in "dt"]  # diagnosed, tested
        at = lowered.find(_TREATED)
        while at >= 0:
            spots.append((at, at + len(_TREATED)))
            at = lowered.find(_TREATED, at + 1)
        if _condition_named(chunk.text):
            # (reaching past the condition: " positive", "+", and what ends the clause)
            spots += [(start, end + 12) for start, end in checks.condition_spots(chunk.text)]
        windows: list[tuple[int, int]] = []
        for begin, phrase_end in sorted(spots):
            start = max(0, begin - checks.SUBJECT_REACH)
            end = min(len(lowered), phrase_end + len(" with"))  # "diagnosed with"
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
            else:
                windows.append((start, end))
        treated: list[tuple[int, int]] = []
        for start, end, verb in checks.subject_names(chunk.text, windows):
            self._record("PERSON", chunk, seq, start, end, info)
            self._keep_person(chunk, seq, start)
            said = chunk.text[verb[0] : verb[1]]
            if "diagnosed" not in said and "tested positive" not in said:  # treated for, has HIV...
                treated.append(verb)
        return treated

    def _patient_names(self, chunk: Chunk, seq: int, info: Field | None) -> None:
        """Names right after "Patient" / "Pt" and before a comma ("Patient Jessica Thomas, DOB
        ..."): a person, who ties the health data of the same record (no NER needed)."""
        text = chunk.text
        if "atient " not in text and "ATIENT " not in text and "Pt" not in text:
            return
        for start, end in checks.patient_names(text):
            self._record("PERSON", chunk, seq, start, end, info)
            self._keep_person(chunk, seq, start)

    def _icd_candidates(self, text: str, lowered: str) -> list[Candidate]:
        """Where ICD-10 codes may follow a clinical section cue ("Assessment:", "A/P:", "Problem
        list:"...), or stand in parentheses after a disease ("HIV disease (B20)"): candidates
        for the recognisers, as a "Diagnosis:" keyword yields (their context: checks.icd_context)."""
        if not self.parent.enabled(ENTITIES["ICD10_CODE"]):
            return []
        found: list[Candidate] = [
            (start, min(len(text), end + checks.ICD_CUE_REACH), _ICD_ONLY) for start, end in checks.clinical_cues(lowered)
        ]
        if "(" in text:
            for m in _PARENTHESISED_CODE.finditer(text):
                if checks.icd_context(lowered, m.start(1), m.end(1)):
                    found.append((m.start(1), m.end(1), _ICD_ONLY))
        return found

    def _keep_person(self, chunk: Chunk, seq: int, start: int) -> None:
        """A person identifier at `start`: health data in its record is tied to a person."""
        if chunk.kind is not ChunkKind.DATA:
            self._person_texts.update(self._keys_at(chunk, seq, [start]))
            return
        entry = self._person_hits.get(seq)
        if entry is None:
            if self._person_hit_chars + len(chunk.text) > JOIN_CHARS:
                self._tie_overflow = True
                return
            self._person_hit_chars += len(chunk.text)
            entry = self._person_hits[seq] = (chunk, [])
        entry[1].append(start)

    @staticmethod
    def _value_numbers(chunk: Chunk, offsets: list[int]) -> list[int]:
        if not offsets:
            return []
        starts = value_starts_of(chunk)
        return sorted({bisect.bisect_right(starts, o) - 1 for o in offsets})

    def _line_joins(
        self, chunk: Chunk, seq: int, candidates: list[Candidate], phrases: list[re.Match[str]]
    ) -> None:
        """Prose and outputs: the health phrases, each with whether its line names a person (a
        label, an email, an SSN). finish() makes one record of each paragraph (or notebook cell)
        where a phrase meets a person identifier."""
        text = chunk.text
        for m in phrases:
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            person = bool(_PERSON_LABEL.search(text, line_start, line_end)) or any(
                line_start <= s < line_end
                and ("EMAIL_ADDRESS" in ents and not checks.email_not_personal(text[s:e])
                     and not checks.role_address(text[s:e])
                     or "US_SSN" in ents and checks.ssn_ok(text[s:e]))
                for s, e, ents in candidates
            )
            if len(self._phrases) < MAX_KEPT_HITS and self._may_place(chunk):  # (the chunk is kept until finish())
                self._phrases.append((chunk, seq, m.start(), m.end(), person))
            elif person:
                self._record("HEALTH_RECORD", chunk, seq, m.start(), m.end(), None)

    # --- results ----------------------------------------------------------------------------

    def _take_results(
        self, chunk: Chunk, seq: int, offset: int, skip: int, info: Field | None, lowered: str,
        results: list[RecognizerResult],
    ) -> None:
        """Results on an analysed text that starts at chunk offset `offset` (its first `skip`
        characters are the column name, not the chunk's)."""
        words = info.words if info is not None else ""
        kept: list[tuple[int, int, int, str]] = []  # (context distance, start, end, entity)
        for r in results:
            if r.start < skip:
                continue
            start, end = r.start + offset, r.end + offset
            if self._acceptable(r.entity_type, r.score, chunk, start, end, info, lowered):
                distance = context_distance(r.entity_type, lowered, start, end, words)
                kept.append((999 if distance is None else distance, start, end, r.entity_type))
        if len(kept) > 1:
            # One value, one entity: a 10-digit NPI after "NPI" is not also a phone number. The
            # entity whose own context word stands nearest wins, then the more sensitive one.
            kept.sort(key=lambda k: (k[0], not ENTITIES[k[3]].sensitive, k[1]))
        taken: list[tuple[int, int]] = []
        for _, start, end, name in kept:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            self._record(name, chunk, seq, start, end, info)

    def _flush_ner(self) -> None:
        if not self._ner_pending:
            return
        pending, self._ner_pending, self._ner_pending_chars = self._ner_pending, [], 0
        texts = [value for _, _, _, value, _ in pending]
        self.chars_ner += sum(len(t) for t in texts)
        for (chunk, seq, offset, value, info), results in zip(pending, self.parent.ner_analyzer().analyze_ner(texts)):
            for r in results:
                if self._acceptable(r.entity_type, r.score, chunk, offset + r.start, offset + r.end, info, "", ner=True):
                    self._record(r.entity_type, chunk, seq, offset + r.start, offset + r.end, info)

    # --- deciding ----------------------------------------------------------------------------

    def _acceptable(
        self, name: str, score: float, chunk: Chunk, start: int, end: int, info: Field | None, lowered: str,
        ner: bool = False,
    ) -> bool:
        """The recogniser's score, then our rules. `lowered` is the lower-cased text the offsets refer to
        (unused for NER results, which need only a non-trivial span)."""
        entity = ENTITIES.get(name)
        if entity is None or not self.parent.enabled(entity):
            return False
        if score < (entity.min_score if entity.min_score is not None else self.parent.threshold):
            return False
        if ner:
            value = chunk.text[start:end]
            # an ICD-10 code or any span with a digit ("B20", "Ward C12") is never a person's name
            return len(value.strip()) > 1 and not (name == "PERSON" and checks.code_like(value))
        value = chunk.text[start:end]
        words = info.words if info is not None else ""
        if entity.needs_context and not (
            has_context(name, lowered, start, end, words) or (info is not None and info.entity == name)
            or (name == "ICD10_CODE" and checks.icd_context(lowered, start, end))
        ):
            return False
        return _value_ok(name, value, chunk, lowered, start, end, words, info)

    def _record(self, name: str, chunk: Chunk, seq: int, start: int, end: int, info: Field | None) -> None:
        seen = (seq, start, name)
        if seen in self._recorded or not self.parent.enabled(ENTITIES[name]):
            return  # (seen already: overlapping windows of two batches)
        self._recorded.add(seen)
        if self.on_hit is not None:
            self.on_hit(name, chunk, start, end)
        hit = Hit(chunk, start, end, chunk.text[start:end], (seq, start))
        if name in TIE_IDENTIFIERS and (
            name != "PERSON" or checks.names_a_person(chunk.text, start, end)
        ) and (name != "EMAIL_ADDRESS" or not checks.role_address(hit.value)):
            self._keep_person(chunk, seq, start)
        if chunk.kind is ChunkKind.DATA:
            key = info.key if info is not None else ""
            place = self._may_place(chunk)
            self._columns.setdefault((key, name), ColumnStat()).add(hit, place)
            if name in TIEABLE_HEALTH and place and self._health_kept < TIE_HITS:  # (the others count as tied)
                spans = self._health_hits.setdefault((key, name), {})
                spans.setdefault(seq, (chunk, array("q")))[1].extend((start, end))
                self._health_kept += 1
            return
        kept = self._text_hits.setdefault(name, [])
        if len(kept) < MAX_KEPT_HITS:
            kept.append(hit)
        self._text_counts[name] = self._text_counts.get(name, 0) + 1
        self._text_distinct.setdefault(name, set()).add(hit.value)

    # --- finishing ---------------------------------------------------------------------------

    def finish(self) -> list[Match]:
        self._flush_ner()
        self._phrase_records()
        matches = self._column_matches()
        matches += self._join_matches(strong_health=any(
            m.category is Category.HEALTH and m.severity is Severity.HIGH for m in matches
        ))
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
        if self.chars_total >= 1024 * 1024 and (self.windows or self.values):
            share = 100.0 * self.chars_windows / self.chars_total
            parts.append(
                f"all {_size(self.chars_total)} searched for candidates, and the recognisers saw "
                f"{_size(self.chars_windows)} ({share:.1f}%) around them in {self.windows:,} windows, "
                f"and {self.values:,} values by themselves"
            )
        return [f"{self.path}: PII: " + "; ".join(parts)] if parts else []

    # --- tying health data to a person, record by record (issue 14) ---------------------------

    def _keys_at(self, chunk: Chunk, seq: int, offsets: list[int]) -> list[Any]:
        """The record of each offset into `chunk`: a row or JSON record of a data chunk (a line of
        one without columns); the notebook cell of a text; else its paragraph."""
        text = chunk.text
        if chunk.kind is ChunkKind.DATA:
            starts = getattr(chunk, "starts", None)
            if starts is None:  # (finish() asks once for each phrase: the last chunk's are kept)
                if self._lines is None or self._lines[0] is not chunk:
                    self._lines = (chunk, line_starts(text))
                starts = self._lines[1]
            right = bisect.bisect_right
            return self._number_keys(chunk, [max(0, right(starts, offset) - 1) for offset in offsets], starts)
        if chunk.cell is not None:
            return [("cell", chunk.path, chunk.cell)] * len(offsets)
        paragraphs = self._paragraphs.get(seq)
        if paragraphs is None:
            if len(self._paragraphs) >= 4:
                del self._paragraphs[next(iter(self._paragraphs))]
            paragraphs = self._paragraphs[seq] = [0] + [m.end() for m in _BLANK_LINE.finditer(text)]
        return [(seq, bisect.bisect_right(paragraphs, offset)) for offset in offsets]

    @staticmethod
    def _number_keys(chunk: Chunk, numbers: list[int], starts: Any = None) -> list[Any]:
        """The records of values `numbers` of a data chunk (_record_key, without cutting the
        values out where the row says it)."""
        index = getattr(chunk, "index", None)
        if chunk.cell is None and chunk.path is None:
            if index is None and chunk.row is not None:
                first = chunk.row
                return [first + n for n in numbers]
            row_of = getattr(index, "row_of", None)
            if row_of is not None:
                return [row_of(n) for n in numbers]
        text = chunk.text
        if starts is None:
            starts = value_starts_of(chunk)
        separator = getattr(chunk, "separator", 1) if getattr(chunk, "starts", None) is not None else 1
        keys = []
        for number in numbers:
            end = starts[number + 1] - separator if number + 1 < len(starts) else len(text)
            keys.append(_record_key(chunk, number, text[starts[number] : end]))
        return keys

    def _people_records(self) -> set[Any] | None:
        """The records that hold a person identifier; None when some were past the bounds
        (then a person anywhere in the file ties every health value, as per file)."""
        if self._tie_overflow:
            return None
        if self._people is None:
            people: set[Any] = set()
            for chunk, numbers, _ in self._person_sources:
                if numbers is None:
                    numbers = [number for number, _, value in iter_values(chunk) if not is_empty(value)]
                people.update(self._number_keys(chunk, numbers[:JOIN_VALUES]))
            for seq, (chunk, offsets) in self._person_hits.items():
                people.update(self._keys_at(chunk, seq, offsets))
            people |= self._person_texts
            self._people = people
        return self._people

    def _anyone(self) -> bool:
        return bool(self._person_sources or self._person_hits or self._person_texts)

    def _is_tied(self, chunk: Chunk, seq: int, offset: int) -> bool:
        people = self._people_records()
        if people is None:
            return self._anyone()
        return bool(people) and _tied(self._keys_at(chunk, seq, [offset])[0], people)

    def _phrase_records(self) -> None:
        """One health record for each paragraph (notebook cell, data line) where health wording
        meets a person identifier: a label, email or SSN on its line, or anywhere in it a name
        (NER, after a cue, the subject of a diagnosis), a date of birth, a phone number..."""
        done: set[Any] = set()
        for chunk, seq, start, end, line_person in self._phrases:
            [key] = self._keys_at(chunk, seq, [start])
            if key in done:
                continue
            # beyond its line, a dosage alone ("500 mg") says too little: a product page, a recipe
            if line_person or (not chunk.text[start:end].lower().endswith("mg") and self._is_tied(chunk, seq, start)):
                done.add(key)
                self._record("HEALTH_RECORD", chunk, seq, start, end, None)

    def _tie_split(
        self, match: Match, entity: Entity, stat: ColumnStat, key: str, free: bool, spans: Iterator[Spans],
        full: bool | None = None,
    ) -> list[Match]:
        """A column finding of health values (ICD codes, a diagnosis column...): high where an
        identifier in the same record ties them to a person, low where none does; one finding
        for each part, with its own count and places. `spans`: where its values are, in order.
        Values not kept (past TIE_HITS, or past the bounds of identifiers) count as tied."""
        people = self._people_records()
        if people is None:
            return [match] if self._anyone() else [_untied(match)]
        if not people:
            return [_untied(match)]
        tied, untied = ColumnStat(), ColumnStat()
        for chunk, seq, offsets in spans:
            text = chunk.text
            pairs = sorted(zip(offsets[::2], offsets[1::2]))
            for (start, end), record in zip(pairs, self._keys_at(chunk, seq, [s for s, _ in pairs])):
                part = tied if _tied(record, people) else untied
                part.count += 1
                if len(part.places) < MAX_OCCURRENCES or len(part.distinct) < 10000:
                    value = text[start:end]
                    part.distinct.add(value)
                    if len(part.places) < MAX_OCCURRENCES:
                        part.places.append(Hit(chunk, start, end, value, (seq, start)))
        lost = stat.count - tied.count - untied.count
        if not untied.count or (not tied.count and lost > 0):
            return [match]
        if not tied.count:
            return [_untied(match)]
        tied.count += max(0, lost)
        tied.first, untied.first = tied.places[0], untied.places[0]
        high = self._aggregate(entity, tied, key, free, full)
        return [replace(high, message=f"{high.message}, tied to a person by an identifier in the same record"),
                _untied(self._aggregate(entity, untied, key, free, full))]

    def _hit_spans(self, key: str, name: str) -> Iterator[Spans]:
        """The places kept of a column's health values, chunk by chunk in order."""
        for seq, (chunk, offsets) in sorted(self._health_hits.get((key, name), {}).items(), key=lambda kv: kv[0]):
            yield chunk, seq, offsets

    def _field_spans(self, key: str) -> Iterator[Spans]:
        """The values of a health column (by its header) that fit it, from the column's chunks
        (their order: the source's number)."""
        for source, (chunk, numbers, k) in enumerate(self._health_sources):
            if k != key or numbers is not None:
                continue
            offsets = array("q")
            for number, offset, value in iter_values(chunk):  # (as _records; _tie_split finds the records)
                if number >= JOIN_VALUES:
                    break
                if value_fits("HEALTH_FIELD", value):
                    offsets.extend((offset, offset + len(value)))
            yield chunk, source, offsets

    def _column_matches(self) -> list[Match]:
        matches: list[Match] = []
        person_columns = {key for (key, name), s in self._columns.items() if s.count and name in PERSON_IDENTIFIERS}
        person_columns |= {
            key for key, f in self._fields.items()
            if f.info.entity in PERSON_IDENTIFIERS and f.info.entity != "PERSON" and f.cells
        }
        for (key, name), column in self._columns.items():
            if column.first is None:
                continue
            entity = ENTITIES[name]
            fstat = self._fields.get(key)
            tried = fstat.tried.get(name, 0) if fstat is not None else 0
            if (
                fstat is not None and fstat.single_token and fstat.info.entity != name
                and tried >= NOISE_TRIED and column.count < NOISE_RATIO * tried
            ):
                continue  # a column of IDs some of which pass a checksum by chance
            free = fstat is not None and not fstat.single_token
            match = self._aggregate(entity, column, key, free)
            if name in TIEABLE_HEALTH:
                matches += self._tie_split(match, entity, column, key, free, self._hit_spans(key, name))
            else:
                matches.append(match)
        # header-only columns: names, dates of birth, addresses, health fields
        for key, fstat in self._fields.items():
            if fstat.shape is None or fstat.first_fit is None or not fstat.cells:
                continue
            if fstat.fits_sampled < 0.6 * fstat.cells:
                continue
            name = fstat.shape
            if name == "PERSON" and (
                (key, "PERSON") in self._columns or (fstat.info.plain_name and not person_columns - {key})
            ):
                continue  # NER already counted it, or a bare "name" column with no other personal data
            entity = ENTITIES[name]
            if not self.parent.enabled(entity):
                continue
            column = ColumnStat(count=fstat.fits, first=fstat.first_fit, places=fstat.fit_places)
            full = fstat.fits >= COLUMN_FULL
            match = self._aggregate(entity, column, key, False, full=full)
            if name in TIEABLE_HEALTH:
                matches += self._tie_split(match, entity, column, key, False, self._field_spans(key), full)
            else:
                matches.append(match)
        matches.sort(key=lambda m: (m.chunk.row or 0, m.start))
        return matches

    def _join_matches(self, strong_health: bool) -> list[Match]:
        """Records that join a person identifier with health data (one finding per file). Once
        a health column blocks (`strong_health`), the other columns of health data by their
        header add nothing; notes whose wording is about health still each count."""
        entity = ENTITIES["HEALTH_RECORD"]
        if not (self._person_sources or self._person_hits) or not self._health_sources or (
            not self.parent.enabled(entity)
        ):
            return []
        # record -> the column of a person identifier in it: a column of them (by its header),
        # or one found in that value ("" : it may be the health column itself, a note naming
        # the patient it is about)
        person_fields: dict[Any, str] = {}
        for chunk, numbers, key in self._person_sources:
            for record, _, _, _ in self._records(chunk, numbers):
                if numbers is None or person_fields.get(record, "") == "":
                    person_fields[record] = key if numbers is None else ""
        for seq, (chunk, offsets) in self._person_hits.items():
            for record in self._keys_at(chunk, seq, offsets):
                person_fields.setdefault(record, "")
        joined = ColumnStat()
        pairs: tuple[str, str] | None = None
        for source, (chunk, numbers, key) in enumerate(self._health_sources):
            if strong_health and numbers is None:
                continue
            for record, number, offset, value in self._records(chunk, numbers):
                person = person_fields.get(record)
                if person is None or person == key or is_empty(value):
                    continue
                person = person or key
                joined.add(Hit(chunk, offset, offset + len(value), value, (source, offset)))
                pairs = pairs or (person, key)
        if joined.first is None or pairs is None:
            return []
        match = self._aggregate(entity, joined, "", False)
        both = pairs[1] if pairs[0] == pairs[1] else f"{pairs[0]} with {pairs[1]}"
        return [replace(match, message=f"{match.message} ({both})")]

    @staticmethod
    def _records(chunk: Chunk, numbers: list[int] | None) -> Iterator[tuple[Any, int, int, str]]:
        wanted = set(numbers) if numbers is not None else None
        for number, offset, value in iter_values(chunk):
            if number >= JOIN_VALUES:
                return
            if wanted is not None and number not in wanted:
                continue
            if not is_empty(value):
                yield _record_key(chunk, number, value), number, offset, value

    def _aggregate(self, entity: Entity, stat: ColumnStat, key: str, free: bool, full: bool | None = None) -> Match:
        assert stat.first is not None
        first = stat.first
        if full is None:
            full = len(stat.distinct) >= COLUMN_FULL
        if entity.sensitive or (full and entity.name != "LOCATION"):
            severity = Severity.HIGH
        elif entity.name == "LOCATION":
            severity = Severity.MEDIUM if full else Severity.LOW
        elif first.chunk.row is None and first.chunk.kind is ChunkKind.DATA:
            severity = Severity.LOW  # one contact address in a JSON document (a spec, a manifest)
        else:
            severity = Severity.MEDIUM
        where = "in this free-text column" if free else "in this column" if key else "in this file"
        noun = entity.noun if stat.count == 1 else entity.plural
        message = f"{stat.count:,} {noun} {where}"
        return Match(
            entity.rule_id, entity.category, severity, first.chunk, first.start, first.end, first.value,
            message=message, count=stat.count, places=first_places(stat.places, first),
        )

    def _text_matches(self) -> list[Match]:
        matches: list[Match] = []
        people_file = bool(_PEOPLE_FILES.search(self.path))
        for name, hits in self._text_hits.items():
            hits.sort(key=lambda h: h.order)
            entity = ENTITIES[name]
            distinct = len(self._text_distinct.get(name, ()))
            count = self._text_counts.get(name, len(hits))
            full = (
                not entity.sensitive and not people_file and name != "LOCATION" and distinct >= FILE_FULL
                and _lines_with(hits) >= FILE_FULL_DENSITY * max(1, self._text_line_total)
            )
            if full:
                matches.append(_file_match(entity, hits, count, distinct))
                continue
            if entity.sensitive and entity.name not in _REFERENCE_CODES:
                # Source code quotes examples (docstrings, fixtures, format docs): one SSN or card
                # there is reported low; several different ones make a file of personal data.
                in_code = [h for h in hits if h.chunk.kind in _CODE_KINDS]
                code_values = {h.value for h in in_code}
                if len(code_values) >= CODE_SENSITIVE_FULL:
                    matches.append(_file_match(entity, in_code, len(in_code), len(code_values)))
                    hits = [h for h in hits if h.chunk.kind not in _CODE_KINDS]
            for hit in hits:
                match = Match(
                    entity.rule_id, entity.category, _single_severity(entity, hit.chunk.kind, people_file),
                    hit.chunk, hit.start, hit.end, hit.value, message=entity.noun,
                )
                if (
                    name in TIEABLE_HEALTH and match.severity is not Severity.LOW
                    and not self._is_tied(hit.chunk, hit.order[0], hit.start)
                ):
                    match = _untied(match)
                matches.append(match)
        return matches


def _untied(match: Match) -> Match:
    """Health values no identifier in their record ties to a person: reported low."""
    where = "record" if match.count is not None else "cell" if match.chunk.cell is not None else "paragraph"
    return replace(
        match, severity=Severity.LOW,
        message=f"{match.message}, not tied to a person (no identifier in the same {where})",
    )


def _needs_context(name: str, value: str, kind: ChunkKind) -> bool:
    """Values that _value_ok accepts only with a context word (or a column that says so)."""
    if name == "PHONE_NUMBER" or name == "US_SSN":
        return value.isdigit()
    if name == "CREDIT_CARD":
        return kind in _CODE_KINDS and value.isdigit()
    return False


def _prune(chunk: Chunk, info: Field | None, candidates: list[Candidate], lowered: str) -> list[Candidate]:
    """Drop the entities a candidate cannot be before the recognisers look, by the rules
    _value_ok applies afterwards: a bare run of digits is a phone number or an SSN only with
    context; a private or version-like IPv4 address is none."""
    kept: list[Candidate] = []
    text = chunk.text
    words = info.words if info is not None else ""
    for s, e, ents in candidates:
        if ents in TRIGGER_SETS:
            kept.append((s, e, ents))
            continue
        value = text[s:e]
        if ents == _IP_ONLY and "/" not in value and (not checks.public_ip(value) or checks.version_like(text, s, e)):
            continue
        names = tuple(
            x for x in ents
            if not _needs_context(x, value, chunk.kind)
            or (info is not None and info.entity == x) or has_context(x, lowered, s, e, words)
        )
        if names:
            kept.append((s, e, names))
    return kept


_IP_ONLY = ("IP_ADDRESS",)


def _lines_with(hits: list[Hit]) -> int:
    """Distinct lines holding a hit (counted without rescanning a text per hit)."""
    lines: set[tuple[int, int]] = set()
    by_chunk: dict[int, list[Hit]] = {}
    for hit in hits:
        by_chunk.setdefault(hit.order[0], []).append(hit)
    for seq, group in by_chunk.items():
        group.sort(key=lambda h: h.start)
        text = group[0].chunk.text
        line, pos = 0, 0
        for hit in group:
            line += text.count("\n", pos, hit.start)
            pos = hit.start
            lines.add((seq, line))
    return len(lines)


# Codes that identify no patient by themselves: in source code they are reference data (code
# tables, examples), health data only next to a person, as in a dataset or a note.
_REFERENCE_CODES = frozenset({"ICD10_CODE", "US_NPI", "US_DEA"})


_CODE_KINDS = (ChunkKind.CODE, ChunkKind.METADATA)


def _file_match(entity: Entity, hits: list[Hit], count: int, distinct: int) -> Match:
    first = min(hits, key=lambda h: h.order)
    return Match(
        entity.rule_id, entity.category, Severity.HIGH, first.chunk, first.start, first.end, first.value,
        message=f"{count:,} {entity.plural} in this file ({distinct:,} distinct)", count=count,
        places=first_places(hits),
    )


def _single_severity(entity: Entity, kind: ChunkKind, people_file: bool) -> Severity:
    if kind in _CODE_KINDS and (entity.name in _REFERENCE_CODES or entity.sensitive):
        return Severity.LOW
    if entity.sensitive:
        return Severity.HIGH
    if people_file or entity.name == "LOCATION":
        return Severity.LOW
    if kind in (ChunkKind.OUTPUT, ChunkKind.DATA):
        return Severity.MEDIUM
    return Severity.LOW


def _value_ok(
    name: str, value: str, chunk: Chunk, lowered: str, start: int, end: int, words: str, info: Field | None
) -> bool:
    """Our own look-alike filters on top of the recognisers' validation."""
    if checks.documentation_example(value):
        return False
    if name == "US_DRIVER_LICENSE":
        return len(value.strip()) >= 6 and any(c.isdigit() for c in value)
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
        if len(set(digits)) < checks.PHONE_MIN_DISTINCT_DIGITS:
            return False
        if digits == value:
            # a bare run of digits (serial, order, ID) is a phone number only where the text or
            # the column says so; written-out numbers ("(415) 555-0134", "+44 20 ...") need not
            return has_context(name, lowered, start, end, words) or (info is not None and info.entity == name)
        return True
    if name == "IBAN_CODE":
        return checks.iban_ok(value)
    return True


def _size(chars: int) -> str:
    if chars >= 1024 * 1024:
        return f"{chars / (1024 * 1024):.1f} MB"
    if chars >= 1024:
        return f"{chars / 1024:.1f} kB"
    return f"{chars} B"
