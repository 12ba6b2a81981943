"""How to get past a blocking finding, fitted to the finding: text lines can carry an inline
`hfguard: allow <rule>` pragma; values in data files (a CSV/Parquet cell, a JSON value) and
findings in binary files (a pickle, a safetensors header) cannot, so they are allowed by path
(and field) in the config, with the path written as the config's patterns read it.
"""
from __future__ import annotations

import os
from pathlib import Path

from hfguard.masking import printable
from hfguard.models import Finding
from hfguard.policy.discover import repo_root
from hfguard.policy.paths import hub_repo_path


def has_no_line(f: Finding) -> bool:
    """No line to put a pragma on: a data value (it has a row, or a field and no line) or a
    binary file's finding (no line at all)."""
    return f.row is not None or f.line is None


def toml_string(text: str) -> str:
    """`text` safe inside a TOML basic string (and printable)."""
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def config_pattern(path: str, root: Path | None = None) -> str:
    """The path as a config `path` pattern matches it: relative to the folder of the config file
    (`root`: the loaded config's folder, else the scanned folder, where a new one would be found).
    A path on disk (an absolute one included) is made relative to `root`, else its repository
    root, else the current folder; outside all, its file name (an unanchored pattern, any
    depth). Paths of git blobs and uploads are already relative and stay as they are."""
    inner = hub_repo_path(path)
    if inner is not None:
        return inner  # a Hub repository's file: patterns match its path in the repo
    outer = path.partition("!")[0]  # an archive member: allow the archive
    if not (os.path.isabs(outer) or os.path.lexists(outer)):
        return path
    absolute = os.path.abspath(outer)
    for base in (root, repo_root(Path(absolute).parent), Path.cwd()):
        if base is None:
            continue
        rel = os.path.relpath(absolute, base)
        if rel != ".." and not rel.startswith(".." + os.sep):
            return rel.replace(os.sep, "/")
    return os.path.basename(absolute)


def allow_entry(f: Finding, *, relative: bool = True, root: Path | None = None) -> str:
    """`[[allow]] with path = "…", field = "…", rules = ["…"]` for this finding; `relative`: make
    a disk path relative as the config in `root` reads it (CLI scans; uploads name repo paths)."""
    path = config_pattern(f.path, root) if relative else f.path
    field = f', field = "{toml_string(f.field)}"' if f.field is not None else ""
    return f'[[allow]] with path = "{toml_string(path)}"{field}, rules = ["{toml_string(f.rule)}"]'
