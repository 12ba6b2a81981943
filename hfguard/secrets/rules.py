"""Rules are data: load `rules/*.toml`, validate them, compile them.

A rule file holds `[[rules]]` tables (field names follow gitleaks where gitleaks has one):

    id, description, category, severity, regex, secretGroup, keywords, entropy, validator,
    multiline, path, remediation, tps, fps, [rules.allowlist] / [[rules.allowlists]]
    stopwords/regexes/paths/regexTarget, and field (a column / key-path regex for structured data)

A file may also hold one top-level `[allowlist]` that applies to every secret rule (placeholders,
documented example keys). Examples (`tps`, `fps`) may contain generators such as `{{alnum:34}}`
that the test suite expands, so that no realistic credential is committed (see `expand_example`).
"""
from __future__ import annotations

import base64
import functools
import random
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Category, Severity
from hfguard.secrets import regexparts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

try:  # the shipped rule files: ~1 ms with rtoml (Rust), ~10 ms with tomllib (pure Python)
    import rtoml
except ImportError:  # pragma: no cover - a dependency; tomllib gives the same tables
    rtoml = None  # type: ignore[assignment]

RULE_KEYS = {
    "id", "description", "category", "severity", "regex", "secretGroup", "keywords", "entropy",
    "validator", "multiline", "path", "remediation", "tps", "fps", "allowlist", "allowlists", "field",
    "fallback",
}
ALLOWLIST_KEYS = {"description", "stopwords", "regexes", "paths", "regexTarget"}
# What an allowlist's `regexes` are tested against (gitleaks' `regexTarget`).
REGEX_TARGETS = ("secret", "match", "line")
FILE_KEYS = {"rules", "allowlist", "allowlists", "title"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RuleError(HfguardError):
    """A rule file is invalid; the message names the file and the rule."""


class LazyPattern:
    """A regex compiled on its first search: the allowlist and path patterns of the shipped
    rules (the test suite compiles them all), most of which a scan never consults; compiling
    them all cost ~30 us a rule before the first file. Equal to another of the same source, as
    compiled patterns are."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyPattern):
            return self.pattern == other.pattern
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


# A compiled regex, or one compiled on first use (the shipped rules' allowlists and paths).
Pattern = re.Pattern[str] | LazyPattern


@dataclass(frozen=True)
class Allowlist:
    stopwords: tuple[str, ...] = ()
    regexes: tuple[Pattern, ...] = ()  # tested against the secret
    paths: tuple[Pattern, ...] = ()
    match_regexes: tuple[Pattern, ...] = ()  # regexTarget = "match": the whole match
    line_regexes: tuple[Pattern, ...] = ()  # regexTarget = "line": the match's line

    def allows_secret(self, secret: str) -> bool:
        lowered = secret.lower()
        if any(word in lowered for word in self.stopwords):
            return True
        return any(rx.search(secret) for rx in self.regexes)

    def allows(self, secret: str, match: str = "", line: str = "") -> bool:
        if self.allows_secret(secret):
            return True
        if any(rx.search(match) for rx in self.match_regexes):
            return True
        return bool(self.line_regexes) and _line_allowed(self.line_regexes, line)

    def allows_path(self, path: str) -> bool:
        return any(rx.search(path) for rx in self.paths)

    def merged(self, other: Allowlist) -> Allowlist:
        return Allowlist(
            self.stopwords + other.stopwords,
            self.regexes + other.regexes,
            self.paths + other.paths,
            self.match_regexes + other.match_regexes,
            self.line_regexes + other.line_regexes,
        )


@functools.lru_cache(maxsize=512)
def _line_allowed(regexes: tuple[Pattern, ...], line: str) -> bool:
    """Line allowlists, cached: a line with many matches (minified code) is searched once."""
    return any(rx.search(line) for rx in regexes)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    category: Category
    severity: Severity
    # The regex's source, compiled on first use (`regex`): a scan compiles only the rules whose
    # keywords occur in what it reads (92 of the 212 shipped rules on the 32 MB bench tree).
    pattern: str
    group: int | None  # secretGroup as written; None: the first group if the regex has one, else 0
    keywords: tuple[str, ...]
    entropy: float | None = None
    validator: str | None = None
    multiline: bool = False
    path: Pattern | None = None
    # Structured data (JSON keys, CSV/Parquet columns): the rule runs on every value of a column
    # whose name (Chunk.field) matches, keywords or not. hfguard's own key, not gitleaks'.
    field_regex: re.Pattern[str] | None = None
    remediation: str | None = None
    # A context rule (a password in a URL, a connection string, a command line): it yields to a
    # provider rule that matched the same value, as `generic-*` rules do. hfguard's own key.
    fallback: bool = False
    allowlist: Allowlist = field(default_factory=Allowlist)
    tps: tuple[str, ...] = ()
    fps: tuple[str, ...] = ()
    source: str = ""

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @functools.cached_property
    def secret_group(self) -> int:
        if self.group is not None:
            return self.group
        return 1 if self.regex.groups >= 1 else 0

    def check(self, where: str = "") -> None:
        """Compile the regex now and check secretGroup against it (RuleError if either fails)."""
        where = where or f"{self.source}: rule {self.id!r}"
        regex = _compile(self.pattern, where, "regex")
        if self.group is not None and not 0 <= self.group <= regex.groups:
            raise RuleError(f"{where}: secretGroup {self.group!r} is not a group of the regex")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "category": self.category.value,
            "severity": self.severity.value,
            "keywords": list(self.keywords),
            "entropy": self.entropy,
            "validator": self.validator,
            "source": self.source,
        }


# The fix of a rule that does not write its own: what every leaked credential needs (OWASP's
# Secrets Management Cheat Sheet, "Detection" and "Rotation"). Printed as the `fix:` line and
# SARIF's `help`, so that no finding comes without one.
DEFAULT_REMEDIATION = (
    "Revoke or rotate it with the service that issued it, then read it from an environment variable or a "
    "secret store; a value already committed stays in the git history until that is rewritten."
)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    global_allowlist: Allowlist = field(default_factory=Allowlist)

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def default_rules_dir() -> Path:
    """The rules shipped in the wheel (hfguard/_rules), else the checkout's top-level rules/."""
    packaged = Path(__file__).resolve().parent.parent / "_rules"
    if packaged.is_dir() and any(packaged.glob("*.toml")):
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "rules"


def _compile(pattern: Any, where: str, what: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise RuleError(f"{where}: {what} must be a string")
    return _compile_now(pattern, where, what)


def _compile_lazily(pattern: Any, where: str, what: str, lazy: bool) -> Pattern:
    """A pattern of a rule or an allowlist: compiled now, or with `lazy` on first use (the
    shipped rules, which the test suite compiles)."""
    if not isinstance(pattern, str):
        raise RuleError(f"{where}: {what} must be a string")
    return LazyPattern(pattern) if lazy else _compile_now(pattern, where, what)


def _compile_now(pattern: str, where: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RuleError(f"{where}: {what} does not compile: {exc}") from None


def _str_list(value: Any, where: str, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: {what} must be a list of strings")
    return tuple(value)


def parse_allowlist(data: Any, where: str, lazy: bool = False) -> Allowlist:
    if not isinstance(data, dict):
        raise RuleError(f"{where}: allowlist must be a table")
    unknown = set(data) - ALLOWLIST_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown allowlist key(s) {sorted(unknown)}")
    stopwords = tuple(w.lower() for w in _str_list(data.get("stopwords", []), where, "stopwords"))
    regexes = tuple(
        _compile_lazily(p, where, "allowlist regex", lazy)
        for p in _str_list(data.get("regexes", []), where, "regexes")
    )
    paths = tuple(
        _compile_lazily(p, where, "allowlist path", lazy)
        for p in _str_list(data.get("paths", []), where, "paths")
    )
    target = data.get("regexTarget", "secret")
    if target not in REGEX_TARGETS:
        raise RuleError(f"{where}: regexTarget must be one of {', '.join(REGEX_TARGETS)}")
    if target == "match":
        return Allowlist(stopwords, (), paths, match_regexes=regexes)
    if target == "line":
        return Allowlist(stopwords, (), paths, line_regexes=regexes)
    return Allowlist(stopwords, regexes, paths)


def parse_allowlists(data: dict[str, Any], where: str, lazy: bool = False) -> Allowlist:
    """`allowlist = {...}` (one table) and/or `[[...allowlists]]` (several, as in gitleaks)."""
    merged = Allowlist()
    if "allowlist" in data:
        merged = merged.merged(parse_allowlist(data["allowlist"], where, lazy))
    if "allowlists" in data:
        tables = data["allowlists"]
        if not isinstance(tables, list):
            raise RuleError(f"{where}: allowlists must be an array of tables")
        for table in tables:
            merged = merged.merged(parse_allowlist(table, where, lazy))
    return merged


def _flag(data: dict[str, Any], key: str, where: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise RuleError(f"{where}: {key} must be true or false")
    return value


def parse_rule(data: Any, source: str, require_examples: bool = True, lazy: bool = False) -> Rule:
    """A rule from its table; its regexes (the rule's, its path's, its allowlists') are compiled
    and checked here unless `lazy` (the shipped rules, which the test suite compiles and runs:
    then on first use)."""
    if not isinstance(data, dict):
        raise RuleError(f"{source}: each [[rules]] entry must be a table")
    rule_id = data.get("id")
    where = f"{source}: rule {rule_id!r}"
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        raise RuleError(f"{where}: id must be lower-case letters, digits and dashes")
    unknown = set(data) - RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}")
    try:
        category = Category(data.get("category", "secret"))
    except ValueError:
        raise RuleError(f"{where}: category must be one of secret, pii, health") from None
    try:
        severity = Severity(data.get("severity", "high"))
    except ValueError:
        raise RuleError(f"{where}: severity must be one of low, medium, high, critical") from None
    if "regex" not in data:
        raise RuleError(f"{where}: regex is required")
    pattern = data["regex"]
    if not isinstance(pattern, str):
        raise RuleError(f"{where}: regex must be a string")
    try:  # `{{assign}}` and the other shared parts (regexparts)
        pattern = regexparts.expand(pattern)
    except KeyError as exc:
        raise RuleError(f"{where}: regex uses an unknown part {{{{{exc.args[0]}}}}}") from None
    secret_group = data.get("secretGroup")
    if secret_group is not None and not isinstance(secret_group, int):
        raise RuleError(f"{where}: secretGroup {secret_group!r} is not a group of the regex")
    keywords = tuple(k.lower() for k in _str_list(data.get("keywords", []), where, "keywords"))
    field_regex = _compile(data["field"], where, "field") if "field" in data else None
    if not keywords and field_regex is None:
        raise RuleError(f"{where}: at least one keyword is required (the prefilter)")
    entropy = data.get("entropy")
    if entropy is not None and not isinstance(entropy, (int, float)):
        raise RuleError(f"{where}: entropy must be a number")
    validator = data.get("validator")
    if validator is not None:
        from hfguard.secrets.validators import VALIDATORS

        if validator not in VALIDATORS:
            raise RuleError(f"{where}: unknown validator {validator!r} (known: {sorted(VALIDATORS)})")
    path = _compile_lazily(data["path"], where, "path", lazy) if "path" in data else None
    tps = _str_list(data.get("tps", []), where, "tps")
    fps = _str_list(data.get("fps", []), where, "fps")
    if require_examples and not tps:
        raise RuleError(f"{where}: needs at least one true-positive example in tps")
    description = data.get("description", "")
    if not isinstance(description, str) or not description:
        raise RuleError(f"{where}: description is required")
    rule = Rule(
        id=rule_id,
        description=description,
        category=category,
        severity=severity,
        pattern=pattern,
        group=secret_group,
        keywords=keywords,
        entropy=float(entropy) if entropy is not None else None,
        validator=validator,
        multiline=bool(data.get("multiline", False)),
        path=path,
        field_regex=field_regex,
        remediation=data.get("remediation") or DEFAULT_REMEDIATION,
        fallback=_flag(data, "fallback", where),
        allowlist=parse_allowlists(data, where, lazy),
        tps=tps,
        fps=fps,
        source=source,
    )
    if not lazy:
        rule.check(where)
    return rule


def load_rule_files(files: Iterable[Path], require_examples: bool = True, lazy: bool = False) -> RuleSet:
    rules: list[Rule] = []
    global_allowlist = Allowlist()
    seen: dict[str, str] = {}
    for path in files:
        try:
            data = parse_toml(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RuleError(f"{path.name}: cannot read rule file: {exc}") from None
        unknown = set(data) - FILE_KEYS
        if unknown:
            raise RuleError(f"{path.name}: unknown top-level key(s) {sorted(unknown)}")
        global_allowlist = global_allowlist.merged(parse_allowlists(data, f"{path.name}: [allowlist]", lazy))
        for entry in data.get("rules", []):
            rule = parse_rule(entry, path.name, require_examples, lazy)
            if rule.id in seen:
                raise RuleError(f"{path.name}: duplicate rule id {rule.id!r} (also in {seen[rule.id]})")
            seen[rule.id] = path.name
            rules.append(rule)
    return RuleSet(tuple(rules), global_allowlist)


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads(text), by rtoml when it is installed (the same tables for every shipped rule
    file: tested); a document rtoml refuses is parsed again by tomllib, for its error message."""
    if rtoml is not None:
        try:
            data: dict[str, Any] = rtoml.loads(text)
        except Exception:  # noqa: BLE001 - tomllib says what is wrong, as without rtoml
            return tomllib.loads(text)
        return data
    return tomllib.loads(text)


_DEFAULT_CACHE: dict[str, RuleSet] = {}


def load_default_rules() -> RuleSet:
    directory = default_rules_dir()
    key = str(directory)
    if key not in _DEFAULT_CACHE:
        files = sorted(directory.glob("*.toml"))
        if not files:
            raise RuleError(f"no rule files found in {directory} (broken installation?)")
        _DEFAULT_CACHE[key] = load_rule_files(files, lazy=True)
    return _DEFAULT_CACHE[key]


# --- example generators --------------------------------------------------------------------

_ALPHABETS = {
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upperdigits": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "lowerdigits": "abcdefghijklmnopqrstuvwxyz0123456789",
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "b64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "b64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    "b32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "b32lower": "abcdefghijklmnopqrstuvwxyz234567",
    "crypt": "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_BASE64_RE = re.compile(r"\{\{base64:([^{}]*)\}\}")
_JOIN = "{{+}}"  # joins pieces: a documented example key is written split, never whole in a file
_GENERATOR_RE = re.compile(r"\{\{(" + "|".join(sorted(_ALPHABETS, key=len, reverse=True)) + r"):(\d+)\}\}")


def expand_example(template: str, seed: str) -> str:
    """Replace `{{alphabet:N}}` with N random characters of that alphabet (deterministic per seed),
    then `{{base64:TEXT}}` with the base64 encoding of TEXT; `{{+}}` joins the pieces around it
    (a provider's documented example key, such as AWS's, is written split so that no file holds
    a whole credential-shaped value).

    Every generated run contains at least one digit and one letter where the alphabet has both,
    so that entropy and "looks like an id" heuristics behave as with a real credential.
    """
    rng = random.Random(seed)

    def generate(m: re.Match[str]) -> str:
        alphabet, n = _ALPHABETS[m.group(1)], int(m.group(2))
        for _ in range(100):
            value = "".join(rng.choice(alphabet) for _ in range(n))
            has_digit = any(c.isdigit() for c in value) or not any(c.isdigit() for c in alphabet)
            has_alpha = any(c.isalpha() for c in value) or not any(c.isalpha() for c in alphabet)
            if has_digit and has_alpha:
                return value
        return value

    expanded = _GENERATOR_RE.sub(generate, template).replace(_JOIN, "")
    # `{{base64:TEXT}}`: TEXT (already expanded) base64-encoded, for credentials such as HTTP
    # Basic auth whose encoded form must decode to something meaningful.
    return _BASE64_RE.sub(lambda m: base64.b64encode(m.group(1).encode()).decode(), expanded)
