"""gitignore-style path patterns, for `exclude`, `include` and `[[allow]] path` in the config.

The patterns are gitignore(5) patterns, matched by `pathspec`'s `GitIgnoreSpec` (the
gitwildmatch implementation black and many linters use), relative to the folder of the config
file: `*.csv` at any depth, `/data/` anchored, `data/` folders only, `**/`, `!re-include` (the
last matching pattern wins; as in git, a file inside an excluded folder cannot be re-included).

A path matches when the patterns match it or one of the folders it is in. Paths use `/`; a path
that ends with `/` is a folder.

`field_matches` (CSV columns, JSON key paths) is ours: key paths such as `users[3].email` are
not file paths, and there only `*` is special.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where patterns are compiled: a scan without patterns spares ~7 ms
    import pathspec


class PatternError(ValueError):
    """A pattern that cannot be used (empty, a lone `!`, or not a valid gitignore pattern)."""


def compile_pattern(pattern: str) -> pathspec.GitIgnoreSpec:
    """Check one pattern; raises PatternError when it cannot be used."""
    body = pattern.strip()
    if not body or body.lstrip("!").strip("/") == "":
        raise PatternError(f"pattern {pattern!r} matches nothing")
    import pathspec

    try:
        spec = pathspec.GitIgnoreSpec.from_lines([body])
    except ValueError as exc:  # pathspec's pattern errors are ValueErrors
        raise PatternError(f"pattern {pattern!r}: {exc}") from None
    if not spec.patterns or getattr(spec.patterns[0], "include", None) is None:
        raise PatternError(f"pattern {pattern!r} matches nothing")
    return spec


@functools.lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([p.strip() for p in patterns])


def matches(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """True when `path` (relative, `/`-separated; a trailing `/` marks a folder) or a folder it
    is in is matched by the patterns."""
    if not patterns:
        return False
    spec = _spec(tuple(patterns))
    is_dir = path.endswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    # Folders first, outermost first: an excluded folder excludes everything in it (git does not
    # look inside an ignored folder, so nothing inside can be re-included).
    for i in range(1, len(parts) + 1):
        folder = i < len(parts) or is_dir
        if spec.match_file("/".join(parts[:i]) + ("/" if folder else "")):
            return True
    return False


def field_matches(field: str, pattern: str) -> bool:
    """A data field (CSV column, JSON key path such as `users[3].email`) against a pattern where
    only `*` is special (any characters): `email`, `users[*].email`, `*.phone`."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, field, re.DOTALL) is not None


def hub_repo_path(path: str) -> str | None:
    """For a file of a Hub repository as the report names it (`hf://datasets/ORG/NAME@REV/a/b.csv`,
    see sources/hf.py), its path inside the repository (`a/b.csv`): what config patterns and
    baseline entries match, whatever revision was scanned. None for any other path."""
    if not path.startswith("hf://"):
        return None
    at, rest = path[len("hf://"):].partition("@")[1:]
    if not at or "/" not in rest:
        return None
    return rest.split("/", 1)[1]
