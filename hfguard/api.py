"""`scan_paths()`: the Python twin of `hfguard scan --format json`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hfguard.policy.baseline import load_baseline
from hfguard.policy.config import Config
from hfguard.policy.discover import load_config
from hfguard.scanner import ScanOptions, scan_disk


def scan_paths(
    paths: list[str] | None = None,
    *,
    config: Config | str | Path | None = None,
    baseline: str | Path | None = None,
    pii: bool = True,
    jobs: int | None = None,
) -> dict[str, Any]:
    """Scan files and folders, and `hf://` paths of Hub repositories as `hfguard scan` does;
    returns the same document as `hfguard scan --format json`.

    `config` is a Config, a path to a config file, or None to discover one from the first path
    on disk (the current folder when there is none).
    """
    from hfguard.sources.hf import is_hf_path, scan_mixed

    paths = list(paths) if paths else ["."]
    if not isinstance(config, Config):
        start = Path(next((p for p in paths if not is_hf_path(p)), "."))
        config = load_config(Path(config) if config else None, start if start.is_dir() else start.parent)
    baseline_path = baseline or config.baseline
    options = ScanOptions(config=config, pii=pii, jobs=jobs, baseline=load_baseline(baseline_path) if baseline_path else None)
    if any(is_hf_path(p) for p in paths):
        return scan_mixed(paths, options).to_dict()
    return scan_disk(paths, options).to_dict()
