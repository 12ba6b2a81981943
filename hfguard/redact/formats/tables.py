"""CSV and TSV, streamed by batches of rows: the header row as it was (less dropped columns),
each column of a batch redacted as the scan reads it (one chunk per column, values one a line)."""
from __future__ import annotations

import csv
import io
import sys

from hfguard.redact.formats import FormatError, Job, Outcome, detail
from hfguard.redact.formats.encoding import errors_for, newline_of, sniff

BATCH_ROWS = 5000


def redact_csv(job: Job) -> Outcome:
    return _redact(job, ",")


def redact_tsv(job: Job) -> Outcome:
    return _redact(job, "\t")


def _redact(job: Job, delimiter: str) -> Outcome:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    outcome = Outcome()
    raw = io.BufferedReader(job.src(), 1024 * 1024)  # type: ignore[type-var,unused-ignore]
    head = raw.peek(64 * 1024)[: 64 * 1024]
    encoding = sniff(head)
    errors = errors_for(encoding)
    reader_text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
    out = io.TextIOWrapper(job.dst, encoding=encoding, errors=errors, newline="", write_through=False)
    try:
        reader = csv.reader(reader_text, delimiter=delimiter)
        writer = csv.writer(out, delimiter=delimiter, lineterminator=newline_of(head, encoding))
        try:
            header = next(reader, None)
            if header is None:
                return outcome
            names = job.redactor.keys(header)  # a header that holds a found value is renamed
            written = [names[name][0] if name in names else name for name in header]
            header = [job.redactor.shown(name) for name in header]  # as the scan's findings name them
            keep = [j for j, name in enumerate(header) if not job.redactor.dropped(name)]
            outcome.dropped_columns = [written[j] for j in range(len(header)) if j not in keep]
            writer.writerow([written[j] for j in keep])
            row = 1
            batch: list[list[str]] = []
            for record in reader:
                batch.append(record)
                if len(batch) >= BATCH_ROWS:
                    _write_batch(job, header, keep, batch, row, writer)
                    row += len(batch)
                    batch = []
            if batch:
                _write_batch(job, header, keep, batch, row, writer)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FormatError(f"not valid {'TSV' if delimiter == chr(9) else 'CSV'}: {detail(exc)}") from None
    finally:
        out.flush()
        out.detach()
        reader_text.close()
    return outcome


def _write_batch(job: Job, header: list[str], keep: list[int], batch: list[list[str]], row: int,
                 writer: csv._writer) -> None:  # type: ignore[name-defined]
    width = max(len(header), max(len(r) for r in batch))
    for j in range(width):
        if j < len(header) and j not in keep:
            continue
        name = header[j] if j < len(header) else f"column {j + 1}"
        values = [r[j] if j < len(r) else None for r in batch]
        new = job.redactor.column(values, name, row)
        for r, value, old in zip(batch, new, values):
            if value is not old and j < len(r):
                r[j] = "" if value is None else value  # None: a cleared value
    dropped = [j for j in range(len(header)) if j not in keep]
    for r in batch:
        writer.writerow([v for j, v in enumerate(r) if j not in dropped] if dropped else r)
