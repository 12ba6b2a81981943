"""Redaction tags are neutral (issue 14/16): after `hfguard redact` a value is an entity tag
(`<US_SSN>`), a keyed pseudonym (`<US_SSN_3fa9c21b0d4e>`) or a secret's `<REDACTED:rule>`; a rescan
must take none of them as a context word or as part of a value. The same texts with real values
(generated at run time) are still found."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from faker import Faker

from hfguard.models import Chunk, ChunkKind, Match
from hfguard.pii import PiiDetector, make_detector
from hfguard.pii.recognizers import TAG, context_words
from hfguard.policy.config import Config
from hfguard.redact import redact_paths


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    d = make_detector(Config())
    assert isinstance(d, PiiDetector)
    return d


def scan(detector: PiiDetector, text: str, field: str | None = "body") -> list[Match]:
    file = detector.for_file("tickets.jsonl" if field else "notes.md")
    kind = ChunkKind.DATA if field else ChunkKind.PROSE
    file.feed(Chunk(text, kind, line=None if field else 1, row=1 if field else None, field=field))
    return file.finish()


def rules(matches: list[Match]) -> set[str]:
    return {m.rule_id for m in matches}


def _ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 599)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def _phone(fake: Faker) -> str:
    import phonenumbers

    while True:  # a valid US number (not a 555 one, which are fictional)
        number = fake.numerify("%##-%##-####")
        if number[4:7] != "555" and phonenumbers.is_valid_number(phonenumbers.parse(number, "US")):
            return number


# (text with {v} where the value was, entity tag, rule the real value gives, value maker)
def _cases(seed: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    order = f"ORD-{rng.randint(10**7, 10**8 - 1)}"
    ref9 = str(rng.randint(10**8, 10**9 - 1))
    ref8 = str(rng.randint(10**7, 10**8 - 1))
    ref10 = f"{rng.randint(2, 9)}{rng.randint(10**8, 10**9 - 1)}"
    account = str(rng.randint(10**9, 10**10 - 1))
    return [
        (f"SSN for verification: {{v}}. Order {order} (ref {ref9})", "US_SSN", "pii-us-ssn", _ssn(rng)),
        (f"Bank account {{v}} updated, order {ref8} shipped", "US_BANK_NUMBER", "pii-us-bank-account", account),
        (f"Contact {{v}} and ticket {ref10} noted", "PHONE_NUMBER", "pii-phone", _phone(fake)),
        (f"Email {{v}} re ticket {ref9}", "EMAIL_ADDRESS", "pii-email",
         f"{fake.user_name()}{rng.randint(10, 99)}@gmail.com"),
        (f"Card {{v}} declined, invoice {rng.randint(10**12, 10**13 - 1)}", "CREDIT_CARD", "pii-credit-card",
         fake.credit_card_number(card_type="visa16")),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_redaction_tags_are_no_context_and_real_values_are_still_found(detector: PiiDetector, seed: int) -> None:
    for text, entity, rule, value in _cases(seed):
        real = text.format(v=value)
        for field in ("body", None):  # a column of tickets, and prose
            assert rule in rules(scan(detector, real, field)), (real, field)
            for tag in (f"<{entity}>", f"<{entity}_3fa9c21b0d4e>", "<REDACTED:gcp-service-account>"):
                redacted = text.format(v=tag)
                assert scan(detector, redacted, field) == [], (redacted, field)


def test_context_stops_at_a_tag() -> None:
    """The words before a tag labelled the value it replaced; a tag is no word of context."""
    text = "card holder notes: <US_SSN> <CREDIT_CARD>, please check 12345"
    assert context_words(text, text.index("12345")) == ["please", "check"]
    # a tag cut by the edge of the 96 characters before the value is still one tag
    far = "<US_BANK_NUMBER>" + " " * 90 + "x 12345678"
    assert context_words(far, far.index("12345678")) == ["x"]
    plain = "card holder notes: please check 12345"
    assert context_words(plain, plain.index("12345")) == ["card", "holder", "notes", "please", "check"]


@pytest.mark.parametrize("text", [
    "SSN: <US_SSN> ref {n9}",  # the label's value was the tag's: the ref is not an SSN
    "Phone: <PHONE_NUMBER>, ticket {n10}",
    "bank account <US_BANK_NUMBER> or {n10}",
    "SSN: <US_SSN_3fa9c21b0d4e> ref {n9}",
])
def test_a_label_before_a_tag_is_not_the_next_numbers(detector: PiiDetector, text: str) -> None:
    rng = random.Random(text)
    filled = text.format(n9=rng.randint(10**8, 10**9 - 1), n10=f"{rng.randint(2, 9)}{rng.randint(10**8, 10**9 - 1)}")
    for field in ("body", None):
        assert scan(detector, filled, field) == [], (filled, field)
    for tag in ("<US_SSN>", "<PHONE_NUMBER>", "<EMAIL_ADDRESS>", "<US_BANK_NUMBER>", "<PERSON>", "<ICD10_CODE>",
                "<US_SSN_3fa9c21b0d4e>", "<REDACTED:aws-secret-access-key>"):
        assert TAG.fullmatch(tag) and TAG.fullmatch(tag.lower()), tag
    for html in ("<td>", "<phone>", "<b>", "<tel>", "<div class=x>", "</phone_number>"):
        assert not TAG.fullmatch(html), html


def test_redact_then_rescan_is_clean(tmp_path: Path) -> None:
    """The real loop: tickets with SSNs, account numbers and phones next to order numbers and
    refs are redacted, and the scan redact runs on its own output finds nothing."""
    rng = random.Random(7)
    fake = Faker("en_US")
    fake.seed_instance(7)
    rows = []
    for i in range(60):
        order = f"ORD-{rng.randint(10**7, 10**8 - 1)}"
        ref = rng.randint(10**8, 10**9 - 1)
        rows.append({"id": i, "b": rng.choice([
            f"SSN for verification: {_ssn(rng)}. Order {order} (ref {ref})",
            f"Bank account {rng.randint(10**9, 10**10 - 1)} updated. Order {order} (ref {ref})",
            f"Phone {_phone(fake)}, order {order}, ref {ref}",
        ])})
    source = tmp_path / "in" / "tickets.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = redact_paths([source], tmp_path / "out")
    written = (tmp_path / "out" / "tickets.jsonl").read_text(encoding="utf-8")
    assert "<US_SSN>" in written and "<US_BANK_NUMBER>" in written and "<PHONE_NUMBER>" in written
    assert report.exit_code == 0, report.remaining.to_dict()
    assert [f.rule_id for f in report.remaining.findings] == []


def test_a_redacted_identifier_column_ties_no_health_data(tmp_path: Path) -> None:
    """Clinical notes with the patient's email beside them: redact replaces the emails with
    <EMAIL_ADDRESS>; a column of tags is a column of removed values, so the notes' health data is
    no longer tied to anyone and the copy comes out clean (it blocked as a health record)."""
    fake = Faker("en_US")
    fake.seed_instance(11)
    notes = ["was diagnosed with asthma (J45.909) and prescribed salbutamol 100 mg.",
             "Diagnosis: type 2 diabetes E11.9, metformin 500 mg.", "Follow-up in two weeks."]
    rows = [{"email": fake.free_email(), "note": f"Patient reports fatigue. {notes[i % 3]}"} for i in range(12)]
    source = tmp_path / "in" / "notes.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    before = scan_rules(source)
    assert "health-record" in before, before
    report = redact_paths([source], tmp_path / "out")
    assert "<EMAIL_ADDRESS>" in (tmp_path / "out" / "notes.jsonl").read_text(encoding="utf-8")
    assert report.exit_code == 0, report.remaining.to_dict()


def scan_rules(path: Path) -> list[str]:
    from hfguard.api import scan_paths

    return [f["rule"] for f in scan_paths([str(path)], jobs=1)["findings"] if f["blocking"]]
