"""Issue 14, "report every place": a finding that groups a column or file full of personal data
keeps the grouping and lists where each value is (JSON `count` and `occurrences`, SARIF
`locations`, the text report's `rows 2, 5, 9, … (40 in all)`).

Cards, emails and SSNs are built at run time (Luhn-valid numbers from a seeded generator)."""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hfguard.cli import main
from hfguard.pii import dense

ROWS = 200
PLANTED = 40
FIRST = "anna ben carla dario elif femi grace hiro ines jonas".split()
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]


def card(rng: random.Random) -> str:
    """A 16-digit Visa-like number with a valid Luhn check digit, written in groups of four."""
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will be rightmost: double these
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def ssn(rng: random.Random) -> str:
    return f"{rng.randrange(101, 599):03d}-{rng.randrange(11, 99):02d}-{rng.randrange(1001, 9999):04d}"


def email(rng: random.Random, i: int) -> str:
    return f"{rng.choice(FIRST)}.{rng.choice(FIRST)}{i}@{rng.choice(DOMAINS)}"


def planted_table(seed: int = 14) -> tuple[list[dict[str, str]], dict[str, list[int]]]:
    """ROWS records; PLANTED of them (scattered, different ones per column) hold a card in a
    free-text note, an email, an SSN; the others hold no personal data. Returns the records and
    the 1-based rows of each column's values."""
    rng = random.Random(seed)
    rows = {name: sorted(rng.sample(range(1, ROWS + 1), PLANTED)) for name in ("note", "email", "ssn")}
    records = []
    for row in range(1, ROWS + 1):
        note = f"paid with card {card(rng)} thanks" if row in rows["note"] else "thanks for the quick help"
        records.append({
            "id": str(row),
            "note": note,
            "email": email(rng, row) if row in rows["email"] else "",
            "ssn": ssn(rng) if row in rows["ssn"] else "",
        })
    return records, rows


def write(path: Path, records: list[dict[str, str]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(records), path, row_group_size=64)


_PLACE = {"type": ["integer", "null"], "minimum": 1}
# The version 1 report (DESIGN.md): a grouped finding adds `count` and `occurrences`, together.
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "findings", "errors", "stats"],
    "properties": {
        "version": {"const": 1},
        "findings": {"type": "array", "items": {
            "type": "object",
            "required": ["rule", "category", "severity", "path", "line", "column", "cell", "row", "field", "location",
                         "preview", "fingerprint", "blocking"],
            "properties": {
                "line": _PLACE, "column": _PLACE, "cell": _PLACE, "row": _PLACE,
                "field": {"type": ["string", "null"]},
                "count": {"type": "integer", "minimum": 1},
                "occurrences": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["line", "column", "row", "cell", "field"],
                    "properties": {"line": _PLACE, "column": _PLACE, "row": _PLACE, "cell": _PLACE,
                                   "field": {"type": ["string", "null"]}},
                }},
            },
            "dependentRequired": {"count": ["occurrences"], "occurrences": ["count"]},
        }},
        "errors": {"type": "array"},
        "stats": {"type": "object"},
    },
}


def scan(capsys: pytest.CaptureFixture[str], fmt: str, *args: str) -> tuple[int, str]:
    code = main(["scan", *args, "--format", fmt])
    return code, capsys.readouterr().out


def by_field(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for f in report["findings"]:
        if f["category"] == "pii":
            assert f["field"] not in found, f"two findings for column {f['field']}"
            found[f["field"]] = f
    return found


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_json_lists_every_row_of_a_grouped_column(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    records, rows = planted_table()
    path = tmp_path / f"customers{suffix}"
    write(path, records)
    code, out = scan(capsys, "json", str(path))
    assert code == 1
    jsonschema.validate(json.loads(out), REPORT_SCHEMA)
    found = by_field(json.loads(out))
    assert set(found) == {"note", "email", "ssn"}
    for column, rule in (("note", "pii-credit-card"), ("email", "pii-email"), ("ssn", "pii-us-ssn")):
        f = found[column]
        assert f["rule"] == rule
        assert f["count"] == PLANTED
        places = f["occurrences"]
        assert [p["row"] for p in places] == rows[column]  # every row, in order
        assert {p["field"] for p in places} == {column}
        assert all(p["cell"] is None for p in places)
        # the top-level fields keep describing the first value
        assert (f["row"], f["line"], f["column"]) == (places[0]["row"], places[0]["line"], places[0]["column"])
        if suffix == ".parquet":
            assert all(p["line"] is None for p in places)
        else:  # one record a line after the CSV header / from the first JSONL line
            offset = 1 if suffix == ".csv" else 0
            assert [p["line"] for p in places] == [r + offset for r in rows[column]]


def test_findings_of_one_value_carry_no_occurrences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Additive contract: a secret (one value) keeps exactly the version 1 keys."""
    from secretgen import hf_token

    (tmp_path / "app.py").write_text(f'TOKEN = "{hf_token("occ")}"\n', encoding="utf-8")
    code, out = scan(capsys, "json", str(tmp_path))
    assert code == 1
    report = json.loads(out)
    jsonschema.validate(report, REPORT_SCHEMA)
    (finding,) = report["findings"]
    assert "count" not in finding and "occurrences" not in finding


def test_more_than_a_thousand_values_keep_a_thousand_places_and_the_full_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dense column decided at once (dense.verdicts, vectorised) still gives each value's row."""
    calls: list[int] = []
    verdicts = dense.verdicts

    def counted(kind: str, values: list[str]) -> Any:
        calls.append(len(values))
        return verdicts(kind, values)

    monkeypatch.setattr(dense, "verdicts", counted)
    rng = random.Random(7)
    total = 6000
    emails = [email(rng, i) for i in range(total)]
    emails[3] = "not an email"  # row 4 is no value of the column: rows skip it
    pq.write_table(pa.table({"id": list(range(total)), "email": emails}), tmp_path / "users.parquet")
    code, out = scan(capsys, "json", str(tmp_path / "users.parquet"))
    assert code == 1
    assert calls and max(calls) >= dense.VECTOR_MIN  # the vectorised path ran
    jsonschema.validate(json.loads(out), REPORT_SCHEMA)
    (f,) = [f for f in json.loads(out)["findings"] if f["rule"] == "pii-email"]
    assert f["count"] == total - 1
    assert len(f["occurrences"]) == 1000
    expected = [r for r in range(1, total + 1) if r != 4][:1000]
    assert [p["row"] for p in f["occurrences"]] == expected

    code, out = scan(capsys, "sarif", str(tmp_path / "users.parquet"))
    (result,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "pii-email"]
    assert len(result["locations"]) == 100
    assert result["properties"]["count"] == total - 1


def test_sarif_gives_each_value_as_a_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records, rows = planted_table()
    write(tmp_path / "customers.csv", records)
    code, out = scan(capsys, "sarif", str(tmp_path / "customers.csv"))
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "pii-us-ssn"]
    locations = result["locations"]
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in locations] == [r + 1 for r in rows["ssn"]]
    assert [loc["message"]["text"] for loc in locations] == [f"row {r}, field ssn" for r in rows["ssn"]]
    for loc in locations:  # the shape SARIF 2.1.0 gives a location (no other keys)
        assert set(loc) == {"physicalLocation", "message"}
        physical = loc["physicalLocation"]
        assert set(physical) == {"artifactLocation", "region"}
        assert physical["artifactLocation"]["uri"].endswith("customers.csv")
        assert set(physical["region"]) <= {"startLine", "startColumn"}
        assert all(isinstance(n, int) and n >= 1 for n in physical["region"].values())


def test_text_report_names_the_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records, rows = planted_table()
    write(tmp_path / "customers.parquet", records)
    code, out = scan(capsys, "text", str(tmp_path / "customers.parquet"))
    assert code == 1
    first = ", ".join(str(r) for r in rows["email"][:10])
    assert f"    rows {first}, \u2026 (40 in all)\n" in out


def test_text_file_full_of_emails_lists_its_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(3)
    lines = ["# contact list exported from the CRM"]
    numbers = []
    for i in range(30):
        lines.append(f"{email(rng, i)}")
        numbers.append(len(lines))
        lines.append("")
    (tmp_path / "contacts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = scan(capsys, "json", str(tmp_path / "contacts.txt"))
    assert code == 1
    (f,) = [f for f in json.loads(out)["findings"] if f["rule"] == "pii-email"]
    assert f["count"] == 30
    assert [p["line"] for p in f["occurrences"]] == numbers
    assert all(p["column"] == 1 and p["row"] is None for p in f["occurrences"])
    code, out = scan(capsys, "text", str(tmp_path / "contacts.txt"))
    shown = ", ".join(str(n) for n in numbers[:10])
    assert f"    lines {shown}, \u2026 (30 in all)\n" in out


def test_notebook_output_table_lists_its_places(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(5)
    table = ["   name   email"] + [f"{i:<3} {rng.choice(FIRST):<6} {email(rng, i)}" for i in range(25)]
    notebook = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Customers"]},
            {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 1, "source": ["df.head(25)"],
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [line + "\n" for line in table]}]},
        ],
    }
    path = tmp_path / "explore.ipynb"
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    code, out = scan(capsys, "json", str(path))
    (f,) = [f for f in json.loads(out)["findings"] if f["rule"] == "pii-email"]
    assert code == 1 and f["severity"] == "high"
    assert f["count"] == 25
    places = f["occurrences"]
    assert len(places) == 25 and {p["cell"] for p in places} == {2}
    disk = path.read_text(encoding="utf-8").split("\n")
    assert [p["line"] for p in places] == sorted({p["line"] for p in places})  # one a line, in order
    for p, line in zip(places, table[1:]):
        planted = line.split()[-1]
        assert planted in disk[p["line"] - 1]


def test_header_named_columns_list_their_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Names and dates of birth (columns known by their header, counted at once past a sample)."""
    rng = random.Random(11)
    total = 5000
    names = [f"{rng.choice(FIRST).title()} {rng.choice(FIRST).title()}son" for _ in range(total)]
    births = [f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}" for _ in range(total)]
    emails = [email(rng, i) for i in range(total)]
    pq.write_table(pa.table({"name": names, "email": emails, "dob": births}), tmp_path / "people.parquet")
    code, out = scan(capsys, "json", str(tmp_path / "people.parquet"))
    assert code == 1
    found = by_field(json.loads(out))
    for column in ("name", "dob"):
        f = found[column]
        assert f["count"] == total
        assert [p["row"] for p in f["occurrences"]] == list(range(1, 1001))


def test_ray_report_carries_the_same_occurrences(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install '.[ray]'")
    from hfguard.distributed import scan_paths_ray
    from hfguard.scanner import ScanOptions, scan_disk

    records, rows = planted_table()
    write(tmp_path / "a.parquet", records)
    write(tmp_path / "b.jsonl", records)
    options = ScanOptions(jobs=1)
    local = scan_disk([str(tmp_path)], options).to_dict()
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        distributed = scan_paths_ray([str(tmp_path)], options).to_dict()
    finally:
        ray.shutdown()
    for doc in (local, distributed):
        doc["stats"].pop("seconds")
    ssn = [f for f in distributed["findings"] if f["rule"] == "pii-us-ssn"]
    assert len(ssn) == 2 and all([p["row"] for p in f["occurrences"]] == rows["ssn"] for f in ssn)
    assert distributed == local


def test_places_past_the_memory_bound_are_left_out_the_count_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Places point into the text they were found in until the file is done: past
    detector.PLACES_CHARS of such text, a column lists fewer places (its first always)."""
    from hfguard.pii import detector

    rng = random.Random(9)
    total = 400
    rows = sorted(rng.sample(range(1, total + 1), 40))
    values = [ssn(rng) if r in rows else "" for r in range(1, total + 1)]
    path = tmp_path / "sparse.jsonl"
    path.write_text("".join(json.dumps({"id": r, "ssn": v}) + "\n" for r, v in enumerate(values, 1)), encoding="utf-8")
    code, out = scan(capsys, "json", str(path))
    (whole,) = [f for f in json.loads(out)["findings"] if f["rule"] == "pii-us-ssn"]
    assert code == 1 and [p["row"] for p in whole["occurrences"]] == rows

    monkeypatch.setattr(detector, "PLACES_CHARS", 1)  # no text may be kept for places
    code, out = scan(capsys, "json", str(path))
    report = json.loads(out)
    jsonschema.validate(report, REPORT_SCHEMA)
    (bounded,) = [f for f in report["findings"] if f["rule"] == "pii-us-ssn"]
    assert bounded["count"] == 40
    assert [p["row"] for p in bounded["occurrences"]] == rows[:1]  # the finding's own place
    assert bounded["row"] == rows[0]
