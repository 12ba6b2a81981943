"""Jupyter notebooks, redacted from what the scan found where it found it.

The notebook is read twice: by nbformat (what is written back) and by the scan's own reader
(hfguard.readers.notebook: each cell source, metadata, and each form of each output, e.g.
`cell 3, output 1, text/plain`, DataFrame outputs read as tables, one chunk per column). Only
the values at the places the scan's blocking findings name (their line and column in the
notebook's JSON, every occurrence of a grouped finding) change: a value the scan rated low (an
email in a markdown cell) stays. An output holding a blocking finding is cleared (default) or,
with `notebook_outputs = "redact"`, has those values replaced in every text form it has
(text/plain, text/html, image/svg+xml text, JSON, a traceback), since the scan reads a value of a
DataFrame once, from the form it reads first; an output whose finding cannot be replaced in place
is cleared. Images and other binary outputs are left alone. The notebook keeps its nbformat
version and must pass nbformat validation."""
from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hfguard.models import Blob, Category, Chunk, Finding
from hfguard.pii.columns import classify
from hfguard.redact.detect import entity_of
from hfguard.redact.formats import FormatError, Job, Outcome, detail

Position = tuple[int, int]  # line and column in the notebook's JSON, as the scan gives them
Target = tuple[Any, ...]  # ("meta",), ("cellmeta", cell), ("source", cell), ("output", cell, output)

_LOCATION = re.compile(r"^cell (\d+)(?:, (output (\d+)|metadata))?(?:, .*)?$")
_BINARY_MIME = re.compile(r"^(?:image/(?!svg\+xml$)|audio/|video/|font/)|^application/(?:pdf|octet-stream|zip)$|\+base64$")
_MARKUP = ("text/html", "image/svg+xml")  # forms in which a value may be written with HTML escapes


def _target(location: str | None) -> Target | None:
    if location == "notebook metadata":
        return ("meta",)
    m = _LOCATION.match(location or "")
    if m is None:
        return None
    cell = int(m.group(1))
    if m.group(3) is not None:
        return ("output", cell, int(m.group(3)))
    if m.group(2) == "metadata":
        return ("cellmeta", cell)
    return ("source", cell)


@dataclass
class _Found:
    """Where the scan's blocking findings are."""

    at: dict[Position, Finding] = field(default_factory=dict)  # every listed value
    loose: set[str] = field(default_factory=set)  # rules whose values are not all listed
    targets: set[Target] = field(default_factory=set)  # places named by a finding's location

    @classmethod
    def of(cls, findings: Sequence[Finding]) -> _Found:
        found = cls()
        for f in findings:
            if not f.blocking:
                continue
            target = _target(f.location)
            if target is not None:
                found.targets.add(target)
            places = [(f.line, f.column)] + [(o.line, o.column) for o in f.occurrences or ()]
            for line, column in places:
                if line is not None and column is not None:
                    found.at.setdefault((line, column), f)
            listed = len(f.occurrences or ()) if f.occurrences else 1
            if f.line is None or f.column is None or (f.count is not None and f.count > listed):
                found.loose.add(f.rule)
        return found


def _position(chunk: Chunk, offset: int) -> Position | None:
    from hfguard.readers.base import LocatedChunk
    from hfguard.scanner import locate

    if isinstance(chunk, LocatedChunk):
        where = chunk.where(offset)
        line, column = where.line, where.column
    else:
        line, column = locate(chunk, offset)
    return (line, column) if line is not None and column is not None else None


def _value_starts(chunk: Chunk) -> Iterator[tuple[int, str]]:
    """(offset, value) of each value of a chunk made of values (a table column: one a line)."""
    from hfguard.readers.base import LocatedChunk

    starts = chunk.starts if isinstance(chunk, LocatedChunk) else None
    text = chunk.text
    if starts is None:
        pos = 0
        for line in text.split("\n"):
            yield pos, line
            pos += len(line) + 1
        return
    sep = chunk.separator if isinstance(chunk, LocatedChunk) else 1
    for i, begin in enumerate(starts):
        end = starts[i + 1] - sep if i + 1 < len(starts) else len(text)
        yield begin, text[begin:end]


@dataclass
class _Edits:
    """Replacements per place: old text -> new text (applied where the place's strings hold it)."""

    by_target: dict[Target, dict[str, str]] = field(default_factory=dict)
    flagged: set[Target] = field(default_factory=set)  # places holding a blocking finding

    def add(self, target: Target, old: str, new: str) -> None:
        if old and old != new:
            self.by_target.setdefault(target, {})[old] = new


def _plan(job: Job, nb_bytes: bytes) -> _Edits:
    """What to change, from the scan's reader run over the original and the scan's findings."""
    from hfguard.models import ChunkKind
    from hfguard.readers.base import ReaderError
    from hfguard.readers.notebook import read_notebook

    r = job.redactor
    found = _Found.of(r.findings)
    edits = _Edits()
    edits.flagged.update(found.targets)
    blob = Blob(r.path, lambda: io.BytesIO(nb_bytes), len(nb_bytes))
    try:
        chunks = list(read_notebook(blob, nb_bytes[:8192], None))
    except ReaderError as exc:  # (the scan said so first: such a file is an error before this)
        raise FormatError(str(exc)) from None
    ranges: list[tuple[Position, Position, Target]] = []
    for chunk in chunks:
        target = _target(chunk.location)
        if target is None or not chunk.text:
            continue
        start, end = _position(chunk, 0), _position(chunk, len(chunk.text) - 1)
        if start is not None and end is not None:
            ranges.append((start, end, target))
    for place in found.at:
        for first, last, target in ranges:
            if first <= place <= last:
                edits.flagged.add(target)
    for chunk in chunks:
        target = _target(chunk.location)
        if target is None or not chunk.text or (target[0] == "output" and job.notebook_outputs != "redact"):
            continue  # outputs holding a finding are cleared whole (the default)
        label = f"{chunk.location}, field {chunk.field}" if chunk.field else str(chunk.location)
        taken: list[tuple[int, int]] = []
        if chunk.kind is ChunkKind.DATA and chunk.field and target[0] == "output":
            # a table column: a value the scan lists is replaced whole (a name found from the
            # header is no match the detector makes alone, without the table's other columns)
            for offset, value in _value_starts(chunk):
                at = _position(chunk, offset)
                f = found.at.get(at) if at is not None else None
                if f is None or not value.strip():
                    continue
                new, entity, op = _whole(job, f, value, chunk.field)
                edits.add(target, value, new)
                r.counts[(label, entity, op)] += 1
                taken.append((offset, offset + len(value)))
        for m in r.matches(chunk):
            if any(a <= m.start < b for a, b in taken):
                continue
            at = _position(chunk, m.start)
            if (at is None or at not in found.at) and m.rule_id not in found.loose:
                continue  # not what the scan reported as blocking here (rated low, say)
            if chunk.field and classify(chunk.field).health is not None and r.clears(m):
                edits.add(target, m.secret, "")  # a health column's value: cleared, as in a CSV file
                r.counts[(label, entity_of(m.rule_id), "clear")] += 1
                continue
            new, entity, op = r.replacement(m)
            edits.add(target, m.secret, new)
            r.counts[(label, entity, op.value)] += 1
    return edits


def _whole(job: Job, f: Finding, value: str, column: str) -> tuple[str, str, str]:
    """The replacement of a table value the scan lists: (new text, entity, operator)."""
    from hfguard.redact.operators import Op, apply, secret_tag

    if f.category is Category.SECRET:
        return secret_tag(f.rule), f.rule, "replace"
    entity = entity_of(f.rule)
    op = job.redactor.operators.for_value(entity, f.rule, f.category)
    if f.category is Category.HEALTH and classify(column).health is not None and op in (Op.REPLACE, Op.MASK):
        return "", entity, "clear"  # a health column's value: cleared (a tag there is still health data)
    return apply(op, value, entity, job.redactor.operators.key), entity, op.value


def _pattern(pairs: dict[str, str], markup: bool) -> tuple[re.Pattern[str], dict[str, str]] | None:
    table = dict(pairs)
    if markup:  # a tag such as <PERSON> is escaped in HTML and SVG (else it would be markup)
        table = {}
        for old, new in pairs.items():
            for written in (old, html.escape(old, quote=False), html.escape(old)):
                table.setdefault(written, html.escape(new, quote=False))
    if not table:
        return None
    parts = []
    for old in sorted(table, key=len, reverse=True):
        lead = r"(?<![\w.@+-])" if re.match(r"\w", old) else ""
        trail = r"(?![\w@])" if re.search(r"\w$", old) else ""
        parts.append(f"{lead}{re.escape(old)}{trail}")
    return re.compile("|".join(parts)), table


def _substitute(node: Any, pairs: dict[str, str], markup: bool = False) -> tuple[Any, bool]:
    """node (a string, or a list/dict of them) with each old text replaced where it stands as a
    value (not inside a longer word); True when something changed."""
    compiled = _pattern(pairs, markup)
    if compiled is None:
        return node, False
    regex, table = compiled

    def walk(value: Any) -> tuple[Any, bool]:
        if isinstance(value, str):
            new = regex.sub(lambda m: table[m.group()], value)
            return new, new != value
        if isinstance(value, list):
            items = [walk(v) for v in value]
            return [v for v, _ in items], any(c for _, c in items)
        if isinstance(value, dict):
            done = {k: walk(v) for k, v in value.items()}
            return type(value)((k, v) for k, (v, _) in done.items()), any(c for _, c in done.values())
        return value, False

    return walk(node)


def _redact_output(output: Any, pairs: dict[str, str]) -> bool:
    """The output's text forms with the replacements made, in place; True when something changed.
    A list of strings stays a list (split where the text has its line ends)."""
    changed = False
    for key in ("text", "traceback", "evalue", "ename"):
        if key in output:
            new, did = _substitute(output[key], pairs)
            if did:
                output[key], changed = new, True
    data = output.get("data") or {}
    for mime in list(data):
        if _BINARY_MIME.search(mime):
            continue  # images, audio: left alone (an SVG is text, and is redacted)
        new, did = _substitute(data[mime], pairs, markup=mime in _MARKUP)
        if did:
            data[mime], changed = new, True
    return changed


def redact_notebook(job: Job) -> Outcome:
    import nbformat

    outcome = Outcome()
    with job.src() as stream:
        raw = stream.read()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call,unused-ignore]
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError) as exc:  # JSON, reader errors
        raise FormatError(f"not a readable notebook: {detail(exc)}") from None
    edits = _plan(job, raw)
    meta = edits.by_target.get(("meta",))
    if meta and nb.get("metadata") is not None:
        nb["metadata"], _ = _substitute(nb["metadata"], meta)
    for number, cell in enumerate(nb.get("cells", []), 1):
        pairs = edits.by_target.get(("cellmeta", number))
        if pairs and cell.get("metadata") is not None:
            cell["metadata"], _ = _substitute(cell["metadata"], pairs)
        pairs = edits.by_target.get(("source", number))
        if pairs:
            source, _ = _substitute(cell.get("source", ""), pairs)
            cell["source"] = "".join(source) if isinstance(source, list) else source
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for out_number, output in enumerate(outputs, 1):
            target = ("output", number, out_number)
            if target not in edits.flagged:
                kept.append(output)
                continue
            pairs = edits.by_target.get(target, {})
            if job.notebook_outputs == "redact" and pairs:
                _redact_output(output, pairs)
                kept.append(output)
                continue
            if job.notebook_outputs == "redact":
                outcome.notes.append(f"cell {number}, output {out_number}: cleared (what the scan found there "
                                     "could not be replaced in place)")
            outcome.cleared_outputs += 1
        cell["outputs"] = kept
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise FormatError(f"the redacted notebook does not validate: {detail(exc)}") from None
    text = io.TextIOWrapper(job.dst, encoding="utf-8", newline="")
    try:
        nbformat.write(nb, text, version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call,unused-ignore]
    finally:
        text.flush()
        text.detach()
    return outcome
