"""Issue 14, benign data that blocks: columns and texts that are not personal or health data
stay free of blocking findings, each kind with its own case (real detector, no mocks)."""
from __future__ import annotations

import random

import pytest

from hfguard.models import Chunk, ChunkKind, Match, Severity
from hfguard.pii import PiiDetector, make_detector
from hfguard.policy.config import Config


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    d = make_detector(Config())
    assert isinstance(d, PiiDetector)
    return d


def scan(detector: PiiDetector, *chunks: Chunk, path: str = "data.csv") -> list[Match]:
    file = detector.for_file(path)
    for chunk in chunks:
        file.feed(chunk)
    return file.finish()


def column(name: str, values: list[str]) -> Chunk:
    return Chunk("\n".join(values), ChunkKind.DATA, line=None, row=1, field=name)


def blocking(matches: list[Match]) -> list[tuple[str, str]]:
    return [(m.rule_id, m.secret) for m in matches if m.severity in (Severity.HIGH, Severity.MEDIUM)]


@pytest.mark.parametrize("name", ["dx", "rx_bytes", "river_discharge_m3s", "gau_icdf", "patients", "tx_dx"])
def test_numeric_columns_whose_name_contains_a_health_abbreviation_are_not_health(detector: PiiDetector, name: str) -> None:
    rng = random.Random(name)
    values = [f"{rng.uniform(-50, 5000):.3f}" if rng.random() < 0.5 else str(rng.randint(0, 90000)) for _ in range(300)]
    assert blocking(scan(detector, column(name, values))) == []


def test_a_diagnosis_column_next_to_names_still_blocks(detector: PiiDetector) -> None:
    names = column("patient_name", ["Ann Lee", "Bo Li", "Carl Max", "Dee Fox", "Eve Moss", "Flo Ray"])
    dx = column("diagnosis", ["asthma", "type 2 diabetes", "hypertension", "flu", "migraine", "HIV"])
    rules = {rule for rule, _ in blocking(scan(detector, names, dx))}
    assert rules & {"health-column", "health-record"}


@pytest.mark.parametrize("separator", ["  ", " ", "   ", "\t"])
@pytest.mark.parametrize("kind", [ChunkKind.DATA, ChunkKind.PROSE])
def test_whitespace_separated_numeric_tables_are_no_phones_cards_or_ssns(
    detector: PiiDetector, separator: str, kind: ChunkKind
) -> None:
    """A table of numbers read as text (a CSV that did not parse, a printed array): runs across
    its column gaps and the decimals of its numbers are no identifiers."""
    rng = random.Random(2)
    lines = [
        separator.join(rng.choice([str(rng.randint(10**8, 10**12)), f"{rng.uniform(0, 1e4):.4f}",
                                   str(rng.randint(0, 999)), str(rng.randint(0, 9999))]) for _ in range(6))
        for _ in range(300)
    ]
    assert scan(detector, Chunk("\n".join(lines), kind), path="table.txt") == []


def test_a_phone_number_alone_on_its_line_is_still_one(detector: PiiDetector) -> None:
    matches = scan(detector, Chunk("Phone: 404 634 1925\n", ChunkKind.PROSE), path="a.md")
    assert [m.secret for m in matches if m.rule_id == "pii-phone"] == ["404 634 1925"]


def test_an_ssn_shape_is_no_phone_number(detector: PiiDetector) -> None:
    matches = scan(detector, Chunk("ref 375-80-7193 in the ledger", ChunkKind.PROSE), path="a.md")
    assert "pii-phone" not in {m.rule_id for m in matches}


@pytest.mark.parametrize("text", [
    "@Version 1.0.3.4", "ISBN 978-0-306-40615-7", "ISBN 0-306-40615-2", "NDC 0002-3227-30", "NDC 50090-2875-0",
])
def test_versions_isbns_and_drug_codes_are_not_ips_or_phones(detector: PiiDetector, text: str) -> None:
    assert scan(detector, Chunk(text, ChunkKind.PROSE), path="a.md") == []


def test_a_phone_after_from_accounting_is_a_phone_not_a_bank_account(detector: PiiDetector) -> None:
    matches = scan(detector, Chunk("Please call from accounting 404-634-1925 today", ChunkKind.PROSE), path="a.md")
    assert [m.rule_id for m in matches] == ["pii-phone"]
