"""`scan_dataset(ray_dataset)`: scan a `ray.data.Dataset` someone already holds (from
`ray.data.read_parquet`, `from_huggingface`, ...), block by block in Ray tasks.

Each batch (its string-like columns, nested ones flattened as for a Parquet file) is scanned by
the Arrow reader and the detectors of a local scan; findings carry the dataset's 1-based row
numbers (the dataset's blocks are taken in order with `to_arrow_refs`, each block's offset is the
rows before it, and each task scans slices of one block, so every task knows where its rows
start; no pairing of rows by position, which Ray's `zip` gets wrong for pandas blocks whose index
does not start at 0). Findings name `NAME.arrow` (default `dataset.arrow`). Personal data
findings that group a column ("a column full of emails") are decided per batch here, not over
the whole dataset: take large batches (`batch_size`) for dense columns. A batch whose scan fails
is an error naming its rows (fail closed).
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import pickle
import time
from typing import Any

from hfguard.distributed.engine import _ray
from hfguard.models import Blob, FileError, Report

DEFAULT_BATCH_ROWS = 8192


_SCANNERS: dict[bytes, Any] = {}  # per worker process: one FileScanner per set of options


def scan_block(table: Any, offset: int, options: Any, path: str, batch_rows: int) -> list[tuple[int, bytes]]:
    """A Ray task: scan one block (a pyarrow Table whose first row is dataset row `offset`, 0-based)
    in slices of `batch_rows`; (first row, pickled FileResult) per slice. The FileScanner is built
    once per worker process."""
    key = pickle.dumps(options)
    scanner = _SCANNERS.get(key)
    if scanner is None:
        from hfguard.scanner import FileScanner

        _SCANNERS.clear()
        scanner = _SCANNERS[key] = FileScanner(options)
    out = []
    for start in range(0, table.num_rows, batch_rows):
        piece = table.slice(start, batch_rows)
        rows = list(range(offset + start, offset + start + piece.num_rows))
        out.append((offset + start, pickle.dumps(_scan_table(scanner, path, piece, rows))))
    return out


def _scan_table(scanner: Any, path: str, table: Any, rows: list[int]) -> Any:
    from hfguard.scanner import FileResult, _safe_scan

    try:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

        sink = io.BytesIO()
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue()
        result = _safe_scan(scanner, Blob(path, lambda: io.BytesIO(data), len(data)))
    except Exception as exc:  # noqa: BLE001 - fail closed: the batch is an error, not a lost batch
        span = f"rows {rows[0] + 1}-{rows[-1] + 1}" if rows else "an empty batch"
        return FileResult(errors=[FileError(path, f"{span} could not be scanned ({type(exc).__name__})")])
    result.findings = [_renumber(f, rows) for f in result.findings]
    result.suppressed = [_renumber(f, rows) for f in result.suppressed]
    return result


def _renumber(finding: Any, rows: list[int]) -> Any:
    """Batch row (1-based) -> dataset row (1-based), in `row` and in the location text."""
    local = finding.row
    if local is None or not 1 <= local <= len(rows):
        return finding
    row = rows[local - 1] + 1
    location = finding.location
    if location is not None and (location == f"row {local}" or location.startswith(f"row {local},")):
        location = f"row {row}" + location[len(f"row {local}"):]
    return dataclasses.replace(finding, row=row, location=location)


def scan_dataset(ray_dataset: Any, columns: list[str] | None = None, *, options: Any = None,
                 name: str = "dataset", batch_size: int = DEFAULT_BATCH_ROWS) -> Report:
    """Scan a ray.data.Dataset (only `columns`, if given) on the Ray it belongs to; the Report of
    a local scan, findings with 1-based dataset row numbers."""
    from hfguard.scanner import FileResult, ScanOptions, _finish, _merge

    ray = _ray()
    started = time.perf_counter()
    options = options if options is not None else ScanOptions()
    path = name if name.endswith(".arrow") else f"{name}.arrow"
    dataset = ray_dataset.select_columns(columns) if columns else ray_dataset
    report = Report()
    results: list[tuple[int, Any]] = []
    count = 0
    try:
        count = dataset.count()
        # The blocks in dataset order (to_arrow_refs keeps it); offsets from their row counts.
        refs = dataset.to_arrow_refs()
        sizes = ray.get([ray.remote(num_cpus=0)(_num_rows).remote(ref) for ref in refs])
        if sum(sizes) != count:
            raise RuntimeError(f"the blocks hold {sum(sizes)} rows, the dataset {count}")
        task = ray.remote(num_cpus=1)(scan_block)
        offsets = list(itertools.accumulate(sizes[:-1], initial=0))  # the rows before each block
        pending = [task.remote(ref, offset, options, path, batch_size) for ref, offset in zip(refs, offsets)]
        for pieces in ray.get(pending):
            results.extend((first, pickle.loads(blob)) for first, blob in pieces)
    except Exception as exc:  # noqa: BLE001 - fail closed: the job failed after Ray's retries
        results.append((count, FileResult(errors=[FileError(path, f"not fully scanned: the Ray job stopped ({type(exc).__name__})")])))
    for _, result in sorted(results, key=lambda item: item[0]):
        _merge(report, result)
    report.stats.files = 1 if count else 0
    _finish(report, started)
    return report


def _num_rows(table: Any) -> int:
    return int(table.num_rows)
