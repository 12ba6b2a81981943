"""PII benchmark: hfguard (PII + secrets) against raw Presidio, and precision on real code.

1. Throughput and recall: a JSONL of product reviews (default 20 MB, seeded Faker) where some
   reviews carry an email, a phone number, a payment card or an SSN, and others look-alikes
   (order numbers, prices, versions, dates). hfguard scans the whole file (`scan_disk`, one
   process: readers, secret rules and the PII detector, Presidio imported lazily in the run);
   raw Presidio (blank spaCy pipeline, all default recognisers, email validation offline)
   analyses each review of a sample, and its MB/s is extrapolated. Recall is counted on the
   planted values, for both, on the same sample, and for hfguard on the whole file.
2. Precision: hfguard on a tree of real code (default: a few packages from site-packages);
   PII/health findings at medium and above should be none.

    python bench/bench_pii.py [--mb 20] [--sample-kb 256] [--code PATH ...] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import random
import site
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

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
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from hfguard.pii.presidio_engine import _OfflineEmailRecognizer, _SpacyEngine

    engine = _SpacyEngine(spacy.blank("en"))
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=engine, languages=["en"])
    registry.recognizers = [r for r in registry.recognizers if r.name != "EmailRecognizer"]
    registry.add_recognizer(_OfflineEmailRecognizer())
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=20.0, help="size of the reviews JSONL")
    parser.add_argument("--sample-kb", type=int, default=256, help="review text raw Presidio analyses")
    parser.add_argument("--code", nargs="*", help="code trees for the precision check")
    parser.add_argument("--keep", help="write the JSONL here instead of a temporary folder")
    args = parser.parse_args(argv)

    folder = Path(args.keep or tempfile.mkdtemp(prefix="hfguard-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "reviews.jsonl"
    started = time.perf_counter()
    planted = make_reviews(data, args.mb)
    size = data.stat().st_size
    print(f"## {data}: {size / 1e6:.1f} MB, {len(planted):,} planted values "
          f"{dict(Counter(e for _, e, _ in planted))} (generated in {time.perf_counter() - started:.0f} s)")

    fresh = "presidio_analyzer" not in sys.modules
    seconds, found, report = run_hfguard(data)
    mbps = size / 1e6 / seconds
    print(f"\n## hfguard PII+secrets, whole file, one process (Presidio and spaCy imported in the run: {fresh})")
    print(f"{seconds:.2f} s, {mbps:.2f} MB/s; findings: "
          f"{[(f.rule, f.severity.value, f.message) for f in report.findings]}")  # type: ignore[attr-defined]
    for note in report.stats.notes:  # type: ignore[attr-defined]
        print(f"note: {note}")
    print(f"recall on the whole file: {recall(planted, found)}")
    print(f"share of recorded values that were planted: {precision(planted, found)}")
    warm_seconds, _, _ = run_hfguard(data)
    warm = size / 1e6 / warm_seconds
    print(f"same scan again in this process (imports done): {warm_seconds:.2f} s, {warm:.2f} MB/s")
    from hfguard.scanner import ScanOptions, scan_disk

    started = time.perf_counter()
    scan_disk([str(data)], ScanOptions(jobs=1, pii=False))
    print(f"secrets only (--no-pii), for reference: {time.perf_counter() - started:.2f} s")

    # raw Presidio on a sample of reviews
    analyzer = raw_presidio()
    texts: list[tuple[int, str]] = []
    total = 0
    with data.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            text = json.loads(line)["text"]
            texts.append((number, text))
            total += len(text.encode("utf-8"))
            if total >= args.sample_kb * 1024:
                break
    analyzer.analyze(text="warm up john@gmail.com", language="en")  # type: ignore[attr-defined]
    raw_found: dict[str, set[str]] = {e: set() for e in ENTITIES}
    started = time.perf_counter()
    for _, text in texts:
        for r in analyzer.analyze(text=text, language="en"):  # type: ignore[attr-defined]
            if r.entity_type in raw_found:
                raw_found[r.entity_type].add(_norm(r.entity_type, text[r.start : r.end]))
    raw_seconds = time.perf_counter() - started
    raw_mbps = total / 1e6 / raw_seconds
    rows = {n for n, _ in texts}
    print(f"\n## raw Presidio (blank pipeline, default recognisers, threshold 0), {len(texts):,} reviews")
    print(f"{total / 1e6:.2f} MB in {raw_seconds:.1f} s: {raw_mbps:.3f} MB/s -> "
          f"{size / 1e6 / raw_mbps:.0f} s for the whole file (extrapolated)")
    print(f"raw Presidio recall on the sample: {recall(planted, raw_found, rows)}")
    print(f"hfguard recall on the same sample: {recall(planted, found, rows)}")
    print(f"\n## speed-up: {mbps / raw_mbps:.0f}x end to end, {warm / raw_mbps:.0f}x with the imports done "
          f"(hfguard PII+secrets {mbps:.2f} / {warm:.2f} MB/s vs raw Presidio {raw_mbps:.3f} MB/s)")

    code = args.code
    if code is None:
        packages = Path(site.getsitepackages()[0])
        code = [str(packages / name) for name in ("requests", "urllib3", "idna", "faker", "phonenumbers", "presidio_analyzer", "spacy", "jsonschema") if (packages / name).exists()]
    if code:
        precision_on_code(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
