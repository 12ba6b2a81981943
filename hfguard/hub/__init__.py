"""The Hub guard: `safe_upload()`, `protect()` and `hfguard upload` check what an upload would send
and raise `UploadBlocked` before content leaves. guard.py is the public face, gate.py scans and
judges, hooks.py holds the huggingface_hub hook points (checked at import), cli.py the command.

The names below load on first use, so `hfguard scan` (which imports hub/cli.py for its parser)
does not pay for importing huggingface_hub.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Guard", "GuardUnavailable", "UploadBlocked", "installed", "protect", "safe_upload"]

_HOME = {"GuardUnavailable": "gate", "UploadBlocked": "gate",
         "Guard": "guard", "installed": "guard", "protect": "guard", "safe_upload": "guard"}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'hfguard.hub' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hfguard.hub.{module}"), name)
