"""Which parts of a value to redact: the scan's own detection, run on the values being written.

Secrets come from the scanner's SecretEngine, personal and health data from its PII detector
(every recognised value, not only the first of a column: a subclass records each hit as the
detector makes it), both filtered by the scanner's Policy, so values the config allows or the
baseline accepts stay as they are. A plan made from a scan of the original file (FilePlan) says
which rules the scan reported there and which columns are personal data as a whole (names,
dates of birth, addresses, health fields: known from the header and the shape of the column,
not from one value).
"""
from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from hfguard.models import Category, Chunk, ChunkKind, Finding, Match, Severity
from hfguard.pii import PiiDetector
from hfguard.pii.columns import Field, classify, is_empty
from hfguard.pii.detector import FieldStat, FilePiiDetector
from hfguard.pii.entities import ENTITIES
from hfguard.redact.operators import Op, Operators, apply, secret_tag
from hfguard.scanner import FileScanner
from hfguard.secrets.engine import drop_covered

_BY_RULE = {e.rule_id: e.name for e in ENTITIES.values()}
# Entities a column is found to hold from its header and the shape of its values.
WHOLE_COLUMN = frozenset({"PERSON", "DATE_OF_BIRTH", "STREET_ADDRESS", "HEALTH_FIELD", "HEALTH_RECORD"})
HEALTH_COLUMNS = frozenset({"HEALTH_FIELD", "HEALTH_RECORD"})


def entity_of(rule_id: str) -> str:
    return _BY_RULE.get(rule_id, rule_id)


def field_key(name: str) -> str:
    return classify(name).key


@dataclass
class FilePlan:
    """What the scan of the original file reported (suppressed findings left out)."""

    rules: frozenset[str] | None = None  # None: the scan was incomplete, redact all that is found
    whole: dict[str, tuple[str, str, Category]] = field(default_factory=dict)  # field key -> (entity, rule, category)
    # field key -> what the scan reported in that column (for `drop`)
    columns: dict[str, set[tuple[str, str, Category]]] = field(default_factory=dict)
    # (rule, field key) of column findings the config or baseline accepts: a baseline holds one
    # entry for "300 emails in this column", and all of them are accepted, not only the first
    accepted: set[tuple[str, str]] = field(default_factory=set)

    def accept(self, suppressed: Sequence[Finding]) -> None:
        self.accepted.update((f.rule, field_key(f.field)) for f in suppressed if f.field and f.row is not None)

    @classmethod
    def from_findings(cls, findings: Sequence[Finding], complete: bool) -> FilePlan:
        whole: dict[str, tuple[str, str, Category]] = {}
        columns: dict[str, set[tuple[str, str, Category]]] = {}
        for f in findings:
            entity = entity_of(f.rule)
            if f.field:
                columns.setdefault(field_key(f.field), set()).add((entity, f.rule, f.category))
            if f.field and entity in WHOLE_COLUMN and _column_holds(classify(f.field), entity):
                whole.setdefault(field_key(f.field), (entity, f.rule, f.category))
        return cls(frozenset(f.rule for f in findings) if complete else None, whole, columns)


def _column_holds(info: Field, entity: str) -> bool:
    """The finding is about the column as a whole (its header names the entity), not one value."""
    if entity == "PERSON":
        return info.plain_name or info.entity == "PERSON"
    if entity in ("HEALTH_FIELD", "HEALTH_RECORD"):
        return info.health is not None or (info.entity is not None and ENTITIES[info.entity].category is Category.HEALTH)
    return info.entity == entity


class _Collecting(FilePiiDetector):
    """The file detector, recording every value it accepts (the scan keeps only the first of a
    column). Dense columns go the general way, which the detector's tests hold to give the same
    verdicts, because that way records each value."""

    def __init__(self, parent: PiiDetector, path: str) -> None:
        super().__init__(parent, path)
        self.hits: list[tuple[str, Chunk, int, int]] = []

    def _kind(self, stat: FieldStat, chunk: Chunk) -> str | None:
        return None

    def _record(self, name: str, chunk: Chunk, seq: int, start: int, end: int, info: Field | None) -> None:
        if (seq, start, name) not in self._recorded and self.parent.enabled(ENTITIES[name]):
            self.hits.append((name, chunk, start, end))
        super()._record(name, chunk, seq, start, end, info)


Counts = Counter[tuple[str, str, str]]  # (field or "", entity or rule, operator) -> values changed


class ValueRedactor:
    """Redacts the values of one file; counts what it changed (never the values)."""

    def __init__(self, scanner: FileScanner, path: str, plan: FilePlan, operators: Operators) -> None:
        self.scanner = scanner
        self.path = path
        self.plan = plan
        self.operators = operators
        self.counts: Counts = Counter()
        self._fingerprints: dict[tuple[str, str], str] = {}

    # --- decisions ---------------------------------------------------------------------------

    def _matches(self, chunk: Chunk) -> list[Match]:
        found = list(self.scanner.engine.scan(chunk, self.path))
        pii = self.scanner.pii_detector()
        if pii is not None:
            assert isinstance(pii, PiiDetector)
            detector = _Collecting(pii, self.path)
            detector.feed(chunk)
            detector._flush_ner()
            for name, hit_chunk, start, end in detector.hits:
                if hit_chunk is not chunk:
                    continue
                entity = ENTITIES[name]
                found.append(Match(entity.rule_id, entity.category, Severity.MEDIUM, chunk, start, end,
                                   chunk.text[start:end]))
        policy = self.scanner.policy
        kept: list[Match] = []
        for m in drop_covered(found):
            if not policy.wanted(m):
                continue
            if self.plan.rules is not None and m.rule_id not in self.plan.rules:
                continue  # the scan did not report it here (a column of IDs, noise)
            if m.chunk.row is not None and m.chunk.field and (m.rule_id, field_key(m.chunk.field)) in self.plan.accepted:
                continue
            if policy.suppression(m, self.path, self._fingerprint(m)) is not None:
                continue
            kept.append(m)
        kept.sort(key=lambda m: (m.start, -(m.end - m.start)))
        taken: list[Match] = []
        for m in kept:
            if taken and m.start < taken[-1].end:
                continue
            taken.append(m)
        return taken

    def _fingerprint(self, m: Match) -> str:
        """Only a baseline needs it (the fingerprint is a deliberately slow hash): computed then,
        once per distinct value."""
        policy = self.scanner.policy
        if policy.baseline is None and not policy.baseline_fingerprints:
            return ""
        key = (m.rule_id, m.secret)
        fp = self._fingerprints.get(key)
        if fp is None:
            if len(self._fingerprints) >= 100_000:
                self._fingerprints.clear()
            fp = self._fingerprints[key] = policy.fingerprint(m.rule_id, m.secret, self.path)
        return fp

    def _replacement(self, m: Match) -> tuple[str, str, Op]:
        if m.category is Category.SECRET:
            return secret_tag(m.rule_id), m.rule_id, Op.REPLACE
        entity = entity_of(m.rule_id)
        op = self.operators.for_value(entity, m.rule_id, m.category)
        return apply(op, m.secret, entity, self.operators.key), entity, op

    def dropped(self, name: str) -> bool:
        """Is this column dropped (the scan reported personal data in it whose operator is drop)?"""
        key = field_key(name)
        found = set(self.plan.columns.get(key, ()))
        whole = self.plan.whole.get(key)
        if whole is not None:
            found.add(whole)
        return any(self.operators.for_value(entity, rule, category) is Op.DROP
                   for entity, rule, category in found if category is not Category.SECRET)

    # --- values ------------------------------------------------------------------------------

    def text(self, text: str, kind: ChunkKind, field_name: str | None = None,
             allow_scope: str | None = None) -> str:
        """A piece of text (a file's lines, a notebook cell, one multi-line value)."""
        if not text:
            return text
        chunk = Chunk(text, kind, line=1, field=field_name, allow_scope=allow_scope)
        matches = self._matches(chunk)
        if not matches:
            return text
        spans: list[tuple[int, int, str]] = []
        for m in matches:
            new, entity, op = self._replacement(m)
            spans.append((m.start, m.end, new))
            self.counts[(field_name or "", entity, op.value)] += 1
        return _splice(text, spans)

    def column(self, values: Sequence[str | None], name: str, first_row: int) -> list[str | None]:
        """One column of a batch of records (None: a missing value, left as is)."""
        out = list(values)
        whole = self.plan.whole.get(field_key(name))
        if whole is not None:
            entity, rule, category = whole
            op = self.operators.for_value(entity, rule, category)
            # A column that is health data by its header (diagnosis, medication) is reported for
            # any value it holds, a tag or a mask included: its values are cleared (null; an empty
            # cell in CSV), unless hashed (pseudonyms stay health data) or the column is dropped.
            clear = entity in HEALTH_COLUMNS and op in (Op.REPLACE, Op.MASK)
            label = "clear" if clear else op.value
            for i, value in enumerate(out):
                if value is not None and not is_empty(value):
                    out[i] = None if clear else apply(op, value, entity, self.operators.key)
                    self.counts[(name, entity, label)] += 1
            return out
        if self.plan.rules is not None and field_key(name) not in self.plan.columns:
            return out  # the scan of the whole file reported nothing in this column: left as it is
        lines: list[str] = []
        index: list[int] = []
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            if "\n" in value or "\r" in value:
                out[i] = self.text(value, ChunkKind.DATA, name)
                continue
            lines.append(value)
            index.append(i)
        if not lines:
            return out
        text = "\n".join(lines)
        chunk = Chunk(text, ChunkKind.DATA, line=None, row=first_row, field=name)
        matches = self._matches(chunk)
        if not matches:
            return out
        starts = [0] * len(lines)
        pos = 0
        for n, value in enumerate(lines):
            starts[n] = pos
            pos += len(value) + 1
        edits: dict[int, list[tuple[int, int, str]]] = {}
        for m in matches:
            n = bisect.bisect_right(starts, m.start) - 1
            begin = starts[n]
            end = min(m.end - begin, len(lines[n]))
            new, entity, op = self._replacement(m)
            edits.setdefault(n, []).append((m.start - begin, end, new))
            self.counts[(name, entity, op.value)] += 1
        for n, spans in edits.items():
            out[index[n]] = _splice(lines[n], spans)
        return out


def _splice(value: str, spans: list[tuple[int, int, str]]) -> str:
    """The value with each (start, end) span, in order and not overlapping, replaced."""
    parts: list[str] = []
    pos = 0
    for start, end, new in spans:
        parts.append(value[pos:start])
        parts.append(new)
        pos = end
    parts.append(value[pos:])
    return "".join(parts)
