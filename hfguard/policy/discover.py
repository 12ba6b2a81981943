"""Find and load the config: `--config FILE`, else `[tool.hfguard]` in pyproject.toml, else
`.hfguard.toml`, looked up in the scanned folder, then at the root of its git repository; the
first one found wins and nothing is merged. No file: DEFAULT_CONFIG.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hfguard.policy.config import DEFAULT_CONFIG, Config, ConfigError
from hfguard.policy.schema import parse_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def repo_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds `.git` (a work tree root), if any."""
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def find_config_file(start: Path) -> Path | None:
    """pyproject.toml with a [tool.hfguard] table, else .hfguard.toml, at `start`, else at the
    root of the git repository `start` is in."""
    start = Path(os.path.abspath(start))
    candidates = [start]
    root = repo_root(start)
    if root is not None and root != start:
        candidates.append(root)
    for folder in candidates:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and "hfguard" in tool:
                return pyproject
        dotfile = folder / ".hfguard.toml"
        if dotfile.is_file():
            return dotfile
    return None


def load_config(path: Path | None, start: Path | None = None) -> Config:
    """Load the explicit file, or discover one from `start`; no file means defaults."""
    if path is None:
        path = find_config_file(start or Path.cwd())
        if path is None:
            return DEFAULT_CONFIG
    path = Path(os.path.abspath(path))
    data = _read_toml(path)
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "hfguard" not in tool:
            raise ConfigError(f"{path}: no [tool.hfguard] table")
        data = tool["hfguard"]
        prefix = "tool.hfguard."
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: 'tool.hfguard' must be a table")
    return parse_config(data, source=str(path), root=path.parent, prefix=prefix)
