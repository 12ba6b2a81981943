"""hfguard's recognisers inside Presidio: the adapter for NER runs and for users' own pipelines.

Imported only when a spaCy model is configured (names and places) or by a user who wants
hfguard's recognisers in a Presidio AnalyzerEngine of their own; a default scan never imports
Presidio or spaCy (recognizers.py does the pattern work).

- `presidio_recognizers()` / `health_recognizers()`: hfguard's recognisers as Presidio
  EntityRecognizers (`registry.add_recognizer(...)`). They apply Presidio's context rule
  themselves and say so in `recognition_metadata`, so Presidio's enhancer leaves their scores
  alone: the same text gives the same results in both.
- `PresidioAnalyzer`: an AnalyzerEngine with those recognisers plus Presidio's SpacyRecognizer,
  on a spaCy pipeline we build (a blank English tokenizer, or the configured model with
  tok2vec + ner only); never `spacy.load` of a missing model, never a download.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from hfguard.pii.recognizers import HEALTH_RECOGNIZERS, RECOGNIZERS, Recognizer, RecognizerResult


def _quiet_import() -> None:
    """Import Presidio and spaCy without the advice transformers prints when it is installed
    without torch ("PyTorch was not found..."): Presidio imports transformers if it is there."""
    had = os.environ.get("TRANSFORMERS_NO_ADVISORY_WARNINGS")
    os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = "1"
    try:
        import presidio_analyzer  # noqa: F401
        import spacy  # noqa: F401
    finally:
        if had is None:
            del os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"]
        else:
            os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = had


_quiet_import()

import logging

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer import RecognizerResult as PresidioResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.attrs import IDX, LENGTH, LOWER  # type: ignore[import-not-found, unused-ignore]

logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

NER_LABELS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"}


class HfguardRecognizer(EntityRecognizer):
    """One of hfguard's recognisers as a Presidio EntityRecognizer."""

    def __init__(self, recognizer: Recognizer) -> None:
        self.inner = recognizer
        super().__init__(
            supported_entities=list(recognizer.supported_entities), name=f"hfguard.{recognizer.name}",
            supported_language=recognizer.supported_language, context=list(recognizer.context),
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[PresidioResult]:
        return [
            PresidioResult(r.entity_type, r.start, r.end, r.score, recognition_metadata=dict(r.recognition_metadata))
            for r in self.inner.analyze(text, entities, nlp_artifacts)
        ]


def presidio_recognizers(entities: Iterable[str] | None = None) -> list[HfguardRecognizer]:
    """hfguard's recognisers (all, or those of `entities`) for a Presidio RecognizerRegistry."""
    names = RECOGNIZERS if entities is None else [e for e in entities if e in RECOGNIZERS]
    return [HfguardRecognizer(RECOGNIZERS[name]) for name in names]


def health_recognizers() -> list[HfguardRecognizer]:
    """ICD-10-CM (with diagnosis context), MRN, NPI, DEA and Medicare MBI, for Presidio."""
    return presidio_recognizers(HEALTH_RECOGNIZERS)


class _SpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline we built (never spacy.load of a missing model,
    never a download). Token data is read in one array call (building a spaCy Token object per
    token costs microseconds each); lower-cased tokens stand in for lemmas, which blank and
    NER-only pipelines do not produce."""

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


def load_ner_pipeline(model: str) -> Any:
    """The model's tokenizer, tok2vec and ner only (the rest is slow and not needed)."""
    nlp = spacy.load(model)
    if "ner" not in nlp.pipe_names:
        raise ValueError(f"spaCy model {model!r} has no 'ner' component")
    keep = {"ner"} | {name for name in ("tok2vec", "transformer") if name in nlp.pipe_names}
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in keep])
    return nlp


class PresidioAnalyzer:
    """Presidio's AnalyzerEngine with hfguard's recognisers (and, with a model, SpacyRecognizer)."""

    def __init__(self, ner_model: str | None = None) -> None:
        self.tokenizer_engine = _SpacyEngine(spacy.blank("en"))
        recognisers: list[Any] = presidio_recognizers()
        self.ner_engine: _SpacyEngine | None = None
        if ner_model is not None:
            nlp = load_ner_pipeline(ner_model)
            labels = nlp.get_pipe("ner").labels
            self.ner_engine = _SpacyEngine(nlp, labels)
            recognisers.append(SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]))
        registry = RecognizerRegistry(recognizers=recognisers, supported_languages=["en"])
        self.engine = AnalyzerEngine(
            registry=registry, nlp_engine=self.tokenizer_engine, supported_languages=["en"],
        )
        self.supported = frozenset(self.engine.get_supported_entities("en"))

    def analyze(self, text: str, entities: Iterable[str] | None = None) -> list[RecognizerResult]:
        """Presidio's engine on one text (pattern entities), as hfguard's result type."""
        wanted = sorted(self.supported - {"PERSON", "LOCATION"} if entities is None else set(entities) & self.supported)
        if not wanted:
            return []
        results = self.engine.analyze(text=_no_surrogates(text), language="en", entities=wanted, score_threshold=0.0)
        return [
            RecognizerResult(r.entity_type, r.start, r.end, float(r.score), None, dict(r.recognition_metadata or {}))
            for r in results
        ]

    def analyze_ner(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        """Person names and places in each text (spaCy NER through Presidio's SpacyRecognizer).
        A long text goes in pieces (spaCy refuses texts over nlp.max_length, 1,000,000
        characters: no input size may make a detector fail)."""
        if self.ner_engine is None:
            return [[] for _ in texts]
        pieces: list[tuple[int, int, str]] = []  # (text number, offset, piece)
        for number, text in enumerate(texts):
            pieces += [(number, start, piece) for start, piece in _pieces(_no_surrogates(text))]
        out: list[list[RecognizerResult]] = [[] for _ in texts]
        batch = self.ner_engine.process_batch([piece for _, _, piece in pieces], "en", batch_size=64)
        for (number, shift, _), item in zip(pieces, batch):
            text, artifacts = item[0], item[1]
            results = self.engine.analyze(
                text=text, language="en", entities=["PERSON", "LOCATION"], nlp_artifacts=artifacts,
                score_threshold=0.0,
            )
            out[number] += [RecognizerResult(r.entity_type, shift + r.start, shift + r.end, float(r.score)) for r in results]
        return out


NER_PIECE_CHARS = 100_000  # well under spaCy's max_length, and its memory per character


def _pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece) of a text cut at line ends (else spaces) into pieces of at most
    NER_PIECE_CHARS."""
    size = NER_PIECE_CHARS
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            if cut > start:
                end = cut + 1
        out.append((start, text[start:end]))
        start = end
    return out


_SURROGATES = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """Undecodable bytes (kept as lone surrogates by the readers) as U+FFFD: spaCy cannot encode
    them, and a one-for-one swap keeps every offset."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)
