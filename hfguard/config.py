"""Configuration: `--config FILE`, else `[tool.hfguard]` in pyproject.toml, else `.hfguard.toml`.

The file is looked up in the scanned folder, then at the root of its git repository; the first
one found wins and nothing is merged. The value is passed explicitly through the pipeline (no
global settings singleton). Validation lives in config_schema.py.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Category, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRECEDENCE = (
    "Configuration: --config FILE; else [tool.hfguard] in pyproject.toml, else .hfguard.toml "
    "(same keys, no table prefix), looked up in the scanned folder, then at the root of its git "
    "repository. The first file found is used whole (files are not merged); no file: defaults. "
    "Command-line flags (--baseline, --no-pii) win over the file."
)


class ConfigError(HfguardError):
    """Bad configuration: the message names the file and the key."""


@dataclass(frozen=True)
class PiiConfig:
    entities: tuple[str, ...] | None = None  # None: all supported entities
    spacy_model: str | None = None  # None: blank English pipeline, no NER
    score_threshold: float = 0.5


@dataclass(frozen=True)
class AllowEntry:
    """`[[tool.hfguard.allow]]`: findings in files matching `path` (gitignore-style, relative to
    the config file), narrowed to a data `field` (`*` matches anything), rules and categories."""

    path: str
    field: str | None = None
    rules: tuple[str, ...] = ()
    categories: frozenset[Category] = frozenset()
    reason: str | None = None


@dataclass(frozen=True)
class Config:
    source: str | None = None  # the file the config came from, for messages
    root: Path | None = None  # folder the config's relative paths are relative to
    exclude: tuple[str, ...] = ()  # gitignore-style, relative to root
    include: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM
    categories: frozenset[Category] = frozenset(Category)
    max_file_size: int | None = None
    allow_regexes: tuple[str, ...] = ()  # searched in the found value
    allow_stopwords: tuple[str, ...] = ()  # case-insensitive substrings of the found value
    allow_paths: tuple[str, ...] = ()  # regexes searched in the path (as in rule allowlists)
    allow: tuple[AllowEntry, ...] = ()
    baseline: str | None = None
    pii: PiiConfig = field(default_factory=PiiConfig)
    custom_rules: tuple[dict[str, Any], ...] = ()
    extend_default: bool = True


DEFAULT_CONFIG = Config()


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
    from hfguard.config_schema import parse_config

    return parse_config(data, source=str(path), root=path.parent, prefix=prefix)
