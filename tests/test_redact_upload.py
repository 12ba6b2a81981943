"""`hfguard upload --redact`: the redacted copy is what reaches the Hub (stand-in on 127.0.0.1),
and nothing is sent when the copy still blocks."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hubserver import HubServer

from hfguard.cli import main

TOKEN = "hf_" + "C" * 34


def _customers(path: Path, n: int = 40) -> list[str]:
    emails = [f"customer{i}.lastname@gmail.com" for i in range(n)]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "email", "plan"])
        writer.writerows([i, e, "pro"] for i, e in enumerate(emails))
    return emails


def test_upload_redact_sends_the_redacted_copy(hub: HubServer, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    emails = _customers(folder / "customers.csv")
    (folder / "README.md").write_text("# Customers\n")
    assert main(["upload", "user/data", str(folder), "--repo-type", "dataset", "--token", TOKEN]) == 1
    assert hub.requests == []  # blocked as it is
    assert main(["upload", "user/data", str(folder), "--repo-type", "dataset", "--token", TOKEN, "--redact"]) == 0
    files = hub.commits()[-1].files
    assert set(files) == {"customers.csv", "README.md"}
    sent = files["customers.csv"].decode()
    assert not any(e in sent for e in emails)
    assert sent.splitlines()[0] == "id,email,plan" and sent.splitlines()[1] == "0,<EMAIL_ADDRESS>,pro"
    assert (folder / "customers.csv").read_text().count("@gmail.com") == len(emails)  # original kept


def test_upload_redact_single_file_keeps_its_name(hub: HubServer, tmp_path: Path) -> None:
    emails = _customers(tmp_path / "customers.csv")
    assert main(["upload", "user/data", str(tmp_path / "customers.csv"), "--repo-type", "dataset",
                 "--token", TOKEN, "--redact"]) == 0
    files = hub.commits()[-1].files
    assert list(files) == ["customers.csv"] and emails[0] not in files["customers.csv"].decode()


def test_upload_redact_sends_nothing_when_the_copy_still_blocks(hub: HubServer, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "dataset"
    folder.mkdir()
    schema = pa.schema([("id", pa.int64()), ("m", pa.map_(pa.string(), pa.string()))])
    rows = [{"id": i, "m": {"k": f"person{i}.lastname@gmail.com"}} for i in range(30)]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "map.parquet")
    assert main(["upload", "user/data", str(folder), "--repo-type", "dataset", "--token", TOKEN, "--redact"]) == 1
    assert hub.requests == []
    err = capsys.readouterr().err
    assert "still blocks" in err and "not uploaded" in err
    assert not any(f"person{i}.lastname@gmail.com" in err for i in range(30))
