"""Is a matched value a placeholder, a reference or filler rather than a credential?

detect-secrets' heuristics plus our own."""
from __future__ import annotations

import re

# Values that are references, not literals: templates, env look-ups, shell/CI variables.
_REFERENCE_RE = re.compile(
    r"""^(?:\$\{?[\w.:-]+\}?|\{\{.*\}\}|<[^<>]{1,64}>|%\([\w]+\)s|%[\w]+%|\$\([\w\s-]+\))$"""
)


def looks_like_placeholder(secret: str, line: str) -> bool:
    """detect-secrets' heuristics plus our own for template references and filler runs."""
    from detect_secrets.filters import heuristic

    core = secret.strip("'\"`")
    if _REFERENCE_RE.match(core):
        return True
    if heuristic.is_templated_secret(core) or heuristic.is_sequential_string(core):
        return True
    # Filler: one character (or a two-character pattern) making up most of the value.
    body = re.sub(r"^[A-Za-z]{2,12}[_-]", "", core)  # drop a provider prefix such as hf_ / sk-
    if body and _dominant_share(body) >= 0.6:
        return True
    return False


def _dominant_share(value: str) -> float:
    lowered = value.lower()
    top = max(lowered.count(c) for c in set(lowered))
    return top / len(lowered)
