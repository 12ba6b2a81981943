"""Configuration: `--config FILE`, else `[tool.hfguard]` in pyproject.toml, else `.hfguard.toml`.

The value is passed explicitly through the pipeline (no global settings singleton).
"""
from __future__ import annotations

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


class ConfigError(HfguardError):
    """Bad configuration: the message names the file and the key."""


@dataclass(frozen=True)
class PiiConfig:
    entities: tuple[str, ...] | None = None  # None: all supported entities
    spacy_model: str | None = None  # None: blank English pipeline, no NER
    score_threshold: float = 0.5


@dataclass(frozen=True)
class Config:
    source: str | None = None  # the file the config came from, for messages
    root: Path | None = None  # folder the config's relative paths are relative to
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    fail_on: Severity = Severity.MEDIUM
    categories: frozenset[Category] = frozenset(Category)
    max_file_size: int | None = None
    allow_regexes: tuple[str, ...] = ()
    allow_stopwords: tuple[str, ...] = ()
    allow_paths: tuple[str, ...] = ()
    baseline: str | None = None
    pii: PiiConfig = field(default_factory=PiiConfig)
    custom_rules: tuple[dict[str, Any], ...] = ()
    extend_default: bool = True


DEFAULT_CONFIG = Config()


def find_config_file(start: Path) -> Path | None:
    """pyproject.toml with a [tool.hfguard] table, else .hfguard.toml, at `start` or its repo root."""
    candidates = [start]
    for parent in [start, *start.parents]:
        if (parent / ".git").exists():
            if parent != start:
                candidates.append(parent)
            break
    for folder in candidates:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{pyproject}: cannot read: {exc}") from None
            if "hfguard" in data.get("tool", {}):
                return pyproject
        dotfile = folder / ".hfguard.toml"
        if dotfile.is_file():
            return dotfile
    return None


def load_config(path: Path | None, start: Path | None = None) -> Config:
    """Load the explicit file, or discover one from `start`; no file means defaults."""
    if path is None:
        path = find_config_file((start or Path.cwd()).resolve())
        if path is None:
            return DEFAULT_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("hfguard", {})
    from hfguard.config_schema import parse_config

    return parse_config(data, source=str(path), root=path.parent)
