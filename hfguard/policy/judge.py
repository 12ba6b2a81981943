"""Policy: what is scanned, what is reported and what blocks.

For each match it answers, in this order: is the rule disabled or the value/path/field allowed by
the config ("config"), is there an allow pragma ("inline"), is it in the baseline ("baseline").
The first reason wins; a suppressed finding is still reported with `--show-suppressed`.

Inline pragmas (on the line, in any comment syntax):
    hfguard: allow                      every rule, this line
    hfguard: allow rule-a, rule-b       only these rules (anything after `--` is a comment)
    hfguard: allow-next-line [rules]    the line below
detect-secrets' `pragma: allowlist secret` / `pragma: allowlist nextline secret` and gitleaks'
`gitleaks:allow` are honoured too, so existing annotations keep working.

Notebooks: a reader sets `Chunk.allow_scope` to the text of the cell's source (plus the cell's
metadata tags, one a line). An `hfguard: allow [rules]` anywhere in it, or a tag `hfguard-allow`
(`hfguard-allow:rule-a,rule-b` to narrow), applies to the whole cell: source and outputs.
Pragmas are not read from data values (CSV cells, JSON values): data files are allowed by path
and field in the config (`[[tool.hfguard.allow]]`).
"""
from __future__ import annotations

import os
import re

from hfguard.masking import fingerprint as make_fingerprint
from hfguard.models import ChunkKind, Match, Severity
from hfguard.policy.baseline import Baseline, IdentityPaths
from hfguard.policy.config import AllowEntry, Config
from hfguard.policy.paths import field_matches, hub_repo_path, matches

_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_PRAGMA_RE = re.compile(
    r"hfguard:[ \t]*allow(?P<next>-next-line)?\b"
    r"(?P<rules>(?:(?:[ \t]*,[ \t]*|[ \t]+)" + _ID + r")*)"
)
_TAG_RE = re.compile(r"(?<![\w-])hfguard-allow(?::(?P<rules>[A-Za-z0-9_.,-]+))?(?![\w-])")
_FOREIGN_SAME_LINE = ("pragma: allowlist secret", "gitleaks:allow")
_FOREIGN_NEXT_LINE = ("pragma: allowlist nextline secret",)
_LINE_PRAGMA_KINDS = frozenset({ChunkKind.CODE, ChunkKind.PROSE, ChunkKind.METADATA})
PRAGMA_REACH = 4096  # characters read on each side of a match when looking for its pragma

# A pragma: (applies to the next line, rule ids it is narrowed to; empty: every rule).
_Pragma = tuple[bool, frozenset[str]]


def _ids(text: str) -> frozenset[str]:
    return frozenset(r.lower() for r in re.split(r"[\s,]+", text) if r)


def line_pragmas(line: str) -> list[_Pragma]:
    found: list[_Pragma] = []
    if "hfguard" in line:
        for m in _PRAGMA_RE.finditer(line):
            found.append((bool(m.group("next")), _ids(m.group("rules"))))
    if "allow" in line:
        if any(p in line for p in _FOREIGN_SAME_LINE):
            found.append((False, frozenset()))
        if any(p in line for p in _FOREIGN_NEXT_LINE):
            found.append((True, frozenset()))
    return found


def scope_pragmas(scope: str) -> list[_Pragma]:
    """Cell-wide pragmas: `hfguard: allow` lines (not -next-line) and `hfguard-allow` tags."""
    if "hfguard" not in scope:
        return []
    found = [p for p in line_pragmas(scope) if not p[0]]
    for m in _TAG_RE.finditer(scope):
        found.append((False, _ids((m.group("rules") or "").replace(",", " "))))
    return found


def _allows(pragmas: list[_Pragma], rule_id: str, next_line: bool) -> bool:
    rule = rule_id.lower()
    return any(nl == next_line and (not rules or rule in rules) for nl, rules in pragmas)


def inline_allowed(match: Match, scopes: dict[str, list[_Pragma]] | None = None) -> bool:
    """An allow pragma on the match's line(s), on the line before (allow-next-line), or in the
    notebook cell the chunk came from (chunk.allow_scope). `scopes` caches parsed cell scopes.

    Only PRAGMA_REACH characters around the match are read: a pragma sits in a comment next to
    the value, and a minified line of megabytes must not be re-read for every match on it."""
    chunk = match.chunk
    if chunk.kind in _LINE_PRAGMA_KINDS:
        text = chunk.text
        lo = max(0, match.start - PRAGMA_REACH)
        line_start = text.rfind("\n", lo, match.start) + 1 or lo
        hi = min(len(text), max(match.end, match.start) + PRAGMA_REACH)
        line_end = text.find("\n", max(match.end, match.start), hi)
        line = text[line_start : line_end if line_end >= 0 else hi]
        if _allows(line_pragmas(line), match.rule_id, next_line=False):
            return True
        if line_start > 0 and text[line_start - 1] == "\n":
            prev_lo = max(0, line_start - 1 - PRAGMA_REACH)
            prev_start = text.rfind("\n", prev_lo, line_start - 1) + 1 or prev_lo
            previous = text[prev_start : line_start - 1]
            if _allows(line_pragmas(previous), match.rule_id, next_line=True):
                return True
    scope = chunk.allow_scope
    if scope:
        if scopes is None:
            return _allows(scope_pragmas(scope), match.rule_id, next_line=False)
        parsed = scopes.get(scope)
        if parsed is None:
            if len(scopes) > 64:
                scopes.clear()
            parsed = scopes[scope] = scope_pragmas(scope)
        return _allows(parsed, match.rule_id, next_line=False)
    return False


class Policy:
    """Built once per process from the config and the baseline; caches per path."""

    def __init__(
        self,
        config: Config,
        baseline_fingerprints: frozenset[str] = frozenset(),
        baseline: Baseline | None = None,
    ) -> None:
        self.config = config
        self.baseline = baseline
        self.baseline_fingerprints = baseline_fingerprints
        self._identity = IdentityPaths()
        self._config_paths: dict[tuple[str, str], str] = {}
        self._allow_regexes = [re.compile(p) for p in config.allow_regexes]
        self._allow_paths = [re.compile(p) for p in config.allow_paths]
        self._stopwords = [w.lower() for w in config.allow_stopwords]
        self._disabled = frozenset(config.disable)
        self._baseline_index = baseline.index() if baseline is not None else {}
        self._baseline_keys: dict[str, str] = {}
        self._scopes: dict[str, list[_Pragma]] = {}
        skip = {baseline.path} if baseline is not None and baseline.path else set()
        self._skip_files = {os.path.abspath(p) for p in skip}

    # --- paths ------------------------------------------------------------------------------

    def fingerprint(self, rule_id: str, secret: str, path: str) -> str:
        """The finding's identity: stable across line moves and across how the path was named."""
        return make_fingerprint(rule_id, secret, self._identity(path))

    def config_path(self, path: str) -> str:
        """`path` relative to the config file's folder (no file: the current folder), for
        exclude/include/allow patterns; as named when it lies outside."""
        key = (os.getcwd(), path)
        cached = self._config_paths.get(key)
        if cached is None and (inner := hub_repo_path(path)) is not None:
            cached = self._config_paths[key] = inner  # a Hub repository's file: its path in the repo
        if cached is None:
            cached = os.path.normpath(path)
            absolute = os.path.abspath(path)
            # A relative path that is not on disk is a blob from git: already root-relative.
            if os.path.isabs(path) or os.path.lexists(absolute):
                rel = os.path.relpath(absolute, self.config.root or key[0])
                if rel != ".." and not rel.startswith(".." + os.sep):
                    cached = rel
            cached = cached.replace(os.sep, "/")
            self._config_paths[key] = cached
        return cached

    def skips_path(self, path: str) -> bool:
        """The baseline file itself: its hashes look like keys. (exclude/include are applied by
        the sources, which know what their paths are relative to: walk, git, uploads.)"""
        return bool(self._skip_files) and os.path.abspath(path) in self._skip_files

    # --- findings ---------------------------------------------------------------------------

    def wanted(self, match: Match) -> bool:
        """Only the categories the config runs are reported at all."""
        return match.category in self.config.categories

    def _allowed_by_entry(self, entry: AllowEntry, match: Match, rel: str) -> bool:
        if entry.rules and match.rule_id not in entry.rules:
            return False
        if entry.categories and match.category not in entry.categories:
            return False
        if entry.field is not None:
            field = match.chunk.field
            if field is None or not field_matches(field, entry.field):
                return False
        return matches(rel, (entry.path,))

    def config_allowed(self, match: Match, path: str) -> bool:
        if match.rule_id in self._disabled:
            return True
        value = match.secret
        if self._stopwords:
            lowered = value.lower()
            if any(w in lowered for w in self._stopwords):
                return True
        if any(r.search(value) for r in self._allow_regexes):
            return True
        if self._allow_paths or self.config.allow:
            rel = self.config_path(path)
            if any(r.search(rel) for r in self._allow_paths):
                return True
            if any(self._allowed_by_entry(e, match, rel) for e in self.config.allow):
                return True
        return False

    def in_baseline(self, rule_id: str, path: str, fingerprint: str) -> bool:
        if fingerprint in self.baseline_fingerprints:
            return True
        if self.baseline is None:
            return False
        hashes = self._baseline_index.get((rule_id, self._identity(path)))
        if not hashes:
            return False
        key = self._baseline_keys.get(fingerprint)
        if key is None:
            key = self._baseline_keys[fingerprint] = self.baseline.hashing.key(fingerprint)
        return key in hashes

    def suppression(self, match: Match, path: str, fingerprint: str) -> str | None:
        """Why this finding does not count ("config", "inline", "baseline"), or None."""
        if self.config_allowed(match, path):
            return "config"
        if inline_allowed(match, self._scopes):
            return "inline"
        if self.in_baseline(match.rule_id, path, fingerprint):
            return "baseline"
        return None

    def blocks(self, severity: Severity) -> bool:
        return severity.rank >= self.config.fail_on.rank
