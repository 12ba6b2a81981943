"""Policy: inline allow pragmas, notebook cells, data fields allowed in config, path patterns."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from secretgen import hf_token

from hfguard.cli import main
from hfguard.policy.config import AllowEntry, Config
from hfguard.policy.paths import field_matches, matches
from hfguard.models import Category, Chunk, ChunkKind, Match, Severity
from hfguard.policy.judge import Policy, inline_allowed
from hfguard.readers import EXTENSION_READERS

RULE = "huggingface-access-token"


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, list[dict[str, object]]]]:
    code = main(["scan", "--no-pii", "--format", "json", "--show-suppressed", *args])
    return code, json.loads(capsys.readouterr().out)


def lines_of(report: dict[str, list[dict[str, object]]], key: str) -> list[object]:
    return sorted((f["line"] for f in report[key]), key=lambda line: (line is None, line or 0))  # type: ignore[operator]


# --- inline pragmas, end to end -------------------------------------------------------------


def test_allow_suppresses_exactly_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(
        f'A = "{hf_token("a")}"  # hfguard: allow\n'
        f'B = "{hf_token("b")}"\n'
        f'C = "{hf_token("c")}"  # hfguard: allow {RULE} -- test fixture\n'
        f'D = "{hf_token("d")}"  # hfguard: allow some-other-rule\n'
        "# hfguard: allow-next-line\n"
        f'E = "{hf_token("e")}"\n'
        f'F = "{hf_token("f")}"\n'
        f'G = "{hf_token("g")}"  # pragma: allowlist secret\n'
        f'H = "{hf_token("h")}"  # gitleaks:allow\n'
        f'I = "{hf_token("i")}"  # hfguard: allowed? no: not the pragma\n'
        f'J = "{hf_token("j")}"  # hfguard: allow because it is fake (narrows to rules "because", "it", ...)\n'
    )
    code, report = scan(capsys, str(tmp_path))
    assert code == 1
    assert lines_of(report, "suppressed") == [1, 3, 6, 8, 9]
    assert {f["suppressed"] for f in report["suppressed"]} == {"inline"}
    assert lines_of(report, "findings") == [2, 4, 7, 10, 11]
    out = json.dumps(report)
    assert all(hf_token(s) not in out for s in "abcdefghij")


def test_allow_next_line_narrowed_and_detect_secrets_nextline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "conf.yaml").write_text(
        f"# hfguard: allow-next-line {RULE}\n"
        f"a: {hf_token('a')}\n"
        "# hfguard: allow-next-line other-rule\n"
        f"b: {hf_token('b')}\n"
        "# pragma: allowlist nextline secret\n"
        f"c: {hf_token('c')}\n"
    )
    code, report = scan(capsys, str(tmp_path))
    assert code == 1 and lines_of(report, "suppressed") == [2, 6] and lines_of(report, "findings") == [4]


# --- inline pragmas, unit -------------------------------------------------------------------


def _match(text: str, secret: str, kind: ChunkKind = ChunkKind.CODE, scope: str | None = None,
           rule: str = RULE, field: str | None = None, category: Category = Category.SECRET) -> Match:
    chunk = Chunk(text, kind, allow_scope=scope, field=field)
    start = text.index(secret)
    return Match(rule, category, Severity.CRITICAL, chunk, start, start + len(secret), secret)


def test_pragmas_in_data_values_are_ignored() -> None:
    token = hf_token("data")
    assert inline_allowed(_match(f"{token} hfguard: allow", token, ChunkKind.CODE))
    assert not inline_allowed(_match(f"{token} hfguard: allow", token, ChunkKind.DATA))
    assert not inline_allowed(_match(f"{token} hfguard: allow", token, ChunkKind.OUTPUT))


def test_notebook_cell_scope() -> None:
    token = hf_token("nb")
    output = f"Logged in with {token}\n"
    source = 'from huggingface_hub import login\nlogin()  # hfguard: allow\n'
    # A pragma anywhere in the cell's source covers the cell's outputs too...
    assert inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope=source))
    # ...narrowed to a rule...
    assert not inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="x = 1  # hfguard: allow other-rule\n"))
    assert inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope=f"# hfguard: allow {RULE}\n"))
    # ...but allow-next-line stays a line pragma, and another cell's source is no scope.
    assert not inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="# hfguard: allow-next-line\nx = 1\n"))
    assert not inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="print('hi')\n"))
    # The cell metadata tag, as the notebook reader passes it (one tag a line), narrowed or not.
    assert inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="x = 1\nhfguard-allow"))
    assert inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope=f"x = 1\nhfguard-allow:{RULE}"))
    assert not inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="x = 1\nhfguard-allow:other"))
    assert not inline_allowed(_match(output, token, ChunkKind.OUTPUT, scope="x = 1\nnot-hfguard-allowed"))


def _notebook(cells: list[dict[str, object]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, indent=1)


def _code_cell(source: str, output: str, tags: list[str] | None = None) -> dict[str, object]:
    return {
        "cell_type": "code", "execution_count": 1, "id": "c", "metadata": {"tags": tags or []},
        "source": source.splitlines(keepends=True),
        "outputs": [{"output_type": "stream", "name": "stdout", "text": [output]}],
    }


@pytest.mark.skipif("ipynb" not in EXTENSION_READERS, reason="no notebook reader in this tree")
def test_notebook_allow_in_source_and_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cells = [
        _code_cell("token = load()  # hfguard: allow\nprint(token)\n", f"{hf_token('one')}\n"),
        _code_cell("print(load())\n", f"{hf_token('two')}\n", tags=["hfguard-allow"]),
        _code_cell("print(load())\n", f"{hf_token('three')}\n"),
    ]
    (tmp_path / "nb.ipynb").write_text(_notebook(cells))
    code, report = scan(capsys, str(tmp_path))
    assert code == 1
    assert sorted(f["cell"] for f in report["suppressed"]) == [1, 2]  # type: ignore[type-var]
    assert [f["cell"] for f in report["findings"]] == [3]


# --- config: data fields, paths ---------------------------------------------------------------


def test_allow_entry_by_path_field_and_category(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config(root=tmp_path, allow=(
        AllowEntry(path="data/*.csv", field="support_email", categories=frozenset({Category.PII})),
        AllowEntry(path="data/users.jsonl", field="users[*].contact.*"),
    ))
    policy = Policy(config)
    email = "help@example.org"
    pii = _match(email, email, ChunkKind.DATA, rule="email-address", field="support_email", category=Category.PII)
    assert policy.suppression(pii, "data/contacts.csv", "fp") == "config"
    assert policy.suppression(pii, str(tmp_path / "data" / "contacts.csv"), "fp") == "config"  # absolute
    assert policy.suppression(pii, "other/contacts.csv", "fp") is None  # path
    other_field = _match(email, email, ChunkKind.DATA, rule="email-address", field="email", category=Category.PII)
    assert policy.suppression(other_field, "data/contacts.csv", "fp") is None  # field
    token = hf_token("csv")
    secret = _match(token, token, ChunkKind.DATA, field="support_email")
    assert policy.suppression(secret, "data/contacts.csv", "fp") is None  # category: a token still blocks
    nested = _match(email, email, ChunkKind.DATA, rule="email-address", field="users[3].contact.email",
                    category=Category.PII)
    assert policy.suppression(nested, "data/users.jsonl", "fp") == "config"


@pytest.mark.skipif("csv" not in EXTENSION_READERS, reason="no CSV reader in this tree")
def test_allow_entry_by_field_in_a_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keys.csv").write_text(
        f"name,demo_key,live_key\nalpha,{hf_token('demo')},{hf_token('live')}\n"
    )
    (tmp_path / ".hfguard.toml").write_text('[[allow]]\npath = "data/keys.csv"\nfield = "demo_key"\n')
    code, report = scan(capsys, ".")
    assert code == 1
    assert [f["field"] for f in report["findings"]] == ["live_key"]
    assert [(f["field"], f["suppressed"]) for f in report["suppressed"]] == [("demo_key", "config")]


@pytest.mark.parametrize(
    "path, patterns, expected",
    [
        ("data/x.csv", ["data/"], True),
        ("data/", ["data/"], True),
        ("src/data", ["data/"], False),  # a file named data: `data/` matches folders only
        ("src/data/x", ["data/"], True),  # unanchored: a folder at any depth
        ("src/data/x", ["/data/"], False),  # anchored
        ("a/b/c.csv", ["*.csv"], True),
        ("a/b/c.csv", ["a/*.csv"], False),  # `*` does not cross `/`
        ("a/b/c.csv", ["a/**/*.csv"], True),
        ("a/c.csv", ["a/**/*.csv"], True),  # `/**/`: zero folders too
        ("x/secrets.txt", ["**/secrets.txt"], True),
        ("secrets.txt", ["**/secrets.txt"], True),
        ("logs/a/b.log", ["logs/**"], True),
        ("a.py", ["?.py"], True),
        ("ab.py", ["?.py"], False),
        ("b.py", ["[a-c].py"], True),
        ("d.py", ["[!a-c].py"], True),
        ("tests/keep.py", ["tests/*", "!tests/keep.py"], False),  # re-included
        ("tests/drop.py", ["tests/*", "!tests/keep.py"], True),
        ("tests/keep.py", ["tests/", "!tests/keep.py"], True),  # parent excluded: as git, no re-include
        ("a+b(c).txt", ["a+b(c).txt"], True),  # regex characters are literal
        ("star*.txt", ["star\\*.txt"], True),
        ("stars.txt", ["star\\*.txt"], False),
        ("docs/a.md", ["docs"], True),
    ],
)
def test_gitignore_patterns(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_field_patterns() -> None:
    assert field_matches("email", "email") and not field_matches("email2", "email")
    assert field_matches("users[3].email", "users[*].email")
    assert field_matches("a.b.phone", "*.phone") and not field_matches("phone", "*.phone")


def test_pragma_lookup_on_a_huge_line_is_local() -> None:
    tokens = [hf_token(f"long{i}") for i in range(300)]
    filler = "x" * 5000
    text = filler.join(tokens) + "  # hfguard: allow"  # one 1.5 MB line
    policy = Policy(Config())
    allowed = [policy.suppression(_match(text, t), "min.js", "fp") for t in tokens]
    # Only the value next to the pragma is covered; the scan does not re-read the line 300 times.
    assert allowed[-1] == "inline" and allowed[:-1] == [None] * 299
