"""`hfguard redact`: personal values in column names and JSON keys, compressed Parquet, and
archives (never copied unredacted)."""
from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

from hfguard.cli import main
from hfguard.redact import redact_paths

DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me"]
JANE = "jane.roe55" + "@" + "gmail.com"  # put together at run time


def _email(i: int) -> str:
    return f"member.number{i}@{DOMAINS[i % 4]}"


def test_json_keys_holding_a_value_are_renamed_the_same_way_in_every_record(tmp_path: Path) -> None:
    records = []
    for i in range(40):
        who = _email(i % 20)  # each key appears in two records
        records.append({"id": i, "contacts": {who: {"email": who, "plan": "pro"}}})
    src = tmp_path / "contacts.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["scan", str(src)]) == 1
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    text = (tmp_path / "out" / "contacts.jsonl").read_text()
    assert not [e for e in {_email(i) for i in range(20)} if e in text]
    back = [json.loads(line) for line in text.splitlines()]
    assert [r["id"] for r in back] == list(range(40))
    keys = [next(iter(r["contacts"])) for r in back]
    assert keys[:20] == keys[20:]  # the same key, the same new name
    assert len(set(keys[:20])) == 20  # different keys, different names
    assert all(k.startswith("<EMAIL_ADDRESS>") for k in keys)
    assert all(r["contacts"][k] == {"email": "<EMAIL_ADDRESS>", "plan": "pro"} for r, k in zip(back, keys))
    counts = {(c.field, c.entity): c.count for c in report.files[0].changes}
    assert counts[("(column names and keys)", "EMAIL_ADDRESS")] == 20


def test_column_names_holding_a_value_are_renamed(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    header = ["id", JANE, "email"]
    rows = [[str(i), "x", _email(i)] for i in range(40)]
    with (tmp_path / "c.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    table = pa.table({"id": list(range(40)), JANE: ["x"] * 40, "email": [r[2] for r in rows]})
    pq.write_table(table, tmp_path / "c.parquet", compression="zstd")
    report = redact_paths([tmp_path / "c.csv", tmp_path / "c.parquet"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    text = (tmp_path / "out" / "c.csv").read_text()
    assert text.splitlines()[0] == "id,<EMAIL_ADDRESS>,email" and "jane.roe55" not in text
    assert [line.split(",")[:2] for line in text.splitlines()[1:]] == [[r[0], "x"] for r in rows]
    out = pq.ParquetFile(tmp_path / "out" / "c.parquet")
    assert out.schema_arrow.names == ["id", "<EMAIL_ADDRESS>", "email"]
    assert [out.metadata.row_group(0).column(i).compression for i in range(3)] == ["ZSTD"] * 3
    back = out.read()
    assert back.column(1).to_pylist() == ["x"] * 40 and back.column("id").to_pylist() == list(range(40))


def test_compressed_parquet_keeps_both_codecs(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": list(range(300)), "email": [_email(i) for i in range(300)],
                      "plan": ["pro"] * 300})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", row_group_size=100)
    src = tmp_path / "customers.parquet.gz"
    src.write_bytes(gzip.compress(buf.getvalue()))
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    assert report.files[0].format == "parquet+gz"
    packed = (tmp_path / "out" / "customers.parquet.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    out = pq.ParquetFile(io.BytesIO(gzip.decompress(packed)))
    assert out.metadata.num_row_groups == 3 and out.metadata.row_group(0).column(1).compression == "ZSTD"
    back = out.read()
    assert back.schema.equals(table.schema) and back.column("id").to_pylist() == list(range(300))
    assert set(back.column("email").to_pylist()) == {"<EMAIL_ADDRESS>"}
    assert not list((tmp_path / "out").glob(".hfguard-redact-*"))  # the spooled copy is gone


def test_archive_members_are_redacted_and_the_rest_kept(tmp_path: Path) -> None:
    """Members with a finding are redacted in their own format; the others, the member order,
    names, dates, modes and each member's compression stay."""
    body = "id,email\n" + "".join(f"{i},{_email(i)}\n" for i in range(40))
    readme = b"Customer export, see the data card.\n"
    with zipfile.ZipFile(tmp_path / "data.zip", "w") as z:
        z.writestr(zipfile.ZipInfo("docs/", (2020, 1, 2, 3, 4, 6)), b"")
        z.writestr(zipfile.ZipInfo("docs/readme.txt", (2020, 1, 2, 3, 4, 6)), readme, zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("customers.csv", (2021, 5, 6, 7, 8, 10)), body, zipfile.ZIP_DEFLATED)
    with tarfile.open(tmp_path / "data.tar.gz", "w:gz") as t:
        for name, data, mode in (("readme.txt", readme, 0o644), ("customers.csv", body.encode(), 0o600)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 1_600_000_000
            t.addfile(info, io.BytesIO(data))
    assert main(["scan", str(tmp_path / "data.zip")]) == 1
    report = redact_paths([tmp_path / "data.zip", tmp_path / "data.tar.gz"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    emails = {_email(i) for i in range(40)}
    with zipfile.ZipFile(tmp_path / "out" / "data.zip") as z:
        infos = z.infolist()
        assert [(i.filename, i.date_time, i.compress_type) for i in infos] == [
            ("docs/", (2020, 1, 2, 3, 4, 6), zipfile.ZIP_STORED),
            ("docs/readme.txt", (2020, 1, 2, 3, 4, 6), zipfile.ZIP_STORED),
            ("customers.csv", (2021, 5, 6, 7, 8, 10), zipfile.ZIP_DEFLATED)]
        assert z.read("docs/readme.txt") == readme
        rows = list(csv.reader(io.StringIO(z.read("customers.csv").decode())))
    assert rows[0] == ["id", "email"] and [r[0] for r in rows[1:]] == [str(i) for i in range(40)]
    assert {r[1] for r in rows[1:]} == {"<EMAIL_ADDRESS>"}
    packed = (tmp_path / "out" / "data.tar.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(packed)) as t:
        members = t.getmembers()
        assert [(m.name, m.mode, m.mtime) for m in members] == [
            ("readme.txt", 0o644, 1_600_000_000), ("customers.csv", 0o600, 1_600_000_000)]
        assert t.extractfile("readme.txt").read() == readme  # type: ignore[union-attr]
        text = t.extractfile("customers.csv").read().decode()  # type: ignore[union-attr]
    assert not [e for e in emails if e in text] and text.count("<EMAIL_ADDRESS>") == 40
    changes = {(f.path.rsplit("/", 1)[-1], c.field, c.count) for f in report.files for c in f.changes}
    assert changes == {("data.zip", "customers.csv: email", 40), ("data.tar.gz", "customers.csv: email", 40)}


def test_a_finding_in_a_nested_archive_is_an_error_and_nothing_is_copied(tmp_path: Path) -> None:
    body = "id,email\n" + "".join(f"{i},{_email(i)}\n" for i in range(40))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("customers.csv", body)
    with zipfile.ZipFile(tmp_path / "outer.zip", "w") as z:
        z.writestr("inner.zip", inner.getvalue())
    report = redact_paths([tmp_path / "outer.zip"], tmp_path / "out")
    assert report.exit_code == 2
    assert [Path(e.path).name for e in report.errors] == ["outer.zip"] and "nested" in report.errors[0].message
    assert not (tmp_path / "out" / "outer.zip").exists()
    assert main(["redact", str(tmp_path / "outer.zip"), "-o", str(tmp_path / "out2")]) == 2
    assert not list((tmp_path / "out2").iterdir())
