"""Checksum validators a rule can name (`validator = "luhn"`). Registry: VALIDATORS."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

from hfguard.secrets.heuristics import looks_like_placeholder, repeated_chunks
from hfguard.secrets.tokenefficiency import chars_per_token, looks_like_words, looks_random


def shannon_entropy(value: str) -> float:
    """Bits per character (same definition detect-secrets and gitleaks use)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


def luhn_checksum_ok(digits: str) -> bool:
    """The Luhn mod-10 check over a string of digits (cards, NPI, IMEI)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return len(digits) >= 12 and luhn_checksum_ok(digits)


def iban(value: str) -> bool:
    compact = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _b64_json(segment: str) -> object:
    import base64
    import json

    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None


def jwt(value: str) -> bool:
    """A JWT whose header decodes to JSON with an `alg` field and whose payload is JSON.

    Tokens that are public by design (Supabase `anon` keys) do not count.
    """
    parts = value.split(".")
    if len(parts) < 3:
        return False
    header, payload = _b64_json(parts[0]), _b64_json(parts[1])
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return False
    return payload.get("role") != "anon"


def not_placeholder_digits(value: str) -> bool:
    """Reject runs of one repeated digit or a plain ascending sequence."""
    digits = "".join(c for c in value if c.isdigit())
    return len(set(digits)) > 2 and digits not in "01234567890123456789"


# --- credential-shaped values (generic rules) ------------------------------------------------

_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Code rather than a literal: a call, a dotted attribute path, a CONSTANT_NAME, string concatenation.
_CALL_RE = re.compile(r"^[A-Za-z_$][\w.$]*\(.*\)?$")
_DOTTED_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+$")
_CONSTANT_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_SELECTOR_RE = re.compile(r"^[#.][a-z]+(?:-[a-z]+)+$")  # CSS selector: #add-password
# Paths are lower-case words; a base64 secret that happens to hold a `/` is mixed case.
_PATH_RE = re.compile(
    r"^(?:~?/|\.{1,2}/)[a-z0-9_.@:#-]+(?:/[a-z0-9_.@:#-]+)*/?$"
    r"|^[a-z0-9_.@:#-]+(?:/[a-z0-9_.@:#-]+)+/?$|^[A-Za-z]:\\"
)
_FILE_RE = re.compile(
    r"^[\w./~-]+\.(?:json|pem|key|p12|pfx|crt|cer|txt|ya?ml|env|ini|cfg|conf|toml|py|js|ts|sh)$",
    re.IGNORECASE,
)
_PROSE_WORD_RE = re.compile(r"(?i)\b(?:password|passwd|secret|token|key|credentials?)\b")
_CODE_CHARS = frozenset("[]{}()\\ <>|^$*")
_IDENTIFIER_RE = re.compile(r"^[a-z0-9]*[a-z]{3}[a-z0-9]*(?:[_./-][a-z0-9]+){2,}$")
_PLAIN_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_PARTS_RE = re.compile(r"[_-]")
# Random alphanumeric values of 20-40 characters: 1.3-1.5 characters per token at the median, 1.67
# at the 99th percentile of 2,000 draws; identifiers and CONSTANT_NAMES compress to 2 and more.
RANDOM_PLAIN_BELOW = 1.7
RANDOM_LETTERS_BELOW = 1.9  # random mixed-case letters, 20-40: 1.45 median, 1.82 at the 99th percentile; CamelCase names 3 and more
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]{1,20}:(?://|[a-z])", re.IGNORECASE)


def password_value(value: str) -> bool:
    """A literal that could be a password: not code, not a path, URL, selector or prose."""
    v = value.strip()
    if len(v) < 4 or v.count(" ") >= 2:
        return False
    if v[0] in "+,." and not _SELECTOR_RE.match(v) or v[-1] in "+(,;)":
        return False  # code: a string concatenation "..." + x + "...", a call argument `x,`
    spaced = v.replace("%20", " ").replace("+", " ") if "%20" in v else v
    if " " in spaced and _PROSE_WORD_RE.search(spaced):
        return False  # "deleted password", "a secret", "Invalid token": words about a secret
    if _DOTTED_RE.match(v) and not any(c.isdigit() for c in v):
        return False  # config.password, env.DB_PASSWORD
    for pattern in (_CALL_RE, _CONSTANT_RE, _SELECTOR_RE, _PATH_RE, _FILE_RE, _URL_RE):
        if pattern.match(v):
            return False
    return True


def secret_value(value: str) -> bool:
    """A password-like literal with some randomness: a digit or a symbol, or long mixed case.

    Filters names of things (`db-credentials`, `my_secret_name`) that `secret = ...` often holds.
    """
    v = value.strip()
    if not password_value(v) or len(v) < 8 or " " in v:
        return False
    if _UUID_RE.match(v):
        return random_uuid(v)
    if repeated_chunks(v):
        return False  # c0ffee00c0ffee00..., AbCd1234AbCd1234...: typed filler
    has_digit = any(c.isdigit() for c in v)
    has_symbol = any(not c.isalnum() and c not in "-_." for c in v)
    mixed = any(c.isupper() for c in v) and any(c.islower() for c in v)
    if not (has_digit or has_symbol or (mixed and len(v) >= 16) or (len(v) >= 24 and shannon_entropy(v) >= 4.0)):
        return False
    # Last, as the tokenizer is loaded on first use: words, a name or typed filler
    # (`signupgeniusACCESS`, `abcdef123456abcdef...`) are not a secret.
    return len(v) < 16 or not looks_like_words(v)


def token_value(value: str) -> bool:
    """A token-shaped literal: at least 12 characters, letters and digits, some entropy."""
    v = value.strip()
    if not secret_value(v) or len(v) < 12 or any(c in _CODE_CHARS for c in v):
        return False  # a regex, a format string or code, not a token
    return letters_and_digits(v) and shannon_entropy(v) >= 3.0


def letters_and_digits(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def high_entropy(value: str) -> bool:
    """detect-secrets' entropy plugins: hex above 3.0 bits per character, base64 above 4.3
    (less for strings shorter than 32 characters, whose entropy cannot reach it)."""
    v = value.strip().rstrip("=")
    if len(v) < 20 or _UUID_RE.match(v) or repeated_chunks(v):
        return False
    if not letters_and_digits(v):
        # Letters only: random mixed case (Atlassian's 24-letter tokens) does not compress,
        # CamelCase names and words do.
        return (
            v.isalpha() and not v.islower() and not v.isupper() and shannon_entropy(v) >= 3.8
            and chars_per_token(v) < RANDOM_LETTERS_BELOW
        )
    if _IDENTIFIER_RE.match(v):
        return False  # snake_case / dotted / kebab-case names: sodium_crypto_secretstream_keygen
    entropy = shannon_entropy(v)
    if _HEX_RE.match(v):
        by_entropy = len(v) >= 32 and entropy > 3.0  # shorter hex: object ids, short hashes
    else:
        by_entropy = entropy > min(4.3, math.log2(len(v)) - 0.5)
    # Token efficiency (tokenefficiency.py) beside entropy, after the cheap checks (the tokenizer
    # is loaded on first use): a value a BPE vocabulary compresses well is words or filler however
    # varied its characters; a plain alphanumeric one it cannot compress is random even where a
    # short sample's entropy falls under the bar (about half of random 32-character alphanumeric
    # values do).
    if not by_entropy and not (
        entropy >= 3.2 and _PLAIN_TOKEN_RE.match(v) is not None and not _CONSTANT_RE.match(v)
    ):
        return False
    if "_" in v or "-" in v:
        # An identifier made mostly of words: XXH3_initCustomSecret_avx512 (a vendor's prefix
        # before a random body, codemagic_<40 random>, is a token).
        parts = _PARTS_RE.split(v)
        worded = sum(len(part) for part in parts if len(part) >= 6 and looks_like_words(part))
        if len(parts) <= 4 and 2 * worded >= len(v):
            return False
    if by_entropy:
        if _DOTTED_RE.match(v) and chars_per_token(v) >= RANDOM_PLAIN_BELOW:
            return False  # an attribute path: mlkem.MLKEM768PrivateKey (a JWT's parts do not compress)
        return not looks_like_words(v)
    return chars_per_token(v) < RANDOM_PLAIN_BELOW


def random_uuid(uuid: str) -> bool:
    """A UUID (matched by _UUID_RE) drawn at random, which under a secret's name is a key (Heroku,
    HubSpot and others issue them): one the BPE vocabulary does not compress, and not a
    placeholder (the documented `123e4567-e89b-...`, repeated or sequential groups: heuristics),
    which often does not compress either (1.0-1.8 characters per token)."""
    return looks_random(uuid) and not looks_like_placeholder(uuid) and not repeated_chunks(uuid)


def token_or_uuid(value: str) -> bool:
    """high_entropy, or a UUID drawn at random (not a typed or documented one): what a key named
    after its service looks like (`blocknative_key=<uuid>`, `coinapi ACCESS <uuid>`)."""
    v = value.strip()
    if _UUID_RE.match(v):
        return random_uuid(v)
    return high_entropy(v)


def _b64decode(value: str) -> bytes:
    """Standard base64, padding optional; ValueError (binascii.Error) when it is not base64."""
    import base64

    return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)


def basic_auth(value: str) -> bool:
    """HTTP Basic credentials: base64 of printable `user:password`."""
    try:
        decoded = _b64decode(value).decode("utf-8")
    except ValueError:  # not base64, or not UTF-8 (UnicodeDecodeError)
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and len(password) >= 3 and decoded.isprintable())


def base64_secret(value: str) -> bool:
    """A base64 value (a Kubernetes Secret's data) that decodes to a credential-like value: key
    material, or text that is not empty, a reference or a placeholder."""
    try:
        raw = _b64decode(value)
    except ValueError:
        return False
    if len(raw) < 4:
        return False
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return len(raw) >= 16  # binary: key material
    return len(text) >= 4 and text.isprintable() and not looks_like_placeholder(text)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": luhn,
    "iban": iban,
    "jwt": jwt,
    "digits": not_placeholder_digits,
    "password": password_value,
    "secret": secret_value,
    "token": token_value,
    "letters-digits": letters_and_digits,
    "high-entropy": high_entropy,
    "token-or-uuid": token_or_uuid,
    "basic-auth": basic_auth,
    "base64-secret": base64_secret,
}

# Validators whose rules find values by entropy alone: skipped where a reader marks text as
# benign but random-looking (Chunk.no_entropy, e.g. tokenizer vocabularies).
ENTROPY_ONLY_VALIDATORS = frozenset({"high-entropy", "token-or-uuid"})
