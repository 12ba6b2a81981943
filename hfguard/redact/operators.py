"""What happens to a found value: `replace`, `mask`, `hash` or `drop`, per category or entity.

The personal-data operators are presidio-anonymizer's (Replace, Mask); `hash` is a keyed
HMAC-SHA256 (presidio's Hash concatenates a salt, it is not an HMAC), so the same value gives the
same pseudonym across files and joins still work. The key comes from an environment variable or
a file and never reaches the output. Secrets are always replaced with `<REDACTED:rule-id>`.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Category

DEFAULT_KEY_ENV = "HFGUARD_REDACT_KEY"
MIN_KEY_BYTES = 16
PSEUDONYM_HEX = 12  # characters of the HMAC kept in a pseudonym (48 bits: collisions are rare)
MASK_KEEP = 4  # trailing letters/digits a mask keeps (only on values of 8 or more)


class Op(str, enum.Enum):
    REPLACE = "replace"
    MASK = "mask"
    HASH = "hash"
    DROP = "drop"


class RedactError(HfguardError):
    """Bad redaction settings (usage error, exit 2)."""


@dataclass(frozen=True)
class Operators:
    """Operator per entity name (EMAIL_ADDRESS) or rule id (pii-email), else per category
    (pii, health), else `default` (replace)."""

    by_name: Mapping[str, Op] = field(default_factory=dict)
    default: Op = Op.REPLACE
    key: bytes | None = None

    def for_value(self, entity: str, rule_id: str, category: Category) -> Op:
        if category is Category.SECRET:
            return Op.REPLACE
        for name in (entity, rule_id, category.value):
            op = self.by_name.get(name)
            if op is not None:
                return op
        return self.default

    def uses(self, op: Op) -> bool:
        return self.default is op or op in self.by_name.values()


def parse_op(text: str, where: str) -> Op:
    try:
        return Op(text.strip().lower())
    except ValueError:
        raise RedactError(f"{where}: unknown operator {text!r} (known: {', '.join(o.value for o in Op)})") from None


def parse_assignments(items: list[str], where: str = "--operator") -> dict[str, Op]:
    """`EMAIL_ADDRESS=mask`, `health=drop`, `pii-ssn=hash` -> {name: Op}."""
    out: dict[str, Op] = {}
    for item in items:
        name, sep, op = item.partition("=")
        if not sep or not name.strip():
            raise RedactError(f"{where}: {item!r} is not NAME=OPERATOR (e.g. EMAIL_ADDRESS=mask)")
        out[name.strip()] = parse_op(op, where)
    return out


def load_key(env: str | None = None, key_file: str | None = None) -> bytes | None:
    """The HMAC key: the file's bytes (stripped), else the environment variable; None if neither."""
    if key_file:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise RedactError(f"{key_file}: cannot read the hash key: {exc.strerror or type(exc).__name__}") from None
    else:
        value = os.environ.get(env or DEFAULT_KEY_ENV)
        if not value:
            return None
        key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise RedactError(f"the hash key must be at least {MIN_KEY_BYTES} bytes")
    return key


def check(operators: Operators) -> None:
    if operators.uses(Op.HASH) and operators.key is None:
        raise RedactError(
            f"the hash operator needs a key: set {DEFAULT_KEY_ENV} (or --key-env NAME) or give --key-file FILE; "
            "the key is never written to the output")


_ENGINES: dict[str, Any] = {}
# presidio_anonymizer.operators imports this optional helper (for its Azure operator) inside a
# try/except ImportError; importing it loads presidio_analyzer, and with it spaCy (~0.8 s). It is
# hidden while presidio_anonymizer is first imported, so redact never imports spaCy.
_OPTIONAL_HELPER = "presidio_analyzer.llm_utils.azure_auth_helper"


def _import_operators() -> tuple[Any, Any]:
    hide = "presidio_analyzer" not in sys.modules and _OPTIONAL_HELPER not in sys.modules
    if hide:
        sys.modules[_OPTIONAL_HELPER] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        from presidio_anonymizer.operators import Mask, Replace
    finally:
        if hide and sys.modules.get(_OPTIONAL_HELPER, 0) is None:
            del sys.modules[_OPTIONAL_HELPER]
    return Replace, Mask


def _presidio(name: str) -> Any:
    op = _ENGINES.get(name)
    if op is None:
        replace, mask = _import_operators()
        op = _ENGINES[name] = {"replace": replace, "mask": mask}[name]()
    return op


def tag(entity: str) -> str:
    return f"<{entity}>"


def secret_tag(rule_id: str) -> str:
    return f"<REDACTED:{rule_id}>"


def apply(op: Op, value: str, entity: str, key: bytes | None) -> str:
    """The replacement for one found value (not for DROP, which works on whole columns)."""
    if op is Op.REPLACE or op is Op.DROP:
        return str(_presidio("replace").operate(value, {"new_value": tag(entity)}))
    if op is Op.MASK:
        return mask_shape(value)
    if op is Op.HASH:
        if key is None:
            raise RedactError("the hash operator needs a key")
        digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
        return f"<{entity}_{digest}>"
    raise AssertionError(op)


def constant(op: Op, entity: str) -> str | None:
    """The replacement when it is the same for every value (replace: the entity tag), else None."""
    if op is Op.REPLACE or op is Op.DROP:
        return apply(op, "", entity, None)
    return None


def mask_shape(value: str) -> str:
    """Letters and digits masked with presidio's Mask, separators kept (`***-**-6789`); the
    last MASK_KEEP letters/digits stay on values long enough to keep them safely."""
    alnum = [c for c in value if c.isalnum()]
    keep = MASK_KEEP if len(alnum) >= 2 * MASK_KEEP else 0
    masked = str(_presidio("mask").operate("".join(alnum), {
        "masking_char": "*", "chars_to_mask": len(alnum) - keep, "from_end": False}))
    it = iter(masked)
    return "".join(next(it) if c.isalnum() else c for c in value)
