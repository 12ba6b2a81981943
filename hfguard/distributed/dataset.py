"""`scan_dataset(ray_dataset)`: scan a `ray.data.Dataset` someone already holds (from
`ray.data.read_parquet`, `from_huggingface`, ...), batch by batch with `map_batches`.

Each batch (its string-like columns, nested ones flattened as for a Parquet file) is scanned by
the Arrow reader and the detectors of a local scan; findings carry the dataset's 1-based row
numbers (a row-number column is zipped on before the batches are cut, so every worker knows
where its batch starts). Findings name `NAME.arrow` (default `dataset.arrow`). Personal data
findings that group a column ("a column full of emails") are decided per batch here, not over
the whole dataset: take large batches (`batch_size`) for dense columns. A batch whose scan fails
is an error naming its rows (fail closed).
"""
from __future__ import annotations

import dataclasses
import io
import pickle
import time
from typing import Any

from hfguard.distributed.engine import _ray
from hfguard.models import Blob, FileError, Report

ROW_COLUMN = "__hfguard_row__"
DEFAULT_BATCH_ROWS = 8192


_SCANNERS: dict[bytes, Any] = {}  # per worker process: one FileScanner per set of options


def scan_batch(table: Any, options: Any, path: str) -> dict[str, Any]:
    """The map_batches function (Ray tasks, not an actor pool: actors holding every CPU would
    starve the tasks that read the dataset). The FileScanner is built once per worker process."""
    import numpy as np

    key = pickle.dumps(options)
    scanner = _SCANNERS.get(key)
    if scanner is None:
        from hfguard.scanner import FileScanner

        _SCANNERS.clear()
        scanner = _SCANNERS[key] = FileScanner(options)
    rows = [int(r) for r in table.column(ROW_COLUMN).to_pylist()]
    result = _scan_table(scanner, path, table.drop_columns([ROW_COLUMN]), rows)
    out = np.empty(1, dtype=object)
    out[:] = [pickle.dumps(result)]
    return {"first": np.asarray([min(rows) if rows else 0], dtype=np.int64), "result": out}


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
    # Row numbers: a range zipped on. zip pairs rows by position, so the dataset's order must be
    # kept while it runs (Ray Data does not keep it by default).
    execution = ray.data.DataContext.get_current().execution_options
    kept_order = execution.preserve_order
    execution.preserve_order = True
    report = Report()
    results: list[tuple[int, Any]] = []
    count = 0
    try:
        count = dataset.count()
        numbered = ray.data.range(count).rename_columns({"id": ROW_COLUMN}).zip(dataset)
        scanned = numbered.map_batches(scan_batch, fn_args=(options, path), batch_size=batch_size,
                                       batch_format="pyarrow", num_cpus=1)
        for row in scanned.iter_rows():
            results.append((int(row["first"]), pickle.loads(row["result"])))
    except Exception as exc:  # noqa: BLE001 - fail closed: the job failed after Ray's retries
        results.append((count, FileResult(errors=[FileError(path, f"not fully scanned: the Ray job stopped ({type(exc).__name__})")])))
    finally:
        execution.preserve_order = kept_order
    for _, result in sorted(results, key=lambda item: item[0]):
        _merge(report, result)
    report.stats.files = 1 if count else 0
    _finish(report, started)
    return report
