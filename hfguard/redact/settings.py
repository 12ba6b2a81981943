"""`[tool.hfguard.redact]` (or `[redact]` in .hfguard.toml): default operators for `redact`.

    [tool.hfguard.redact]
    default = "replace"                      # operator for personal/health data not named below
    operators = { EMAIL_ADDRESS = "hash", health = "drop", US_SSN = "mask" }
    key_env = "HFGUARD_REDACT_KEY"           # where the hash key is (never the key itself)
    key_file = "secrets/redact.key"          # relative to the config file
    notebook_outputs = "clear"               # or "redact"

Command-line flags win over the file. Unknown keys are errors that name the file and key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hfguard.policy.config import Config, ConfigError
from hfguard.redact.operators import Op, parse_op

KEYS = ("default", "operators", "key_env", "key_file", "notebook_outputs")
NOTEBOOK_OUTPUTS = ("clear", "redact")


@dataclass(frozen=True)
class RedactSettings:
    default: Op | None = None
    operators: dict[str, Op] = field(default_factory=dict)
    key_env: str | None = None
    key_file: str | None = None
    notebook_outputs: str | None = None


def load_settings(config: Config) -> RedactSettings:
    """The [redact] table load_config read with the rest of the file (the file is read once)."""
    table = config.redact
    if not config.source or table is None:
        return RedactSettings()
    path = Path(config.source)
    prefix = "tool.hfguard." if path.name == "pyproject.toml" else ""
    where = f"{path}: '{prefix}redact"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}' must be a table")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}.{key}' is not a known key (known: {', '.join(KEYS)})")
    for key in ("default", "key_env", "key_file", "notebook_outputs"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{where}.{key}' must be a string")
    ops = table.get("operators", {})
    if not isinstance(ops, dict) or not all(isinstance(v, str) for v in ops.values()):
        raise ConfigError(f"{where}.operators' must be a table of NAME = \"operator\"")
    outputs = table.get("notebook_outputs")
    if outputs is not None and outputs not in NOTEBOOK_OUTPUTS:
        raise ConfigError(f"{where}.notebook_outputs' must be one of: {', '.join(NOTEBOOK_OUTPUTS)}")
    key_file = table.get("key_file")
    return RedactSettings(
        default=parse_op(table["default"], f"{where}.default'") if "default" in table else None,
        operators={k: parse_op(v, f"{where}.operators.{k}'") for k, v in ops.items()},
        key_env=table.get("key_env"),
        key_file=str(path.parent / key_file) if key_file else None,
        notebook_outputs=outputs,
    )
