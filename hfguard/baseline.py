"""Baseline: accepted findings, identified by fingerprint (rule + hash of value + path)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Finding

BASELINE_VERSION = 1


def load_baseline_fingerprints(path: Path) -> frozenset[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HfguardError(f"{path}: baseline file not found") from None
    except (OSError, ValueError) as exc:
        raise HfguardError(f"{path}: cannot read baseline: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION or not isinstance(data.get("findings"), list):
        raise HfguardError(f"{path}: not an hfguard baseline (version {BASELINE_VERSION})")
    return frozenset(str(entry.get("fingerprint")) for entry in data["findings"] if isinstance(entry, dict))


def baseline_document(findings: list[Finding]) -> dict[str, Any]:
    entries = {
        f.fingerprint: {"fingerprint": f.fingerprint, "path": f.path, "rule": f.rule}
        for f in findings
    }
    return {"version": BASELINE_VERSION, "findings": [entries[k] for k in sorted(entries)]}


def write_atomically(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
