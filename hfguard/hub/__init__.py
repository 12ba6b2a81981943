"""The Hub guard: `safe_upload()`, `protect()` and `hfguard upload` check what an upload would send
and raise `UploadBlocked` before content leaves. guard.py is the public face, gate.py scans and
judges, hooks.py holds the huggingface_hub hook points (checked at import), cli.py the command.
"""
from __future__ import annotations

from hfguard.hub.gate import GuardUnavailable, UploadBlocked
from hfguard.hub.guard import Guard, installed, protect, safe_upload

__all__ = ["Guard", "GuardUnavailable", "UploadBlocked", "installed", "protect", "safe_upload"]
