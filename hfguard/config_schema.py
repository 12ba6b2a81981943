"""Validate a config table into a `Config`; every error names the key and the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hfguard.config import Config, ConfigError, PiiConfig
from hfguard.models import Category, Severity

_TOP_KEYS = {
    "exclude", "include", "disable", "fail_on", "categories", "max_file_size", "allowlist",
    "baseline", "pii", "rules", "extend_default",
}
_ALLOWLIST_KEYS = {"regexes", "stopwords", "paths"}
_PII_KEYS = {"entities", "spacy_model", "score_threshold"}


def _strings(value: Any, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: '{key}' must be a list of strings")
    return tuple(value)


def parse_config(data: dict[str, Any], source: str, root: Path) -> Config:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key '{unknown[0]}' (known: {', '.join(sorted(_TOP_KEYS))})")
    fail_on = data.get("fail_on", "medium")
    try:
        severity = Severity(fail_on)
    except ValueError:
        raise ConfigError(f"{source}: 'fail_on' must be one of low, medium, high, critical, not {fail_on!r}") from None
    categories = frozenset(Category)
    if "categories" in data:
        names = _strings(data["categories"], "categories", source)
        try:
            categories = frozenset(Category(n) for n in names)
        except ValueError:
            raise ConfigError(f"{source}: 'categories' entries must be secret, pii or health") from None
    max_file_size = data.get("max_file_size")
    if max_file_size is not None and (not isinstance(max_file_size, int) or max_file_size <= 0):
        raise ConfigError(f"{source}: 'max_file_size' must be a positive number of bytes")
    allowlist = data.get("allowlist", {})
    if not isinstance(allowlist, dict):
        raise ConfigError(f"{source}: 'allowlist' must be a table")
    bad = sorted(set(allowlist) - _ALLOWLIST_KEYS)
    if bad:
        raise ConfigError(f"{source}: unknown key 'allowlist.{bad[0]}'")
    pii = data.get("pii", {})
    if not isinstance(pii, dict):
        raise ConfigError(f"{source}: 'pii' must be a table")
    bad = sorted(set(pii) - _PII_KEYS)
    if bad:
        raise ConfigError(f"{source}: unknown key 'pii.{bad[0]}'")
    threshold = pii.get("score_threshold", 0.5)
    if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ConfigError(f"{source}: 'pii.score_threshold' must be a number from 0 to 1")
    spacy_model = pii.get("spacy_model")
    if spacy_model is not None and not isinstance(spacy_model, str):
        raise ConfigError(f"{source}: 'pii.spacy_model' must be a string")
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ConfigError(f"{source}: 'rules' must be an array of tables ([[tool.hfguard.rules]])")
    extend_default = data.get("extend_default", True)
    if not isinstance(extend_default, bool):
        raise ConfigError(f"{source}: 'extend_default' must be true or false")
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{source}: 'baseline' must be a path")
    return Config(
        source=source,
        root=root,
        exclude=_strings(data.get("exclude", []), "exclude", source),
        include=_strings(data.get("include", []), "include", source),
        disable=_strings(data.get("disable", []), "disable", source),
        fail_on=severity,
        categories=categories,
        max_file_size=max_file_size,
        allow_regexes=_strings(allowlist.get("regexes", []), "allowlist.regexes", source),
        allow_stopwords=_strings(allowlist.get("stopwords", []), "allowlist.stopwords", source),
        allow_paths=_strings(allowlist.get("paths", []), "allowlist.paths", source),
        baseline=str(root / baseline) if baseline else None,
        pii=PiiConfig(
            entities=_strings(pii["entities"], "pii.entities", source) if "entities" in pii else None,
            spacy_model=spacy_model,
            score_threshold=float(threshold),
        ),
        custom_rules=tuple(rules),
        extend_default=extend_default,
    )
