"""gitignore-style path patterns, for `exclude`, `include` and `[[allow]] path` in the config.

The subset of gitignore(5) that people write:

- `/` separates folders. A pattern with a `/` at the start or in the middle is anchored to the
  root (the folder of the config file); otherwise it matches a name at any depth (`*.csv`, `build`).
- A trailing `/` matches folders only, and so everything under them: `data/`.
- `*` matches anything but `/`; `?` one character but `/`; `[a-z]`, `[!a-z]` a character class.
- `**/` at the start and `/**/` in the middle match any number of folders, zero included; a
  trailing `/**` matches everything inside. Other runs of `*` act as one `*`.
- `!pattern` re-includes what an earlier pattern matched: the last pattern that matches wins. As
  in git, a file inside an excluded folder cannot be re-included.
- `\\` makes the next character literal.

A path matches when the patterns match it or one of the folders it is in. Paths use `/`; a path
that ends with `/` is a folder.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class PatternError(ValueError):
    """A pattern that cannot be used (empty, or a lone `!`)."""


@dataclass(frozen=True)
class _Pattern:
    negate: bool
    dir_only: bool
    regex: re.Pattern[str]


def _char_class(body: str, i: int) -> tuple[str, int] | None:
    """Translate the class that starts at body[i] == '['; None when it is not closed."""
    j = i + 1
    if j < len(body) and body[j] in "!^":
        j += 1
    if j < len(body) and body[j] == "]":
        j += 1
    while j < len(body) and body[j] != "]":
        j += 1
    if j >= len(body):
        return None
    inner = body[i + 1 : j]
    negate = inner[:1] in ("!", "^")
    if negate:
        inner = inner[1:]
    escaped = "".join(c if c == "-" else re.escape(c) for c in inner)
    return "(?!/)[" + ("^" if negate else "") + escaped + "]", j + 1


def _translate(body: str) -> str:
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "*":
            if body.startswith("**", i) and (i == 0 or body[i - 1] == "/"):
                j = i + 2
                if j == n:  # trailing `**`: everything inside
                    out.append(".*")
                    i = j
                    continue
                if body[j] == "/":  # `**/`: zero or more folders
                    out.append("(?:[^/]*/)*")
                    i = j + 1
                    continue
            while i < n and body[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            translated = _char_class(body, i)
            if translated is not None:
                out.append(translated[0])
                i = translated[1]
                continue
            out.append(re.escape(c))
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(body[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def compile_pattern(pattern: str) -> _Pattern:
    body = pattern.strip()
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    dir_only = body.endswith("/") and not body.endswith("\\/")
    body = body.rstrip("/") if dir_only else body
    if not body:
        raise PatternError(f"empty pattern {pattern!r}")
    anchored = "/" in body
    body = body.lstrip("/")
    if not body:
        raise PatternError(f"pattern {pattern!r} matches nothing")
    prefix = "" if anchored else "(?:.*/)?"
    return _Pattern(negate, dir_only, re.compile("^" + prefix + _translate(body) + "$", re.DOTALL))


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[_Pattern, ...]:
    return tuple(compile_pattern(p) for p in patterns)


def _decide(compiled: tuple[_Pattern, ...], path: str, is_dir: bool) -> bool:
    matched = False
    for p in compiled:
        if p.dir_only and not is_dir:
            continue
        if p.regex.match(path):
            matched = not p.negate
    return matched


def matches(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """True when `path` (relative, `/`-separated; a trailing `/` marks a folder) or a folder it
    is in is matched by the patterns."""
    if not patterns:
        return False
    compiled = _compiled(tuple(patterns))
    is_dir = path.endswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for i in range(1, len(parts) + 1):
        if _decide(compiled, "/".join(parts[:i]), i < len(parts) or is_dir):
            return True
    return False


def field_matches(field: str, pattern: str) -> bool:
    """A data field (CSV column, JSON key path such as `users[3].email`) against a pattern where
    only `*` is special (any characters): `email`, `users[*].email`, `*.phone`."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, field, re.DOTALL) is not None
