"""Validate a config table into a `Config`. Every error names the file and the key as written
there (`tool.hfguard.fail_on` in pyproject.toml, `fail_on` in .hfguard.toml)."""
from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from pathlib import Path
from typing import Any

from hfguard.models import Category, Severity
from hfguard.policy.config import AllowEntry, Config, ConfigError, PiiConfig
from hfguard.policy.paths import PatternError, compile_pattern

_TOP_KEYS = (
    "exclude", "include", "disable", "fail_on", "categories", "max_file_size", "allowlist",
    "allow", "baseline", "pii", "rules", "extend_default",
    "redact",  # [redact]: validated by hfguard/redact/settings.py (used by `hfguard redact` only)
)
_ALLOWLIST_KEYS = ("regexes", "stopwords", "paths")
_ALLOW_KEYS = ("path", "field", "rules", "categories", "reason")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
               "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
_SEVERITIES = ", ".join(s.value for s in Severity)
_CATEGORIES = ", ".join(c.value for c in Category)


class _Where:
    """Builds messages that name the file and the full key."""

    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: '{self.prefix}{key}' {problem}")

    def check_keys(self, table: dict[str, Any], known: tuple[str, ...], parent: str = "") -> None:
        for key in sorted(table):
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
                raise self.error(parent + key, f"is not a known key ({hint})")


def _strings(value: Any, key: str, where: _Where) -> tuple[str, ...]:
    if isinstance(value, str):
        raise where.error(key, f"must be a list of strings, like [{value!r}]")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(key, "must be a list of strings")
    return tuple(value)


def _globs(value: Any, key: str, where: _Where) -> tuple[str, ...]:
    patterns = _strings(value, key, where)
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise where.error(key, f"has a bad pattern: {exc}") from None
    return patterns


def _regexes(value: Any, key: str, where: _Where) -> tuple[str, ...]:
    patterns = _strings(value, key, where)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise where.error(key, f"has a regex that does not compile ({pattern!r}: {exc})") from None
    return patterns


def _categories(value: Any, key: str, where: _Where) -> frozenset[Category]:
    names = _strings(value, key, where)
    try:
        return frozenset(Category(n) for n in names)
    except ValueError:
        raise where.error(key, f"entries must be {_CATEGORIES}, not {list(names)!r}") from None


def _size(value: Any, key: str, where: _Where) -> int | None:
    """Bytes, or a string such as "50MB" / "1.5 GiB"."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise where.error(key, "must be a number of bytes or a size such as \"50MB\"")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE_RE.match(value)):
        unit = (m.group(2) or "").lower().rstrip("b")
        size = int(float(m.group(1)) * _SIZE_UNITS[unit])
    else:
        raise where.error(key, f"must be a number of bytes or a size such as \"50MB\", not {value!r}")
    if size <= 0:
        raise where.error(key, "must be positive")
    return size


def _table(value: Any, key: str, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(key, f"must be a table ([{where.prefix}{key}])")
    return value


def _pii(data: dict[str, Any], where: _Where) -> PiiConfig:
    """Keys and types come from PiiConfig's fields, so the PII detector can grow a setting by
    adding a field with a default there."""
    fields = {f.name: f for f in dataclasses.fields(PiiConfig)}
    where.check_keys(data, tuple(fields), "pii.")
    hints = typing.get_type_hints(PiiConfig)
    values: dict[str, Any] = {}
    for name, value in data.items():
        key = f"pii.{name}"
        hint = str(hints[name])
        if "tuple" in hint:
            values[name] = _strings(value, key, where)
        elif "float" in hint:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise where.error(key, f"must be a number, not {value!r}")
            values[name] = float(value)
        elif "bool" in hint:
            if not isinstance(value, bool):
                raise where.error(key, "must be true or false")
            values[name] = value
        elif "int" in hint:
            if isinstance(value, bool) or not isinstance(value, int):
                raise where.error(key, f"must be a whole number, not {value!r}")
            values[name] = value
        elif "str" in hint:
            if not isinstance(value, str) or not value:
                raise where.error(key, "must be a non-empty string")
            values[name] = value
        else:  # pragma: no cover - a field type this validator does not know yet
            values[name] = value
    threshold = values.get("score_threshold")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise where.error("pii.score_threshold", f"must be from 0 to 1, not {threshold}")
    return PiiConfig(**values)


def _allow_entries(value: Any, where: _Where) -> tuple[AllowEntry, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise where.error("allow", f"must be an array of tables ([[{where.prefix}allow]])")
    entries = []
    for i, table in enumerate(value):
        at = f"allow[{i}]."
        where.check_keys(table, _ALLOW_KEYS, at)
        if "path" not in table:
            raise where.error(f"allow[{i}]", "needs a 'path' (gitignore-style, relative to this file)")
        if not isinstance(table["path"], str):
            raise where.error(at + "path", "must be a string (one gitignore-style pattern)")
        (path,) = _globs([table["path"]], at + "path", where)
        field = table.get("field")
        if field is not None and (not isinstance(field, str) or not field):
            raise where.error(at + "field", "must be a non-empty string (a column name or key path)")
        reason = table.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise where.error(at + "reason", "must be a string")
        entries.append(
            AllowEntry(
                path=path,
                field=field,
                rules=_strings(table.get("rules", []), at + "rules", where),
                categories=_categories(table.get("categories", []), at + "categories", where),
                reason=reason,
            )
        )
    return tuple(entries)


def _custom_rules(value: Any, where: _Where) -> tuple[dict[str, Any], ...]:
    """Rules in the schema of rules/*.toml; examples (`tps`, `fps`), when given, must hold."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise where.error("rules", f"must be an array of tables ([[{where.prefix}rules]])")
    from hfguard.secrets.rules import RuleError, parse_rule

    seen: set[str] = set()
    for i, table in enumerate(value):
        label = f"{where.source}: '{where.prefix}rules[{i}]'"
        try:
            rule = parse_rule(table, label, require_examples=False)
        except RuleError as exc:
            raise ConfigError(str(exc)) from None
        if rule.id in seen:
            raise ConfigError(f"{label}: rule id {rule.id!r} is defined twice")
        seen.add(rule.id)
        _check_examples(rule, label)
    return tuple(value)


def _check_examples(rule: Any, label: str) -> None:
    if not rule.tps and not rule.fps:
        return
    from hfguard.models import Chunk
    from hfguard.secrets.engine import SecretEngine
    from hfguard.secrets.rules import RuleSet, expand_example, load_default_rules

    engine = SecretEngine(RuleSet((dataclasses.replace(rule, path=None),), load_default_rules().global_allowlist))
    for kind, examples, want in (("tps", rule.tps, True), ("fps", rule.fps, False)):
        for n, example in enumerate(examples):
            found = bool(engine.scan(Chunk(expand_example(example, f"{rule.id}:{n}")), ""))
            if found != want:
                verdict = "is not detected" if want else "is detected"
                raise ConfigError(f"{label}: rule {rule.id!r}: {kind}[{n}] {verdict} by the rule's regex")


def parse_config(data: dict[str, Any], source: str, root: Path, prefix: str = "") -> Config:
    where = _Where(source, prefix)
    where.check_keys(data, _TOP_KEYS)

    fail_on = data.get("fail_on", Severity.MEDIUM.value)
    try:
        severity = Severity(fail_on)
    except ValueError:
        raise where.error("fail_on", f"must be one of {_SEVERITIES}, not {fail_on!r}") from None

    categories = frozenset(Category)
    if "categories" in data:
        categories = _categories(data["categories"], "categories", where)
        if not categories:
            raise where.error("categories", f"must name at least one of {_CATEGORIES}")

    allowlist = _table(data.get("allowlist", {}), "allowlist", where)
    where.check_keys(allowlist, _ALLOWLIST_KEYS, "allowlist.")
    stopwords = _strings(allowlist.get("stopwords", []), "allowlist.stopwords", where)
    if any(not w.strip() for w in stopwords):
        raise where.error("allowlist.stopwords", "must not contain an empty string (it would allow everything)")

    extend_default = data.get("extend_default", True)
    if not isinstance(extend_default, bool):
        raise where.error("extend_default", "must be true or false")
    rules = _custom_rules(data.get("rules", []), where)
    if not extend_default and not rules:
        raise where.error("extend_default", "is false but no [[rules]] are defined: nothing would be detected")

    baseline = data.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline):
        raise where.error("baseline", "must be a path to the baseline file")

    disable = _strings(data.get("disable", []), "disable", where)
    return Config(
        source=source,
        root=root,
        exclude=_globs(data.get("exclude", []), "exclude", where),
        include=_globs(data.get("include", []), "include", where),
        disable=disable,
        fail_on=severity,
        categories=categories,
        max_file_size=_size(data.get("max_file_size"), "max_file_size", where),
        allow_regexes=_regexes(allowlist.get("regexes", []), "allowlist.regexes", where),
        allow_stopwords=stopwords,
        allow_paths=_regexes(allowlist.get("paths", []), "allowlist.paths", where),
        allow=_allow_entries(data.get("allow", []), where),
        baseline=str(root / baseline) if baseline else None,
        pii=_pii(_table(data.get("pii", {}), "pii", where), where),
        custom_rules=rules,
        extend_default=extend_default,
        redact=data.get("redact"),
    )
