"""Never show a secret: masking rules, and every output of a scan of planted secrets of every rule.

Outputs checked: text, JSON, SARIF (stdout and --output files), the baseline file, stderr, log
records, warnings, exception messages and reprs of the report objects, per-file error messages of
broken files that contain secrets, and UploadBlocked (once hfguard.hub exists).
"""
from __future__ import annotations

import importlib.util
import io
import json
import logging
import socket
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfguard.cli import main
from hfguard.masking import MAX_SHOWN, mask, printable, redact
from hfguard.models import Blob, Chunk, ChunkKind, Match
from hfguard.scanner import FileScanner, ScanOptions, scan_blobs
from test_reliability_planted import Planted, checked_secrets, plant_tree, planted_values

ELLIPSIS = "\u2026"


def visible(preview: str) -> int:
    return len(preview.replace(ELLIPSIS, "").replace("*", ""))


# --- the mask itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("abc", "***"),
        ("hunter2", "******"),  # under 8: nothing but stars
        ("hunter2!x", "h\u2026x"),  # 9 chars: 2 shown, not 4
        ("0123456789abcdef", "01\u2026ef"),
        ("hf_" + "AbCdEfGhIj" * 3 + "KlMn", "hf_A\u2026KlMn"),  # DESIGN.md's example form
    ],
)
def test_mask_examples(value: str, expected: str) -> None:
    assert mask(value) == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(min_size=0, max_size=300))
def test_mask_shows_at_most_a_quarter_and_eight_chars(value: str) -> None:
    preview = mask(value)
    n = len(" ".join(value.split()))
    assert visible(preview) <= min(MAX_SHOWN, n // 4)
    assert preview.isprintable()
    if len(value) >= 8:
        assert value not in preview


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=80))
def test_printable_never_lets_control_characters_through(value: str) -> None:
    out = printable(value)
    assert out.isprintable()
    out.encode("utf-8")  # no lone surrogates


def test_redact_replaces_every_occurrence() -> None:
    secret = "s3cr3t-" + "Q" * 20
    assert redact(f"a.{secret}.b[{secret}]", [secret]) == f"a.{mask(secret)}.b[{mask(secret)}]"
    assert redact(None, [secret]) is None


# --- every output of a full scan ---------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planted]]:
    root = tmp_path_factory.mktemp("planted")
    values = plant_tree(root / "repo")
    return root / "repo", values


def _assert_no_secret(text: str, secrets: set[str], where: str) -> None:
    leaked = sorted(mask(s) for s in secrets if s in text)
    assert not leaked, f"{where} shows {len(leaked)} secret(s) in full: {leaked}"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    caplog.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.DEBUG):
            code = main(argv)
    out = capsys.readouterr()
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    warned = "\n".join(str(w.message) for w in caught)
    return code, "\n".join([out.out, out.err, logged, warned])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_output_format_shows_a_planted_secret(
    planted: tuple[Path, list[Planted]], fmt: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    repo, values = planted
    secrets = checked_secrets(values)
    code, everything = _run(["scan", str(repo), "--format", fmt, "--show-suppressed"], capsys, caplog)
    assert code == 1
    _assert_no_secret(everything, secrets, f"`scan --format {fmt}` (stdout, stderr, logs, warnings)")
    report_file = tmp_path / f"report.{fmt}"
    code, everything = _run(["scan", str(repo), "--format", fmt, "--output", str(report_file)], capsys, caplog)
    assert code == 1
    _assert_no_secret(everything + report_file.read_text(encoding="utf-8"), secrets, f"--output {fmt}")


def test_findings_cover_the_planted_rules_and_previews_are_masks(
    planted: tuple[Path, list[Planted]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The leak checks above mean something only if the planted values are found."""
    from hfguard.masking import fingerprint

    repo, values = planted
    assert main(["scan", str(repo), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    by_fp = {f["fingerprint"]: f for f in report["findings"]}
    found = 0
    for p in values:
        finding = by_fp.get(fingerprint(p.rule.id, p.secret, str(repo / p.path)))
        if finding is None:
            continue
        found += 1
        assert finding["preview"] == mask(p.secret)
        assert visible(finding["preview"]) <= min(MAX_SHOWN, len(p.secret) // 4)
    assert found >= 0.9 * len(values), f"only {found} of {len(values)} planted values were reported"


def test_baseline_file_and_its_messages_show_no_secret(
    planted: tuple[Path, list[Planted]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    repo, values = planted
    target = tmp_path / "baseline.json"
    code, everything = _run(["baseline", str(repo), "-o", str(target)], capsys, caplog)
    assert code == 0
    _assert_no_secret(everything + target.read_text(encoding="utf-8"), checked_secrets(values), "baseline")


def test_reprs_of_findings_and_report_show_no_secret(planted: tuple[Path, list[Planted]]) -> None:
    from hfguard.scanner import scan_disk

    repo, values = planted
    report = scan_disk([str(repo)], ScanOptions())
    texts = [repr(report), str(report.to_dict(show_suppressed=True))]
    texts += [repr(f) for f in report.findings + report.suppressed] + [repr(e) for e in report.errors]
    _assert_no_secret("\n".join(texts), checked_secrets(values), "repr of Report/Finding/FileError")


def test_secret_in_a_key_or_column_name_is_masked_in_every_field() -> None:
    """Readers put JSON key paths, column names and cell text into `field` / `location`: a value
    found in the file never shows there in full."""
    values = [p for p in planted_values() if len(p.secret) >= 12]
    assert values
    secret = values[0].secret
    chunk = Chunk(f"x = {secret}", ChunkKind.DATA, field=f"config.{secret}.token", location=f"key {secret}")
    match = Match(values[0].rule.id, values[0].rule.category, values[0].rule.severity, chunk, 4, 4 + len(secret),
                  secret, message=f"value {secret} seen")
    scanner = FileScanner(ScanOptions(pii=False))
    blob = Blob("x.txt", lambda: io.BytesIO(b""))
    result = scanner.scan_blob(blob)
    scanner._to_findings(blob, [match], result)
    (finding,) = result.findings
    _assert_no_secret(json.dumps(finding.to_dict()) + repr(finding), {secret}, "finding fields")
    assert mask(secret) in (finding.field or "")


# Broken files of each kind the readers know, with a planted secret right where a parser would
# quote it in its error message.
def _broken_files(secret: str) -> dict[str, bytes]:
    s = secret.encode()
    return {
        "broken.json": b'{"token": "' + s + b'", "x": [1, 2,, ' + s + b"}",
        "broken.jsonl": b'{"a": 1}\n{"token": ' + s + b"}\n",
        "broken.ipynb": b'{"cells": [{"cell_type": "code", "source": ["' + s + b'"]' + b"}, ",
        "broken.csv": b'a,b\n"' + s + b'",2\n"unterminated,' + s + b"\n1,2,3,4,5\n",
        "broken.tsv": b"a\tb\n" + s + b"\t\t\t\n\"x\t" + s + b"\n",
        "broken.parquet": b"PAR1" + s + b"\x00\x01garbage" + s + b"PAR1",
        "broken.gz": b"\x1f\x8b\x08\x00" + s + b"truncated",
        "broken.bz2": b"BZh9" + s,
        "broken.zst": b"(\xb5/\xfd" + s,
        "broken.xz": b"\xfd7zXZ\x00" + s,
        "broken.zip": b"PK\x03\x04" + s,
        "broken.tar.gz": b"\x1f\x8b\x08\x00\x00\x00" + s,
        "bad-utf8.txt": b"token=" + s + b"\xff\xfe\xc3\x28\n",
    }


def test_error_messages_of_broken_files_show_no_secret(tmp_path: Path) -> None:
    values = [p for p in planted_values() if len(p.secret) >= 12]
    secret = values[0].secret
    blobs = []
    for name, data in _broken_files(secret).items():
        blobs.append(Blob(f"broken/{name}", lambda data=data: io.BytesIO(data), len(data)))
    report = scan_blobs(blobs, ScanOptions())
    texts = [json.dumps(report.to_dict())] + [repr(e) for e in report.errors]
    _assert_no_secret("\n".join(texts), {secret}, "per-file error messages")


# --- UploadBlocked ---------------------------------------------------------------------------------


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access during a blocked upload")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.skipif(importlib.util.find_spec("hfguard.hub") is None,
                    reason="hfguard.hub (safe_upload, UploadBlocked) is not written yet")
def test_upload_blocked_shows_no_secret(planted: tuple[Path, list[Planted]], monkeypatch: pytest.MonkeyPatch) -> None:
    from hfguard import hub

    repo, values = planted
    _no_network(monkeypatch)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub.UploadBlocked) as info:
        hub.safe_upload(folder_path=str(repo), repo_id="someone/something", token="hf_" + "x" * 34)
    exc = info.value
    texts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    texts += [repr(value) for value in vars(exc).values()]
    for value in vars(exc).values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            to_dict = getattr(item, "to_dict", None)
            texts.append(json.dumps(to_dict()) if callable(to_dict) else repr(item))
    _assert_no_secret("\n".join(texts), checked_secrets(values), "UploadBlocked")


# --- personal and health data: the values Presidio and the health recognisers find ------------------

PII_VALUES = {
    "email": "jane.marple@stmarymead-village.org",
    "phone": "+44 20 7946 0958",
    "ssn": "536-90-4411",
    "card": "4111 1111 1111 1111",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "mrn": "MRN 48213377",
}


def test_personal_and_health_values_never_show_in_full(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    v = PII_VALUES
    (repo / "notes.md").write_text(
        f"Patient Jane Marple, {v['mrn']}, diagnosed with E11.9 type 2 diabetes.\n"
        f"Reach her at {v['email']} or {v['phone']}. SSN {v['ssn']}.\n"
        f"Card {v['card']}, IBAN {v['iban']}.\n")
    rows = ["name,email,phone,ssn"] + [f"P{i},{i}{v['email']},{v['phone'][:-2]}{i:02d},{v['ssn'][:-2]}{i:02d}" for i in range(30)]
    (repo / "customers.csv").write_text("\n".join(rows) + "\n")
    values = set(v.values()) | {f"{i}{v['email']}" for i in range(30)}
    for fmt in ("text", "json", "sarif"):
        code, everything = _run(["scan", str(repo), "--format", fmt, "--show-suppressed"], capsys, caplog)
        assert code == 1
        _assert_no_secret(everything, values, f"PII scan --format {fmt}")
    target = tmp_path / "baseline.json"
    code, everything = _run(["baseline", str(repo), "-o", str(target)], capsys, caplog)
    _assert_no_secret(everything + target.read_text(encoding="utf-8"), values, "PII baseline")
