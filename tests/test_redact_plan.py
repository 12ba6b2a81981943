"""What `hfguard redact` changes follows what the scan says blocks: health values in a table that
names no one stay; in a patient table they go, and only in the rows tied to a person."""
from __future__ import annotations

import csv
import random
from pathlib import Path

from faker import Faker

from hfguard.cli import main
from hfguard.redact import redact_paths

DIAGNOSES = ["type 2 diabetes", "hypertension", "asthma", "depression"]
CODES = ["E11.9", "I10", "J45.909", "F32.9"]
AT = "@"  # addresses are put together at run time


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _research(n: int = 200) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(3)
    rows = []
    for i in range(n):
        k = rng.randrange(4)
        rows.append([f"S{i:04d}", rng.choice(["20-29", "30-39", "40-49"]), DIAGNOSES[k], CODES[k],
                     rng.choice(["metformin", "lisinopril", "albuterol"]), rng.choice(["improved", "stable"])])
    return ["subject", "age_band", "diagnosis", "icd10", "medication", "outcome"], rows


def test_research_table_without_a_person_is_copied_as_it_is(tmp_path: Path) -> None:
    header, rows = _research()
    src = tmp_path / "research.csv"
    _write(src, header, rows)
    assert main(["scan", str(src)]) == 0  # health values tied to no one: reported low, nothing blocks
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0
    assert (tmp_path / "out" / "research.csv").read_bytes() == src.read_bytes()
    assert report.files[0].copied and report.files[0].changes == []


def test_patient_table_health_columns_are_cleared(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _research()
    fake = Faker("en_US")
    fake.seed_instance(4)
    header = ["name", "email", *header[2:]]
    rows = [[fake.name(), f"patient.{i}x{AT}gmail.com", *r[2:]] for i, r in enumerate(rows)]
    src = tmp_path / "patients.csv"
    _write(src, header, rows)
    assert main(["scan", str(src)]) == 1
    table = pa.table({h: [r[j] for r in rows] for j, h in enumerate(header)})
    pq.write_table(table, tmp_path / "patients.parquet")
    report = redact_paths([src, tmp_path / "patients.parquet"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    back = _read(tmp_path / "out" / "patients.csv")
    assert len(back) == len(rows)
    assert {r["diagnosis"] for r in back} == {""} and {r["medication"] for r in back} == {""}
    assert [r["outcome"] for r in back] == [r[-1] for r in rows]  # not health data by itself: kept
    parquet = pq.read_table(tmp_path / "out" / "patients.parquet")
    assert parquet.schema.equals(table.schema) and parquet.num_rows == len(rows)
    assert set(parquet.column("diagnosis").to_pylist()) == {None}
    assert parquet.column("outcome").to_pylist() == table.column("outcome").to_pylist()


def test_only_the_rows_tied_to_a_person_lose_their_health_values(tmp_path: Path) -> None:
    """One record in ten names a patient: the scan reports the diagnoses of those as blocking
    and the others as not (low), so only those are cleared."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fake = Faker("en_US")
    fake.seed_instance(5)
    rng = random.Random(5)
    rows = []
    for i in range(200):
        named = i % 10 == 0
        rows.append([fake.name() if named else "", f"patient.{i}y{AT}gmail.com" if named else "",
                     rng.choice(DIAGNOSES), rng.choice(["improved", "stable"])])
    header = ["name", "email", "diagnosis", "outcome"]
    src = tmp_path / "mixed.csv"
    _write(src, header, rows)
    table = pa.table({h: [r[j] for r in rows] for j, h in enumerate(header)})
    pq.write_table(table, tmp_path / "mixed.parquet", row_group_size=64)
    report = redact_paths([src, tmp_path / "mixed.parquet"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    back = _read(tmp_path / "out" / "mixed.csv")
    parquet = pq.read_table(tmp_path / "out" / "mixed.parquet").column("diagnosis").to_pylist()
    for i, (row, new) in enumerate(zip(rows, back)):
        if i % 10 == 0:
            assert new["diagnosis"] == "" and parquet[i] is None and new["name"] == "<PERSON>"
        else:
            assert new["diagnosis"] == row[2] and parquet[i] == row[2]
    counts = {(c.field, c.entity): c.count for c in report.files[0].changes}
    assert counts[("diagnosis", "HEALTH_FIELD")] == 20


def test_the_redact_table_is_read_with_the_config(tmp_path: Path) -> None:
    """The [redact] operators come from the config as load_config read it: the file is not read
    a second time (a change after loading changes nothing)."""
    from hfguard.policy.discover import load_config

    header, rows = ["id", "ssn"], [[str(i), f"{100 + i:03d}-{10 + i % 80:02d}-{1000 + i:04d}"] for i in range(40)]
    _write(tmp_path / "c.csv", header, rows)
    toml = tmp_path / ".hfguard.toml"
    toml.write_text('[redact]\noperators = { US_SSN = "mask" }\n')
    config = load_config(toml)
    toml.write_text('[redact]\noperators = { US_SSN = "replace" }\n')
    report = redact_paths([tmp_path / "c.csv"], tmp_path / "out", config=config)
    assert report.exit_code == 0, report.remaining.to_dict()
    masked = [r["ssn"] for r in _read(tmp_path / "out" / "c.csv")]
    assert masked == ["***-**-" + r[1][-4:] for r in rows]  # the mask read with the config, not "<US_SSN>"


def test_codes_follow_the_named_rows_and_are_cleared_like_the_diagnosis(tmp_path: Path) -> None:
    """Half the records name a patient: the icd10 column (blocking only in those rows, low in the
    others) was replaced with <ICD10_CODE> in all 40 rows, then cleared in all of them by the next
    round; it follows the same rows as the diagnosis and is cleared like it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fake = Faker("en_US")
    fake.seed_instance(8)
    rng = random.Random(8)
    rows = []
    for i in range(40):
        named = i % 2 == 0
        k = rng.randrange(4)
        rows.append([fake.name() if named else "", f"pt.{i}x{AT}gmail.com" if named else "", DIAGNOSES[k], CODES[k],
                     rng.choice(["improved", "stable"])])
    header = ["name", "email", "diagnosis", "icd10", "outcome"]
    _write(tmp_path / "half.csv", header, rows)
    pq.write_table(pa.table({h: [r[j] for r in rows] for j, h in enumerate(header)}), tmp_path / "half.parquet",
                   row_group_size=16)
    report = redact_paths([tmp_path / "half.csv", tmp_path / "half.parquet"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    back = _read(tmp_path / "out" / "half.csv")
    table = pq.read_table(tmp_path / "out" / "half.parquet")
    for i, (row, new) in enumerate(zip(rows, back)):
        if i % 2 == 0:
            assert new["diagnosis"] == new["icd10"] == "" and new["email"] == "<EMAIL_ADDRESS>"
            assert table.column("icd10")[i].as_py() is None and table.column("diagnosis")[i].as_py() is None
        else:
            assert (new["diagnosis"], new["icd10"]) == (row[2], row[3])
            assert table.column("icd10")[i].as_py() == row[3]
    for changes in report.files:
        counts = {(c.field, c.operator): c.count for c in changes.changes}
        assert counts[("icd10", "clear")] == 20 and counts[("diagnosis", "clear")] == 20
