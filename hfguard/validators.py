"""Checksum validators a rule can name (`validator = "luhn"`). Registry: VALIDATORS."""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable


def shannon_entropy(value: str) -> float:
    """Bits per character (same definition detect-secrets and gitleaks use)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


def luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban(value: str) -> bool:
    compact = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def jwt(value: str) -> bool:
    """A JWT whose header decodes to JSON with an `alg` field."""
    import base64
    import json

    head = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        return isinstance(json.loads(decoded), dict) and "alg" in json.loads(decoded)
    except (ValueError, UnicodeDecodeError):
        return False


def not_placeholder_digits(value: str) -> bool:
    """Reject runs of one repeated digit or a plain ascending sequence."""
    digits = "".join(c for c in value if c.isdigit())
    return len(set(digits)) > 2 and digits not in "01234567890123456789"


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": luhn,
    "iban": iban,
    "jwt": jwt,
    "digits": not_placeholder_digits,
}
