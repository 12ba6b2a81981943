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
