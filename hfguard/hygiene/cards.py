"""Model and dataset cards (README.md with YAML front matter): a Hub licence id, and sections on
limitations/risks/bias, intended use and evaluation.

A README.md without front matter is not treated as a card (a plain project README). The card
reader hands over the front matter as one METADATA chunk ("card metadata") and the body as PROSE
chunks; headings are collected as the body streams by, the verdict comes at the end of the file.
"""
from __future__ import annotations

import re
from typing import Any

from hfguard.hygiene.licenses import HUB_LICENSES
from hfguard.hygiene.registry import make_match
from hfguard.models import Chunk, ChunkKind, Match

FRONT_MATTER_LOCATION = "card metadata"  # set by readers.hfrepo.read_card

_HEADING = re.compile(
    r"^[ \t]{0,3}(?:"
    r"\#{1,6}[ \t]+(?P<atx>[^\n]{1,300})"  # ## Limitations
    r"|(?P<bold>\*\*[^\n*]{1,200}\*\*)[ \t]*:?[ \t]*$"  # **Limitations** alone on a line
    r"|<h[1-6][^>\n]{0,100}>(?P<html>[^<\n]{1,300})"  # <h2>Limitations</h2>
    r"|(?P<setext>[^\n]{1,300})\n[ \t]{0,3}(?:=+|-+)[ \t]*$"  # Limitations\n-----------
    r")",
    re.MULTILINE,
)

# Section name (as the finding names it) -> what its heading says.
_SECTIONS: dict[str, re.Pattern[str]] = {
    "limitations/risks/bias": re.compile(
        r"limitation|\brisks?\b|\bbias|caveat|ethic|out[- ]of[- ]scope|safety|\bharm|consideration|"
        r"known issue|misuse|fairness"),
    "intended use": re.compile(r"\b(?:intended|uses?|usage|use[- ]cases?|applications?|purpose)\b"),
    "evaluation": re.compile(r"evaluat|\bresults?\b|benchmark|performance|\bmetrics?\b|accuracy|\btesting\b"),
}
# Cards of datasets are not evaluated: they need the other two.
_DATASET_SECTIONS = ("limitations/risks/bias", "intended use")
_DATASET_KEYS = frozenset({
    "task_categories", "task_ids", "dataset_info", "configs", "size_categories", "annotations_creators",
    "language_creators", "source_datasets", "multilinguality", "pretty_name", "paperswithcode_id", "viewer",
})
_MODEL_KEYS = frozenset({"pipeline_tag", "library_name", "base_model", "model-index", "model_name", "widget",
                         "inference"})
_SPACE_KEYS = frozenset({"sdk", "app_file", "sdk_version"})
_LICENSE_KEY = re.compile(r"^license[ \t]*:", re.MULTILINE)
_SHOWABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+ -]{0,63}$")


def _front_matter_yaml(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and lines[-1].strip() in ("---", "..."):
        lines = lines[:-1]
    return "".join(lines[1:])


def _load_yaml(text: str) -> tuple[dict[str, Any], str | None]:
    """(metadata, problem): the front matter as a mapping, or {} and why not."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader
    except (yaml.YAMLError, RecursionError, ValueError):
        return {}, "the front matter is not valid YAML"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, "the front matter is not a YAML mapping"
    return {str(k): v for k, v in data.items()}, None


def _shown(value: object) -> str:
    text = str(value)
    return text if _SHOWABLE.match(text) else "(a value that is not an id)"


class CardChecker:
    """FileDetector for one README.md."""

    def __init__(self) -> None:
        self.front: Chunk | None = None
        self.is_card: bool | None = None  # decided by the first chunk
        self.found: set[str] = set()

    def feed(self, chunk: Chunk) -> list[Match]:
        if self.is_card is None:
            self.is_card = chunk.kind is ChunkKind.METADATA and chunk.location == FRONT_MATTER_LOCATION
            if self.is_card:
                self.front = chunk
                return []
        if not self.is_card or chunk.kind is not ChunkKind.PROSE or len(self.found) == len(_SECTIONS):
            return []
        for m in _HEADING.finditer(chunk.text):
            heading = (m.group("atx") or m.group("bold") or m.group("html") or m.group("setext") or "").lower()
            for name, pattern in _SECTIONS.items():
                if name not in self.found and pattern.search(heading):
                    self.found.add(name)
        return []

    def finish(self) -> list[Match]:
        front = self.front
        if front is None:
            return []
        metadata, problem = _load_yaml(_front_matter_yaml(front.text))
        return self._licence(front, metadata, problem) + self._sections(front, metadata)

    def _licence(self, front: Chunk, metadata: dict[str, Any], problem: str | None) -> list[Match]:
        first_line = front.text.find("\n")
        whole_first = first_line if first_line >= 0 else len(front.text)
        value = metadata.get("license")
        if value is None or value == "" or value == []:
            why = f"{problem}: no licence could be read" if problem else "the card's metadata has no `license:`"
            return [make_match("card-license-missing", front, 0, whole_first, "license: (none)",
                               f"{why}; add a Hub licence id (e.g. apache-2.0, mit, cc-by-4.0)")]
        key = _LICENSE_KEY.search(front.text)
        start, end = (key.start(), key.end()) if key else (0, whole_first)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or item not in HUB_LICENSES:
                hint = ""
                if isinstance(item, str) and item.strip().lower() in HUB_LICENSES:
                    hint = f" (the Hub id is `{item.strip().lower()}`)"
                return [make_match("card-license-unknown", front, start, end, f"license: {_shown(item)}",
                                   f"`{_shown(item)}` is not a Hub licence id{hint}; use one from the Hub's "
                                   "list, or `other` with `license_name` and `license_link`")]
            if item == "other" and not metadata.get("license_name"):
                link = "" if metadata.get("license_link") else " and `license_link` (where the licence text is)"
                return [make_match("card-license-unknown", front, start, end, "license: other",
                                   f"`license: other` needs `license_name`{link}")]
        return []

    def _sections(self, front: Chunk, metadata: dict[str, Any]) -> list[Match]:
        keys = set(metadata)
        if keys & _SPACE_KEYS:
            return []  # a Space's README is its configuration, not a model card
        dataset = bool(keys & _DATASET_KEYS) and not keys & _MODEL_KEYS
        wanted = _DATASET_SECTIONS if dataset else tuple(_SECTIONS)
        found = set(self.found)
        if "model-index" in keys:  # evaluation results in the metadata
            found.add("evaluation")
        missing = [name for name in wanted if name not in found]
        if not missing:
            return []
        kind = "dataset card" if dataset else "model card"
        end = front.text.find("\n")
        return [make_match("card-sections-missing", front, 0, end if end >= 0 else len(front.text),
                           "missing: " + ", ".join(missing),
                           f"the {kind} has no section on {', '.join(missing)}; people deciding whether to "
                           "use it look for them")]
