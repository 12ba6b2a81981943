"""Ray Data as the distributed engine (`pip install 'hfguard[ray]'`).

`scan_paths_ray(paths, options, address=...)` (the CLI's `hfguard scan DATA --ray [ADDRESS]`)
plans units of work (one file each: a local file, or a file of a Hub repository read by range
requests), scans them on Ray workers with the readers and detectors of a local scan, and merges
the per-file results in the local scan's order: the report is the local report. `scan_dataset`
scans a `ray.data.Dataset` someone already holds, batch by batch with `map_batches`.
Ray is imported only when one of these is called.
"""
from __future__ import annotations

from hfguard.distributed.dataset import scan_dataset
from hfguard.distributed.engine import scan_paths_ray
from hfguard.distributed.units import Unit, plan_units

__all__ = ["Unit", "plan_units", "scan_dataset", "scan_paths_ray"]
