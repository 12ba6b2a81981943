"""Masked previews and irreversible fingerprints: the only forms of a secret hfguard shows."""
from __future__ import annotations

import hashlib

_ELLIPSIS = "\u2026"


def mask(secret: str) -> str:
    """Show at most a short prefix and suffix: `hf_W…k3Qz`.

    Short values show less (a 10-character password shows 2 + 2), values under 8 characters
    show nothing but their length class.
    """
    value = " ".join(secret.split())  # no newlines in previews
    n = len(value)
    if n < 8:
        return "*" * min(n, 6) if n else ""
    keep_start = 4 if n >= 24 else 3 if n >= 14 else 2
    keep_end = 4 if n >= 24 else 2
    return value[:keep_start] + _ELLIPSIS + value[-keep_end:]


def secret_hash(secret: str) -> str:
    """A salted, one-way hash of the value (never reversible, stable across runs)."""
    return hashlib.sha256(b"hfguard:v1:" + secret.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(rule_id: str, secret: str, path: str | None = None) -> str:
    """Identity of a finding: rule + hash of value (+ path when given). Stable across line moves."""
    parts = [rule_id, secret_hash(secret)]
    if path is not None:
        parts.append(path)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
