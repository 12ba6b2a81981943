"""PII through the whole pipeline (`hfguard scan`): CSV/JSONL/notebook inputs written at test
time, one finding per column, offline with the network unreachable, Presidio and spaCy imported
only when a file has a candidate, and source trees quiet at medium and above."""
from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from hfguard.cli import main


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def pii_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["category"] in ("pii", "health")]


@pytest.fixture()
def fake() -> Faker:
    f = Faker("en_US")
    f.seed_instance(4321)
    return f


def write_customers(path: Path, fake: Faker, rows: int = 60) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "phone", "ssn", "plan", "signup"])
        for i in range(rows):
            phone = f"(415) {fake.random_int(200, 999)}-{fake.random_int(1000, 9999)}"
            writer.writerow([i + 1, fake.free_email(), phone, fake.ssn(), "pro", fake.date_this_decade().isoformat()])


def test_a_customer_csv_blocks_with_one_finding_per_column(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    write_customers(tmp_path / "customers.csv", fake)
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    by_field = {f["field"]: f for f in pii_findings(report)}
    assert set(by_field) == {"email", "phone", "ssn"}
    email = by_field["email"]
    assert (email["rule"], email["severity"], email["row"], email["line"], email["blocking"]) == (
        "pii-email", "high", 1, 2, True)
    assert email["message"] == "60 email addresses in this column"
    assert by_field["ssn"]["rule"] == "pii-us-ssn" and by_field["ssn"]["severity"] == "high"
    assert "…" in email["preview"] and "@" not in email["preview"][1:-1]


def test_reviews_jsonl_with_a_stray_email_blocks_at_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    email = fake.free_email()
    with (tmp_path / "reviews.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(40):
            text = fake.paragraph() + (f" Reach me at {email}." if i == 17 else "")
            handle.write(json.dumps({"id": i, "stars": 4, "review": {"text": text}}) + "\n")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    [finding] = pii_findings(report)
    assert (finding["rule"], finding["severity"], finding["row"], finding["field"]) == (
        "pii-email", "medium", 18, "review.text")


def test_pii_in_a_notebook_output_is_medium(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    email = fake.free_email()
    notebook = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{
            "cell_type": "code", "execution_count": 1, "metadata": {}, "id": "a1",
            "source": ["df = load()\n", "df.head(1)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"0  Ann Lee  {email}\n"]}],
        }],
    }
    (tmp_path / "explore.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    code, report = scan_json(capsys, str(tmp_path))
    [finding] = pii_findings(report)
    assert (finding["rule"], finding["severity"], finding["cell"], code) == ("pii-email", "medium", 1, 1)


def test_a_lone_email_in_code_or_docs_is_reported_low_and_does_not_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker
) -> None:
    (tmp_path / "setup.py").write_text(f'AUTHOR_EMAIL = "{fake.free_email()}"\n', encoding="utf-8")
    (tmp_path / "README.md").write_text(f"Questions: {fake.free_email()} or docs@example.com\n", encoding="utf-8")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert sorted((f["path"].rsplit("/", 1)[-1], f["severity"]) for f in pii_findings(report)) == [
        ("README.md", "low"), ("setup.py", "low")]


def test_scan_with_the_network_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake: Faker
) -> None:
    """Presidio's email validation (tldextract) and spaCy never reach for the network."""
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            attempts.append(name)
            raise OSError(101, "network disabled by the test")
        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    write_customers(tmp_path / "customers.csv", fake, rows=80)
    (tmp_path / "notes.md").write_text(
        "\n".join(f"{fake.name()}: {fake.free_email()} / {fake.company_email()}" for _ in range(5)), encoding="utf-8")
    code, report = scan_json(capsys, str(tmp_path), "--jobs", "1")
    assert code == 1
    rules = {(f["path"].rsplit("/", 1)[-1], f["rule"]) for f in pii_findings(report)}
    assert ("customers.csv", "pii-email") in rules and ("notes.md", "pii-email") in rules
    assert attempts == []


_NO_CANDIDATES = r"""
import json, sys
from hfguard.cli import main
code = main(["scan", sys.argv[1], "--format", "json", "--jobs", "1", "--output", sys.argv[2]])
print(json.dumps({"code": code, "presidio": "presidio_analyzer" in sys.modules, "spacy": "spacy" in sys.modules}))
"""


def test_a_scan_without_candidates_never_imports_presidio_or_spacy(tmp_path: Path, fake: Faker) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "model.py").write_text("def forward(x):\n    return x * 2  # no personal data here\n", encoding="utf-8")
    (tree / "README.md").write_text(fake.paragraph() + "\n", encoding="utf-8")
    (tree / "data.csv").write_text("word,count\nhello,3\nworld,4\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", _NO_CANDIDATES, str(tree), str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"code": 0, "presidio": False, "spacy": False}
    # nor does personal data: the pattern recognisers need neither (issue 13)
    (tree / "README.md").write_text(f"Mail {fake.free_email()}\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", _NO_CANDIDATES, str(tree), str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert json.loads(run.stdout.strip().splitlines()[-1])["presidio"] is False


def test_a_missing_spacy_model_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    (tmp_path / "notes.md").write_text(f"mail {fake.free_email()}\n", encoding="utf-8")
    code = main(["scan", str(tmp_path), "--spacy-model", "xx_missing_model_sm", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "xx_missing_model_sm" in err and "pip install 'hfguard[ner]'" in err and "Traceback" not in err
    (tmp_path / ".hfguard.toml").write_text('[pii]\nspacy_model = "xx_missing_model_sm"\n', encoding="utf-8")
    assert main(["scan", str(tmp_path), "--jobs", "1"]) == 2


def _package_dir(name: str) -> Path | None:
    try:
        module = __import__(name)
    except ImportError:
        return None
    return Path(module.__file__).parent  # type: ignore[arg-type]


def test_source_trees_stay_quiet_at_medium_and_above(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real code (hfguard itself, Presidio, tldextract, requests): no PII/health finding that blocks."""
    trees = [str(p) for p in map(_package_dir, ["hfguard", "presidio_analyzer", "tldextract", "requests", "urllib3"]) if p]
    _, report = scan_json(capsys, *trees, "--jobs", "1")  # no fork of this (large) test process
    blocking = [f for f in pii_findings(report) if f["severity"] in ("medium", "high", "critical")]
    assert blocking == [], [(f["rule"], f["path"], f["line"], f["preview"]) for f in blocking]
    assert report["stats"]["files"] > 100


def test_pii_notes_say_how_much_text_presidio_saw(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    with (tmp_path / "big.jsonl").open("w", encoding="utf-8") as handle:
        sentences = [fake.paragraph(nb_sentences=6) for _ in range(200)]
        for i in range(6000):  # over 1 MB: the size from which the note is given
            extra = f" mail {fake.free_email()}" if i % 50 == 0 else ""
            handle.write(json.dumps({"text": sentences[i % 200] + extra}) + "\n")
    code, report = scan_json(capsys, str(tmp_path), "--jobs", "1")
    assert code == 1
    notes = [n for n in report["stats"].get("notes", []) if "PII:" in n]
    assert len(notes) == 1 and "recognisers saw" in notes[0] and "windows" in notes[0]


def test_config_pii_table_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: Faker) -> None:
    write_customers(tmp_path / "customers.csv", fake, rows=10)
    (tmp_path / ".hfguard.toml").write_text(textwrap.dedent("""
        [pii]
        entities = ["US_SSN"]
    """), encoding="utf-8")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    assert [f["rule"] for f in pii_findings(report)] == ["pii-us-ssn"]
