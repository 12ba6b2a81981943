"""Issue 14, health data tied to a person per record: ICD codes, diagnoses and other health
values block where an identifier in the same record (a table's row, a JSON record, a note, a
paragraph or notebook cell) ties them to a person, and are reported low where none does, even
when the same file holds people elsewhere. Real files through the scanner (CSV, JSON, JSONL,
Markdown, notebooks with pandas' own DataFrame output); names and addresses built at run time."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from hfguard.api import scan_paths

DIAGNOSES = [("asthma", "J45.909"), ("type 2 diabetes", "E11.9"), ("hypertension", "I10"),
             ("major depressive disorder", "F32.9"), ("influenza", "J11.1"), ("migraine", "G43.909"),
             ("low back pain", "M54.5")]
PEOPLE = [("Ann", "Lee"), ("Bo", "Chen"), ("Carla", "Moreno"), ("Dario", "Rossi"), ("Elif", "Kaya")]
HEALTH_RULES = {"health-icd10", "health-column", "health-record"}


def mail(first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower()}" + "@" + "gmail.com"


def findings(path: Path) -> list[dict[str, Any]]:
    report = scan_paths([str(path)], jobs=1)
    assert report["errors"] == []
    return [f for f in report["findings"] if f["category"] in ("pii", "health")]


def health(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in found if f["rule"] in HEALTH_RULES]


def blocking_health(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in health(found) if f["blocking"]]


def rows_of(finding: dict[str, Any]) -> list[int]:
    return [o["row"] for o in finding["occurrences"]]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- tables: the row -----------------------------------------------------------------------------


def _table(person_rows: set[int]) -> list[list[str]]:
    """Rows 1-2 and 8 are a contact list; rows 3-7 diagnoses; `person_rows` among 3-7 also
    name their person."""
    rows = []
    people = iter(PEOPLE)
    for row in range(1, 9):
        dx, code = DIAGNOSES[row % len(DIAGNOSES)]
        if row in (1, 2, 8):
            first, last = next(people)
            rows.append([str(row), f"{first} {last}", mail(first, last), "", ""])
        elif row in person_rows:
            first, last = next(people)
            rows.append([str(row), f"{first} {last}", mail(first, last), dx, code])
        else:
            rows.append([str(row), "", "", dx, code])
    return rows


HEADER = ["id", "patient_name", "email", "diagnosis", "icd10"]


def test_identifiers_and_diagnoses_in_different_rows_are_not_tied(tmp_path: Path) -> None:
    found = findings(write_csv(tmp_path / "clinic.csv", HEADER, _table(set())))
    assert {f["rule"] for f in health(found)} == {"health-icd10", "health-column"}
    assert blocking_health(found) == []
    for f in health(found):
        assert f["severity"] == "low" and rows_of(f) == [3, 4, 5, 6, 7], f
        assert "not tied to a person" in f["message"]
    assert {f["rule"] for f in found if f["blocking"]} <= {"pii-person", "pii-email"}  # the contacts still count


def test_a_row_holding_both_is_tied_and_named(tmp_path: Path) -> None:
    found = findings(write_csv(tmp_path / "clinic.csv", HEADER, _table({5})))
    tied = blocking_health(found)
    assert sorted(f["rule"] for f in tied) == ["health-column", "health-icd10"]
    for f in tied:
        assert f["severity"] == "high" and f["row"] == 5 and f["count"] == 1 and rows_of(f) == [5]
    untied = [f for f in health(found) if not f["blocking"]]
    assert sorted(f["rule"] for f in untied) == ["health-column", "health-icd10"]
    assert all(rows_of(f) == [3, 4, 6, 7] and f["count"] == 4 for f in untied)


def test_a_patients_table_blocks_as_one_finding_per_column(tmp_path: Path) -> None:
    rows = [[str(i), f"{first} {last}", mail(first, last), *DIAGNOSES[i]] for i, (first, last) in enumerate(PEOPLE)]
    found = findings(write_csv(tmp_path / "patients.csv", HEADER, rows))
    tied = health(found)
    assert sorted(f["rule"] for f in tied) == ["health-column", "health-icd10"]
    assert all(f["blocking"] and f["count"] == 5 and rows_of(f) == [1, 2, 3, 4, 5] for f in tied)


# --- research data next to an unrelated contact list -----------------------------------------------


def test_research_table_next_to_a_contact_list_in_one_json_document(tmp_path: Path) -> None:
    doc = {
        "contacts": [{"name": f"{a} {b}", "email": mail(a, b)} for a, b in PEOPLE],
        "research": [{"age": 30 + i, "diagnosis": dx, "icd10": code} for i, (dx, code) in enumerate(DIAGNOSES)],
    }
    path = tmp_path / "study.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    found = findings(path)
    assert {f["rule"] for f in health(found)} == {"health-icd10", "health-column"}
    assert blocking_health(found) == []


def test_a_visit_nested_under_a_patient_is_tied_to_that_patient(tmp_path: Path) -> None:
    (a, b), (c, d) = PEOPLE[:2]
    doc = {"patients": [
        {"name": f"{a} {b}", "contact": {"email": mail(a, b)}, "visits": [{"diagnosis": "asthma", "icd10": "J45.909"}]},
        {"age": 41, "visits": [{"diagnosis": "influenza", "icd10": "J11.1"}]},
        {"name": f"{c} {d}", "visits": [{"diagnosis": "migraine", "icd10": "G43.909"}]},
    ]}
    path = tmp_path / "patients.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    found = health(findings(path))
    tied = {(f["rule"], o["field"]) for f in found if f["blocking"] for o in f["occurrences"]}
    assert tied == {(rule, f"patients[{i}].visits[0].{field}") for i in (0, 2)
                    for rule, field in (("health-column", "diagnosis"), ("health-icd10", "icd10"))}
    untied = {(f["rule"], o["field"]) for f in found if not f["blocking"] for o in f["occurrences"]}
    assert untied == {("health-column", "patients[1].visits[0].diagnosis"), ("health-icd10", "patients[1].visits[0].icd10")}


def test_an_object_nested_in_a_patient_object_is_tied_to_that_patient(tmp_path: Path) -> None:
    """Outside lists too: patient.visit is part of the patient record; study.results is not part
    of study.contact, its sibling."""
    a, b = PEOPLE[0]
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"patient": {"name": f"{a} {b}", "email": mail(a, b),
                                            "visit": {"diagnosis": "asthma", "icd10": "J45.909"}}}, indent=1),
                    encoding="utf-8")
    found = health(findings(path))
    assert {f["rule"] for f in found} == {"health-icd10", "health-column"} and all(f["blocking"] for f in found)
    path.write_text(json.dumps({"study": {"contact": {"name": f"{a} {b}", "email": mail(a, b)},
                                          "results": {"diagnosis": "asthma", "icd10": "J45.909"}}}, indent=1),
                    encoding="utf-8")
    found = health(findings(path))
    assert {f["rule"] for f in found} == {"health-icd10", "health-column"} and not any(f["blocking"] for f in found)


def test_a_markdown_page_with_contact_details_and_study_codes_in_other_paragraphs(tmp_path: Path) -> None:
    a, b = PEOPLE[0]
    path = tmp_path / "README.md"
    path.write_text(
        f"# Cohort study\n\nQuestions: write to {mail(a, b)} or call (404) 634-1925.\n\n"
        "Diagnoses in the cohort: ICD-10 E11.9, I10 and J45.909.\n", encoding="utf-8")
    found = findings(path)
    codes = [f for f in found if f["rule"] == "health-icd10"]
    assert len(codes) == 3 and not any(f["blocking"] for f in codes)
    path.write_text(f"Patient: {a} {b}, {mail(a, b)}\nDiagnoses: ICD-10 E11.9, I10 and J45.909.\n", encoding="utf-8")
    codes = [f for f in findings(path) if f["rule"] == "health-icd10"]
    assert len(codes) == 3 and all(f["blocking"] for f in codes)


# --- notes: the note ---------------------------------------------------------------------------------


def test_jsonl_notes_block_only_where_they_name_a_person(tmp_path: Path) -> None:
    a, b = PEOPLE[1]
    notes = [
        "Follow-up visit. Diagnosed with type 2 diabetes, prescribed metformin 500 mg.",
        "Patient: Maria Lopez. Diagnosed with HIV and prescribed Biktarvy.",
        "Routine check, diagnosis: hypertension, lisinopril 10 mg.",
        f"Contact {mail(a, b)}: diagnosed with asthma, prescribed salbutamol.",
        "Maria Lopez was diagnosed with HIV and prescribed Biktarvy.",
        "Crohn's Disease was diagnosed in 12 of 40 participants; most were prescribed budesonide.",
        "Hodgkin Lymphoma was diagnosed at stage II and treated with ABVD.",
    ]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"id": i, "note": n}) + "\n" for i, n in enumerate(notes, 1)), encoding="utf-8")
    found = findings(path)
    [record] = [f for f in found if f["rule"] == "health-record"]
    assert record["blocking"] and record["severity"] == "high"
    assert record["count"] == 3 and rows_of(record) == [2, 4, 5]
    assert record["row"] == 2 and record["field"] == "note"


def test_a_note_tying_a_named_person_to_a_diagnosis(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Clinic notes\n\nMaria Lopez was diagnosed with HIV and prescribed Biktarvy.\n", encoding="utf-8")
    found = findings(path)
    [record] = [f for f in found if f["rule"] == "health-record"]
    assert record["blocking"] and record["line"] == 3
    assert [f["preview"][0] for f in found if f["rule"] == "pii-person"] == ["M"]


@pytest.mark.parametrize("sentence", [
    "Grace Wilson was diagnosed with asthma in May.",
    "Mr. Okafor has been diagnosed with HIV.",
    "Lola del Quintero tested positive for COVID-19 on Monday.",
    "John Smith is being treated for depression.",
])
def test_the_subject_of_a_diagnosis_is_a_person(tmp_path: Path, sentence: str) -> None:
    path = tmp_path / "note.txt"
    path.write_text(sentence + "\n", encoding="utf-8")
    assert [f["rule"] for f in findings(path) if f["blocking"]] == ["health-record"]


@pytest.mark.parametrize("sentence", [
    "Parkinson was diagnosed in 1817 by the physician who described it.",
    "Hodgkin Lymphoma was diagnosed in 30 patients.",
    "Crohn's Disease was diagnosed early in most cases.",
    "Alzheimer Disease was diagnosed in the cohort.",
    "The Patient was diagnosed with asthma.",
    "Each Participant was diagnosed with influenza.",
    "In March Patients were diagnosed with influenza.",
    "Type II Diabetes was diagnosed in 12 participants.",
    "Most patients are diagnosed with type 2 diabetes after forty.",
    "Smith et al. reported 30 patients diagnosed with HIV.",
])
def test_eponyms_roles_and_citations_are_no_subject(tmp_path: Path, sentence: str) -> None:
    path = tmp_path / "paper.md"
    path.write_text(sentence + "\n", encoding="utf-8")
    assert [f for f in findings(path) if f["blocking"]] == []


# --- notebooks: the cell, and a row of one table ---------------------------------------------------


def _notebook(path: Path, outputs: list[str], sources: list[str] | None = None) -> Path:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "execution_count": i, "metadata": {}, "source": ["df"],
         "outputs": [{"output_type": "execute_result", "execution_count": i, "metadata": {},
                      "data": {"text/plain": text}}]}
        for i, text in enumerate(outputs, 1)
    ]
    cells += [{"cell_type": "markdown", "metadata": {}, "source": [s]} for s in sources or []]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return path


def test_dataframe_outputs_tie_rows_of_the_same_table_only(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    people = pd.DataFrame({"name": [f"{a} {b}" for a, b in PEOPLE], "email": [mail(a, b) for a, b in PEOPLE]})
    codes = pd.DataFrame({"diagnosis": [d for d, _ in DIAGNOSES[:5]], "icd10": [c for _, c in DIAGNOSES[:5]]})
    apart = health(findings(_notebook(tmp_path / "apart.ipynb", [str(people), str(codes)])))
    assert {f["rule"] for f in apart} == {"health-icd10", "health-column"}
    assert [f for f in apart if f["blocking"]] == []
    together = health(findings(_notebook(tmp_path / "together.ipynb", [str(pd.concat([people, codes], axis=1))])))
    assert {f["rule"] for f in together} == {"health-icd10", "health-column"}
    assert all(f["blocking"] and f["cell"] == 1 and rows_of(f) == [1, 2, 3, 4, 5] for f in together)


def test_a_notebook_cell_is_one_note(tmp_path: Path) -> None:
    a, b = PEOPLE[0]
    path = _notebook(tmp_path / "notes.ipynb", [], [f"Patient: {a} {b}\n\nDiagnoses: ICD-10 E11.9", "ICD-10 J45.909"])
    codes = {(f["cell"], f["blocking"]) for f in findings(path) if f["rule"] == "health-icd10"}
    assert codes == {(1, True), (2, False)}  # another paragraph of the patient's cell; another cell


# --- one value, one finding ("Patient name:" gave three) -----------------------------------------------

LINE = "Patient name: John Smith"
HEALTH_LINE = "Patient name: John Smith, diagnosed with asthma, prescribed salbutamol 100 mg"


def _variants(tmp_path: Path, text: str) -> dict[str, Path]:
    write_csv(tmp_path / "a.csv", ["id", "notes"], [["1", text]])
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": 1, "notes": text}) + "\n", encoding="utf-8")
    (tmp_path / "a.md").write_text(f"# Intake\n\n{text}\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(text + "\n", encoding="utf-8")
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(note)"],
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": [text + "\n"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return {name: tmp_path / name for name in ("a.csv", "a.jsonl", "a.md", "a.txt", "a.ipynb")}


@pytest.mark.parametrize("name", ["a.csv", "a.jsonl", "a.md", "a.txt", "a.ipynb"])
def test_a_patient_name_line_gives_one_finding(tmp_path: Path, name: str) -> None:
    (tmp_path / "plain").mkdir()
    path = _variants(tmp_path / "plain", LINE)[name]
    assert [f["rule"] for f in findings(path)] == ["pii-person"]


@pytest.mark.parametrize("name", ["a.csv", "a.jsonl", "a.md", "a.txt", "a.ipynb"])
def test_a_patient_name_line_with_three_health_phrases_gives_one_health_record(tmp_path: Path, name: str) -> None:
    (tmp_path / "health").mkdir()
    path = _variants(tmp_path / "health", HEALTH_LINE)[name]
    found = findings(path)
    assert sorted(f["rule"] for f in found) == ["health-record", "pii-person"], found
    [record] = [f for f in found if f["rule"] == "health-record"]
    assert record["blocking"] and record.get("count", 1) == 1


def test_a_coded_note_does_not_hide_the_other_notes_naming_a_person(tmp_path: Path) -> None:
    """One note holds an ICD code (a finding of its own); the health record still lists every
    note that names a person."""
    a, b = PEOPLE[3]
    notes = [
        "Follow-up visit. Diagnosed with type 2 diabetes, prescribed metformin 500 mg.",
        "Patient: Maria Lopez. Diagnosis: E11.9, prescribed metformin.",
        "Routine check, diagnosis: hypertension, lisinopril 10 mg.",
        f"Contact {mail(a, b)}: diagnosed with asthma, prescribed salbutamol.",
    ]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"id": i, "note": n}) + "\n" for i, n in enumerate(notes, 1)), encoding="utf-8")
    found = findings(path)
    [record] = [f for f in found if f["rule"] == "health-record"]
    assert record["blocking"] and rows_of(record) == [2, 4]
    [code] = [f for f in found if f["rule"] == "health-icd10"]
    assert code["blocking"] and rows_of(code) == [2]


@pytest.mark.parametrize("text", [
    # a drug label: the mailbox of a role is no one's
    "Report side effects to safety@pharmaco.com; this medicine is prescribed for patients diagnosed with asthma.",
    "Questions: support@vitashop.com\n\nIndicated for adults diagnosed with asthma (ICD-10 J45).",
    # a shop page: a dosage alone says nothing about the person of another line
    "Order questions: {mail}\nEach tablet holds 500 mg of ascorbic acid.",
])
def test_labels_and_product_pages_tie_no_one(tmp_path: Path, text: str) -> None:
    path = tmp_path / "label.md"
    path.write_text(text.format(mail=mail(*PEOPLE[4])) + "\n", encoding="utf-8")
    assert blocking_health(findings(path)) == []


def test_treated_for_is_health_wording_only_after_a_person(tmp_path: Path) -> None:
    """A reviews table with the reviewer's email on every row: "treated for termites" is about
    wood. "John Smith is being treated for depression" in a note is about John Smith."""
    reviews = ["The deck wood was treated for termites and rot.", "Pallets are heat treated for export.",
               "Great table, the oak was treated for outdoor use.", "Arrived fast.", "Treated for mildew, no smell."]
    rows = [[mail(a, b), text] for (a, b), text in zip(PEOPLE, reviews)]
    found = findings(write_csv(tmp_path / "reviews.csv", ["email", "review"], rows))
    assert health(found) == []
    notes = ["Follow-up in two weeks, no change in the plan.", "John Smith is being treated for depression.",
             "Phoned the pharmacy about the repeat order."]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"note": n}) + "\n" for n in notes), encoding="utf-8")
    [record] = [f for f in findings(path) if f["rule"] == "health-record"]
    assert record["blocking"] and rows_of(record) == [2]


@pytest.mark.parametrize("sentence", [
    "The Oak Table was treated for termites before delivery.",
    "This Teak Bench is treated for outdoor use.",
    "Our Cedar Fence was treated for termites last spring.",
    "Each Pine Board was treated for rot.",
])
def test_a_thing_after_an_article_is_no_subject(tmp_path: Path, sentence: str) -> None:
    """Two capitalised words after an article or possessive name a thing (a product page)."""
    path = tmp_path / "product.txt"
    path.write_text(sentence + "\n", encoding="utf-8")
    assert [f for f in findings(path) if f["blocking"]] == []


def test_a_name_after_that_is_still_a_subject(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("The clinic confirmed that Maria Lopez was diagnosed with HIV.\n", encoding="utf-8")
    assert [f["rule"] for f in findings(path) if f["blocking"]] == ["health-record"]


def test_archive_members_are_records_of_their_own(tmp_path: Path) -> None:
    """A zip with a contact list and a research table: row 2 of one is not row 2 of the other.
    A member holding both in its rows still blocks."""
    import zipfile

    people = write_csv(tmp_path / "people.csv", ["id", "name", "email"],
                       [[str(i), f"{a} {b}", mail(a, b)] for i, (a, b) in enumerate(PEOPLE, 1)])
    research = write_csv(tmp_path / "research.csv", ["id", "diagnosis", "icd10"],
                         [[str(i), dx, code] for i, (dx, code) in enumerate(DIAGNOSES[:5], 1)])
    patients = write_csv(tmp_path / "patients.csv", HEADER,
                         [[str(i), f"{a} {b}", mail(a, b), *DIAGNOSES[i]] for i, (a, b) in enumerate(PEOPLE, 1)])
    apart, together = tmp_path / "apart.zip", tmp_path / "together.zip"
    with zipfile.ZipFile(apart, "w") as archive:
        archive.write(people, "people.csv")
        archive.write(research, "research.csv")
    with zipfile.ZipFile(together, "w") as archive:
        archive.write(research, "research.csv")
        archive.write(patients, "patients.csv")
    found = health(findings(apart))
    assert {f["rule"] for f in found} == {"health-icd10", "health-column"} and not any(f["blocking"] for f in found)
    blocked = {(f["path"].rsplit("!", 1)[-1], f["rule"]) for f in health(findings(together)) if f["blocking"]}
    assert blocked == {("patients.csv", "health-icd10"), ("patients.csv", "health-column")}


def test_a_visit_nested_under_a_patient_in_an_archive_member_is_tied(tmp_path: Path) -> None:
    import zipfile

    (a, b), (c, d) = PEOPLE[:2]
    doc = {"patients": [
        {"name": f"{a} {b}", "email": mail(a, b), "visits": [{"diagnosis": "asthma", "icd10": "J45.909"}]},
        {"age": 41, "visits": [{"diagnosis": "influenza", "icd10": "J11.1"}]},
    ], "contact": {"name": f"{c} {d}", "email": mail(c, d)}}
    member = tmp_path / "patients.json"
    member.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(member, "patients.json")
    found = health(findings(path))
    assert sorted((f["rule"], f["blocking"], f["count"]) for f in found) == [
        ("health-column", False, 1), ("health-column", True, 1), ("health-icd10", False, 1), ("health-icd10", True, 1),
    ]


def test_parquet_row_groups_tie_by_the_dataset_row(tmp_path: Path) -> None:
    """The same table as Parquet in row groups of three: row 5 (second group) is tied, by a
    name and an email in its own row, not by rows 4 or 6 of other groups' batches."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = _table({5})
    columns = {name: [row[i] or None for row in rows] for i, name in enumerate(HEADER)}
    path = tmp_path / "clinic.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=3)
    found = health(findings(path))
    assert sorted((f["rule"], f["blocking"], tuple(rows_of(f))) for f in found) == [
        ("health-column", False, (3, 4, 6, 7)), ("health-column", True, (5,)),
        ("health-icd10", False, (3, 4, 6, 7)), ("health-icd10", True, (5,)),
    ]


@pytest.mark.parametrize("sentence", [
    "Lung Adenocarcinoma was diagnosed in 30 patients.",
    "Multiple Myeloma was diagnosed with imaging in most of the cohort.",
    "Atrial Fibrillation was diagnosed with a 24-hour ECG in 12 participants.",
    "Acacia Wood Table is treated for weather resistance.",
    "Clinical Trial Data was diagnosed as incomplete.",
])
def test_diseases_products_and_data_as_the_subject_are_no_person(tmp_path: Path, sentence: str) -> None:
    """Two capitalised words before a diagnosis verb that name a disease (clinical noun endings),
    a product ("is treated for"), or anything "diagnosed" without "with" tie nothing."""
    path = tmp_path / "paper.md"
    path.write_text(sentence + "\n", encoding="utf-8")
    assert [f for f in findings(path) if f["blocking"]] == []
    named = tmp_path / "note.md"
    named.write_text("Paloma Ruiz was diagnosed with asthma in May.\n", encoding="utf-8")
    assert [f["rule"] for f in findings(named) if f["blocking"]] == ["health-record"]


@pytest.mark.parametrize("paragraph", [
    "Call us at (404) 634-1925 for help.\nOur tool diagnoses slow networks.",
    "If the server at 81.2.69.142 is slow, run the diagnosis script first.",
    "Questions? Write to ops.lead@example.org. The network diagnosis tool prints a summary.",
])
def test_diagnosis_as_a_technical_word_is_no_health_data(tmp_path: Path, paragraph: str) -> None:
    """'diagnosis' / 'diagnoses' count as health wording in a clinical statement ("diagnosis:",
    "diagnoses of"), not as a tool's verb or a script's name beside a contact number."""
    path = tmp_path / "support.md"
    path.write_text(paragraph + "\n", encoding="utf-8")
    assert health(findings(path)) == []
    clinical = tmp_path / "clinic.md"
    clinical.write_text("Call Ann Lee at (404) 634-1925.\nDiagnosis: asthma (J45.909).\n", encoding="utf-8")
    assert [f for f in health(findings(clinical)) if f["blocking"]]


# --- clinical notes as a new user writes them: section cues, identifiers, named conditions -----------


def _note(first: str, last: str, assessment: str = "HIV disease (B20)") -> str:
    """A follow-up note (the issue's): a patient named after "Patient", a date of birth, an MRN
    and a coded assessment. The numbers are built here, from parts."""
    dob = "/".join(["03", "14", "19" + "71"])
    mrn = "44" + "829" + "13"
    return (f"Follow-up visit. Patient {first} {last}, DOB {dob}, MRN {mrn}, reports fatigue. "
            f"Assessment: {assessment}. Plan: start Biktarvy.")


def test_a_follow_up_note_with_a_coded_assessment_blocks_as_a_diagnosis(tmp_path: Path) -> None:
    """It gave the MRN and the DOB only: the code after "Assessment:" is a diagnosis code, tied
    to the person the note names (the MRN, the DOB and the name after "Patient")."""
    first, last = PEOPLE[2]
    path = tmp_path / "note.txt"
    path.write_text(_note(first, last) + "\n", encoding="utf-8")
    found = findings(path)
    [code] = [f for f in found if f["rule"] == "health-icd10"]
    assert code["blocking"] and code["severity"] == "high" and "not tied" not in code["message"]
    assert code["column"] == path.read_text().index("B20") + 1
    assert [f["preview"][0] for f in found if f["rule"] == "pii-person"] == [first[0]]
    # the same note without its identifiers: a code that is no one's, reported low
    anonymous = tmp_path / "anonymous.txt"
    anonymous.write_text("Follow-up visit, reports fatigue. Assessment: HIV disease (B20).\n", encoding="utf-8")
    [code] = [f for f in findings(anonymous) if f["rule"] == "health-icd10"]
    assert not code["blocking"] and "not tied" in code["message"]


@pytest.mark.parametrize("line", [
    "Assessment: HIV disease (B20).",
    "Impression: asthma (J45.909), well controlled.",
    "A/P: E11.9, continue metformin.",
    "Problem list: 1. I10 2. E78.5 3. J45.909",
    "Reason for visit: M54.5",
    "Chief complaint: low back pain (M54.5).",
    "Condition: F32.9",
    "Seen for follow-up of major depressive disorder (F32.9).",
])
def test_icd_codes_after_clinical_cues_or_a_disease_are_diagnoses(tmp_path: Path, line: str) -> None:
    first, last = PEOPLE[0]
    path = tmp_path / "note.md"
    path.write_text(f"Patient: {first} {last}\n{line}\n", encoding="utf-8")
    codes = [f for f in findings(path) if f["rule"] == "health-icd10"]
    assert codes and all(f["blocking"] for f in codes), codes


@pytest.mark.parametrize("text", [
    "Take vitamin (B12) daily. Questions: {mail}",
    "The Boeing (B52) flew over. Contact {mail}",
    "Assessment: quiz 2 counts for 20% of the grade. Questions: {mail}",
    "Condition: new, boxed. Order questions: {mail}",
])
def test_codes_without_a_clinical_cue_or_a_disease_are_no_diagnosis(tmp_path: Path, text: str) -> None:
    path = tmp_path / "page.md"
    path.write_text(text.format(mail=mail(*PEOPLE[1])) + "\n", encoding="utf-8")
    assert blocking_health(findings(path)) == []


def test_jsonl_follow_up_notes_each_naming_a_patient_all_block(tmp_path: Path) -> None:
    """37 such notes gave 0 findings and exit 0: every row's code is tied to its patient."""
    notes = [_note(first, last, f"{dx} ({code})") for (first, last), (dx, code) in
             zip(PEOPLE * 8, DIAGNOSES * 6)][:37]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"id": i, "note": n}) + "\n" for i, n in enumerate(notes, 1)), encoding="utf-8")
    found = findings(path)
    [code] = [f for f in found if f["rule"] == "health-icd10"]
    assert code["blocking"] and code["count"] == 37 and rows_of(code) == list(range(1, 38))


@pytest.mark.parametrize("sentence", [
    "Patient {a} {b}, 52, reports fatigue; diagnosis: asthma.",
    "Pt {a} {b}, 61, seen today, diagnosed with asthma.",
    "{a} {b} has HIV.",
    "{a} {b} has HIV and takes Biktarvy daily.",
    "{a} {b} is HIV positive since 2019.",
    "{a} {b} is HIV+ and on therapy.",
    "{a} {b} Jr. was diagnosed with asthma.",
    "{a} {b} III was diagnosed with asthma.",
])
def test_a_person_named_in_a_note_without_ner_ties_it(tmp_path: Path, sentence: str) -> None:
    a, b = PEOPLE[3]
    path = tmp_path / "note.txt"
    path.write_text(sentence.format(a=a, b=b) + "\n", encoding="utf-8")
    found = findings(path)
    assert [f["rule"] for f in found if f["blocking"]] == ["health-record"], found
    assert [f["preview"][0] for f in found if f["rule"] == "pii-person"] == [a[0]]


@pytest.mark.parametrize("text", [
    "HIV testing is free at the clinic. Call {a} {b} at (404) 634-1925 to book.",
    "HIV prevalence in 30 countries was estimated from survey data.\nCorrespondence: {mail}",
    "BIKTARVY is indicated for HIV-1 infection (B20) in adults.\nReport side effects to safety@pharmaco.com.",
    "Gilead Sciences has HIV drugs in development. Contact {a} {b} at {mail}.",
    "Patient Care Technician, responsible for intake. Diagnosis: asthma (J45.909).",
    "Patient Safety Week, 3 to 9 March: staff diagnosed with influenza stay home.",
    "Patient Reported Outcomes (PRO), diagnosed with asthma: 40 of 120.",
])
def test_hiv_wording_and_patient_titles_without_a_person_tie_nothing(tmp_path: Path, text: str) -> None:
    a, b = PEOPLE[4]
    path = tmp_path / "page.md"
    path.write_text(text.format(a=a, b=b, mail=mail(a, b)) + "\n", encoding="utf-8")
    assert blocking_health(findings(path)) == []


@pytest.mark.parametrize("identifier", ["DOB {dob}", "MRN {mrn}", "Patient {a} {b},"])
def test_each_identifier_of_the_note_ties_its_code_alone(tmp_path: Path, identifier: str) -> None:
    """The MRN and the DOB are Safe Harbor identifiers and tied already: the note gave nothing
    because the code after "Assessment:" was not found. Each alone ties it now."""
    a, b = PEOPLE[0]
    dob, mrn = "/".join(["07", "24", "19" + "36"]), "55" + "172" + "09"
    path = tmp_path / "note.txt"
    path.write_text(f"Follow-up visit. {identifier.format(dob=dob, mrn=mrn, a=a, b=b)} reports fatigue. "
                    "Assessment: asthma (J45.909).\n", encoding="utf-8")
    [code] = [f for f in findings(path) if f["rule"] == "health-icd10"]
    assert code["blocking"], code


@pytest.mark.parametrize("section", ["Chief complaint: fatigue for three weeks.",
                                     "Assessment and plan: iron deficiency, start ferrous sulfate.",
                                     "History of present illness: fatigue since March."])
def test_clinical_note_sections_are_health_wording_next_to_a_person(tmp_path: Path, section: str) -> None:
    """As "Diagnosis:" is: the note of a person named in it blocks, with no code in it."""
    a, b = PEOPLE[1]
    path = tmp_path / "note.md"
    path.write_text(f"Patient: {a} {b}\n{section}\n", encoding="utf-8")
    assert [f["rule"] for f in blocking_health(findings(path))] == ["health-record"]
    alone = tmp_path / "alone.md"
    alone.write_text(f"{section}\n", encoding="utf-8")
    assert blocking_health(findings(alone)) == []


@pytest.mark.parametrize("header", ["patient", "Patient", "member", "beneficiary"])
def test_a_column_of_full_names_headed_by_a_role_ties_the_row(tmp_path: Path, header: str) -> None:
    """`patient` holding full names beside a diagnosis: a patient table (high), as `patient_name`
    is; the same header holding ids is no person, and the diagnoses stay low."""
    rows = [[f"{first} {last}", diagnosis, code] for (first, last), (diagnosis, code) in zip(PEOPLE * 2, DIAGNOSES)]
    found = findings(write_csv(tmp_path / "visits.csv", [header, "diagnosis", "icd10"], rows))
    assert {f["rule"] for f in blocking_health(found)} == {"health-column", "health-icd10"}, found
    ids = [[f"P{1000 + i}", diagnosis, code] for i, (diagnosis, code) in enumerate(DIAGNOSES)]
    found = findings(write_csv(tmp_path / "ids.csv", [header, "diagnosis", "icd10"], ids))
    assert health(found) and blocking_health(found) == []


@pytest.mark.parametrize("note", [
    "Patient {name}. Assessment: chronic kidney disease (N18.3).",
    "Patient {name}, seen today. Assessment: chronic kidney disease (N18.3).",
])
def test_a_patient_named_before_a_sentence_end_ties_the_note(tmp_path: Path, note: str) -> None:
    """'Patient <Name>.' ends a sentence as 'Patient <Name>,' ends a clause (second new-user trial:
    the period left the code low); 'Patient Care Team.' names no one."""
    first, last = PEOPLE[2]
    path = tmp_path / "notes.txt"
    path.write_text(note.format(name=f"{first} {last}") + "\n", encoding="utf-8")
    assert blocking_health(findings(path)), findings(path)
    path.write_text(note.format(name="Care Team") + "\n", encoding="utf-8")
    assert blocking_health(findings(path)) == []
