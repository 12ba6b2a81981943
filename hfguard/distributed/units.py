"""Units of work for a distributed scan: one file each, named the way a local scan names it.

A unit is plain data (strings and ints) so it travels to a worker as a row of a Ray dataset; the
worker turns it back into a Blob (`unit_blob`) and scans it with `FileScanner`, as a local scan
does. A file is the unit, not a row group of one: personal data findings that group a whole
column or file (a column full of emails) are decided over the file, and a split file would
report them per piece, not as the local scan does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from hfguard.models import Blob, FileError
from hfguard.policy.config import Config
from hfguard.sources.walk import walk_paths

DISK = "disk"
HF = "hf"


@dataclass(frozen=True)
class Unit:
    index: int  # position in the plan: results are merged in this order
    kind: str  # DISK or HF
    shown: str  # the path the report names
    locator: str  # disk path, or the HfFileSystem path pinned to a commit
    size: int
    commit: str = ""  # hf: the commit the revision named

    def to_row(self) -> dict[str, Any]:
        return {"index": self.index, "kind": self.kind, "shown": self.shown, "locator": self.locator,
                "size": self.size, "commit": self.commit}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Unit:
        return cls(int(row["index"]), str(row["kind"]), str(row["shown"]), str(row["locator"]),
                   int(row["size"]), str(row["commit"] or ""))


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)  # paths that could not be listed
    notes: list[str] = field(default_factory=list)  # hf:// paths that hold no file

    @property
    def total_bytes(self) -> int:
        return sum(u.size for u in self.units)


def plan_units(paths: list[str], config: Config) -> Plan:
    """The files a local scan of `paths` would scan, in its order (folders walked with the same
    exclude/include), then hf:// files (listed through HfFileSystem)."""
    from hfguard.sources.hf import is_hf_path, list_hf

    plan = Plan()
    local = [p for p in paths if not is_hf_path(p)]
    remote = [p for p in paths if is_hf_path(p)]
    if local:
        walked = walk_paths(local, config.exclude, config.include, root=str(config.root or os.getcwd()))
        plan.errors.extend(walked.errors)
        plan.notes.extend(walked.notes)  # symlinks and special files not read, as a local scan says
        for shown, disk in walked.files:
            try:
                size = os.stat(disk).st_size
            except OSError:
                size = 0
            plan.units.append(Unit(len(plan.units), DISK, shown, disk, size))
    if remote:
        listing = list_hf(remote, config.exclude, config.include)
        plan.errors.extend(listing.errors)
        plan.notes.extend(listing.notes)
        for file in listing.files:
            plan.units.append(Unit(len(plan.units), HF, file.shown, file.remote, file.size, file.commit or ""))
    return plan


def unit_blob(unit: Unit, fs: Any = None) -> Blob:
    """The Blob a worker scans for this unit (`fs`: a HfFileSystem for hf units)."""
    from hfguard.scanner import disk_blob

    if unit.kind == DISK:
        return disk_blob(unit.shown, unit.locator)
    if unit.kind == HF:
        from hfguard.sources.hf import HfFile, hf_blob

        return hf_blob(HfFile(unit.shown, unit.locator, unit.size, unit.commit or None), fs)
    raise ValueError(f"unknown unit kind {unit.kind!r}")
