"""Faults a new user's trial of `hfguard redact` found (issue 16): what the scan could not read is
an error up front with nothing written, a file with nothing to change is copied byte for byte,
and errors say what and where."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from hfguard.cli import main
from hfguard.redact import redact_paths

AT = "@"  # addresses are put together at run time


def _people(path: Path, n: int = 30) -> list[str]:
    emails = [f"ann.lee{i}{AT}gmail.com" for i in range(n)]
    path.write_text("id,email\r\n" + "".join(f"{i},{e}\r\n" for i, e in enumerate(emails)), newline="")
    return emails


def test_a_binary_file_named_csv_is_an_error_and_nothing_is_written(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The scan says 'not a CSV file: binary content': redact said '0 value(s) redacted', wrote a
    re-serialised copy (CR turned to LF, a newline added) and only its rescan failed."""
    rng = random.Random(3)
    body = bytearray(rng.randrange(1, 256) for _ in range(3992))
    body[1000] = 0x0D  # a lone CR the csv module would have turned into LF
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(body))
    emails = _people(tmp_path / "in" / "people.csv")
    code = main(["redact", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 2
    assert "binary.csv: error: not redacted: not a CSV file: binary content" in out
    assert "could not be scanned" not in out and "binary.csv: 0 value(s)" not in out
    assert not (tmp_path / "out" / "binary.csv").exists()
    redacted = (tmp_path / "out" / "people.csv").read_bytes().decode()
    assert not any(e in redacted for e in emails) and redacted.count("\r\n") == 31  # the others still redacted


def test_a_file_with_nothing_to_change_is_copied_byte_for_byte(tmp_path: Path) -> None:
    """A Parquet map column of emails blocks, but map values are not redacted: nothing changes,
    so the copy is the original, not a re-serialised Parquet file (exit 1: it still blocks)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 60
    table = pa.table({
        "id": list(range(n)),
        "contacts": pa.array([[("work", f"bo.kim{i}{AT}yahoo.com")] for i in range(n)],
                             pa.map_(pa.string(), pa.string())),
    })
    src = tmp_path / "contacts.parquet"
    pq.write_table(table, src, compression="gzip")
    report = redact_paths([src], tmp_path / "out")
    assert report.exit_code == 1
    assert (tmp_path / "out" / "contacts.parquet").read_bytes() == src.read_bytes()
    [changes] = report.files
    assert changes.copied and changes.values == 0
    assert changes.to_dict()["copied_because"] == "nothing in it could be changed"


def test_errors_say_what_and_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'PermissionError', '(ArrowInvalid)' said neither what failed nor where."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in" / "sub").mkdir(parents=True)
    _people(tmp_path / "in" / "sub" / "people.csv")
    table = pa.table({"email": [f"cy.ng{i}{AT}outlook.com" for i in range(50)]})
    pq.write_table(table, tmp_path / "in" / "broken.parquet")
    data = (tmp_path / "in" / "broken.parquet").read_bytes()
    (tmp_path / "in" / "broken.parquet").write_bytes(data[: len(data) // 2])  # truncated
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").write_text("a file where the copy's folder should go\n")
    code = main(["redact", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 2
    lines = [line for line in out.splitlines() if ": error: " in line]
    assert any(line.startswith(str(tmp_path / "in" / "broken.parquet")) and "not a valid Parquet file" in line
               for line in lines), out
    assert any("people.csv: error: not redacted: cannot write " + str(tmp_path / "out" / "sub") in line
               and line.rstrip().endswith(("File exists", "Not a directory")) for line in lines), out
    assert "ArrowInvalid)" not in out and "(FileExistsError)" not in out


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_permission_denied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in" / "people.csv"
    src.parent.mkdir()
    _people(src)
    src.chmod(0)
    try:
        code = main(["redact", str(src), "-o", str(tmp_path / "out")])
    finally:
        src.chmod(0o600)
    out = capsys.readouterr().out
    assert code == 2 and "people.csv: error: not redacted: cannot read: permission denied" in out.lower()


def test_library_messages_keep_what_and_leave_values_out() -> None:
    import pyarrow as pa

    from hfguard.redact.formats import detail

    secret = "dee.rao" + AT + "gmail.com"
    message = detail(pa.ArrowInvalid(f"Failed to parse string: '{secret}' as a scalar of type int64\nmore"))
    assert message.startswith("ArrowInvalid: Failed to parse string") and secret not in message
    assert detail(PermissionError(13, "Permission denied", "x.csv")) == "Permission denied"


def test_quiet_prints_nothing_on_success_and_what_matters_otherwise(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`redact --quiet` as `scan --quiet`: nothing when the copies are clean; else errors, what
    still blocks and the summary, without the per-file change lines."""
    src = tmp_path / "in" / "people.csv"
    src.parent.mkdir()
    _people(src)
    assert main(["redact", str(src), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    (tmp_path / "in" / "data.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert main(["redact", str(tmp_path / "in"), "-o", str(tmp_path / "out2"), "--quiet"]) == 2
    out = capsys.readouterr().out
    assert "data.csv: error: not redacted" in out and "value(s) redacted;" in out
    assert "people.csv ->" not in out
