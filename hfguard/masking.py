"""Masked previews and irreversible fingerprints: the only forms of a secret hfguard shows.

Also the two guards every output goes through: `redact` (a value found in a file never appears
in full in any other field of its finding, such as a JSON key path or a CSV column name) and
`printable` (text from scanned files cannot drive the terminal: no escape sequences, carriage
returns, bidi overrides or undecodable bytes reach the text report).
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable

_ELLIPSIS = "\u2026"
MAX_SHOWN = 8  # characters of a value ever shown (prefix + suffix), however long it is
SHORT = 8  # values shorter than this show nothing but stars


def mask(secret: str) -> str:
    """Show at most a short prefix and suffix: `hf_W…k3Qz`.

    At most a quarter of the characters (and never more than 8) are shown, half at each end: a
    9-character password shows `h…x`, a 16-character one `ab…yz`, a 37-character token 4 + 4.
    Values under 8 characters show only stars.
    """
    value = printable(" ".join(secret.split()), replacement="?")  # no newlines or escapes
    n = len(value)
    if n < SHORT:
        return "*" * min(n, 6) if n else ""
    shown = min(MAX_SHOWN, n // 4)
    keep_start = (shown + 1) // 2
    keep_end = shown // 2
    return value[:keep_start] + _ELLIPSIS + (value[-keep_end:] if keep_end else "")


def longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """Distinct values, longest first (so a value inside a longer one is not masked first)."""
    return tuple(sorted(set(secrets), key=len, reverse=True))


def redact(text: str | None, secrets: Iterable[str]) -> str | None:
    """`text` with every occurrence of each secret replaced by its masked preview."""
    return redact_ordered(text, longest_first(secrets))


def redact_ordered(text: str | None, ordered: tuple[str, ...]) -> str | None:
    """redact() for values already ordered by longest_first(): sort once, redact many fields."""
    if not text:
        return text
    for secret in ordered:
        if len(secret) >= 4 and secret in text:
            text = text.replace(secret, mask(secret))
    return text


def printable(text: str, replacement: str | None = None) -> str:
    """Text safe to print on a terminal: control, format (bidi), surrogate and other
    non-printable characters become `\\xNN`/`\\uNNNN` escapes (or `replacement`)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif replacement is not None:
            out.append(replacement)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


# Fingerprints appear in JSON/SARIF reports, which get uploaded (code scanning) and shared. A fast
# hash of a short value (an SSN, a phone number, a weak password) could be reversed by trying every
# candidate, so the value goes through scrypt (memory-hard, ~2 ms) salted with the rule and path.
_SCRYPT_N, _SCRYPT_R = 1024, 8


@functools.lru_cache(maxsize=65536)
def fingerprint(rule_id: str, secret: str, path: str | None = None) -> str:
    """Identity of a finding: rule + slow hash of the value (+ path when given).

    Stable across runs and line moves; never reversible by enumerating short values cheaply.
    """
    salt = "\0".join(["hfguard-fp-v2", rule_id, path if path is not None else ""]).encode("utf-8", "surrogatepass")
    digest = hashlib.scrypt(
        secret.encode("utf-8", "surrogatepass"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=1, dklen=16
    )
    return digest.hex()
