"""Is a matched value a placeholder, a reference or filler rather than a credential?

detect-secrets' heuristics plus our own. Applied to every `secret` rule after its regex,
entropy, validator and allowlists (see engine._keep). A real credential is random: it is not a
template reference, not a dictionary placeholder, not one character repeated, and it does not
contain a long run of the alphabet or of the digits.
"""
from __future__ import annotations

import re
from itertools import pairwise

# Values that are references, not literals: templates, env look-ups, shell/CI variables,
# printf-style format specifiers.
_REFERENCE_RE = re.compile(
    r"""^(?:\$\{?[\w.:-]+\}?|\{\{.*\}\}|<[^<>]{1,64}>|%\([\w]+\)s|%[\w]+%|\$\([\w\s.-]+\)"""
    r"""|%[sdr]|\{[\w.\[\]'"-]{0,40}\}|&lt;.*&gt;|\[[\w .'-]{1,64}\])$"""
)

# Markers of templating anywhere in the value (Jinja, shell, Ruby, ERB, HTML-escaped angle
# brackets, Python %-format, <placeholder>). A random credential never contains them.
_TEMPLATE_MARKERS = ("${", "{{", "}}", "#{", "<%", "&lt;", "&gt;")
_PERCENT_FORMAT_RE = re.compile(r"%\(\w+\)[sdr]|<[\w .|-]{1,40}>")  # %(name)s, <secret>
# `$name`: a shell / PHP / Perl variable (not a crypt hash such as $2b$12$..., $krb5asrep$...).
_DOLLAR_VARIABLE_RE = re.compile(r"^\$(?!krb5|y\$)[A-Za-z_]")

# Whole values that stand for "put your secret here", or are a type name or a keyword.
_PLACEHOLDER_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase", "pw", "token", "apikey", "api_key",
        "api-key", "key", "secret_key", "secretkey", "access_key", "accesskey", "private_key",
        "privatekey", "client_secret", "credentials", "none", "null", "nil", "true", "false",
        "undefined", "required", "optional", "string", "str", "bytes", "int", "integer", "bool",
        "boolean", "number", "object", "any", "text", "hidden", "value", "default", "empty", "unknown",
        "unset", "notset", "not-set", "not_set", "n/a", "na", "tbd", "todo", "fixme", "redacted",
        "masked", "hunter2", "changeit", "letmein", "mypassword", "my_password", "mypass", "my_pass",
        "mysecret", "my_secret", "mytoken", "my_token", "myapikey", "my_api_key", "mykey", "my_key",
        "secret_access_key", "aws_secret_access_key", "access_key_id", "secret_key_here",
    }
)

_PROVIDER_PREFIX_RE = re.compile(r"^[A-Za-z]{2,12}[_-]")
# The UUID of RFC 4122's and most documentation's examples (and its variants in the last group).
_EXAMPLE_UUID_RE = re.compile(r"^123e4567-e89b-12d3-a456-4266141\w{5}$", re.IGNORECASE)
_ALTERNATING_RE = re.compile(r"(?:[a-z][0-9]){4}|(?:[0-9][a-z]){4}")
# Anonymous FTP's password by convention (RFC 1635): the user's address, or a bare `name@`
# (`guest@`, wget's `-wget@`); a word and an at sign, nothing to keep secret.
_ANONYMOUS_FTP_RE = re.compile(r"^-?[a-z]{2,20}@$")


def looks_like_placeholder(secret: str) -> bool:
    """detect-secrets' heuristics plus our own for template references and filler runs.

    detect-secrets' two are asked last, and imported only then: its package imports its plugins
    and with them `requests` and `urllib3` (~45 ms before the first file, the largest import of
    a secrets scan); a candidate our own checks call a placeholder (all of them on the 32 MB
    bench tree) never needs them. The answer is the same in any order (any check says yes)."""
    core = secret.strip("'\"` \t")
    if not core:
        return True
    if _REFERENCE_RE.match(core):
        return True
    if any(marker in core for marker in _TEMPLATE_MARKERS) or _PERCENT_FORMAT_RE.search(core):
        return True
    if _DOLLAR_VARIABLE_RE.match(core):
        return True
    lowered = core.lower()
    if lowered in _PLACEHOLDER_WORDS or lowered.startswith("your"):
        return True
    if _EXAMPLE_UUID_RE.match(core) or _ANONYMOUS_FTP_RE.match(core):
        return True
    # Filler: one character (or two) making up most of the value, after a provider prefix such
    # as hf_ / sk- / xoxb-.
    body = _PROVIDER_PREFIX_RE.sub("", core)
    if body and _dominant_share(body) >= 0.6:
        return True
    if len(body) >= 12 and _top_two_share(body) >= 0.8:
        return True
    if repeated_groups(body):
        return True
    if has_sequential_run(core) or has_interleaved_run(core):
        return True
    from detect_secrets.filters import heuristic

    return bool(heuristic.is_templated_secret(core) or heuristic.is_sequential_string(core))


def _dominant_share(value: str) -> float:
    lowered = value.lower()
    top = max(lowered.count(c) for c in set(lowered))
    return top / len(lowered)


def _top_two_share(value: str) -> float:
    lowered = value.lower()
    counts = sorted((lowered.count(c) for c in set(lowered)), reverse=True)
    return sum(counts[:2]) / len(lowered)


def has_sequential_run(value: str, letters: int = 7, digits: int = 8) -> bool:
    """`abcdefg`, `12345678`, `87654321`: typed by a person, never drawn at random.

    Digit runs need one more character: people do pick passwords such as `Summer1234567`."""
    lowered = value.lower()
    run, step = 1, 0
    for prev, cur in pairwise(lowered):
        delta = ord(cur) - ord(prev)
        if delta in (1, -1) and prev.isalnum() and cur.isalnum() and prev.isdigit() == cur.isdigit():
            run, step = (run + 1, step) if run > 1 and delta == step else (2, delta)
            if run >= (digits if cur.isdigit() else letters):
                return True
        else:
            run, step = 1, 0
    return False


def has_interleaved_run(value: str, pairs: int = 4) -> bool:
    """`a1b2c3d4`, `1a2b3c4d`, `Z1Y2X3W4`: two interleaved sequences, a typed placeholder."""
    lowered = value.lower()
    width = 2 * pairs
    if not _ALTERNATING_RE.search(lowered):
        return False
    for i in range(len(lowered) - width + 1):
        window = lowered[i : i + width]
        if not window.isalnum():
            continue
        if _is_sequence(window[0::2]) and _is_sequence(window[1::2]):
            return True
    return False


def _is_sequence(chars: str) -> bool:
    deltas = {ord(b) - ord(a) for a, b in pairwise(chars)}
    return len(deltas) == 1 and deltas <= {1, -1}


def repeated_groups(value: str, min_length: int = 12, mean_run: float = 3.0) -> bool:
    """`11111222223333344444555556666677`, `aaaabbbbcccc1111`: runs of one repeated character
    make up the value (random text has runs of ~1 character)."""
    if len(value) < min_length:
        return False
    runs = 1 + sum(1 for prev, cur in pairwise(value) if prev != cur)
    return len(value) / runs >= mean_run


def repeated_chunks(value: str, min_length: int = 16, max_distinct: float = 0.5) -> bool:
    """`deadbeef-dead-beef-dead-beefdeadbeef`, `1234abcd1234abcd1234abcd`: a few chunks typed
    again and again. Over its letters and digits, at most half the 4-character windows of the
    value are distinct; in a random value of 16 or more characters nearly all of them are (none
    of 300,000 random hex, base64url and alphanumeric values of 16-64 characters). For values
    found by randomness alone (validators.high_entropy, random_uuid): a provider's format with a
    checksum can encode repeated bytes (an age key of a repeated pattern is valid bech32)."""
    core = "".join(c for c in value.lower() if c.isalnum())
    if len(core) < min_length:
        return False
    windows = len(core) - 3
    return len({core[i:i + 4] for i in range(windows)}) <= max_distinct * windows
