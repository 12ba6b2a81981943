"""Presidio, built explicitly and offline. Imported only when a text has candidates.

- NLP: a blank spaCy English tokenizer (no model, no download), with lower-cased tokens standing
  in for lemmas so Presidio's context words still work. With `pii.spacy_model` set, that model
  (tok2vec + ner only) runs on prose and free-text columns, in batches.
- Recognisers: an explicit list (RECOGNISERS), Presidio's pattern recognisers plus our health
  recognisers. Presidio's EmailRecognizer calls `tldextract.extract`, whose default extractor
  fetches the public suffix list over the network: ours uses an extractor built with no URLs
  and no cache, that is the suffix-list snapshot shipped inside tldextract.
"""
from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import spacy
import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    CryptoRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsLicenseRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)

from hfguard.pii import checks

logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

# Between windows analysed in one call: six neutral words, so no context word of one window
# reaches a value in the next (Presidio looks five words back).
SEPARATOR = "\n\nzq zq zq zq zq zq\n\n"
NER_LABELS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"}


@dataclass(frozen=True)
class Result:
    entity: str
    start: int
    end: int
    score: float


# No URLs and no cache: the public suffix list snapshot bundled with tldextract, never a fetch.
_EXTRACT = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def email_domain_ok(address: str) -> bool:
    """The domain ends in a public suffix (what Presidio's email validation checks)."""
    return _EXTRACT(address.rpartition("@")[2]).fqdn != ""


class _OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recogniser, validated against tldextract's bundled suffix list."""

    def validate_result(self, pattern_text: str) -> bool:
        return email_domain_ok(pattern_text)


class _CheckedRecognizer(PatternRecognizer):
    """A pattern whose matches must pass a checksum or structure check of ours."""

    def __init__(self, entity: str, regex: str, check: Callable[[str], bool], context: list[str]) -> None:
        self._check = check
        super().__init__(
            supported_entity=entity,
            patterns=[Pattern(entity.lower(), regex, 0.5)],
            context=context,
            supported_language="en",
            name=f"hfguard-{entity.lower()}",
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return not self._check(pattern_text)


def _health_recognisers() -> list[PatternRecognizer]:
    return [
        _CheckedRecognizer(
            "ICD10_CODE", r"\b(?:[A-TV-Z]\d[0-9A-Z]|U0[79])(?:\.[0-9A-Z]{1,4})?\b", checks.icd10_ok,
            ["icd", "icd10", "diagnosis", "diagnoses", "dx", "diagnosed"],
        ),
        _CheckedRecognizer(
            "MEDICAL_RECORD_NUMBER", r"\b(?:[A-Z]{1,3}-?)?\d{5,12}\b", lambda v: len(set(v)) > 2,
            ["mrn", "record", "patient", "chart"],
        ),
        _CheckedRecognizer("US_NPI", r"\b[12]\d{9}\b", checks.npi_ok, ["npi", "provider"]),
        _CheckedRecognizer("US_DEA", r"\b[A-Z][A-Z9]\d{7}\b", checks.dea_ok, ["dea", "prescriber"]),
        _CheckedRecognizer(
            "MEDICARE_MBI", rf"\b{checks.MBI_PATTERN}\b", checks.mbi_ok, ["mbi", "medicare", "beneficiary"]
        ),
    ]


# Explicit registry: Presidio entity -> recogniser factory.
RECOGNISERS: dict[str, Callable[[], Any]] = {
    "EMAIL_ADDRESS": _OfflineEmailRecognizer,
    "PHONE_NUMBER": PhoneRecognizer,
    "CREDIT_CARD": CreditCardRecognizer,
    "US_SSN": UsSsnRecognizer,
    "IBAN_CODE": IbanRecognizer,
    "IP_ADDRESS": IpRecognizer,
    "US_PASSPORT": UsPassportRecognizer,
    "US_DRIVER_LICENSE": UsLicenseRecognizer,
    "US_BANK_NUMBER": UsBankRecognizer,
    "US_ITIN": UsItinRecognizer,
    "UK_NHS": NhsRecognizer,
    "CRYPTO": CryptoRecognizer,
}


class _SpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline we built (never spacy.load of a missing model,
    never a download). Blank pipelines have no lemmas: lower-cased tokens stand in."""

    def __init__(self, nlp: Any, ner_labels: Iterable[str] = ()) -> None:
        ignore = [label for label in ner_labels if label not in NER_LABELS]
        super().__init__(
            models=[{"lang_code": "en", "model_name": nlp.meta.get("name", "blank")}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=dict(NER_LABELS), labels_to_ignore=ignore
            ),
        )
        self.nlp = {"en": nlp}

    def load(self) -> None:  # already loaded; the parent would download a missing model
        pass

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        if not any(artifacts.lemmas):
            artifacts.lemmas = [token.lower_ for token in doc]
            artifacts.keywords = artifacts.set_keywords(self, artifacts.lemmas, language)
        return artifacts


def load_ner_pipeline(model: str) -> Any:
    """The model's tokenizer, tok2vec and ner only (the rest is slow and not needed)."""
    nlp = spacy.load(model)
    if "ner" not in nlp.pipe_names:
        raise ValueError(f"spaCy model {model!r} has no 'ner' component")
    keep = {"ner"} | {name for name in ("tok2vec", "transformer") if name in nlp.pipe_names}
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in keep])
    return nlp


class PresidioAnalyzer:
    """Analyses batches of short windows (pattern recognisers) and, with NER, free text."""

    def __init__(self, ner_model: str | None = None) -> None:
        self.tokenizer_engine = _SpacyEngine(spacy.blank("en"))
        recognisers: list[Any] = [factory() for factory in RECOGNISERS.values()]
        recognisers += _health_recognisers()
        self.ner_engine: _SpacyEngine | None = None
        if ner_model is not None:
            nlp = load_ner_pipeline(ner_model)
            labels = nlp.get_pipe("ner").labels
            self.ner_engine = _SpacyEngine(nlp, labels)
            recognisers.append(SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]))
        registry = RecognizerRegistry(recognizers=recognisers, supported_languages=["en"])
        self.engine = AnalyzerEngine(
            registry=registry, nlp_engine=self.tokenizer_engine, supported_languages=["en"]
        )
        self.supported = frozenset(self.engine.get_supported_entities("en"))

    def analyze_windows(self, texts: Sequence[str], entities: Iterable[str]) -> list[list[Result]]:
        """Presidio on the windows joined into one text; results per window, offsets local."""
        wanted = sorted(set(entities) & self.supported)
        out: list[list[Result]] = [[] for _ in texts]
        if not wanted or not texts:
            return out
        starts: list[int] = []
        pos = 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + len(SEPARATOR)
        joined = SEPARATOR.join(texts)
        for r in self.engine.analyze(text=joined, language="en", entities=wanted, score_threshold=0.0):
            index = bisect.bisect_right(starts, r.start) - 1
            local_start = r.start - starts[index]
            local_end = r.end - starts[index]
            if local_end <= len(texts[index]):
                out[index].append(Result(r.entity_type, local_start, local_end, float(r.score)))
        return out

    def analyze_ner(self, texts: Sequence[str]) -> list[list[Result]]:
        """Person names and places in each text (spaCy NER through Presidio's SpacyRecognizer)."""
        if self.ner_engine is None:
            return [[] for _ in texts]
        out: list[list[Result]] = []
        for text, artifacts in self.ner_engine.process_batch(list(texts), "en", batch_size=64):
            results = self.engine.analyze(
                text=text, language="en", entities=["PERSON", "LOCATION"], nlp_artifacts=artifacts,
                score_threshold=0.0,
            )
            out.append([Result(r.entity_type, r.start, r.end, float(r.score)) for r in results])
        return out
