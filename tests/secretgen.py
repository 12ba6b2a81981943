"""Build realistic-looking test credentials at run time, from parts, so none is committed.

Deterministic per name, so failures are reproducible.
"""
from __future__ import annotations

import random
import string

_ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "alpha": string.ascii_letters,
    "upper": string.ascii_uppercase,
    "upperdigits": string.ascii_uppercase + string.digits,
    "base32": string.ascii_uppercase + "234567",
    "lowerdigits": string.ascii_lowercase + string.digits,
    "hex": "0123456789abcdef",
    "digits": string.digits,
    "b64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "-_",
}


def rand(alphabet: str, n: int, seed: str = "") -> str:
    """n random characters of a named alphabet, with at least one digit and one letter if possible."""
    chars = _ALPHABETS[alphabet]
    rng = random.Random(f"{alphabet}:{n}:{seed}")
    while True:
        value = "".join(rng.choice(chars) for _ in range(n))
        need_digit = any(c.isdigit() for c in chars)
        need_alpha = any(c.isalpha() for c in chars)
        if (not need_digit or any(c.isdigit() for c in value)) and (not need_alpha or any(c.isalpha() for c in value)):
            return value


def hf_token(seed: str = "") -> str:
    return "hf" + "_" + rand("alpha", 34, seed)


def aws_key_id(seed: str = "") -> str:
    return "AK" + "IA" + rand("base32", 16, seed)  # AWS key ids are base32


def aws_secret(seed: str = "") -> str:
    return rand("b64", 40, seed)


def github_pat(seed: str = "") -> str:
    return "gh" + "p_" + rand("alnum", 36, seed)


def openai_key(seed: str = "") -> str:
    return "sk-" + "proj-" + rand("b64url", 58, seed) + "T3Blbk" + "FJ" + rand("b64url", 58, seed + "2")
