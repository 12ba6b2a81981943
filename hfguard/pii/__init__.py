"""Personal and health data detection (Presidio + recognisers of our own). Imported lazily."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfguard.config import Config
    from hfguard.scanner import Detector


def make_detector(config: Config) -> Detector | None:
    """The PII/health detector for this config (not built yet: secrets only)."""
    return None
