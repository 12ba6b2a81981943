"""One large JSONL file scanned in pieces by two processes gives the report of a one-process scan:
same findings, locations, occurrence lists and counts, groups, notes and errors.

The piece size is made small (16 kB) so that a generated file of a few hundred kB is cut into
many pieces with personal data, health data and secrets on both sides of each cut.
"""
from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import secretgen

from hfguard import scanner, split
from hfguard.budget import BudgetExceeded
from hfguard.readers import jsondata
from hfguard.scanner import FileScanner, ScanOptions, scan_disk

BATCH = 16 * 1024


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pieces of 16 kB; every piece a worker scans is logged (pid, first byte) to the returned file."""
    monkeypatch.setattr(jsondata, "BLOCK_BYTES", 4 * 1024)
    monkeypatch.setattr(jsondata, "BATCH_BYTES", BATCH)
    monkeypatch.setattr(split, "PIECE_BYTES", BATCH)
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 2 * BATCH)
    monkeypatch.setattr(scanner, "_spare_cores", lambda: 1)  # whatever the machine's load
    log = tmp_path / "pieces.log"
    scan_piece = FileScanner.scan_piece

    def logged(self: FileScanner, reader: str, blob: Any, head: bytes, piece: split.Piece) -> split.PieceResult:
        with log.open("a") as out:
            out.write(f"{os.getpid()} {piece.start}\n")
        return scan_piece(self, reader, blob, head, piece)

    monkeypatch.setattr(FileScanner, "scan_piece", logged)
    return log


def _report(path: Path, jobs: int | None) -> dict[str, Any]:
    report = scan_disk([str(path)], ScanOptions(jobs=jobs)).to_dict()
    report["stats"].pop("seconds")
    return report


def _worker_pieces(log: Path) -> list[int]:
    """First bytes of the pieces another process scanned."""
    if not log.exists():
        return []
    entries = [line.split() for line in log.read_text().splitlines()]
    return [int(start) for pid, start in entries if int(pid) != os.getpid()]


def _card(rng: random.Random) -> str:
    """A Visa-shaped number with a valid Luhn digit, in groups of four."""
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    number = "".join(map(str, digits)) + str(-total % 10)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def _tickets(path: Path, rows: int, seed: int = 3) -> None:
    """Support tickets with emails, phones, cards and SSNs in free text, an email column, patient
    records with diagnoses, secrets, nested lists, non-ASCII text, blank lines and broken lines."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        for n in range(rows):
            text = f"Ticket {n}: the parcel arrived late. "
            roll = n % 7
            if roll == 0:
                text += f"Write to me at client{n}.{rng.randint(10, 99)}@example-mail.org please."
            elif roll == 1:
                text += f"Call me at (415) {rng.randint(200, 999)}-{rng.randint(1000, 9999)} after six."
            elif roll == 2:
                text += f"My SSN is {rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}."
            elif roll == 3:
                text += f"They charged my card {_card(rng)} twice!"
            elif roll == 4:
                text += f"Übergröße, café crème, naïve résumé {n} ✓"
            record: dict[str, Any] = {"id": f"T{n:06d}", "text": text}
            if n % 3 == 0:
                record["email"] = f"user{n}@mailbox{n % 11}.net"
            if n % 5 == 0:
                record["patient"] = {"contact": f"pat{n}@clinic-mail.org", "notes": [
                    "Diagnosed with type 2 diabetes, prescribed metformin 500 mg.", f"visit {n}"]}
            if n % 97 == 0:
                record["token"] = secretgen.hf_token(f"split{n}")
            line = json.dumps(record, ensure_ascii=n % 2 == 0)
            if n % 211 == 17:
                line = line[: len(line) // 2]  # not JSON: scanned as text, named in a note
            out.write(line + "\n")
            if n % 173 == 5:
                out.write("   \n")  # a blank line: not a record
        out.write(json.dumps({"id": "last", "text": "no newline at the end, mail last@example-mail.org"}))


def test_split_scan_equals_one_process_scan(tmp_path: Path, small_pieces: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    _tickets(path, 2500)
    assert path.stat().st_size > 20 * BATCH
    alone = _report(path, jobs=1)
    assert not _worker_pieces(small_pieces)
    pieces = _report(path, jobs=2)
    assert len(_worker_pieces(small_pieces)) >= 5  # the split really ran, in another process
    assert pieces == alone
    # ...and it is a report with something in it: groups, occurrences, notes, rows from late pieces
    rules = {f["rule"] for f in alone["findings"]}
    assert {"pii-email", "pii-phone", "pii-us-ssn", "pii-credit-card"} <= rules
    assert any(f["rule"].startswith("huggingface") for f in alone["findings"])
    grouped = [f for f in alone["findings"] if f.get("count")]
    assert grouped and max(f["count"] for f in grouped) > 500
    assert max(o["row"] for f in grouped for o in f["occurrences"]) > 2000
    assert any("not valid JSON" in note for note in alone["stats"]["notes"])


def test_matches_over_the_cap_are_counted_across_pieces(
    tmp_path: Path, small_pieces: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than 1,000 matches of one rule, in one piece and over several: the first 1,000 in
    file order are kept, the rest counted in one note, as in one process."""
    for module, name in ((jsondata, "BATCH_BYTES"), (split, "PIECE_BYTES")):
        monkeypatch.setattr(module, name, 4 * BATCH)  # 64 kB: over 1,000 tokens in a piece
    path = tmp_path / "keys.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(800):
            tokens = " ".join(secretgen.hf_token(f"cap{n}.{k}") for k in range(5))
            out.write(json.dumps({"n": n, "note": f"keys {tokens} rotated"}) + "\n")
    alone = _report(path, jobs=1)
    pieces = _report(path, jobs=2)
    assert _worker_pieces(small_pieces)
    assert pieces == alone
    assert any(" more match(es) of huggingface" in note for note in alone["stats"]["notes"])
    assert len([f for f in alone["findings"] if f["category"] == "secret"]) == 1000


def test_record_straddling_a_cut(tmp_path: Path, small_pieces: Path) -> None:
    """A record that runs across a multiple of the piece size belongs to the next piece, whole:
    its values are found on its own line and row."""
    path = tmp_path / "straddle.jsonl"
    filler = {"text": "nothing to see here " * 4}
    lines: list[str] = []
    size = 0
    while size < BATCH - 150:  # the next record starts ~150 bytes before the first cut
        lines.append(json.dumps(filler))
        size += len(lines[-1]) + 1
    long_text = "x" * 200 + " SSN 512-38-4471 " + "y" * 200 + " reach me at jane.doe@example-mail.org"
    lines.append(json.dumps({"text": long_text}))
    straddler = len(lines)  # its line and row (no blank lines)
    assert size < BATCH < size + len(lines[-1])
    lines.extend(json.dumps(filler) for _ in range(600))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with path.open("rb") as stream:
        cuts = [p.start for p in split.jsonl_pieces(stream, path.stat().st_size)]
    assert cuts[1] == size  # the first cut is the start of the straddling record
    alone = _report(path, jobs=1)
    pieces = _report(path, jobs=2)
    assert size in _worker_pieces(small_pieces)  # the straddling record was a worker's
    assert pieces == alone
    found = {f["rule"]: f for f in pieces["findings"]}
    for rule in ("pii-us-ssn", "pii-email"):
        assert (found[rule]["line"], found[rule]["row"], found[rule]["field"]) == (straddler, straddler, "text")
    assert found["pii-email"]["column"] == json.dumps({"text": long_text}).index("jane.doe") + 1


def test_no_cut_after_a_line_the_reader_scans_as_text(
    tmp_path: Path, small_pieces: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line longer than MAX_JSONL_LINE that ends a little before a multiple of the piece size,
    records after it: the reader scans the line as text and reads on past the chunk end there, so
    the file is not cut after it (a cut there made those records one line of bad JSON)."""
    for module in (jsondata, split):
        monkeypatch.setattr(module, "MAX_JSONL_LINE", 8 * BATCH)  # as 32 MB to 4 MB pieces
    lines: list[str] = []
    size = 0
    while size < 3 * BATCH:
        lines.append(json.dumps({"email": f"user{len(lines)}@mailbox.net"}))
        size += len(lines[-1]) + 1
    after = [json.dumps({"text": f"mail me at after{k}@example-mail.org"}) for k in range(3)]
    mark = 12 * BATCH  # the first multiple of the piece size after the long line
    long_line = json.dumps({"text": "x" * (mark - size - sum(len(a) + 1 for a in after) - 64)})
    assert len(long_line) > 8 * BATCH
    lines += [long_line, *after]
    size += sum(len(line) + 1 for line in (long_line, *after))  # (a little before mark)
    while size < mark + 3 * BATCH:
        lines.append(json.dumps({"email": f"user{len(lines)}@mailbox.net"}))
        size += len(lines[-1]) + 1
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    alone = _report(path, jobs=1)
    pieces = _report(path, jobs=2)
    assert _worker_pieces(small_pieces)
    assert pieces == alone
    assert not any("not valid JSON" in note for note in alone["stats"]["notes"])


def test_pieces_count_lines_and_rows_as_the_reader(tmp_path: Path, small_pieces: Path) -> None:
    """Blank lines (also of non-ASCII spaces) are lines but not rows; a BOM is not a character."""
    path = tmp_path / "blank.jsonl"
    body = ["\ufeff" + json.dumps({"a": "first"})]
    for n in range(3000):
        body.append(json.dumps({"a": f"value {n}"}))
        if n % 100 == 7:
            body.append(" \u00a0\u2003\x1c ")
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    with path.open("rb") as stream:
        pieces = list(split.jsonl_pieces(stream, path.stat().st_size))
    assert len(pieces) > 3
    data = path.read_bytes()
    for piece in pieces[1:]:
        before = data[: piece.start].decode("utf-8-sig").split("\n")[:-1]
        assert piece.first_line == len(before) + 1
        assert piece.first_row == sum(1 for line in before if line.strip()) + 1


def test_a_time_stop_keeps_what_was_found_as_in_one_process(
    tmp_path: Path, small_pieces: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's time budget runs out (deterministically: right after the part every file gets)
    while workers hold pieces further on: the stop, the findings made before it and the error
    are those of one process."""

    class Spent:
        def check(self, guaranteed: bool = False) -> None:
            if not guaranteed:
                raise BudgetExceeded()

    @contextmanager
    def spent_budget(seconds: float | None) -> Iterator[Spent]:
        yield Spent()

    monkeypatch.setattr(scanner, "time_budget", spent_budget)
    monkeypatch.setattr(scanner, "GUARANTEED_CHARS", 5 * BATCH)
    path = tmp_path / "tickets.jsonl"
    _tickets(path, 2500)
    alone = _report(path, jobs=1)
    pieces = _report(path, jobs=2)
    assert _worker_pieces(small_pieces)
    assert pieces == alone
    assert [e["message"].split(" after ")[0] for e in alone["errors"]] == ["scan stopped"]
    assert 5 * BATCH <= alone["stats"]["bytes"] < path.stat().st_size / 2
    assert {f["rule"] for f in alone["findings"]} >= {"pii-email", "pii-us-ssn"}


@pytest.fixture
def small_text_pieces(small_pieces: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Text chunks of 16 kB (overlap 1 kB), read 4 kB at a time."""
    from hfguard.readers import text

    monkeypatch.setattr(text, "PIECE_CHARS", BATCH)
    monkeypatch.setattr(text, "OVERLAP_CHARS", 1024)
    monkeypatch.setattr(text, "READ_BYTES", 4096)
    return small_pieces


def _notes(path: Path, lines: int, seed: int = 9) -> None:
    """Support notes: emails, phones, SSNs and cards in prose, tokens, non-ASCII and CRLF lines,
    and undecodable bytes."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        for n in range(lines):
            line = f"{n}: customer wrote in about order {rng.randint(1000, 9999)}. "
            roll = n % 9
            if roll == 0:
                line += f"Reply to c{n}.{rng.randint(10, 99)}@example-mail.org."
            elif roll == 1:
                line += f"Call me at (312) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}."
            elif roll == 2:
                line += f"SSN {rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)} on file."
            elif roll == 3:
                line += f"Paid with card {_card(rng)}."
            elif roll == 4:
                line += "Crème brûlée, Übergröße, naïve ✓ 😀"
            if n % 89 == 0:
                line += f" token={secretgen.hf_token(f'text{n}')}"
            data = line.encode("utf-8") + (b"\r\n" if n % 5 == 0 else b"\n")
            if n % 401 == 7:
                data = b"\xff\xfe broken \xe2\x82 bytes " + data
            out.write(data)


@pytest.mark.parametrize("name", ["notes.txt", "service.log"])
def test_split_text_scan_equals_one_process_scan(tmp_path: Path, small_text_pieces: Path, name: str) -> None:
    path = tmp_path / name
    _notes(path, 6000)
    alone = _report(path, jobs=1)
    pieces = _report(path, jobs=2)
    assert len(_worker_pieces(small_text_pieces)) >= 5
    assert pieces == alone
    rules = {f["rule"] for f in alone["findings"]}
    assert {"pii-email", "pii-phone", "pii-us-ssn", "pii-credit-card"} <= rules
    assert any(f["rule"].startswith("huggingface") and f["line"] > 5000 for f in alone["findings"])


def test_text_pieces_start_where_chunks_start(tmp_path: Path, small_text_pieces: Path) -> None:
    """Each cut is the byte, line and column where a chunk of a whole-file read starts."""
    from hfguard.models import ChunkKind
    from hfguard.readers.text import read_text_chunks
    from hfguard.scanner import disk_blob

    _notes(tmp_path / "body.txt", 3000)
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "body.txt").read_bytes())  # a BOM: not a character
    blob = disk_blob(str(path), str(path))
    head = path.read_bytes()[:8192]
    chunks = list(read_text_chunks(blob, head, ChunkKind.PROSE))
    with path.open("rb") as stream:
        pieces = list(split.text_pieces(stream, head))
    assert len(pieces) == len(chunks) > 5
    text = path.read_bytes().decode("utf-8-sig", "surrogateescape")
    for k, (piece, chunk) in enumerate(zip(pieces, chunks)):
        assert (piece.first_line, piece.first_column) == (chunk.line, chunk.column)
        rest = path.read_bytes()[piece.start:].decode("utf-8-sig" if k == 0 else "utf-8", "surrogateescape")
        assert rest == text[k * BATCH:]
        assert piece.chunks == (1 if k + 1 < len(pieces) else None)


def test_no_split_without_a_spare_core(tmp_path: Path, small_pieces: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine whose cores are all busy the file is scanned in one process by default, to the
    same report; an explicit --jobs 2 is done as asked."""
    path = tmp_path / "tickets.jsonl"
    _tickets(path, 600)
    split_report = _report(path, jobs=2)
    assert _worker_pieces(small_pieces)
    small_pieces.unlink()
    monkeypatch.setattr(scanner, "_spare_cores", lambda: 0)
    monkeypatch.setattr(scanner.os, "cpu_count", lambda: 2)
    assert _report(path, jobs=None) == split_report  # the default: the CPU count, if cores are free
    assert not _worker_pieces(small_pieces)
    assert _report(path, jobs=2) == split_report
    assert _worker_pieces(small_pieces)
