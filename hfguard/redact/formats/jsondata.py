"""JSON and JSON Lines. String values are grouped by key path (list indices as `[]`, as the scan
names them) and each group is redacted as one column; keys, numbers and structure stay. JSON
Lines stream by batches of records and records with nothing to change are written back byte for
byte; a JSON document is read whole (as the scan reads it)."""
from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from hfguard.redact.formats import FormatError, Job, Outcome
from hfguard.redact.formats.encoding import errors_for, sniff

BATCH_RECORDS = 5000
BOM = "\ufeff"
Leaf = tuple[Any, Any, str, int]  # (container, key or index, key path, record number)


def _leaves(obj: Any, path: str, record: int, out: list[Leaf], drop: list[tuple[Any, Any, str]],
            names: dict[str, tuple[str, str]] | None = None) -> None:
    """The string leaves of obj with their key paths; keys in `names` are named as the scan
    names them (found values masked), so the paths match its findings' fields."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            shown = names[key][1] if names and key in names else str(key)
            sub = f"{path}.{shown}" if path else shown
            if isinstance(value, str):
                out.append((obj, key, sub, record))
            elif isinstance(value, (dict, list)):
                _leaves(value, sub, record, out, drop, names)
            drop.append((obj, key, sub))
    elif isinstance(obj, list):
        sub = f"{path}[]"
        for i, value in enumerate(obj):
            if isinstance(value, str):
                out.append((obj, i, sub, record))
            elif isinstance(value, (dict, list)):
                _leaves(value, sub, record, out, drop, names)


def _keys_of(obj: Any, out: dict[str, None]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            out[key] = None
            _keys_of(value, out)
    elif isinstance(obj, list):
        for value in obj:
            _keys_of(value, out)


def _rename(obj: Any, names: dict[str, tuple[str, str]]) -> Any:
    """obj with the keys in `names` renamed (their order kept)."""
    if isinstance(obj, dict):
        return {names[k][0] if k in names else k: _rename(v, names) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, names) for v in obj]
    return obj


def _has_key(obj: Any, names: dict[str, tuple[str, str]]) -> bool:
    if isinstance(obj, dict):
        return any(k in names or _has_key(v, names) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_has_key(v, names) for v in obj)
    return False


def _redact_records(job: Job, records: list[Any], first_row: int | None, outcome: Outcome) -> set[int]:
    """Redacts in place; returns the numbers of the records that changed."""
    leaves: list[Leaf] = []
    keys: list[tuple[Any, Any, str]] = []
    found: dict[str, None] = {}
    for record in records:
        _keys_of(record, found)
    names = job.redactor.keys([k for k in found if isinstance(k, str)])
    for n, record in enumerate(records):
        _leaves(record, "", n, leaves, keys, names)
    dropped: dict[str, bool] = {}
    for container, key, path in keys:
        if dropped.setdefault(path, job.redactor.dropped(path)):
            del container[key]
            if path not in outcome.dropped_columns:
                outcome.dropped_columns.append(path)
    changed = _redact_leaves(job, leaves, first_row or 1, dropped)
    if dropped and any(dropped.values()):
        changed.update(range(len(records)))
    if names:  # keys that hold a found value, renamed the same way in every record
        for n, record in enumerate(records):
            if _has_key(record, names):
                records[n] = _rename(record, names)
                changed.add(n)
    return changed


def _redact_leaves(job: Job, leaves: list[Leaf], first_row: int, dropped: dict[str, bool]) -> set[int]:
    """The string leaves redacted in place, one column per key path (paths `dropped` skipped: their
    records count as changed); returns the numbers of the records that changed."""
    groups: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        groups.setdefault(leaf[2], []).append(leaf)
    changed: set[int] = set()
    for path, group in groups.items():
        if dropped.get(path):
            changed.update(leaf[3] for leaf in group)
            continue
        values = [c[k] for c, k, _, _ in group]
        new = job.redactor.column(values, path, first_row, [first_row + leaf[3] for leaf in group])
        for (container, key, _, record), value, old in zip(group, new, values):
            if value != old:
                container[key] = value
                changed.add(record)
    return changed


def redact_nested(job: Job, values: list[Any], name: str, first_row: int) -> bool:
    """Nested values (lists, structs of a Parquet/Arrow column, as Python objects) redacted in
    place, their strings grouped by path under the column's name; True when something changed."""
    leaves: list[Leaf] = []
    holder = [{name: v} for v in values]
    for n, record in enumerate(holder):
        _leaves(record, "", n, leaves, [])
    changed = bool(_redact_leaves(job, leaves, first_row, {}))
    if changed:
        values[:] = [h[name] for h in holder]
    return changed


def _separators(text: str) -> tuple[str, str]:
    return (", ", ": ") if '": ' in text or '", ' in text else (",", ":")


def redact_jsonl(job: Job) -> Outcome:
    outcome = Outcome()
    raw = io.BufferedReader(job.src(), 1024 * 1024)  # type: ignore[type-var,unused-ignore]
    encoding = sniff(raw.peek(64 * 1024)[: 64 * 1024])
    errors = errors_for(encoding)
    lines: Iterator[bytes] = iter(raw)
    if not encoding.startswith("utf-8"):  # UTF-16: a newline is not one byte, lines are read as text
        text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        lines = (line.encode(encoding, errors) for line in text)
    row = 1
    batch: list[bytes] = []
    with raw:
        for line in lines:
            batch.append(line)
            if len(batch) >= BATCH_RECORDS:
                _jsonl_batch(job, batch, row, encoding, outcome)
                row += len(batch)
                batch = []
        if batch:
            _jsonl_batch(job, batch, row, encoding, outcome)
    return outcome


def _jsonl_batch(job: Job, lines: list[bytes], row: int, encoding: str, outcome: Outcome) -> None:
    errors = errors_for(encoding)
    records: list[Any] = []
    where: list[int] = []  # record number -> line number in the batch
    for i, line in enumerate(lines):
        text = line.decode(encoding, errors).removeprefix(BOM)
        if not text.strip():
            continue
        try:
            records.append(json.loads(text))
        except ValueError:
            raise FormatError(f"line {row + i}: not valid JSON") from None
        where.append(i)
    changed = _redact_records(job, records, row, outcome)
    for n in changed:
        i = where[n]
        text = lines[i].decode(encoding, errors)
        bom = BOM if text.startswith(BOM) else ""
        body = text.removeprefix(BOM).rstrip("\r\n")
        ending = text[len(bom) + len(body):]
        new = json.dumps(records[n], ensure_ascii=body.isascii() and "\\u" in body, separators=_separators(body))
        lines[i] = (bom + new + ending).encode(encoding, errors)
    job.dst.write(b"".join(lines))


def redact_json(job: Job) -> Outcome:
    outcome = Outcome()
    with job.src() as stream:
        data = stream.read()
    encoding = sniff(data[:65536])
    errors = errors_for(encoding)
    try:
        text = data.decode(encoding, errors)
        bom = BOM if text.startswith(BOM) else ""  # (UTF-16 with a BOM: kept as a character)
        text = text.removeprefix(BOM)
        doc = json.loads(text)
    except ValueError:
        raise FormatError("not valid JSON") from None
    holder = [doc]
    changed = _redact_records(job, holder, None, outcome)
    if not changed:
        job.dst.write(data)
        return outcome
    body = text.strip()
    indent: int | str | None = None
    if "\n" in body:
        second = body.split("\n", 2)[1]
        lead = second[: len(second) - len(second.lstrip())]
        indent = lead if lead.startswith("\t") else len(lead) or None
    new = json.dumps(holder[0], indent=indent, ensure_ascii=body.isascii() and "\\u" in body,
                     separators=(",", ": ") if indent is not None else _separators(body))
    lead_ws = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    job.dst.write((bom + lead_ws + new + trail).encode(encoding, errors))
    return outcome
