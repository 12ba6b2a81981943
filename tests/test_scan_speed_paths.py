"""The fast paths of a scan (issue 15) keep the scan's results: rules built once, this process
scanning alongside its workers, lazy imports on the command line's path."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from secretgen import hf_token

from hfguard import scanner
from hfguard.cli import main
from hfguard.policy.discover import load_config

ROOT = str(Path(__file__).resolve().parent.parent)

CUSTOM_RULE = """
[[rules]]
id = "acme-internal-key"
description = "ACME's internal keys"
regex = 'acme_[a-z0-9]{24}'
keywords = ["acme_"]
"""


def test_custom_rules_are_parsed_once_per_scan_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.py").write_text("KEY = 'acme_" + "k3y9" * 6 + "'\n")
    config = tmp_path / "rules.toml"
    config.write_text(CUSTOM_RULE)
    calls: list[str] = []
    real = scanner.parse_rule

    def counting(data, source, require_examples=True):  # type: ignore[no-untyped-def]
        calls.append(data["id"])
        return real(data, source, require_examples)

    monkeypatch.setattr(scanner, "parse_rule", counting)
    args = ["scan", str(tmp_path / "tree"), "--no-pii", "--jobs", "1", "--config", str(config)]
    assert main([*args, "--format", "sarif"]) == 1  # the scan, then the SARIF rule list
    sarif = json.loads(capsys.readouterr().out)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["acme-internal-key"]
    assert main(args) == 1  # text: the scan, then the remediation hints
    assert calls == ["acme-internal-key"]


def test_a_changed_custom_rule_is_built_again(tmp_path: Path) -> None:
    first = tmp_path / "a.toml"
    first.write_text(CUSTOM_RULE)
    second = tmp_path / "b.toml"
    second.write_text(CUSTOM_RULE.replace("{24}", "{30}"))
    one, two = scanner.build_ruleset(load_config(first)), scanner.build_ruleset(load_config(second))
    assert scanner.build_ruleset(load_config(first)) is one
    assert one.by_id()["acme-internal-key"].regex is not None
    assert two.by_id()["acme-internal-key"].regex.pattern.endswith("{30}")  # type: ignore[union-attr]
    assert one.by_id()["acme-internal-key"].regex.pattern.endswith("{24}")  # type: ignore[union-attr]


def _tree_of_64_files(tmp_path: Path, seed: str) -> Path:
    """64 Python files of ~120 kB (over PARALLEL_MIN_BYTES together), the last holding a token."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(64):
        (tree / f"f{i:02d}.py").write_text(f"# file {i}\n" + "x = 1\n" * 20_000)
    (tree / "f63.py").write_text(f'TOKEN = "{hf_token(seed)}"\n' + "x = 1\n" * 20_000)
    return tree


def _log_who_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file where each scanned blob writes `<pid> <path>`, whichever process scans it."""
    log = tmp_path / "pids"
    real = scanner.FileScanner.scan_blob

    def logging_scan(self, blob):  # type: ignore[no-untyped-def]
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {blob.path}\n")
        return real(self, blob)

    monkeypatch.setattr(scanner.FileScanner, "scan_blob", logging_scan)
    return log


def test_this_process_scans_alongside_one_worker_with_two_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs 2 over more than PARALLEL_MIN_BYTES: one worker process and this one share the
    files (two workers would leave this process idle); every file is scanned once."""
    tree = _tree_of_64_files(tmp_path, "shared")
    log = _log_who_scans(tmp_path, monkeypatch)
    report = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False, jobs=2))
    assert [f.rule for f in report.findings] == ["huggingface-access-token"]
    assert report.stats.files == 64
    pids = [line.split()[0] for line in log.read_text().splitlines()]
    assert len(pids) == 64  # each file once
    assert str(os.getpid()) in pids  # this process did part of the work
    assert len(set(pids)) == 2  # and one worker the rest


@pytest.mark.parametrize("secrets_only", [False, True], ids=["no-pii", "secrets-only-config"])
def test_a_scan_for_secrets_imports_no_pii_or_table_libraries(tmp_path: Path, secrets_only: bool) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    (tree / "b.json").write_text('{"k": "v"}\n')
    args = ["scan", str(tree), "--no-pii", "--format", "json"]
    heavy = ["presidio_analyzer", "spacy", "pyarrow", "pandas", "huggingface_hub", "requests"]
    if secrets_only:  # categories = ["secret"]: not even the publish-readiness checks
        (tmp_path / "secrets.toml").write_text('categories = ["secret"]\n')
        args += ["--config", str(tmp_path / "secrets.toml")]
        heavy += ["hfguard.hygiene", "pathspec"]  # no patterns in that config either
    code = (
        f"import sys; from hfguard.cli import main; rc = main({args!r});"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr); sys.exit(rc)"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_json_columns_built_on_the_way_down_match_the_leaf_walk() -> None:
    from hfguard.readers.jsontools import column_path, document_columns, exact_paths, leaves, loads

    text = json.dumps({"": {"": ["x", {"": "y"}]}, "a": [[["z"]], 1, None], "b": {"c": [], "d": "w"},
                       "users": [{"email": "e1", "tags": ["t"]}, {"email": "e2"}]})
    text = text[:-1] + ', "b": {"d": "dup"}}'  # a duplicate key, kept in order
    for source in (text, '"top"', '[1, "a", ["b"], {"k": "v"}]', "{}"):
        document = loads(source)
        expected: dict[str, tuple[list[str], list[int]]] = {}
        for path, value, ordinal in leaves(document):
            values, ordinals = expected.setdefault(column_path(path), ([], []))
            values.append(value)
            ordinals.append(ordinal)
        columns = document_columns(document)
        assert columns == expected and list(columns) == list(expected)  # same columns, same order
        assert exact_paths(document) == {ordinal: path for path, _, ordinal in leaves(document)}
    columns = document_columns(loads(text))
    assert columns["users[].email"][0] == ["e1", "e2"] and columns["b.d"][0] == ["w", "dup"]
    assert columns["[]."][0] == ["y"]


def test_start_literals_find_the_same_matches_as_finditer() -> None:
    """The engine tries a rule's regex only where one of its start literals stands: on every
    rule's examples, whole and cut at random, and with case-folding characters mixed in, the
    matches are those of regex.finditer."""
    import random

    from hfguard.secrets.engine import finditer_from, start_literals
    from hfguard.secrets.rules import expand_example, load_default_rules

    rules = load_default_rules().rules
    texts = [expand_example(t, r.id) for r in rules for t in (*r.tps, *r.fps)]
    rng = random.Random(15)
    mutated = []
    for text in texts:
        chars = list(text)
        for _ in range(2):
            if chars:
                chars[rng.randrange(len(chars))] = rng.choice("aZ_-:/\\\n '\"0K\u017f\u212a")
        mutated.append("".join(chars))
    corpus = ["\n".join(texts), *texts, *mutated]
    shortcut = 0
    for rule in rules:
        assert rule.regex is not None
        starts = start_literals(rule.regex)
        if starts is None:
            continue
        shortcut += 1
        for text in corpus:
            lo = rng.randrange(len(text) // 3 + 1)
            for start, stop in ((0, len(text)), (lo, max(lo, len(text) - rng.randrange(3)))):
                expected = [(m.span(), m.groups()) for m in rule.regex.finditer(text, start, stop)]
                assert [(m.span(), m.groups()) for m in finditer_from(rule.regex, starts, text, start, stop)] == expected
    assert shortcut >= 50


def test_start_literals_of_a_rule_behind_look_behinds() -> None:
    import re

    from hfguard.secrets.engine import start_literals

    starts = start_literals(re.compile(r"(?i)(?:(?<!pad_)(?<!eos_)token|(?<![a-z])pat|bearer)\s*=\s*'(\w{8,})'"))
    assert starts is not None and starts.flags & re.IGNORECASE
    assert sorted(m.start() for m in starts.finditer("x = 1; TOKEN = 'abcdefgh12'; Bearer")) == [7, 29]
    assert start_literals(re.compile(r"\b(ion_[a-z]{4})")) is not None  # \b: re cannot skip ahead
    assert start_literals(re.compile(r"ion_[a-z]{4}")) is None  # re searches for the literal itself
    assert start_literals(re.compile(r"(?<!x)(?:a|b)?c")) is None  # may start at a, b or c: optional
    assert start_literals(re.compile(r"(?<!x)[a-z]+=")) is None  # a range: not a few literals
    either = start_literals(re.compile(r"(?i)(?:(?<=[a-z]{2})|(?<=[a-z]{2}_))(?:key|secret)="))
    assert either is not None and sorted(either.pattern.split("|")) == ["key", "secret"]
    assert start_literals(re.compile(r"(?:(?<=a)|b)c")) is None  # one way in consumes a b


def test_the_command_raises_the_collector_threshold_for_its_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from hfguard import cli

    def exit_(code: int) -> None:
        raise SystemExit(code)

    before = gc.get_threshold()
    monkeypatch.setattr(cli, "main", lambda argv=None: 0)
    monkeypatch.setattr(cli, "_exit_without_teardown", exit_)
    try:
        gc.set_threshold(700, 10, 10)
        with pytest.raises(SystemExit):
            cli.run()
        assert gc.get_threshold() == (cli.GC_GEN0_THRESHOLD, 10, 10)
        gc.set_threshold(0)  # collection disabled by the embedding program: left alone
        with pytest.raises(SystemExit):
            cli.run()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_the_command_ends_with_its_exit_code_output_and_exit_handlers(tmp_path: Path) -> None:
    """run() skips the interpreter's teardown: the report is still written in full (a pipe, many
    findings), exit handlers and other threads still run, and the exit code is the scan's."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(300):
        (tree / f"m{i:03d}.py").write_text(f'TOKEN = "{hf_token(f"exit{i}")}"\n')
    code = (
        "import atexit, sys, threading, time\n"
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', file=sys.stderr))).start()\n"
        "from hfguard.cli import run\n"
        "sys.argv = ['hfguard', 'scan', sys.argv[1], '--no-pii', '--format', 'json']\n"
        "run()\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code, str(tree)], check=False, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["findings"]) == 300
    assert proc.stderr.splitlines()[-2:] == ["thread done", "handler ran"]


def test_the_command_under_a_profiler_exits_normally_so_that_it_can_write_its_data(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    out = tmp_path / "scan.prof"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "hfguard", "scan", str(tmp_path),
                           "--no-pii", "--jobs", "1"], check=False, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_placeholder_candidates_are_judged_without_importing_detect_secrets(tmp_path: Path, jobs: str) -> None:
    """A candidate our own heuristics call a placeholder needs no detect-secrets (its package
    imports requests and urllib3, ~45 ms): not imported, not even before the workers fork
    (--jobs 2 over more than PARALLEL_MIN_BYTES); the candidate still yields no finding."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text('password = "hunter2"\n')
    if jobs == "2":
        for i in range(8):
            (tree / f"f{i}.py").write_text("x = 1\n" * 100_000)
    (tmp_path / "secrets.toml").write_text('categories = ["secret"]\n')
    args = ["scan", str(tree), "--no-pii", "--format", "json", "--jobs", jobs, "--config", str(tmp_path / "secrets.toml")]
    code = (
        "import sys, json\n"
        "from hfguard.secrets import engine\n"
        "calls = []\n"
        "real = engine.looks_like_placeholder\n"
        "engine.looks_like_placeholder = lambda s: calls.append(s) or real(s)\n"
        "from hfguard.cli import main\n"
        f"rc = main({args!r})\n"
        "loaded = sorted(m for m in ('detect_secrets', 'requests', 'urllib3') if m in sys.modules)\n"
        "print(json.dumps([len(calls), loaded]), file=sys.stderr); sys.exit(rc)\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    calls, loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert calls >= (1 if jobs == "1" else 0) and loaded == []


def test_detect_secrets_still_judges_what_our_heuristics_do_not() -> None:
    from detect_secrets.filters import heuristic

    from hfguard.secrets.heuristics import looks_like_placeholder

    # A run of six letters: under our own threshold (7), a sequence for detect-secrets.
    assert heuristic.is_sequential_string("ABCDEF") and looks_like_placeholder("ABCDEF")
    assert not looks_like_placeholder("Zq8fK2mWx9Lr")


def test_shipped_rules_compile_on_first_use_to_what_an_eager_load_gives() -> None:
    from hfguard.secrets.rules import (
        RuleError,
        default_rules_dir,
        load_rule_files,
        parse_rule,
    )

    files = sorted(default_rules_dir().glob("*.toml"))
    # (both read now: load_default_rules() is cached for the session, and the rule files may
    # have changed since in a working tree)
    lazy = load_rule_files(files, lazy=True)  # as load_default_rules() loads them
    assert not any("regex" in vars(rule) for rule in lazy.rules)
    eager = load_rule_files(files)  # compiled and checked here
    assert [r.id for r in lazy.rules] == [r.id for r in eager.rules]
    for a, b in zip(lazy.rules, eager.rules):
        assert (a.regex.pattern, a.regex.flags, a.secret_group) == (b.regex.pattern, b.regex.flags, b.secret_group)
    table = {"id": "broken", "description": "d", "regex": "abc(", "keywords": ["abc"], "tps": ["abc"]}
    with pytest.raises(RuleError, match="does not compile"):
        parse_rule(table, "custom.toml")  # a config's rule: checked when loaded
    with pytest.raises(RuleError, match="secretGroup"):
        parse_rule({**table, "regex": "a(b)c", "secretGroup": 2}, "custom.toml")


def test_a_scan_compiles_only_the_rules_its_keywords_reach(tmp_path: Path) -> None:
    from hfguard.models import Chunk
    from hfguard.secrets.engine import SecretEngine
    from hfguard.secrets.rules import default_rules_dir, load_rule_files

    ruleset = load_rule_files(sorted(default_rules_dir().glob("*.toml")), lazy=True)  # a fresh, uncompiled copy
    assert not any("regex" in vars(rule) for rule in ruleset.rules)
    engine = SecretEngine(ruleset)
    found = engine.scan(Chunk(f'TOKEN = "{hf_token("lazy")}"\n'), "a.py")
    assert [m.rule_id for m in found] == ["huggingface-access-token"]
    compiled = [rule.id for rule in ruleset.rules if "regex" in vars(rule)]
    assert "huggingface-access-token" in compiled and len(compiled) < len(ruleset.rules) // 4


def test_each_file_is_opened_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream opened to read a file's head is the one its reader reads (rewound): one open
    per file, the same findings; a stream that cannot seek is opened again."""
    import io

    from hfguard.models import Blob
    from hfguard.sources import walk

    token = hf_token("once")
    (tmp_path / "a.py").write_text(f'TOKEN = "{token}"\n')
    (tmp_path / "b.json").write_text(json.dumps({"config": {"token": token}}))
    (tmp_path / "c.csv").write_text(f"name,token\nx,{token}\n")
    (tmp_path / "d.txt").write_text("x" * 20_000 + f"\nTOKEN = {token}\n")  # past the head
    opened: list[str] = []

    def counting(path: str):  # type: ignore[no-untyped-def]
        opened.append(path)
        return walk.open_regular(path)

    monkeypatch.setattr(scanner, "open_regular", counting)
    report = scanner.scan_disk([str(tmp_path)], scanner.ScanOptions(pii=False, jobs=1))
    assert sorted(os.path.basename(p) for p in opened) == ["a.py", "b.json", "c.csv", "d.txt"]
    assert sorted((os.path.basename(f.path), f.rule) for f in report.findings if f.category.value == "secret") == [
        ("a.py", "huggingface-access-token"), ("b.json", "huggingface-access-token"),
        ("c.csv", "huggingface-access-token"), ("d.txt", "huggingface-access-token")]

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    data = ("x" * 20_000 + f"\nTOKEN = {token}\n").encode()
    pipes: list[Pipe] = []
    blob = Blob("pipe.txt", lambda: pipes.append(Pipe(data)) or pipes[-1], len(data))
    found = scanner.scan_blobs([blob], scanner.ScanOptions(pii=False))
    assert [(f.rule, f.line) for f in found.findings] == [("huggingface-access-token", 2)] and len(pipes) == 2


@pytest.mark.parametrize("root", [".", "./", "tree", "./tree/", "tree/../tree", "x/../tree", "tree/sub/..", "ABS", "ABS/"])
def test_walked_files_are_shown_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: str) -> None:
    """The shown path of a walked file is worked out once per folder: the same as _display."""
    from hfguard.sources import walk

    (tmp_path / "tree" / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "x").mkdir()
    for rel in ("a.py", "sub/b.py", "sub/deep/c..py", "sub/deep/.d"):
        (tmp_path / "tree" / rel).write_text("x = 1\n")
    monkeypatch.chdir(tmp_path / "tree" if root in (".", "./") else tmp_path)
    root = root.replace("ABS", str(tmp_path / "tree"))
    walked = walk.walk_paths([root])
    assert len(walked.files) == 4
    for shown, disk in walked.files:
        rel = os.path.relpath(disk, root).replace(os.sep, "/")
        assert shown == walk._display(root, rel)


def test_rule_files_parse_to_the_same_tables_with_rtoml_as_with_tomllib(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    from hfguard.secrets import rules

    assert rules.rtoml is not None  # a dependency: the shipped rules are parsed by it
    for path in sorted(rules.default_rules_dir().glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        assert rules.parse_toml(text) == tomllib.loads(text), path.name
    broken = tmp_path / "broken.toml"
    broken.write_text('[[rules]]\nid = "x"\nregex = "unterminated\n')
    with pytest.raises(rules.RuleError, match=r"broken.toml: cannot read rule file: .*line 3"):
        rules.load_rule_files([broken])  # tomllib's message, as without rtoml
    files = sorted(rules.default_rules_dir().glob("*.toml"))
    with_rtoml = rules.load_rule_files(files, lazy=True)
    monkeypatch.setattr(rules, "rtoml", None)
    assert rules.load_rule_files(files, lazy=True) == with_rtoml


def test_a_file_shorter_than_its_head_is_read_from_the_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head of a small file is all of it: its reader gets those bytes, not another read."""
    import io

    token = hf_token("head")
    (tmp_path / "small.py").write_text(f'TOKEN = "{token}"\n')
    (tmp_path / "large.py").write_text("x = 1\n" * 3000 + f'TOKEN = "{token}"\n')
    real = scanner.READERS["text"]
    seen: dict[str, type] = {}

    def reader(blob, head, ctx=None):  # type: ignore[no-untyped-def]
        stream = blob.open()
        seen[os.path.basename(blob.path)] = type(stream)
        stream.seek(0)
        first = [stream]
        again = scanner.Blob(blob.path, lambda: first.pop() if first else blob.open(), blob.size)
        return real(again, head, ctx)

    monkeypatch.setitem(scanner.READERS, "text", reader)
    report = scanner.scan_disk([str(tmp_path)], scanner.ScanOptions(pii=False, jobs=1))
    assert seen == {"small.py": io.BytesIO, "large.py": io.BufferedReader}
    assert sorted((os.path.basename(f.path), f.line) for f in report.findings) == [("large.py", 3001), ("small.py", 1)]


def test_windows_around_hits_are_those_of_one_window_per_hit_and_group() -> None:
    """_add_windows finds each hit's line once for all its groups: the windows are those of
    the line (or the multi-line span) of every hit in every group, merged as before."""
    import random

    from hfguard.secrets import engine as eng
    from hfguard.secrets.rules import load_default_rules

    def window(text: str, hit: int, hit_end: int, multiline: bool) -> tuple[int, int]:
        line_start = text.rfind("\n", max(0, hit - eng.LINE_WINDOW), hit) + 1
        if line_start == 0:
            line_start = max(0, hit - eng.LINE_WINDOW)
        if multiline:
            return line_start, min(len(text), hit_end + eng.MULTILINE_WINDOW)
        line_end = text.find("\n", hit_end, hit_end + eng.LINE_WINDOW)
        return line_start, line_end if line_end >= 0 else min(len(text), hit_end + eng.LINE_WINDOW)

    def reference(e: eng.SecretEngine, text: str, hits: list[tuple[int, int, int]],
                  groups: list[tuple[int, ...]]) -> dict[int, list[list[int]]]:
        windows: dict[int, list[list[int]]] = {}
        n = len(text)
        for keyword, start, end in hits:
            for group in groups[keyword]:
                multiline = e._group_multiline[group]
                spans = windows.setdefault(group, [])
                if spans and not multiline:
                    last = spans[-1]
                    if (last[0] <= start and end <= last[1] and (last[1] == n or text[last[1]] == "\n")
                            and (last[0] == 0 or text[last[0] - 1] == "\n")):
                        continue  # inside a window of whole lines
                w_start, w_stop = window(text, start, end, multiline)
                if spans and w_start <= spans[-1][1]:
                    spans[-1] = [min(spans[-1][0], w_start), max(spans[-1][1], w_stop)]
                else:
                    spans.append([w_start, w_stop])
        return windows

    e = eng.SecretEngine(load_default_rules())
    single = [i for i, multiline in enumerate(e._group_multiline) if not multiline][:2]
    multi = [i for i, multiline in enumerate(e._group_multiline) if multiline][:1]
    assert len(single) == 2 and multi
    # keywords of one group, of several (a keyword of single- and multi-line rules)
    groups = [(single[0],), (multi[0],), (single[0], multi[0]), (single[1], single[0]), (multi[0], single[1])]
    rng = random.Random(21)
    for _ in range(300):
        size = rng.choice([50, 400, 3000, 40_000])
        text = "".join(rng.choice("ab \n" if rng.random() < 0.9 else "a") for _ in range(size))
        hits = []
        for _ in range(rng.randrange(1, 30)):
            start = rng.randrange(size)
            hits.append((rng.randrange(len(groups)), start, min(size, start + rng.randrange(1, 8))))
        hits.sort(key=lambda h: h[2])
        got: dict[int, list[list[int]]] = {}
        e._add_windows(text, hits, groups, got)
        assert got == reference(e, text, hits, groups)


def test_the_one_segment_path_finds_the_windows_of_the_segment_loop() -> None:
    from hfguard.secrets.engine import SecretEngine
    from hfguard.secrets.rules import expand_example, load_default_rules

    rules = load_default_rules().rules
    texts = [expand_example(t, r.id) for r in rules for t in (*r.tps, *r.fps)]
    texts += ["\n".join(texts), "token " * 9000 + "\n" + "x" * 100]  # many hits: more than DENSE_HITS
    fast = SecretEngine(load_default_rules())
    loop = SecretEngine(load_default_rules())
    loop._other_keywords = [("\u00e9t\u00e9-jamais-vu", (0,))]  # a non-ASCII keyword: the general path
    assert all(fast._windows(text) == loop._windows(text) for text in texts)
    assert sum(bool(fast._windows(text)) for text in texts) > len(texts) // 2


def test_a_folder_is_walked_in_a_child_process_with_the_same_result(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """walk_in_background gives what walk_paths and file_sizes give here; a child that fails is
    replaced by a walk here; a list of files, or a process with other threads, walks here."""
    import threading

    from hfguard.sources import walk

    threads = [1]  # (threads other tests left running in this process do not count here)
    monkeypatch.setattr(threading, "active_count", lambda: threads[0])

    for i in range(30):
        (tmp_path / f"d{i % 4}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 4}" / f"f{i}.py").write_text("x" * i)
    (tmp_path / "skip.log").write_text("x")
    args = ([str(tmp_path), str(tmp_path / "d1" / "f1.py")], ("*.log",), (), str(tmp_path))
    here = walk.walk_paths(*args)
    background = walk.walk_in_background(*args)
    assert background is not None and background.pid != os.getpid()
    assert background.result() == (here, walk.file_sizes(here.files))
    with pytest.raises(ChildProcessError):
        os.waitpid(background.pid, 0)  # reaped
    assert sorted(walk.file_sizes(here.files)) == sorted([*range(30), 1])
    parent = os.getpid()

    def fails_in_the_child(*a: Any) -> walk.WalkResult:
        if os.getpid() != parent:
            raise RuntimeError("child")
        return walk.walk_paths(*a)

    failing = walk.walk_in_background(*args, fails_in_the_child)
    assert failing is not None and failing.result() == (here, walk.file_sizes(here.files))
    assert walk.walk_in_background([str(tmp_path / "d1" / "f1.py")]) is None  # files only
    threads[0] = 2
    assert walk.walk_in_background(*args) is None  # never fork beside another thread


def test_a_parallel_scan_with_the_walk_in_a_child_reports_as_a_scan_in_one_process(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for i in range(40):
        folder = tree / f"pkg{i % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "x = 1\n" * 20_000 if i % 8 else f'TOKEN = "{hf_token(f"walk{i}")}"\n' + "x = 1\n" * 20_000
        (folder / f"m{i}.py").write_text(body)
    calls: list[int] = []
    real = scanner.walk_in_background

    def counting(*a: Any, **k: Any) -> Any:
        started = real(*a, **k)
        calls.append(started is not None)
        return started

    import threading

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(threading, "active_count", lambda: 1)  # (threads other tests left do not count)
        mp.setattr(scanner, "walk_in_background", counting)
        two = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False, jobs=2))
    one = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False, jobs=1))
    assert calls == [True]
    assert [(f.path, f.line, f.rule) for f in two.findings] == [(f.path, f.line, f.rule) for f in one.findings]
    assert len(two.findings) == 5 and two.stats.files == one.stats.files == 40 and two.stats.bytes == one.stats.bytes


def test_field_rules_found_through_required_literals_are_those_the_regexes_find() -> None:
    """A field (a JSON key path, a column name) is searched only by the field rules whose
    required literals it holds: on key paths made of the words the shipped field regexes look
    for, in every case, cut, with separators and case-folding characters mixed in, the rules
    chosen are those that searching every field regex chooses."""
    import random

    from hfguard.secrets.engine import SecretEngine
    from hfguard.secrets.rules import load_default_rules

    engine = SecretEngine(load_default_rules())
    field_rules = engine._field_rules
    assert len(field_rules) >= 3 and all(literals for _, _, literals in field_rules)
    words = ["password", "passwd", "pwd", "passphrase", "secret", "api_key", "apikey", "api-key", "access_key",
             "private-key", "token", "pad_token", "csrf_token", "auths", "auth", "registry.example", "name",
             "db", "config", "0", "user"]
    rng = random.Random(15)
    fields = []
    for _ in range(20000):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 4))]
        text = rng.choice([".", "_", "-", "", "/"]).join(parts)
        text = "".join(ch.upper() if rng.random() < 0.2 else ch for ch in text)
        if rng.random() < 0.3 and text:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice("\u212a\u017fK_.x") + text[at + 1:]
        if rng.random() < 0.2:
            text = text[rng.randrange(len(text) + 1):]
        fields.append(text)
    chosen = 0
    for text in fields:
        expected = [i for i, pattern, _ in field_rules if pattern.search(text)]
        assert engine._matching_field_rules(text) == expected, text
        chosen += bool(expected)
    assert chosen > 2000  # the fields reach the rules, not only their absence


def test_required_literals_of_field_regexes() -> None:
    import re

    from hfguard.secrets.engine import required_literals

    assert required_literals(re.compile(r"(?i)(?:^|[^a-z])(?:password|passwd|pwd)$")) == ("passwd", "password", "pwd")
    assert required_literals(re.compile(r"^auths\..+\.auth$")) == ("auths.",)
    assert required_literals(re.compile(r"(?i)(?:secret|api[_-]?key|(?<!pad_)token)$")) == ("api", "secret", "token")
    assert required_literals(re.compile(r"ab|c[de]")) == ("ab", "cd", "ce")
    assert required_literals(re.compile(r"[a-z]+_id")) == ("_id",)
    assert required_literals(re.compile(r"(?:a|b*)c")) == ("c",)  # b* may be empty: not required
    for none in (r"[a-z]+", r"(?=abc)", r"a|[0-9]", "\u00e9t\u00e9", r"x?"):
        assert required_literals(re.compile(none)) is None, none


def test_workers_inherit_the_secret_engine_built_before_the_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyword automaton is built once, in this process before the fork; the worker that
    scans part of the tree uses it instead of building its own, and finds the same."""
    from hfguard.secrets.engine import SecretEngine

    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(64):
        (tree / f"f{i:02d}.py").write_text(f"# file {i}\n" + "x = 1\n" * 20_000)
    (tree / "f00.py").write_text(f'TOKEN = "{hf_token("first")}"\n' + "x = 1\n" * 20_000)  # a worker's batch
    (tree / "f63.py").write_text(f'TOKEN = "{hf_token("last")}"\n' + "x = 1\n" * 20_000)
    log = tmp_path / "built"
    real_init = SecretEngine.__init__
    real_scan = scanner.FileScanner.scan_blob

    def logging_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with open(log, "a") as out:
            out.write(f"built {os.getpid()}\n")
        real_init(self, *args, **kwargs)

    def logging_scan(self, blob):  # type: ignore[no-untyped-def]
        with open(log, "a") as out:
            out.write(f"scan {os.getpid()}\n")
        return real_scan(self, blob)

    monkeypatch.setattr(SecretEngine, "__init__", logging_init)
    monkeypatch.setattr(scanner.FileScanner, "scan_blob", logging_scan)
    monkeypatch.setattr(scanner, "_ENGINES", {})
    report = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False, jobs=2))
    assert [f.rule for f in report.findings] == ["huggingface-access-token"] * 2
    lines = log.read_text().splitlines()
    assert len({line.split()[1] for line in lines if line.startswith("scan")}) == 2  # two processes scanned
    assert [line for line in lines if line.startswith("built")] == [f"built {os.getpid()}"]


def test_shipped_allowlists_and_paths_compile_on_first_use_and_allow_what_compiled_ones_do() -> None:
    """The shipped rules' allowlist and path patterns are compiled when first searched, not when
    the rules are loaded (most are never consulted); they allow what the compiled ones allow."""
    from hfguard.secrets.rules import (
        LazyPattern,
        RuleError,
        default_rules_dir,
        expand_example,
        load_rule_files,
        parse_rule,
    )

    files = sorted(default_rules_dir().glob("*.toml"))
    lazy, eager = load_rule_files(files, lazy=True), load_rule_files(files)
    lists = [(lazy.global_allowlist, eager.global_allowlist)]
    lists += [(a.allowlist, b.allowlist) for a, b in zip(lazy.rules, eager.rules)]
    patterns = 0
    texts = [expand_example(t, r.id) for r in eager.rules for t in (*r.tps, *r.fps)]
    texts += ["tests/fixtures/x.py", "docs/example.md", "node_modules/a.js", "EXAMPLE", "your-api-key-here"]
    for a, b in lists:
        for name in ("regexes", "paths", "match_regexes", "line_regexes"):
            for lazy_rx, eager_rx in zip(getattr(a, name), getattr(b, name), strict=True):
                assert isinstance(lazy_rx, LazyPattern) and lazy_rx._compiled is None
                assert isinstance(eager_rx, re.Pattern) and lazy_rx.pattern == eager_rx.pattern
                patterns += 1
        for text in texts:
            assert a.allows(text, text, text) == b.allows(text, text, text)
            assert a.allows_path(text) == b.allows_path(text)
    assert patterns >= 20
    for a, b in zip(lazy.rules, eager.rules):
        if b.path is not None:
            assert isinstance(a.path, LazyPattern) and a.path.pattern == b.path.pattern
    table = {"id": "custom", "description": "d", "regex": "abc", "keywords": ["abc"], "tps": ["abc"]}
    with pytest.raises(RuleError, match="does not compile"):  # a config's rule: checked when loaded
        parse_rule({**table, "allowlist": {"regexes": ["x("]}}, "custom.toml")
    with pytest.raises(RuleError, match="does not compile"):
        parse_rule({**table, "path": "x("}, "custom.toml")


def test_processes_for_a_tree_follow_what_else_is_runnable() -> None:
    """Sessions share the CPU fairly (Linux autogroups): a second process helps when a core is
    idle or this session has other runnable work, not when other sessions keep the cores busy."""
    from hfguard.scanner import choose_jobs

    assert choose_jobs(2, 0, []) == 2  # an idle machine
    assert choose_jobs(2, 1, []) == 2  # a busy loop beside the scan, in its session
    assert choose_jobs(2, 0, [1]) == 1  # another session's busy loop: one core each
    assert choose_jobs(2, 0, [2, 1, 2, 2, 1]) == 1  # other sessions' test suites (load 10)
    assert choose_jobs(2, 1, [2, 2]) == 2  # both: our session's share is split with the loop
    assert choose_jobs(8, 0, [1, 1, 1]) == 5  # three cores busy of eight
    assert choose_jobs(1, 0, []) == 1


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="Linux /proc")
def test_runnable_processes_are_counted_by_session() -> None:
    from hfguard.scanner import runnable_elsewhere

    loop = "import sys; print('ready', flush=True)\nwhile True: pass"
    ours = subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE)
    theirs = subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE, start_new_session=True)
    try:
        for child in (ours, theirs):
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        own, others = runnable_elsewhere()
        assert own >= 1
        assert others.get(theirs.pid, 0) == 1  # its own session, whose id is its pid
        assert os.getsid(0) not in others
    finally:
        for child in (ours, theirs):
            child.kill()
            child.wait()


@pytest.mark.parametrize(("runnable", "at_start", "processes"), [
    ((0, {}), 1, 2),
    ((0, {4242: 2, 4343: 1}), 3, 1),
    ((0, {4242: 1}), 0, 2),  # nothing else ran a moment ago: one passing process is not load
], ids=["idle", "other-sessions-busy", "busy-only-now"])
def test_a_tree_is_scanned_in_one_process_when_other_sessions_keep_the_cores_busy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runnable: tuple[int, dict[int, int]], at_start: int,
        processes: int) -> None:
    import time

    tree = _tree_of_64_files(tmp_path, "busy")
    log = _log_who_scans(tmp_path, monkeypatch)
    monkeypatch.setattr(scanner, "_usable_cores", lambda: 2)
    monkeypatch.setattr(scanner, "runnable_elsewhere", lambda: runnable)
    monkeypatch.setattr(scanner, "_RUNNING_AT_IMPORT", (time.monotonic(), at_start))
    report = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False))
    assert [f.rule for f in report.findings] == ["huggingface-access-token"]
    assert len({line.split()[0] for line in log.read_text().splitlines()}) == processes


def test_generic_rules_compile_while_the_walk_runs_and_workers_inherit_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the walk's child runs, this process compiles the rules most texts reach (generic
    and context rules) and nothing else; the worker forked after it starts with them compiled."""
    import time

    from hfguard.secrets import rules as rules_module
    from hfguard.secrets.engine import GENERIC_PREFIX, SecretEngine

    engine = SecretEngine(rules_module.load_rule_files(sorted(rules_module.default_rules_dir().glob("*.toml")), lazy=True))
    assert engine.precompile(iter([True, True, True, False]).__next__) == 3
    likely = [r for r in engine.rules if r.fallback or r.id.startswith(GENERIC_PREFIX)]
    assert engine.precompile(lambda: True) == len(likely) - 3 > 10
    assert [r.id for r in engine.rules if "regex" in vars(r)] == [r.id for r in likely]

    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(64):
        (tree / f"f{i:02d}.py").write_text(f"# file {i}\n" + "x = 1\n" * 20_000)
    (tree / "f63.py").write_text(f'TOKEN = "{hf_token("inherit")}"\n' + "x = 1\n" * 20_000)
    real_walk = scanner.walk_paths

    def slow_walk(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return real_walk(*args, **kwargs)

    log = tmp_path / "compiled"
    real_init = scanner._worker_init

    def logging_init(options):  # type: ignore[no-untyped-def]
        ruleset = scanner.build_ruleset(options.config)
        with open(log, "a") as out:
            out.write(" ".join(r.id for r in ruleset.rules if "regex" in vars(r)) + "\n")
        real_init(options)

    monkeypatch.setattr(rules_module, "_DEFAULT_CACHE", {})  # rules not compiled by earlier tests
    monkeypatch.setattr(scanner, "_RULESETS", {})
    monkeypatch.setattr(scanner, "_ENGINES", {})
    monkeypatch.setattr(scanner, "walk_paths", slow_walk)
    monkeypatch.setattr(scanner, "_worker_init", logging_init)
    # Threads left by earlier tests (a Hub stand-in's server, tqdm's monitor) make the walk run in
    # this process (walk_in_background: no fork beside threads); the command has none.
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    report = scanner.scan_disk([str(tree)], scanner.ScanOptions(pii=False, jobs=2))
    assert [f.rule for f in report.findings] == ["huggingface-access-token"]
    inherited = log.read_text().split()
    assert "generic-token-assignment" in inherited and "url-credentials" in inherited
    assert all(rule_id.startswith(GENERIC_PREFIX) or rule_id in {r.id for r in likely} for rule_id in inherited)


def test_a_scan_in_one_process_imports_no_multiprocessing(tmp_path: Path) -> None:
    """A scan in one process (--jobs 1, or the choice on a busy machine) imports no process
    pool; a parallel one does."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")  # (no candidate: detect-secrets, which imports multiprocessing, stays out)
    (tree / "b.py").write_text("y = 2\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    seen = {}
    for jobs in ("1", "2"):
        args = ["scan", str(tree), "--no-pii", "--format", "json", "--jobs", jobs]
        code = (
            "import sys; import hfguard.scanner as s; s.PARALLEL_MIN_BYTES = 1; from hfguard.cli import main;"
            f" rc = main({args!r}); print(sorted(m for m in ('multiprocessing', 'concurrent.futures.process')"
            " if m in sys.modules), file=sys.stderr); sys.exit(rc)"
        )
        proc = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        seen[jobs] = proc.stderr.strip().splitlines()[-1]
    assert seen == {"1": "[]", "2": "['concurrent.futures.process', 'multiprocessing']"}
