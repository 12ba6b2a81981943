"""Which parts of a value to redact: the scan's own detection, run on the values being written.

Secrets come from the scanner's SecretEngine, personal and health data from its PII detector
(every recognised value, not only the first of a column: the detector's on_hit hook reports each
as it is recorded), both filtered by the scanner's Policy, so values the config allows or the
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
from itertools import accumulate
from typing import Any, cast

from hfguard.masking import mask
from hfguard.models import Category, Chunk, ChunkKind, Finding, Match, Severity
from hfguard.pii import PiiDetector, dense
from hfguard.pii.columns import Field, classify, is_empty
from hfguard.pii.detector import FilePiiDetector
from hfguard.pii.entities import ENTITIES
from hfguard.redact.operators import Op, Operators, apply, constant, secret_tag
from hfguard.scanner import FileScanner
from hfguard.secrets.engine import drop_covered

_BY_RULE = {e.rule_id: e.name for e in ENTITIES.values()}
# Entities a column is found to hold from its header and the shape of its values.
WHOLE_COLUMN = frozenset({"PERSON", "DATE_OF_BIRTH", "STREET_ADDRESS", "HEALTH_FIELD", "HEALTH_RECORD"})
HEALTH_COLUMNS = frozenset({"HEALTH_FIELD", "HEALTH_RECORD"})
KEYS_FIELD = "(column names and keys)"  # where values found in names are counted


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
    # field key -> the only rows of a whole column that hold what its finding reports
    rows: dict[str, frozenset[int]] = field(default_factory=dict)
    # (rule, field key) -> the only rows in which the scan reported that rule in that column as
    # blocking (other rows: rated low, say health values in records that name no one); None: all
    rule_rows: dict[tuple[str, str], frozenset[int] | None] = field(default_factory=dict)
    # field key -> the rows in which the scan reported a blocking secret there (None: all). In a
    # JSON file the scan can name a value by its key's provider (`"wandb_api_key": ...`, seen in
    # the JSON text) where a column's own detection names it by the key (a data-column rule).
    secrets: dict[str, frozenset[int] | None] = field(default_factory=dict)

    def accept(self, suppressed: Sequence[Finding]) -> None:
        self.accepted.update((f.rule, field_key(f.field)) for f in suppressed if f.field and f.row is not None)

    @classmethod
    def from_findings(cls, findings: Sequence[Finding], complete: bool) -> FilePlan:
        """The plan for what blocks: a finding that does not block (health values in a table
        that names no one, rated low by the scan) changes nothing. A whole column whose finding
        lists every value it counts is redacted in those rows only."""
        whole: dict[str, tuple[str, str, Category]] = {}
        columns: dict[str, set[tuple[str, str, Category]]] = {}
        rows: dict[str, frozenset[int]] = {}
        findings = [f for f in findings if f.blocking]
        for f in findings:
            entity = entity_of(f.rule)
            if f.field:
                columns.setdefault(field_key(f.field), set()).add((entity, f.rule, f.category))
            if f.field and entity in WHOLE_COLUMN and _column_holds(classify(f.field), entity):
                key = field_key(f.field)
                if key not in whole:
                    whole[key] = (entity, f.rule, f.category)
                    listed = _rows_of(f)
                    if listed is not None:
                        rows[key] = listed
        rule_rows: dict[tuple[str, str], frozenset[int] | None] = {}
        for f in findings:
            if not f.field:
                continue
            at = (f.rule, field_key(f.field))
            listed = None if f.row is None else _rows_of(f) if f.count is not None else frozenset({f.row})
            known = rule_rows.get(at, frozenset())
            rule_rows[at] = None if listed is None or known is None else known | listed
        secrets: dict[str, frozenset[int] | None] = {}
        for f in findings:
            if f.field and f.category is Category.SECRET:
                key = field_key(f.field)
                known_rows = secrets.get(key, frozenset())
                secrets[key] = None if f.row is None or known_rows is None else known_rows | {f.row}
        return cls(frozenset(f.rule for f in findings) if complete else None, whole, columns, rows=rows,
                   rule_rows=rule_rows, secrets=secrets)

    def follows(self, rule: str, name: str, row: int | None) -> bool:
        """Does the scan's blocking finding of `rule` in column `name` cover this row?"""
        if row is None or self.rules is None:
            return True
        at = (rule, field_key(name))
        if at not in self.rule_rows:
            return False  # blocking elsewhere in the file, not in this column
        rows = self.rule_rows[at]
        return rows is None or row in rows

    def secret_at(self, name: str, row: int | None) -> bool:
        """Did the scan report a blocking secret in column `name` (in this row)?"""
        key = field_key(name)
        if key not in self.secrets:
            return False
        rows = self.secrets[key]
        return rows is None or row is None or row in rows

    def whole_rows(self, name: str) -> frozenset[int] | None:
        """The rows of a whole column to redact; None: all of them."""
        return self.rows.get(field_key(name))


def _rows_of(f: Finding) -> frozenset[int] | None:
    """The rows a column finding covers, when its occurrences list all of them."""
    places = f.occurrences or ()
    listed = [o.row for o in places if o.row is not None]
    if f.count is None or not listed or len(listed) != len(places) or len(set(listed)) < f.count:
        return None
    return frozenset(listed)


def _column_holds(info: Field, entity: str) -> bool:
    """The finding is about the column as a whole (its header names the entity), not one value."""
    if entity == "PERSON":
        return info.plain_name or info.entity == "PERSON"
    if entity in ("HEALTH_FIELD", "HEALTH_RECORD"):
        return info.health is not None or (info.entity is not None and ENTITIES[info.entity].category is Category.HEALTH)
    return info.entity == entity


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
        self._kinds: dict[str, str | None] = {}  # field key -> the column's kind (dense.KINDS)
        self._keys: dict[str, tuple[str, str] | None] = {}  # column name or key -> (new, as shown)
        self._names: set[str] = set()  # new names given
        # The scan's findings of the whole file and the columns found whole in a later round: an
        # archive's members get a redactor of their own from them (member()).
        self.findings: Sequence[Finding] = ()
        self.suppressed: Sequence[Finding] = ()
        self.extra: dict[str, tuple[str, str, Category]] = {}

    def member(self, path: str) -> ValueRedactor:
        """A redactor for one member of an archive (`path`: archive!member), planned from the
        scan's findings in that member."""
        findings = [f for f in self.findings if f.path == path]
        suppressed = [f for f in self.suppressed if f.path == path]
        plan = FilePlan.from_findings(findings, complete=True)
        plan.whole.update(self.extra)
        plan.accept(suppressed)
        redactor = ValueRedactor(self.scanner, path, plan, self.operators)
        redactor.findings, redactor.suppressed = findings, suppressed  # (a notebook's places)
        return redactor

    def absorb(self, other: ValueRedactor, name: str) -> None:
        """A member's counts, under the member's name."""
        for (where, entity, op), count in other.counts.items():
            self.counts[(f"{name}: {where}" if where else name, entity, op)] += count

    # --- decisions ---------------------------------------------------------------------------

    def matches(self, chunk: Chunk) -> list[Match]:
        """What the scan's detection and policy find in a chunk (one a place: the longest first)."""
        found = list(self.scanner.engine.scan(chunk, self.path))
        pii = self.scanner.pii_detector()
        if pii is not None:
            assert isinstance(pii, PiiDetector)
            detector = FilePiiDetector(pii, self.path)
            hits: list[tuple[str, Chunk, int, int]] = []
            detector.on_hit = lambda *hit: hits.append(hit)  # every value, not the first of a column
            detector.feed(chunk)
            detector.finish()  # (values queued for NER are looked at)
            for name, hit_chunk, start, end in hits:
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
            if self.plan.rules is not None and m.rule_id not in self.plan.rules and not (
                m.category is Category.SECRET and m.chunk.field and self.plan.secret_at(m.chunk.field, None)
            ):
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

    def replacement(self, m: Match) -> tuple[str, str, Op]:
        """(the new text, the entity or rule, the operator) for a found value."""
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
             allow_scope: str | None = None, row: int | None = None) -> str:
        """A piece of text (a file's lines, a notebook cell, one multi-line value of a column's
        `row`)."""
        if not text:
            return text
        chunk = Chunk(text, kind, line=1, field=field_name, allow_scope=allow_scope)
        matches = self.matches(chunk)
        if row is not None and field_name:
            matches = [m for m in matches if self.plan.follows(m.rule_id, field_name, row)
                       or (m.category is Category.SECRET and self.plan.secret_at(field_name, row))]
        if not matches:
            return text
        spans: list[tuple[int, int, str]] = []
        for m in matches:
            new, entity, op = self.replacement(m)
            spans.append((m.start, m.end, new))
            self.counts[(field_name or "", entity, op.value)] += 1
        return _splice(text, spans)

    def keys(self, names: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Column names and JSON keys that hold a found value: name -> (its new name, the name as
        the scan shows it in a finding's field: found values masked). The same name gets the same
        new name throughout the file, and two names never the same one (a suffix tells them
        apart). Names that hold nothing are left out."""
        todo = [name for name in dict.fromkeys(names) if name not in self._keys]
        lines = [name for name in todo if name and "\n" not in name and "\r" not in name]
        for name in todo:
            self._keys[name] = None
        if lines:
            chunk = Chunk("\n".join(lines), ChunkKind.DATA, line=1)
            starts = [0, *accumulate(len(line) + 1 for line in lines)]
            spans: dict[int, list[tuple[Match, str, str]]] = {}
            for m in self.matches(chunk):
                n = bisect.bisect_right(starts, m.start) - 1
                new, entity, op = self.replacement(m)
                spans.setdefault(n, []).append((m, new, entity))
                self.counts[(KEYS_FIELD, entity, op.value)] += 1
            for n, found in spans.items():
                begin = starts[n]
                cut = [(m.start - begin, min(m.end - begin, len(lines[n]))) for m, _, _ in found]
                renamed = _splice(lines[n], [(a, b, new) for (a, b), (_, new, _) in zip(cut, found)])
                shown = _splice(lines[n], [(a, b, mask(m.secret)) for (a, b), (m, _, _) in zip(cut, found)])
                unique, k = renamed, 1
                while unique in self._names:
                    k += 1
                    unique = f"{renamed}_{k}"
                self._names.add(unique)
                self._keys[lines[n]] = (unique, shown)
        return {name: v for name in names if (v := self._keys.get(name)) is not None}

    def shown(self, name: str) -> str:
        """The name (a column, a JSON key) as the scan names it in its findings."""
        found = self._keys.get(name)
        return found[1] if found is not None else name

    def touches(self, name: str) -> bool:
        """Could any value of this column change (the scan reported something in it)?"""
        key = field_key(name)
        return self.plan.rules is None or key in self.plan.whole or key in self.plan.columns

    def arrow_column(self, array: Any, name: str, first_row: int) -> Any:
        """One column of a batch as an Arrow string array, redacted (the same array when nothing
        changed). A whole column (by its header) and a column of one kind of identifier (emails,
        phone numbers, SSNs: the scan's own vectorised verdicts, dense.verdicts) are decided
        with pyarrow.compute; only the other values are checked one by one."""
        key = field_key(name)
        whole = self.plan.whole.get(key)
        if whole is not None and self.plan.whole_rows(name) is None:
            return self._whole_arrow(array, name, whole)
        if whole is None and (not self.touches(name) or array.null_count == len(array)):
            return array
        old = array.to_pylist()
        new = self.column(old, name, first_row)
        return _with_changes(array, [(i, v) for i, (v, o) in enumerate(zip(new, old)) if v != o])

    def _dense(self, values: Sequence[str | None], name: str, first_row: int,
               rows: Sequence[int] | None = None) -> list[str | None] | None:
        """A column of one kind of identifier: the values the scan's vectorised verdicts accept
        are replaced whole (in the rows the scan reported as blocking), the values of another
        shape checked one by one; None: not such a column."""
        kind = self._column_kind(values, name)
        found = dense.verdicts(kind, cast("list[str]", list(values))) if kind is not None else None
        if kind is None or found is None:
            return None
        _, accepted, others = found
        out = list(values)
        where = list(rows) if rows is not None else list(range(first_row, first_row + len(values)))
        if accepted:
            entity = ENTITIES[kind]
            accepted = [i for i in accepted if self.plan.follows(entity.rule_id, name, where[i])]
            taken = [cast(str, values[i]) for i in accepted]
            new = self._dense_replacements(taken, entity.name, entity.rule_id, entity.category, name, first_row)
            for i, replaced in zip(accepted, new):
                out[i] = replaced
        if others:
            rest = self.column([values[i] for i in others], name, first_row, [where[i] for i in others],
                               vectorised=False)
            for i, value in zip(others, rest):
                out[i] = value
        return out

    def _column_kind(self, values: Sequence[str | None], name: str) -> str | None:
        """The column's one kind of identifier, decided on its first batch as the scan decides it
        (dense.column_kind, for a column whose header needs no context); None: the general way.
        Only a kind the scan reported in this column (or in the file, if its scan was
        incomplete) is used."""
        key = field_key(name)
        if key not in self._kinds:
            info = classify(name)
            kind = None
            pii = self.scanner.pii_detector()
            if isinstance(pii, PiiDetector) and (info.entity is None or not ENTITIES[info.entity].needs_context):
                sample = [v for v in values[: dense.KIND_SAMPLE * 2] if isinstance(v, str)]
                kind = dense.column_kind(sample, lambda n: pii.enabled(ENTITIES[n]))
            if kind is not None and (kind not in ENTITIES or kind == dense.NO_CANDIDATE):
                kind = None
            if kind is not None:
                rule = ENTITIES[kind].rule_id
                reported = {r for _, r, _ in self.plan.columns.get(key, ())}
                if (self.plan.rules is not None and rule not in reported) or (rule, key) in self.plan.accepted:
                    kind = None
            self._kinds[key] = kind
        return self._kinds[key]

    def _dense_replacements(self, values: list[str], entity: str, rule_id: str, category: Category, name: str,
                            first_row: int) -> list[str]:
        """Replacements for values accepted whole as `entity` (left as they are where the config
        allows them or the baseline accepts them)."""
        policy = self.scanner.policy
        chunk = Chunk("", ChunkKind.DATA, line=None, row=first_row, field=name)
        op = self.operators.for_value(entity, rule_id, category)
        fixed = constant(op, entity)
        config = policy.config
        if not (config.allow_stopwords or config.allow_regexes or policy.baseline is not None
                or policy.baseline_fingerprints):
            # nothing in the config looks at the value: one verdict for the whole batch
            probe = Match(rule_id, category, Severity.MEDIUM, chunk, 0, 0, "")
            if policy.suppression(probe, self.path, "") is not None:
                return list(values)
            self.counts[(name, entity, op.value)] += len(values)
            if fixed is not None:
                return [fixed] * len(values)
            return [apply(op, value, entity, self.operators.key) for value in values]
        out: list[str] = []
        for value in values:
            m = Match(rule_id, category, Severity.MEDIUM, chunk, 0, len(value), value)
            if policy.suppression(m, self.path, self._fingerprint(m)) is not None:
                out.append(value)
                continue
            out.append(fixed if fixed is not None else apply(op, value, entity, self.operators.key))
            self.counts[(name, entity, op.value)] += 1
        return out

    def _whole_arrow(self, array: Any, name: str, whole: tuple[str, str, Category]) -> Any:
        """A column that is personal data as a whole: every value that is not empty replaced,
        each distinct value once (dictionary encoding), cleared for health columns."""
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

        entity, rule, category = whole
        op = self.operators.for_value(entity, rule, category)
        clear = entity in HEALTH_COLUMNS and op in (Op.REPLACE, Op.MASK)
        encoded = pc.dictionary_encode(array)
        distinct = encoded.dictionary.to_pylist()
        keep = [is_empty(v) for v in distinct]
        if all(keep):
            return array
        fixed = None if clear else constant(op, entity)
        new = [v if k else None if clear else fixed if fixed is not None else apply(op, v, entity, self.operators.key)
               for v, k in zip(distinct, keep)]
        changed = pc.invert(pa.array(keep, pa.bool_()).take(encoded.indices))
        self.counts[(name, entity, "clear" if clear else op.value)] += int(pc.sum(changed).as_py() or 0)
        return pa.array(new, array.type).take(encoded.indices)

    def column(self, values: Sequence[str | None], name: str, first_row: int,
               rows: Sequence[int] | None = None, vectorised: bool = True) -> list[str | None]:
        """One column of a batch of records (None: a missing value, left as is); `rows`: the
        row of each value, if they are not first_row, first_row + 1, ... A column of one kind of
        identifier gets the scan's vectorised verdicts (unless `vectorised` is False)."""
        out = list(values)
        whole = self.plan.whole.get(field_key(name))
        if whole is not None:
            only = self.plan.whole_rows(name)
            where = rows if rows is not None else range(first_row, first_row + len(values))
            entity, rule, category = whole
            op = self.operators.for_value(entity, rule, category)
            # A column that is health data by its header (diagnosis, medication) is reported for
            # any value it holds, a tag or a mask included: its values are cleared (null; an empty
            # cell in CSV), unless hashed (pseudonyms stay health data) or the column is dropped.
            clear = entity in HEALTH_COLUMNS and op in (Op.REPLACE, Op.MASK)
            label = "clear" if clear else op.value
            for i, (value, row) in enumerate(zip(values, where)):
                if value is not None and not is_empty(value) and (only is None or row in only):
                    out[i] = None if clear else apply(op, value, entity, self.operators.key)
                    self.counts[(name, entity, label)] += 1
            return out
        if self.plan.rules is not None and field_key(name) not in self.plan.columns:
            return out  # the scan of the whole file reported nothing in this column: left as it is
        if vectorised and len(values) > 1:
            found = self._dense(values, name, first_row, rows)
            if found is not None:
                return found
        lines: list[str] = []
        index: list[int] = []
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            if "\n" in value or "\r" in value:
                out[i] = self.text(value, ChunkKind.DATA, name, row=rows[i] if rows is not None else first_row + i)
                continue
            lines.append(value)
            index.append(i)
        if not lines:
            return out
        text = "\n".join(lines)
        chunk = Chunk(text, ChunkKind.DATA, line=None, row=first_row, field=name)
        matches = self.matches(chunk)
        if not matches:
            return out
        starts = [0] * len(lines)
        pos = 0
        for n, value in enumerate(lines):
            starts[n] = pos
            pos += len(value) + 1
        edits: dict[int, list[tuple[int, int, str]]] = {}
        cleared: set[int] = set()
        health_column = classify(name).health is not None
        for m in matches:
            n = bisect.bisect_right(starts, m.start) - 1
            row = rows[index[n]] if rows is not None else first_row + index[n]
            if not self.plan.follows(m.rule_id, name, row) and not (
                m.category is Category.SECRET and self.plan.secret_at(name, row)
            ):
                continue  # the scan did not report this value as blocking (rated low in this row)
            if health_column and self.clears(m):
                if n not in cleared:
                    cleared.add(n)
                    self.counts[(name, entity_of(m.rule_id), "clear")] += 1
                continue
            begin = starts[n]
            end = min(m.end - begin, len(lines[n]))
            new, entity, op = self.replacement(m)
            edits.setdefault(n, []).append((m.start - begin, end, new))
            self.counts[(name, entity, op.value)] += 1
        for n, spans in edits.items():
            if n not in cleared:
                out[index[n]] = _splice(lines[n], spans)
        for n in cleared:
            out[index[n]] = None
        return out

    def clears(self, m: Match) -> bool:
        """A health value in a column that is health data by its header (an ICD-10 code under
        icd10): the cell is cleared, as the column's other health values are; a tag left in such
        a column is still reported by the scan (a record joining a person with health data)."""
        if m.category is not Category.HEALTH:
            return False
        return self.operators.for_value(entity_of(m.rule_id), m.rule_id, m.category) in (Op.REPLACE, Op.MASK)


def _with_changes(array: Any, changes: Sequence[tuple[int, str | None]]) -> Any:
    """The array with the (index, new value) changes, in index order, made (the same array if none)."""
    if not changes:
        return array
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

    mask = np.zeros(len(array), dtype=bool)
    mask[[i for i, _ in changes]] = True
    return pc.replace_with_mask(array, pa.array(mask), pa.array([v for _, v in changes], array.type))


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
