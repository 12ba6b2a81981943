"""Configuration: `--config FILE`, else `[tool.hfguard]` in pyproject.toml, else `.hfguard.toml`.

The file is looked up in the scanned folder, then at the root of its git repository; the first
one found wins and nothing is merged. The value is passed explicitly through the pipeline (no
global settings singleton). Validation lives in schema.py; finding and loading the
file in discover.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Category, Severity

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
    redact: Any = field(default=None, compare=False, hash=False)  # the [redact] table as read (redact/settings.py)


DEFAULT_CONFIG = Config()
