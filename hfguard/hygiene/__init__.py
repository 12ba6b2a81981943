"""Publish-readiness ("hygiene") checks: what people are told to check before publishing on the
Hugging Face Hub besides secrets and personal data.

- cards.py: a model/dataset card's licence and its sections (README.md with front matter);
- code.py: `trust_remote_code=True` and Hub loaders without a pinned `revision=` (.py, notebooks);
- pickles.py: pickle-based weights and what loading them would import (picklescan).

The scanner builds one `HygieneDetector` per process (`make_detector`), feeds it the chunks of
the text files it reads (`for_file`) and hands it the pickle-type files it otherwise skips as
binary (`check_binary`). Findings are category `hygiene`; only a dangerous pickle blocks by
default (critical), the rest are low. Rule ids and remediation live in registry.py.
"""
from __future__ import annotations

from typing import Protocol

from hfguard.hygiene.cards import CardChecker
from hfguard.hygiene.code import CodeChecker
from hfguard.hygiene.pickles import COMPRESSED_SUFFIXES, PICKLE_EXTENSIONS, check_pickle_file
from hfguard.hygiene.registry import RULES, HygieneRule, descriptions
from hfguard.models import Blob, Category, Chunk, Match
from hfguard.policy.config import Config

__all__ = ["RULES", "HygieneDetector", "HygieneRule", "descriptions", "make_detector"]


class _FileChecker(Protocol):
    def feed(self, chunk: Chunk) -> list[Match]: ...
    def finish(self) -> list[Match]: ...


class _Along:
    """Another file detector (PII) and a hygiene checker fed the same chunks, as one detector."""

    def __init__(self, first: _FileChecker | None, second: _FileChecker) -> None:
        self.first = first
        self.second = second

    def feed(self, chunk: Chunk) -> list[Match]:
        found = self.first.feed(chunk) if self.first is not None else []
        return found + self.second.feed(chunk)

    def finish(self) -> list[Match]:
        found = self.first.finish() if self.first is not None else []
        return found + self.second.finish()

    def notes(self) -> list[str]:
        notes: list[str] = getattr(self.first, "notes", list)()
        return notes


def _name_and_extension(path: str) -> tuple[str, str]:
    """(file name, extension) in lower case; a compressed file's extension is its inner one
    (model.pkl.gz: pkl)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1].lower()
    parts = name.split(".")
    if len(parts) > 2 and parts[-1] in COMPRESSED_SUFFIXES:
        return name, parts[-2]
    return name, (parts[-1] if len(parts) > 1 else "")


class HygieneDetector:
    """The hygiene checks for one scan (disabled rules do not run)."""

    def __init__(self, disabled: frozenset[str] = frozenset()) -> None:
        self.disabled = disabled
        self._cards = not {"card-license-missing", "card-license-unknown", "card-sections-missing"} <= disabled
        self._code = not {"code-trust-remote-code", "code-unpinned-revision"} <= disabled
        self._pickles = not {"pickle-dangerous-import", "pickle-unsafe-format"} <= disabled

    def for_file(self, path: str) -> _FileChecker | None:
        """A checker to feed this text file's chunks to, or None when no check applies."""
        name, ext = _name_and_extension(path)
        if name == "readme.md" and self._cards:
            return CardChecker()
        if ext == "py" and self._code:
            return CodeChecker(notebook=False)
        if ext == "ipynb" and self._code:
            return CodeChecker(notebook=True)
        return None

    def along(self, path: str, other: _FileChecker | None) -> _FileChecker | None:
        """`other` (the PII detector of this file, or None) plus this file's hygiene checker."""
        checker = self.for_file(path)
        return other if checker is None else _Along(other, checker)

    def checks_binary(self, path: str) -> bool:
        return self._pickles and _name_and_extension(path)[1] in PICKLE_EXTENSIONS

    def check_binary(self, blob: Blob) -> tuple[list[Match], list[str]]:
        """(matches, notes) for a pickle-type file; OSError when it cannot be read."""
        return check_pickle_file(blob, _name_and_extension(blob.path)[1])


def make_detector(config: Config) -> HygieneDetector | None:
    if Category.HYGIENE not in config.categories:
        return None
    return HygieneDetector(frozenset(config.disable))
