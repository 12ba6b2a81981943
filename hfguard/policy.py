"""Policy: what blocks. Severity threshold, disabled rules, inline allow pragmas, config allowlists
and the baseline. Returns the reason a finding is suppressed, or None."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfguard.config import Config
from hfguard.models import Chunk, Match, Severity
from hfguard.walk import matches_any

# `hfguard: allow`, `hfguard: allow rule-a, rule-b`, `hfguard: allow-next-line [rules]`.
# detect-secrets' and gitleaks' pragmas are honoured too, so existing annotations keep working.
_PRAGMA_RE = re.compile(
    r"hfguard:\s*allow(?P<next>-next-line)?(?P<rules>(?:[ \t]+[a-z0-9][a-z0-9-]*(?:[ \t]*,[ \t]*[a-z0-9][a-z0-9-]*)*)?)",
)
_FOREIGN_PRAGMAS = ("pragma: allowlist secret", "gitleaks:allow")


@dataclass(frozen=True)
class _Pragma:
    next_line: bool
    rules: frozenset[str]  # empty: every rule


def _pragmas(line: str) -> list[_Pragma]:
    found = []
    if "hfguard" in line:
        for m in _PRAGMA_RE.finditer(line):
            rules = frozenset(r.strip() for r in m.group("rules").split(",") if r.strip())
            found.append(_Pragma(bool(m.group("next")), rules))
    if any(p in line for p in _FOREIGN_PRAGMAS):
        found.append(_Pragma(False, frozenset()))
    return found


def _allowed_by(pragmas: list[_Pragma], rule_id: str, next_line: bool) -> bool:
    return any(p.next_line == next_line and (not p.rules or rule_id in p.rules) for p in pragmas)


def inline_allowed(match: Match) -> bool:
    """An allow pragma on the match's line, on the line before (allow-next-line), or anywhere in
    the notebook cell the chunk came from (chunk.allow_scope)."""
    chunk: Chunk = match.chunk
    text = chunk.text
    line_start = text.rfind("\n", 0, match.start) + 1
    line_end = text.find("\n", match.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if _allowed_by(_pragmas(line), match.rule_id, next_line=False):
        return True
    if line_start > 0:
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        if _allowed_by(_pragmas(text[prev_start : line_start - 1]), match.rule_id, next_line=True):
            return True
    if chunk.allow_scope and "allow" in chunk.allow_scope:
        scope = _pragmas(chunk.allow_scope)
        if _allowed_by(scope, match.rule_id, next_line=False):
            return True
    return False


@dataclass
class Policy:
    config: Config
    baseline_fingerprints: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self._allow_regexes = [re.compile(p) for p in self.config.allow_regexes]
        self._stopwords = [w.lower() for w in self.config.allow_stopwords]

    def suppression(self, match: Match, path: str, fingerprint: str) -> str | None:
        if match.rule_id in self.config.disable:
            return "config"
        if self.config.allow_paths and matches_any(path, self.config.allow_paths):
            return "config"
        lowered = match.secret.lower()
        if any(w in lowered for w in self._stopwords) or any(r.search(match.secret) for r in self._allow_regexes):
            return "config"
        if inline_allowed(match):
            return "inline"
        if fingerprint in self.baseline_fingerprints:
            return "baseline"
        return None

    def blocks(self, severity: Severity) -> bool:
        return severity.rank >= self.config.fail_on.rank
