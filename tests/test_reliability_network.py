"""Supply chain of hfguard itself: a full scan (secrets + PII + health, notebooks, CSV, JSON,
Parquet, compressed files) runs with every socket refused and no helper process started, and the
package has no network or download code outside the upload it guards. Dependencies are pinned
to tested majors.
"""
from __future__ import annotations

import ast
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hfguard
from secretgen import aws_key_id, github_pat, hf_token

ROOT = Path(hfguard.__file__).resolve().parents[1]  # where hfguard is imported from
REPO = Path(__file__).resolve().parents[1]  # the checkout (pyproject.toml), also when installed
PACKAGE = Path(hfguard.__file__).resolve().parent

# Runs in the child before hfguard is imported: every way out is refused and recorded.
_NO_NETWORK = r'''
import json, socket, subprocess, sys
attempts = []

def refuse(name):
    def blocked(*args, **kwargs):
        attempts.append(name + " " + repr(args[1:2] if name.startswith("socket.connect") else args[:1])[:200])
        raise OSError(101, "network disabled by the test")
    return blocked

socket.socket.connect = refuse("socket.connect")
socket.socket.connect_ex = refuse("socket.connect_ex")
socket.socket.sendto = refuse("socket.sendto")
socket.create_connection = refuse("socket.create_connection")
socket.getaddrinfo = refuse("socket.getaddrinfo")
_popen_init = subprocess.Popen.__init__

def record_popen(self, args, *a, **k):
    attempts.append("subprocess " + repr(args)[:200])
    raise OSError(1, "no helper processes in this test")

subprocess.Popen.__init__ = record_popen
from hfguard.cli import main
try:
    code = main(sys.argv[1:])
finally:
    sys.stderr.write("\nATTEMPTS=" + json.dumps(attempts) + "\n")
sys.exit(code)
'''


def _tree(root: Path) -> None:
    root.mkdir()
    (root / "train.py").write_text(f'HF_TOKEN = "{hf_token("net")}"\nAWS = "{aws_key_id("net")}"\n')
    (root / "README.md").write_text("# Model card\n\nContact: Jane Doe, jane.doe@example.org, +1 415 555 0134.\n")
    rows = ["name,email,phone,diagnosis"]
    for i in range(40):
        rows.append(f"Person {i},person{i}@mail-{i}.com,+1 212 555 {1000 + i:04d},E11.{i % 10} type 2 diabetes")
    (root / "customers.csv").write_text("\n".join(rows) + "\n")
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["Patient John Smith, MRN 12345678, born 1970-01-01"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": [f'token = "{github_pat("net")}"\n'],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["mail me at someone@corp-mail.com\n"]}]},
    ]
    (root / "explore.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (root / "records.jsonl").write_text("\n".join(json.dumps({"user": f"u{i}", "email": f"u{i}@example-mail.net"}) for i in range(30)) + "\n")
    (root / "notes.txt.gz").write_bytes(gzip.compress(f"backup key {hf_token('gz')}\n".encode(), mtime=0))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"email": [f"p{i}@provider-{i}.com" for i in range(30)], "age": list(range(30))})
        pq.write_table(table, root / "people.parquet")
    except ImportError:  # pragma: no cover - pyarrow is a dependency of the Parquet reader
        pass


def _run_offline(args: list[str], cwd: Path) -> tuple[int, dict[str, object], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", _NO_NETWORK, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    marker = proc.stderr.rfind("ATTEMPTS=")
    attempts = json.loads(proc.stderr[marker + len("ATTEMPTS="):].splitlines()[0]) if marker >= 0 else []
    return proc.returncode, json.loads(proc.stdout), attempts


def test_full_scan_with_network_and_subprocesses_disabled(tmp_path: Path) -> None:
    _tree(tmp_path / "repo")
    code, report, attempts = _run_offline(["scan", "repo", "--format", "json", "--jobs", "1"], tmp_path)
    assert attempts == [], f"hfguard tried to reach out: {attempts}"
    assert code == 1 and report["errors"] == [], report["errors"]
    categories = {f["category"] for f in report["findings"]}
    assert "secret" in categories and "pii" in categories, categories
    paths = {Path(f["path"]).name for f in report["findings"]}
    assert {"train.py", "customers.csv", "explore.ipynb", "notes.txt.gz"} <= paths, paths


def test_ner_model_loads_offline_when_installed(tmp_path: Path) -> None:
    """With an installed spaCy model configured, loading it needs no network either."""
    try:
        from hfguard.pii import resolve_spacy_model

        model = resolve_spacy_model("en_core_web_sm")
    except Exception:  # noqa: BLE001 - no model installed here: nothing to load
        pytest.skip("no spaCy NER model installed")
    _tree(tmp_path / "repo")
    code, report, attempts = _run_offline(
        ["scan", "repo", "--format", "json", "--jobs", "1", "--spacy-model", model], tmp_path)
    assert attempts == [], f"hfguard tried to reach out: {attempts}"
    assert code == 1 and report["errors"] == []


# --- static checks over the package source ------------------------------------------------------------

# Modules allowed to talk to the network: the upload being guarded goes through huggingface_hub.
NETWORK_ALLOWED = re.compile(r"^hub(_\w+)?\.py$")
# Modules that reach a host the user names, and only when asked: `--ray HOST:PORT` checks that
# the cluster's head answers before Ray's own minutes of retries (`socket.create_connection`).
USER_NAMED_HOSTS = {"distributed/engine.py": {"socket"}}
FORBIDDEN_IMPORTS = {"urllib.request", "urllib3", "requests", "httpx", "http.client", "aiohttp", "socket", "ftplib"}
FORBIDDEN_CALLS = re.compile(
    r"\b(hf_hub_download|snapshot_download|spacy\.cli\.download|spacy_download|from_pretrained|urlopen|"
    r"pip\s+install|download_model|load_dataset)\b"
)


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_network_or_download_code_outside_the_hub_guard() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if NETWORK_ALLOWED.match(path.name) and "/" not in rel:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        bad = sorted(n for n in _imports(tree) if (n in FORBIDDEN_IMPORTS or n.split(".")[0] in {"requests", "httpx", "urllib3", "aiohttp"})
                     and n not in USER_NAMED_HOSTS.get(rel, set()))
        if bad:
            problems.append(f"{rel} imports {bad}")
        for node in ast.walk(tree):  # docstrings and messages may mention these words; calls may not
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if FORBIDDEN_CALLS.search(called):
                    problems.append(f"{rel} calls {called}")
    assert not problems, "\n".join(problems)


def _requirement_bounds() -> list[tuple[str, str]]:
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    reqs = [("dependencies", r) for r in project.get("dependencies", [])]
    for extra, items in project.get("optional-dependencies", {}).items():
        reqs += [(f"[{extra}]", r) for r in items]
    return reqs


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_dependencies_are_pinned_to_tested_major_versions() -> None:
    """Every runtime and extra requirement has a lower bound and an upper bound below the next
    major (`>=2.4,<3`), or is an exact pin / direct reference (models shipped as wheels)."""
    unpinned = []
    for where, req in _requirement_bounds():
        spec = req.split(";")[0]
        if "@" in spec or "==" in spec:
            continue
        if not (">=" in spec and "<" in spec.replace("<=", "")):
            unpinned.append(f"{where}: {req}")
    assert not unpinned, "requirements without a tested major range:\n" + "\n".join(unpinned)
