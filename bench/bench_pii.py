"""PII benchmark: each row of issue 13's table, hfguard side by side with its peer in one run.

1. `--staged`, 10 source files, one holding an email and a phone number: `hfguard scan
   --staged` (the CLI, cold, as a hook runs it) against `gitleaks git --staged`, alternating
   rounds (gitleaks only if a binary is found: --gitleaks, $GITLEAKS, or bench/_work/gitleaks as
   bench_git.py/bench_scan.py unpack it).
2. One 50-row customers CSV: `hfguard scan FILE` (CLI, cold), gitleaks `dir` on it for scale.
3. A JSONL of support tickets (default 20 MB, seeded Faker) where some tickets carry an email, a
   phone number, a payment card or an SSN, others look-alikes: hfguard's CLI on the whole file
   (default --jobs: the file is split over the cores; and --jobs 1, one process, for comparison)
   against raw Presidio (blank spaCy pipeline, all default recognisers, email validation
   offline) on a sample of tickets, its MB/s extrapolated. Recall on the planted values, for
   both on the same sample, and for hfguard on the whole file (in-process run).
4. A customers CSV (default 200 MB: id, name, email, phone, SSN): CLI wall time and the peak RSS
   of the scanning process (GNU time).
5. A PII-dense table against the same table without PII (same shape and size): MB/s of each.
6. Precision: hfguard on real code (a few packages from site-packages): PII/health findings at
   medium and above should be none.
7. Per-row recall (issue 14) on generated support tickets in six Faker locales (tests/piigen.py:
   every phone format, every card type, free_email(), IBANs, SSNs, public IPv4, dates of birth
   after a cue; 30 % clean rows): hfguard's detector (a JSONL column) against raw Presidio (as
   in row 3) on the same tickets. Presidio has no date-of-birth entity: its DATE_TIME stands in.

    python bench/bench_pii.py [--rows 1,2,3,4,5,6,7] [--mb 20] [--big-mb 200] [--dense-mb 20]
                              [--rounds 7] [--sample-kb 256] [--gitleaks PATH] [--keep DIR]
                              [--tickets 700]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import site
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_git import find_gitleaks, git_env, hfguard_command, source_file

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN")
_AREA_CODES = ("212", "312", "415", "617", "206", "303", "512", "646", "718", "213", "404", "305")


def make_reviews(path: Path, megabytes: float, seed: int = 20240601) -> list[tuple[int, str, str]]:
    """Write the JSONL; return the planted values as (record number, entity, value)."""
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    planted: list[tuple[int, str, str]] = []
    target = int(megabytes * 1024 * 1024)
    size = 0
    row = 0
    with path.open("w", encoding="utf-8") as out:
        while size < target:
            row += 1
            text = " ".join(fake.paragraph(nb_sentences=rng.randint(3, 7)) for _ in range(rng.randint(1, 2)))
            roll = rng.random()
            if roll < 0.06:
                value = fake.free_email()
                text += f" If anyone has questions, email me at {value}."
                planted.append((row, "EMAIL_ADDRESS", value))
            elif roll < 0.11:
                value = f"({rng.choice(_AREA_CODES)}) {rng.randint(2, 9)}{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
                text += f" The seller never answered, call them yourself at {value}."
                planted.append((row, "PHONE_NUMBER", value))
            elif roll < 0.14:
                value = fake.credit_card_number(card_type=rng.choice(["visa16", "mastercard", "amex", "discover"]))
                if rng.random() < 0.5 and len(value) == 16:
                    value = " ".join(value[i : i + 4] for i in range(0, 16, 4))
                text += f" They charged my card {value} twice!"
                planted.append((row, "CREDIT_CARD", value))
            elif roll < 0.16:
                value = fake.ssn()
                text += f" Support asked for my SSN ({value}) to verify the warranty, really?"
                planted.append((row, "US_SSN", value))
            elif roll < 0.36:  # look-alikes
                text += rng.choice([
                    f" Order #{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}-{rng.randint(1000000, 9999999)}.",
                    f" Paid ${rng.randint(10, 2000)}.{rng.randint(10, 99)} on {fake.date_this_decade().isoformat()}.",
                    f" Firmware {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)} fixed it.",
                    f" Model {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}, serial {rng.randint(10**9, 10**10 - 1)}.",
                    f" Tracking 1Z{rng.randint(10**15, 10**16 - 1)}.",
                ])
            record = {
                "review_id": f"R{row:08d}",
                "product_id": f"B0{rng.randint(10**7, 10**8 - 1)}",
                "stars": rng.randint(1, 5),
                "title": fake.sentence(nb_words=rng.randint(3, 8)),
                "text": text,
                "date": fake.date_this_decade().isoformat(),
                "helpful_votes": rng.randint(0, 500),
            }
            line = json.dumps(record) + "\n"
            out.write(line)
            size += len(line.encode("utf-8"))
    return planted


def _norm(entity: str, value: str) -> str:
    if entity in ("CREDIT_CARD", "US_SSN", "PHONE_NUMBER"):
        return "".join(c for c in value if c.isdigit())
    return value.lower()


def run_hfguard(path: Path) -> tuple[float, dict[str, set[str]], object]:
    """Scan with hfguard in this process; collect every value the PII detector recorded."""
    from hfguard.pii import detector
    from hfguard.scanner import ScanOptions, scan_disk

    found: dict[str, set[str]] = {e: set() for e in ENTITIES}
    original = detector.FilePiiDetector._record

    def record(self, name, chunk, seq, start, end, info):  # type: ignore[no-untyped-def]
        if name in found:
            found[name].add(_norm(name, chunk.text[start:end]))
        return original(self, name, chunk, seq, start, end, info)

    detector.FilePiiDetector._record = record  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        report = scan_disk([str(path)], ScanOptions(jobs=1))
        seconds = time.perf_counter() - started
    finally:
        detector.FilePiiDetector._record = original  # type: ignore[method-assign]
    return seconds, found, report


def raw_presidio() -> object:
    """Presidio as people run it, minus the parts that would go online: blank English spaCy
    pipeline, every predefined recogniser, email validation against the bundled suffix list."""
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    from hfguard.pii.presidio_adapter import _SpacyEngine

    extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return bool(extract(pattern_text).fqdn != "")

    engine = _SpacyEngine(spacy.blank("en"))
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=engine, languages=["en"])
    registry.recognizers = [r for r in registry.recognizers if r.name != "EmailRecognizer"]
    registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def recall(planted: list[tuple[int, str, str]], found: dict[str, set[str]], rows: set[int] | None = None) -> dict[str, str]:
    out = {}
    for entity in ENTITIES:
        wanted = [_norm(e, v) for r, e, v in planted if e == entity and (rows is None or r in rows)]
        hit = sum(1 for v in wanted if v in found.get(entity, set()))
        out[entity] = f"{hit}/{len(wanted)} ({100.0 * hit / max(1, len(wanted)):.1f}%)"
    return out


def precision(planted: list[tuple[int, str, str]], found: dict[str, set[str]]) -> dict[str, str]:
    out = {}
    for entity in ENTITIES:
        wanted = {_norm(e, v) for _, e, v in planted if e == entity}
        got = found.get(entity, set())
        out[entity] = f"{len(got & wanted)}/{len(got)}"
    return out


def precision_on_code(paths: list[str]) -> None:
    from hfguard.models import Category
    from hfguard.scanner import ScanOptions, scan_disk

    started = time.perf_counter()
    report = scan_disk(paths, ScanOptions(jobs=2))
    seconds = time.perf_counter() - started
    pii = [f for f in report.findings if f.category in (Category.PII, Category.HEALTH)]
    by_severity = Counter(f.severity.value for f in pii)
    blocking = [f for f in pii if f.severity.rank >= 2]
    print(f"\n## precision on real code: {', '.join(paths)}")
    print(f"files {report.stats.files:,}, {report.stats.bytes / 1e6:.1f} MB in {seconds:.1f} s")
    print(f"PII/health findings by severity: {dict(by_severity) or 'none'}; by rule: "
          f"{dict(Counter(f.rule for f in pii).most_common(8))}")
    print(f"PII/health findings at medium and above: {len(blocking)}")
    for f in blocking[:20]:
        print(f"  {f.severity.value} {f.rule} {f.path}:{f.line} {f.preview}")



# --- generated data -------------------------------------------------------------------------------

_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
          "Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra").split()
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
         "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Clark Lewis").split()
_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "proton.me")
_WORDS = ("alpha bravo delta echo golf hotel india kilo lima mike oscar papa romeo sierra tango victor "
          "whiskey yankee zulu amber basil cedar dune ember fern").split()


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 9999)}@{rng.choice(_DOMAINS)}"
    phone = f"({rng.choice(_AREA_CODES)}) {rng.randint(201, 999)}-{rng.randint(0, 9999):04d}"
    ssn = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return f"{first} {last}", email, phone, ssn


def _no_person(rng: random.Random) -> tuple[str, str, str, str]:
    """Values of the same lengths and kinds of characters that are no personal data."""
    word = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}"
    sku = f"{rng.choice(_WORDS)}.{rng.choice(_WORDS)}{rng.randint(1, 9999)}/{rng.choice(_WORDS)}-{rng.choice(_WORDS)}"
    part = f"PN-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(0, 99):02d}"
    lot = f"L{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 99):02d}"
    return word, sku, part, lot


def write_table(path: Path, megabytes: float, personal: bool, seed: int = 5) -> int:
    """A customers CSV (id, name, email, phone, ssn) or its no-PII twin; returns the row count."""
    rng = random.Random(seed)
    make = _person if personal else _no_person
    header = ["id", "name", "email", "phone", "ssn"] if personal else ["id", "product", "sku", "part", "lot"]
    target = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        while handle.tell() < target:
            for _ in range(1000):
                rows += 1
                writer.writerow([rows, *make(rng)])
    return rows


def staged_repo(root: Path, env: dict[str, str]) -> Path:
    """10 staged source files; one holds an email address and a phone number."""
    repo = root / "staged"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    (repo / "README.md").write_text("# bench\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, env=env, check=True)
    rng = random.Random(1)
    (repo / "src").mkdir()
    for i in range(10):
        text = source_file(rng, rng.randint(80, 300))
        if i == 4:
            name, email, phone, _ = _person(rng)
            text += f"\n# maintainer: {name} <{email}>, phone {phone}\n"
        (repo / "src" / f"module_{i}.py").write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    return repo


# --- running --------------------------------------------------------------------------------------


# As after a pip install: bytecode cached (the warm-up run writes it, outside the tree), even
# where PYTHONDONTWRITEBYTECODE is set. Set by main().
ENV: dict[str, str] = dict(os.environ)


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """(wall seconds, exit code, peak RSS in kB of the process, output) of one run."""
    env = ENV if env is None else env
    timing = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    proc = subprocess.run([*timing, *cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    rss = 0
    if timing:
        lines = proc.stderr.strip().splitlines()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return seconds, proc.returncode, rss, proc.stdout + proc.stderr


def alternate(commands: dict[str, list[str]], rounds: int, cwd: Path | None = None,
              env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 1)) -> dict[str, list[float]]:
    """Median-ready wall times of each command, in alternating rounds (same machine load)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, cmd in commands.items():  # warm the page cache and .pyc files
        timed(cmd, cwd, env)
    for _ in range(rounds):
        for name, cmd in commands.items():
            seconds, code, _, out = timed(cmd, cwd, env)
            if code not in ok:
                raise SystemExit(f"{name} exited {code}:\n{out[-3000:]}")
            times[name].append(seconds)
    return times


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def row_staged(root: Path, gitleaks: Path | None, rounds: int) -> dict[str, object]:
    (root / "home").mkdir(exist_ok=True)
    env = git_env(root / "home")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = ENV["PYTHONPYCACHEPREFIX"]
    repo = staged_repo(root, env)
    commands = {"hfguard": [*hfguard_command(), "scan", "--staged"]}
    if gitleaks:
        commands["gitleaks"] = [str(gitleaks), "git", "--staged", "--no-banner", "-l", "error", "--exit-code", "0", "."]
    times = alternate(commands, rounds, repo, env)
    _, code, _, out = timed(commands["hfguard"], repo, env)
    result: dict[str, object] = {"hfguard_s": _median(times["hfguard"]), "hfguard_exit": code,
                                 "hfguard_found": [ln.strip() for ln in out.splitlines() if "pii-" in ln][:3]}
    if gitleaks:
        result["gitleaks_s"] = _median(times["gitleaks"])
        result["ratio"] = _median(times["hfguard"]) / _median(times["gitleaks"])
    return result


def row_small_csv(root: Path, gitleaks: Path | None, rounds: int) -> dict[str, object]:
    path = root / "customers50.csv"
    rng = random.Random(50)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email", "phone", "ssn"])
        for i in range(50):
            writer.writerow([i + 1, *_person(rng)])
    commands = {"hfguard": [*hfguard_command(), "scan", str(path), "--format", "json"]}
    if gitleaks:
        commands["gitleaks"] = [str(gitleaks), "dir", str(path), "--no-banner", "-l", "error", "--exit-code", "0"]
    times = alternate(commands, rounds)
    _, code, _, out = timed(commands["hfguard"])
    rules = sorted({f["rule"] for f in json.loads(out[: out.rindex("}") + 1])["findings"]})
    result: dict[str, object] = {"hfguard_s": _median(times["hfguard"]), "hfguard_exit": code, "rules": rules}
    if gitleaks:
        result["gitleaks_s"] = _median(times["gitleaks"])
    return result


def row_tickets(root: Path, megabytes: float, sample_kb: int, rounds: int) -> dict[str, object]:
    data = root / "tickets.jsonl"
    started = time.perf_counter()
    planted = make_reviews(data, megabytes)
    size = data.stat().st_size
    print(f"   {data.name}: {size / 1e6:.1f} MB, {len(planted):,} planted values "
          f"{dict(Counter(e for _, e, _ in planted))} (generated in {time.perf_counter() - started:.0f} s)")
    _, found, report = run_hfguard(data)  # in-process, for the recall on planted values
    analyzer = raw_presidio()
    texts: list[tuple[int, str]] = []
    total = 0
    with data.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            text = json.loads(line)["text"]
            texts.append((number, text))
            total += len(text.encode("utf-8"))
            if total >= sample_kb * 1024:
                break
    analyzer.analyze(text="warm up john@gmail.com", language="en")  # type: ignore[attr-defined]
    raw_found: dict[str, set[str]] = {e: set() for e in ENTITIES}
    cli = [*hfguard_command(), "scan", str(data), "--format", "json"]
    one = [*cli, "--jobs", "1"]  # the file in one piece, one process (for what the split buys)
    timed(cli)  # page cache and .pyc files
    cli_times: list[float] = []
    one_times: list[float] = []
    raw_times: list[float] = []
    code = rss = one_rss = 0
    loads: list[float] = []  # before each default run: the scanner splits the file only below cores - 1.5
    for _ in range(rounds):  # alternating: all see the same machine load
        loads.append(os.getloadavg()[0])
        seconds, code, rss, _ = timed(cli)
        cli_times.append(seconds)
        seconds, _, one_rss, _ = timed(one)
        one_times.append(seconds)
        started = time.perf_counter()
        for _, text in texts:
            for r in analyzer.analyze(text=text, language="en"):  # type: ignore[attr-defined]
                if r.entity_type in raw_found:
                    raw_found[r.entity_type].add(_norm(r.entity_type, text[r.start : r.end]))
        raw_times.append(time.perf_counter() - started)
    cli_s = _median(cli_times)
    mbps = size / 1e6 / cli_s
    raw_mbps = total / 1e6 / _median(raw_times)
    rows = {n for n, _ in texts}
    return {
        "mb": size / 1e6, "hfguard_s": cli_s, "hfguard_mbps": mbps, "hfguard_exit": code, "hfguard_rss_mb": rss / 1024,
        "jobs1_s": _median(one_times), "jobs1_rss_mb": one_rss / 1024, "loads": loads,
        "presidio_mbps": raw_mbps, "presidio_sample_mb": total / 1e6, "ratio": mbps / raw_mbps,
        "recall_whole": recall(planted, found), "recall_sample_hfguard": recall(planted, found, rows),
        "recall_sample_presidio": recall(planted, raw_found, rows),
        "planted_share": precision(planted, found),
        "findings": [(f.rule, f.severity.value, f.message) for f in report.findings],  # type: ignore[attr-defined]
    }


def row_big_csv(root: Path, megabytes: float) -> dict[str, object]:
    path = root / "customers-big.csv"
    started = time.perf_counter()
    rows = write_table(path, megabytes, personal=True)
    built = time.perf_counter() - started
    out = root / "big.json"
    timed([*hfguard_command(), "--version"])  # bytecode cached, as after an install
    seconds, code, rss, log = timed([*hfguard_command(), "scan", str(path), "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {
        "mb": path.stat().st_size / 1e6, "rows": rows, "built_s": built, "hfguard_s": seconds, "exit": code,
        "peak_rss_mb": rss / 1024,
        "findings": [(f["rule"], f["field"], f.get("message")) for f in report.get("findings", [])],
        "errors": report.get("errors", []) or log[-500:] if code not in (0, 1) else report.get("errors", []),
    }


def row_dense(root: Path, megabytes: float, rounds: int) -> dict[str, object]:
    dense, plain = root / "dense.csv", root / "plain.csv"
    write_table(dense, megabytes, personal=True, seed=8)
    write_table(plain, megabytes, personal=False, seed=8)
    commands = {
        "dense": [*hfguard_command(), "scan", str(dense), "--format", "json"],
        "plain": [*hfguard_command(), "scan", str(plain), "--format", "json"],
    }
    times = alternate(commands, rounds)
    dense_mbps = dense.stat().st_size / 1e6 / _median(times["dense"])
    plain_mbps = plain.stat().st_size / 1e6 / _median(times["plain"])
    return {"dense_mb": dense.stat().st_size / 1e6, "plain_mb": plain.stat().st_size / 1e6,
            "dense_mbps": dense_mbps, "plain_mbps": plain_mbps, "ratio": plain_mbps / dense_mbps}


def row_recall(per_locale: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE.parent / "tests"))
    import piigen

    analyzer = raw_presidio()
    presidio_names = {"DATE_TIME": "DATE_OF_BIRTH"}

    def presidio_spans(texts: list[str]) -> list[set[tuple[str, int, int]]]:
        return [
            {(presidio_names.get(r.entity_type, r.entity_type), r.start, r.end)
             for r in analyzer.analyze(text=text, language="en")  # type: ignore[attr-defined]
             if r.score >= 0.4}
            for text in texts
        ]

    out: dict[str, object] = {}
    total_h, total_p = piigen.Recall(), piigen.Recall()
    seconds_h = seconds_p = 0.0
    for locale in piigen.LOCALES:
        rows = piigen.tickets(locale, per_locale)
        started = time.perf_counter()
        mine = piigen.measure(rows, piigen.hfguard_spans)
        seconds_h += time.perf_counter() - started
        started = time.perf_counter()
        theirs = piigen.measure(rows, presidio_spans)
        seconds_p += time.perf_counter() - started
        total_h.add(mine)
        total_p.add(theirs)
        out[locale] = {"hfguard": mine.lines(), "presidio": theirs.lines()}
    out["all"] = {"hfguard": total_h.lines(), "presidio": total_p.lines()}
    out["seconds"] = {"hfguard": seconds_h, "presidio": seconds_p}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,2,3,4,5,6,7", help="which rows to run")
    parser.add_argument("--tickets", type=int, default=700, help="tickets per locale for row 7")
    parser.add_argument("--mb", type=float, default=20.0, help="size of the tickets JSONL")
    parser.add_argument("--big-mb", type=float, default=200.0, help="size of the big customers CSV")
    parser.add_argument("--dense-mb", type=float, default=20.0, help="size of the dense/plain tables")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sample-kb", type=int, default=256, help="ticket text raw Presidio analyses")
    parser.add_argument("--gitleaks", help="path to a gitleaks binary (else $GITLEAKS)")
    parser.add_argument("--code", nargs="*", help="code trees for the precision check")
    parser.add_argument("--keep", help="write the data here instead of a temporary folder")
    args = parser.parse_args(argv)
    rows = {int(r) for r in args.rows.split(",") if r}
    gitleaks = find_gitleaks(args.gitleaks)
    root = Path(args.keep or tempfile.mkdtemp(prefix="hfguard-bench-pii-"))
    root.mkdir(parents=True, exist_ok=True)
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    print(f"load average {os.getloadavg()[0]:.2f}; gitleaks: {gitleaks or 'not found'}; data in {root}")
    results: dict[str, object] = {}
    if 1 in rows:
        r = results["staged"] = row_staged(root, gitleaks, args.rounds)
        ratio = f", gitleaks {r['gitleaks_s']:.3f} s, ratio {r['ratio']:.2f}" if "ratio" in r else ""
        print(f"1. --staged, 10 files: hfguard {r['hfguard_s']:.3f} s (exit {r['hfguard_exit']}){ratio}")
        print(f"   {r['hfguard_found']}")
    if 2 in rows:
        r = results["csv50"] = row_small_csv(root, gitleaks, args.rounds)
        peer = f", gitleaks dir {r['gitleaks_s']:.3f} s" if "gitleaks_s" in r else ""
        print(f"2. 50-row CSV: hfguard {r['hfguard_s']:.3f} s (exit {r['hfguard_exit']}, {r['rules']}){peer}")
    if 3 in rows:
        print("3. tickets JSONL:")
        r = results["tickets"] = row_tickets(root, args.mb, args.sample_kb, max(3, args.rounds // 2))
        print(f"   hfguard CLI (median) {r['hfguard_s']:.2f} s, {r['hfguard_mbps']:.2f} MB/s (peak RSS {r['hfguard_rss_mb']:.0f} MB); "
              f"raw Presidio {r['presidio_mbps']:.3f} MB/s on {r['presidio_sample_mb']:.2f} MB -> ratio {r['ratio']:.0f}x")
        print(f"   hfguard CLI --jobs 1 (one process, no split) {r['jobs1_s']:.2f} s, "
              f"{r['mb'] / r['jobs1_s']:.2f} MB/s (peak RSS {r['jobs1_rss_mb']:.0f} MB) -> ratio "
              f"{r['mb'] / r['jobs1_s'] / r['presidio_mbps']:.0f}x; load average {os.getloadavg()[0]:.2f}, before "
              f"each default run {', '.join(f'{x:.2f}' for x in r['loads'])}")  # type: ignore[attr-defined]
        print(f"   recall, whole file: {r['recall_whole']}")
        print(f"   recall on Presidio's sample: hfguard {r['recall_sample_hfguard']}, Presidio {r['recall_sample_presidio']}")
        print(f"   recorded values that were planted: {r['planted_share']}; findings {r['findings']}")
    if 4 in rows:
        r = results["big"] = row_big_csv(root, args.big_mb)
        print(f"4. customers CSV {r['mb']:.0f} MB, {r['rows']:,} rows (built in {r['built_s']:.0f} s): hfguard "
              f"{r['hfguard_s']:.1f} s (exit {r['exit']}), peak RSS {r['peak_rss_mb']:.0f} MB")
        print(f"   findings {r['findings']}; errors {r['errors']}")
    if 5 in rows:
        r = results["dense"] = row_dense(root, args.dense_mb, max(3, args.rounds // 2))
        print(f"5. PII-dense table {r['dense_mbps']:.2f} MB/s vs the same without PII {r['plain_mbps']:.2f} MB/s: "
              f"ratio {r['ratio']:.2f}")
    if 6 in rows:
        code = args.code
        if code is None:
            packages = Path(site.getsitepackages()[0])
            names = ("requests", "urllib3", "idna", "faker", "phonenumbers", "presidio_analyzer", "spacy", "jsonschema")
            code = [str(packages / n) for n in names if (packages / n).exists()]
        if code:
            precision_on_code(code)
    if 7 in rows:
        r = results["recall"] = row_recall(args.tickets)
        print(f"7. per-row recall on generated tickets ({args.tickets} per locale; score >= 0.4 for Presidio):")
        for locale, lines in r.items():
            if locale != "seconds":
                print(f"   {locale}: hfguard {lines['hfguard']}")  # type: ignore[index]
                print(f"   {' ' * len(locale)}  Presidio {lines['presidio']}")  # type: ignore[index]
        print(f"   time: hfguard {r['seconds']['hfguard']:.1f} s, Presidio {r['seconds']['presidio']:.1f} s")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
