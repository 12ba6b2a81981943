"""`hfguard redact` on Parquet and Arrow: row groups, schema and codecs kept while streaming, and
columns decided as a whole (by header, or by the scan's vectorised verdicts) with the other
cells checked one by one."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from hfguard.redact import redact_paths

DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me"]
AT = "@"  # addresses are put together at run time
LEAD = f"team.lead{AT}proton.me"
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Susan"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Moore"]


def _table(n: int, seed: int = 5) -> object:
    import pyarrow as pa

    rng = random.Random(seed)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]
    return pa.table({
        "id": list(range(n)),
        "name": names,
        "email": [f"{nm.split()[0].lower()}.{nm.split()[1].lower()}{i}@{DOMAINS[i % 4]}" for i, nm in enumerate(names)],
        "ssn": [f"{rng.randrange(1, 665):03d}-{rng.randrange(1, 99):02d}-{rng.randrange(1, 9999):04d}" for _ in range(n)],
        "plan": pa.array([["free", "pro", "team"][i % 3] for i in range(n)]).dictionary_encode(),
        "amount": [rng.random() * 100 for _ in range(n)],
        "notes": [f"Order {i} shipped in {rng.randrange(1, 9)} days" for i in range(n)],
    }, metadata={b"origin": b"test"})


def _strings(table: object) -> set[str]:
    return {v for c in table.columns for v in c.to_pylist() if isinstance(v, str)}  # type: ignore[attr-defined]


def test_row_groups_schema_and_per_column_codecs_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    from hfguard.redact.formats import columnar

    monkeypatch.setattr(columnar, "SLICE_ROWS", 500)  # several record batches in each row group
    table = _table(6000)
    src = tmp_path / "customers.parquet"
    pq.write_table(table, src, row_group_size=2500,
                   compression={"id": "snappy", "name": "gzip", "email": "zstd", "ssn": "zstd", "plan": "snappy",
                                "amount": "none", "notes": "gzip"})
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    dest = tmp_path / "out" / "customers.parquet"
    before, after = pq.ParquetFile(src).metadata, pq.ParquetFile(dest).metadata
    assert after.num_row_groups == before.num_row_groups == 3
    assert [after.row_group(g).num_rows for g in range(3)] == [2500, 2500, 1000]
    for g in range(3):
        assert [after.row_group(g).column(c).compression for c in range(7)] == [
            before.row_group(g).column(c).compression for c in range(7)]
    back = pq.read_table(dest)
    assert back.schema.equals(table.schema, check_metadata=True)
    for column in ("id", "plan", "amount", "notes"):
        assert back.column(column).to_pylist() == table.column(column).to_pylist()
    originals = {v for name in ("name", "email", "ssn") for v in table.column(name).to_pylist()}
    assert not originals & _strings(back)
    assert set(back.column("email").to_pylist()) == {"<EMAIL_ADDRESS>"}
    assert report.files[0].notes == []


def test_a_row_group_too_big_to_hold_is_written_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    from hfguard.redact.formats import columnar

    monkeypatch.setattr(columnar, "SLICE_ROWS", 1000)
    monkeypatch.setattr(columnar, "FLUSH_BYTES", 100_000)  # about 1,000 rows of this table
    table = _table(5000)
    src = tmp_path / "big.parquet"
    pq.write_table(table, src, row_group_size=5000)
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    meta = pq.ParquetFile(tmp_path / "out" / "big.parquet").metadata
    assert meta.num_rows == 5000 and meta.num_row_groups > 1
    assert any("written as several" in n for n in report.files[0].notes)
    back = pq.read_table(tmp_path / "out" / "big.parquet")
    assert back.column("id").to_pylist() == list(range(5000))


def test_dense_column_cells_follow_the_scan_verdicts(tmp_path: Path) -> None:
    """A column of emails with a few other cells: every email cell is replaced whole (the
    vectorised verdict), an email inside a sentence only where it stands, a no-reply address
    (not personal to the scan) and a plain word are left as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 3000
    emails = [f"user.number{i}@{DOMAINS[i % 4]}" for i in range(n)]
    cells = list(emails)
    cells[10] = f"write to jane.roe77{AT}gmail.com please"
    cells[20] = "noreply@gmail.com"
    cells[30] = "unknown"
    cells[40] = None
    table = pa.table({"id": list(range(n)), "email": cells})
    src = tmp_path / "contacts.parquet"
    pq.write_table(table, src)
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    back = pq.read_table(tmp_path / "out" / "contacts.parquet").column("email").to_pylist()
    assert back[10] == "write to <EMAIL_ADDRESS> please"
    assert back[20] == "noreply@gmail.com" and back[30] == "unknown" and back[40] is None
    assert {v for i, v in enumerate(back) if i not in (10, 20, 30, 40)} == {"<EMAIL_ADDRESS>"}
    counts = {(c.field, c.entity): c.count for c in report.files[0].changes}
    assert counts == {("email", "EMAIL_ADDRESS"): n - 3}


def test_dense_column_hash_and_allowed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-value operators (hash) and the config's allow list apply on the vectorised path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("HFGUARD_REDACT_KEY", "a-test-key-of-enough-bytes")
    n = 2500
    emails = [f"person.{i % 1000}@{DOMAINS[i % 4]}" for i in range(n)]
    emails[7] = LEAD
    pq.write_table(pa.table({"email": emails}), tmp_path / "c.parquet")
    (tmp_path / ".hfguard.toml").write_text("[allowlist]\nregexes = ['^team[.]lead@proton[.]me$']\n")
    report = redact_paths([tmp_path / "c.parquet"], tmp_path / "out", operators={"EMAIL_ADDRESS": "hash"})
    assert report.exit_code == 0, report.remaining.to_dict()
    back = pq.read_table(tmp_path / "out" / "c.parquet").column("email").to_pylist()
    assert back[7] == LEAD
    assert all(v.startswith("<EMAIL_ADDRESS_") for i, v in enumerate(back) if i != 7)
    assert back[0] == back[1000] and back[0] != back[1]  # same value, same pseudonym


def test_csv_column_of_one_kind_follows_the_scan_verdicts(tmp_path: Path) -> None:
    """CSV and JSON Lines columns get the same vectorised verdicts as Parquet ones."""
    import csv
    import json

    n = 3000
    cells = [f"user.number{i}@{DOMAINS[i % 4]}" for i in range(n)]
    cells[10] = f"write to jane.roe77{AT}gmail.com please"
    cells[20] = f"noreply{AT}gmail.com"
    cells[30] = ""
    with (tmp_path / "c.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["id", "email"], *([str(i), c] for i, c in enumerate(cells))])
    (tmp_path / "c.jsonl").write_text("".join(json.dumps({"id": i, "email": c}) + "\n" for i, c in enumerate(cells)))
    report = redact_paths([tmp_path / "c.csv", tmp_path / "c.jsonl"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    with (tmp_path / "out" / "c.csv").open(newline="") as fh:
        back_csv = [r["email"] for r in csv.DictReader(fh)]
    back_jsonl = [json.loads(line)["email"] for line in (tmp_path / "out" / "c.jsonl").read_text().splitlines()]
    for back in (back_csv, back_jsonl):
        assert back[10] == "write to <EMAIL_ADDRESS> please"
        assert back[20] == cells[20] and back[30] == ""
        assert {v for i, v in enumerate(back) if i not in (10, 20, 30)} == {"<EMAIL_ADDRESS>"}
    assert [{(c.field, c.entity): c.count for c in f.changes} for f in report.files] == [
        {("email", "EMAIL_ADDRESS"): n - 2}] * 2


def test_nested_columns_keep_their_codecs(tmp_path: Path) -> None:
    """pyarrow's `compression=` names a column by its path (`tags.list.element`, `visit.code`):
    keyed by the top name only, list and struct leaves came out UNCOMPRESSED."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = _table(3000)
    rng = random.Random(9)
    table = base.append_column("tags", pa.array([[rng.choice(["a", "b", "c"]), f"t{i % 7}"] for i in range(3000)]))
    table = table.append_column("visit", pa.array([{"code": f"V{i % 11}", "n": i} for i in range(3000)]))
    src = tmp_path / "nested.parquet"
    codecs = {"id": "snappy", "name": "gzip", "email": "zstd", "ssn": "zstd", "plan": "snappy", "amount": "none",
              "notes": "gzip", "tags.list.element": "snappy", "visit.code": "gzip", "visit.n": "zstd"}
    pq.write_table(table, src, row_group_size=1000, compression=codecs)
    before = pq.ParquetFile(src).metadata
    assert before.row_group(0).column(7).compression == "SNAPPY"  # the nested codecs were written
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    assert report.files[0].changes  # rewritten, not copied
    after = pq.ParquetFile(tmp_path / "out" / "nested.parquet").metadata
    for g in range(3):
        got = {after.row_group(g).column(c).path_in_schema: after.row_group(g).column(c).compression
               for c in range(after.num_columns)}
        want = {before.row_group(g).column(c).path_in_schema: before.row_group(g).column(c).compression
                for c in range(before.num_columns)}
        assert got == want
    back = pq.read_table(tmp_path / "out" / "nested.parquet")
    assert back.column("tags").to_pylist() == table.column("tags").to_pylist()
    assert back.column("visit").to_pylist() == table.column("visit").to_pylist()
