"""Scan files on a Ray cluster: units -> Ray Data `map_batches` on an actor pool -> one Report.

Each actor builds one `FileScanner` (rules, PII recognisers: loaded once per worker) and scans
the units it is given exactly as a local scan scans a file. Results come back pickled, one row
per unit, and are merged in the plan's order, then sorted as a local scan sorts: the report
equals the local one. Fail closed: an exception while scanning a unit is an error for that unit;
units whose result never came back (the job failed after Ray's own retries) are errors too.
"""
from __future__ import annotations

import contextlib
import logging
import pickle
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

from hfguard.distributed.units import HF, Plan, Unit, plan_units, unit_blob
from hfguard.errors import HfguardError
from hfguard.models import FileError, Report
from hfguard.report.progress import Progress

LOCAL = "local"  # --ray without an address: a Ray instance on this machine, for this scan
CONNECT_TIMEOUT = 10.0  # seconds to reach a cluster's head: ray.init itself retries for minutes
MAX_BLOCKS = 10_000  # units per block beyond this many (one unit per block below it)


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise HfguardError("--ray needs Ray: pip install 'hfguard[ray]'") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None) -> Iterator[Any]:
    """Ray as the caller has it: an instance this process already joined is used as it is;
    else `address` (`auto`, a cluster address, or LOCAL/None: a local instance started for this
    scan and stopped after it)."""
    ray = _ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False,
                              "include_dashboard": False}
    if address not in (None, LOCAL):
        _check_reachable(address)
    try:
        if address in (None, LOCAL):
            ray.init(address="local", **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise HfguardError(f"cannot start or join Ray at {address or 'a local instance'}: {exc}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail fast when `address` names a head node (`host:port` or `ray://host:port`) that does
    not answer a TCP connection within CONNECT_TIMEOUT: `ray.init` retries an unreachable GCS
    for minutes, printing warnings, before it gives up. `auto` and other forms are left to Ray.

    Raises:
        HfguardError: the host does not resolve or the port does not accept a connection.
    """
    found = re.fullmatch(r"(?:ray://)?\[?([^\]\s]+?)\]?:(\d{1,5})", address)
    if not found:
        return
    host, port = found.group(1), int(found.group(2))
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except TimeoutError:
        raise HfguardError(f"cannot reach Ray at {address}: no answer within {CONNECT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise HfguardError(f"cannot reach Ray at {address}: {exc.strerror or exc}") from None


class ScanUnits:
    """The map_batches function: an actor that scans the units of each batch it is given."""

    def __init__(self, options: Any, hub: tuple[str | None, str | None] = (None, None)) -> None:
        from hfguard.scanner import FileScanner

        self.scanner = FileScanner(options)
        self.hub = hub  # the driver's Hub endpoint and token: workers need not have them set
        self._fs: Any = None

    def _filesystem(self) -> Any:
        if self._fs is None:
            from hfguard.sources.hf import filesystem

            self._fs = filesystem(*self.hub)
        return self._fs

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        rows = [{key: batch[key][i] for key in batch} for i in range(len(batch["index"]))]
        results = [pickle.dumps(self.scan(Unit.from_row(row))) for row in rows]
        out = np.empty(len(results), dtype=object)
        out[:] = results
        return {"index": np.asarray(batch["index"], dtype=np.int64), "result": out}

    def scan(self, unit: Unit) -> Any:
        from hfguard.scanner import FileResult, _safe_scan

        try:
            blob = unit_blob(unit, self._filesystem() if unit.kind == HF else None)
            return _safe_scan(self.scanner, blob)  # the local scan's own per-file error handling
        except Exception as exc:  # noqa: BLE001 - fail closed: whatever went wrong is this unit's error
            return FileResult(errors=[FileError(unit.shown, f"could not be scanned on a Ray worker ({type(exc).__name__})")])


def run_units(ray: Any, units: list[Unit], options: Any, progress: Progress | None = None,
              ) -> tuple[dict[int, Any], str | None]:
    """Scan the units on the cluster: {unit index: FileResult}, and why the job stopped early
    (None when every result came back)."""
    if not units:
        return {}, None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI draws its own (units and bytes)
    with contextlib.suppress(AttributeError):
        context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
    # Big files first: the last units to finish are small ones.
    items = [u.to_row() for u in sorted(units, key=lambda u: -u.size)]
    dataset = ray.data.from_items(items, override_num_blocks=min(len(items), MAX_BLOCKS))
    hub = hub_settings() if any(u.kind == HF for u in units) else (None, None)
    scanned = dataset.map_batches(ScanUnits, fn_constructor_args=(options, hub), batch_size=1, batch_format="numpy",
                                  compute=ray.data.ActorPoolStrategy(size=max(1, min(cpus, len(units)))), num_cpus=1)
    by_index = {u.index: u for u in units}
    results: dict[int, Any] = {}
    try:
        for row in scanned.iter_rows():
            index = int(row["index"])
            results[index] = pickle.loads(row["result"])
            if progress is not None:
                unit = by_index[index]
                progress.file_done(unit.shown, unit.size)
    except Exception as exc:  # noqa: BLE001 - the job failed after Ray's retries: what did not come back is an error
        return results, f"{type(exc).__name__}"
    return results, None


def hub_settings() -> tuple[str | None, str | None]:
    """The Hub endpoint and token this process uses (HF_ENDPOINT, HF_TOKEN or a saved token),
    handed to the workers so they read hf:// files from the same Hub as the same user."""
    from huggingface_hub import constants, get_token

    return constants.ENDPOINT, get_token()


def merge(plan: Plan, results: dict[int, Any], failure: str | None, started: float) -> Report:
    """One report from per-unit results, merged in plan order and sorted like a local scan's."""
    from hfguard.scanner import FileResult, _finish, _merge

    report = Report()
    report.errors.extend(plan.errors)
    report.stats.notes.extend(plan.notes)
    for unit in plan.units:
        result = results.get(unit.index)
        if result is None:
            why = f"the Ray job stopped ({failure})" if failure else "no result came back from Ray"
            result = FileResult(errors=[FileError(unit.shown, f"not scanned: {why}")])
        _merge(report, result)
    _finish(report, started)
    return report


def scan_paths_ray(paths: list[str], options: Any, address: str | None = None,
                   progress: Progress | None = None) -> Report:
    """`hfguard scan PATHS --ray [ADDRESS]`: the local scan's report, computed on Ray.

    Local paths must be readable at the same place on every node (one machine, or shared
    storage); hf:// paths are read by each worker from the Hub."""
    started = time.perf_counter()
    try:
        plan = plan_units(paths, options.config)
        if progress is not None:
            progress.start(len(plan.units), plan.total_bytes)
        with ray_session(address) as ray:
            results, failure = run_units(ray, plan.units, options, progress)
        return merge(plan, results, failure, started)
    finally:
        if progress is not None:
            progress.close()

