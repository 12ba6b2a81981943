"""hfguard: stop secrets, personal data and health data from being published.

Public API: scan_paths, safe_upload, protect, UploadBlocked. The Hub guard (and its
huggingface_hub import) loads only when used.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["UploadBlocked", "__version__", "protect", "safe_upload", "scan_paths"]


def __getattr__(name: str) -> Any:
    if name == "scan_paths":
        from hfguard.api import scan_paths

        return scan_paths
    if name in ("safe_upload", "protect", "UploadBlocked"):
        from hfguard import hub

        return getattr(hub, name)
    raise AttributeError(f"module 'hfguard' has no attribute {name!r}")
