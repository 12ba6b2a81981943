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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import spacy
import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
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
from spacy.attrs import IDX, LENGTH, LOWER  # type: ignore[import-not-found, unused-ignore]

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


def _own_recognisers() -> list[PatternRecognizer]:
    return [
        # Mastercard's 2-series (2221-2720), which Presidio's card pattern does not cover.
        _CheckedRecognizer(
            "CREDIT_CARD", r"\b2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b",
            checks.card_ok, ["credit", "card", "mastercard", "payment"],
        ),
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
    never a download). Token data is read in one array call (building a spaCy Token object per
    token costs microseconds each); lower-cased tokens stand in for lemmas, which blank and
    NER-only pipelines do not produce, so Presidio's context words still work."""

    def __init__(self, nlp: Any, ner_labels: Iterable[str] = ()) -> None:
        ignore = [label for label in ner_labels if label not in NER_LABELS]
        super().__init__(
            models=[{"lang_code": "en", "model_name": nlp.meta.get("name", "blank")}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=dict(NER_LABELS), labels_to_ignore=ignore
            ),
        )
        self.nlp = {"en": nlp}  # type: ignore[assignment]
        self._stop_or_punct: dict[str, tuple[bool, bool]] = {}

    def load(self) -> None:  # already loaded; the parent would download a missing model
        pass

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        table = doc.to_array([IDX, LENGTH, LOWER]).tolist() if len(doc) else []
        strings = doc.vocab.strings
        indices = [row[0] for row in table]
        lemmas = [strings[row[2]] for row in table]
        entities, scores = self._get_updated_entities(
            list(self._get_entities(doc)), self._get_scores_for_entities(doc)
        )
        artifacts = NlpArtifacts(
            entities=entities, tokens=doc, tokens_indices=indices, lemmas=lemmas,
            nlp_engine=self, language=language, scores=scores,
        )
        artifacts.hfguard_ends = [row[0] + row[1] for row in table]  # type: ignore[attr-defined]
        artifacts.hfguard_keywords = frozenset(artifacts.keywords)  # type: ignore[attr-defined]
        return artifacts

    def is_stopword(self, word: str, language: str) -> bool:
        return self._lexeme_flags(word, language)[0]

    def is_punct(self, word: str, language: str) -> bool:
        return self._lexeme_flags(word, language)[1]

    def _lexeme_flags(self, word: str, language: str) -> tuple[bool, bool]:
        cached = self._stop_or_punct.get(word)
        if cached is None:
            lexeme = self.nlp[language].vocab[word]  # type: ignore[index]
            cached = (bool(lexeme.is_stop), bool(lexeme.is_punct))
            if len(self._stop_or_punct) < 200_000:
                self._stop_or_punct[word] = cached
        return cached


class _ContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context enhancer, same rule (the five keywords before a value), but finding
    the value's token by bisection and keywords in a set: the stock one walks every token of
    the text for every result, which is quadratic in the text analysed."""

    def _extract_surrounding_words(self, nlp_artifacts: NlpArtifacts, word: str, start: int) -> list[str]:
        ends = getattr(nlp_artifacts, "hfguard_ends", None)
        keywords = getattr(nlp_artifacts, "hfguard_keywords", None)
        if ends is None or keywords is None:
            return list(super()._extract_surrounding_words(nlp_artifacts, word, start))
        if not ends:
            return [""]
        index = bisect.bisect_right(ends, start)
        if index >= len(ends):
            return []
        lemmas = nlp_artifacts.lemmas
        words: set[str] = set()
        for step, count in ((-1, self.context_prefix_count), (1, self.context_suffix_count)):
            i, remaining = index, count + 1
            while 0 <= i < len(lemmas) and remaining > 0:
                lemma = lemmas[i].lower()
                if lemma in keywords:
                    words.add(lemma)
                    remaining -= 1
                i += step
        return list(words)


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
        recognisers += _own_recognisers()
        self.ner_engine: _SpacyEngine | None = None
        if ner_model is not None:
            nlp = load_ner_pipeline(ner_model)
            labels = nlp.get_pipe("ner").labels
            self.ner_engine = _SpacyEngine(nlp, labels)
            recognisers.append(SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]))
        registry = RecognizerRegistry(recognizers=recognisers, supported_languages=["en"])
        self.engine = AnalyzerEngine(
            registry=registry, nlp_engine=self.tokenizer_engine, supported_languages=["en"],
            context_aware_enhancer=_ContextEnhancer(),
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
        joined = _no_surrogates(SEPARATOR.join(texts))
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
        for item in self.ner_engine.process_batch([_no_surrogates(t) for t in texts], "en", batch_size=64):
            text, artifacts = item[0], item[1]
            results = self.engine.analyze(
                text=text, language="en", entities=["PERSON", "LOCATION"], nlp_artifacts=artifacts,
                score_threshold=0.0,
            )
            out.append([Result(r.entity_type, r.start, r.end, float(r.score)) for r in results])
        return out


_SURROGATES = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """Undecodable bytes (kept as lone surrogates by the readers) as U+FFFD: spaCy cannot encode
    them, and a one-for-one swap keeps every offset."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)
