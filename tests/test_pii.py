"""PII and health detection with real Presidio on a real blank spaCy pipeline: each entity fires
on realistic generated values (Faker, fixed seeds) and stays quiet on its look-alikes; severity
and per-column aggregation."""
from __future__ import annotations

import random

import pytest
from faker import Faker

from hfguard.policy.config import Config, PiiConfig
from hfguard.errors import HfguardError
from hfguard.models import Category, Chunk, ChunkKind, Match, Severity
from hfguard.pii import PiiDetector, checks, make_detector, resolve_spacy_model


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    d = make_detector(Config())
    assert isinstance(d, PiiDetector)
    return d


@pytest.fixture()
def fake() -> Faker:
    f = Faker("en_US")
    f.seed_instance(1234)
    return f


def scan(detector: PiiDetector, *chunks: Chunk, path: str = "notes.md") -> list[Match]:
    file = detector.for_file(path)
    for chunk in chunks:
        assert file.feed(chunk) == []
    return file.finish()


def prose(detector: PiiDetector, text: str, kind: ChunkKind = ChunkKind.PROSE, path: str = "notes.md") -> list[Match]:
    return scan(detector, Chunk(text, kind), path=path)


def found(matches: list[Match], rule: str) -> list[str]:
    return [m.secret for m in matches if m.rule_id == rule]


def column(name: str, values: list[str], row: int = 1) -> Chunk:
    """A column chunk as the tabular readers hand it over: values one a line."""
    return Chunk("\n".join(values), ChunkKind.DATA, line=None, row=row, field=name)


def j(*parts: str) -> str:
    """Identifiers are written in pieces, so that this file itself scans clean."""
    return "".join(parts)


def with_check_digit(body: str, prefix: str = "") -> str:
    for digit in "0123456789":
        if checks.luhn_checksum_ok(prefix + body + digit):
            return body + digit
    raise AssertionError


# --- PII entities -------------------------------------------------------------------------------


def test_emails_fire_in_prose_as_low(detector: PiiDetector, fake: Faker) -> None:
    addresses = [fake.free_email() for _ in range(5)] + [fake.company_email() for _ in range(3)]
    text = "\n".join(f"{fake.sentence()} Write to {a} for details." for a in addresses)
    matches = prose(detector, text)
    assert sorted(found(matches, "pii-email")) == sorted(addresses)
    assert {m.severity for m in matches} == {Severity.LOW}
    assert all(m.category is Category.PII for m in matches)


@pytest.mark.parametrize("address", [
    "jane@example.com", "ops@example.org", "x@example.net", "a@mail.example.com", "bob@foo.test",
    "alice@host.invalid", "root@localhost", "dev@printer.local", "noreply@shop-company.com",
    "no-reply@bank-company.com", "do-not-reply@news-company.com", "noreply@github.com",
    "git@github.com", "mailer-daemon@mail-company.com", "svc-1@ml-proj.iam.gserviceaccount.com",
    "123456789012-compute@developer.gserviceaccount.com",
])
def test_reserved_and_no_reply_addresses_are_not_pii(detector: PiiDetector, address: str) -> None:
    assert prose(detector, f"Contact: {address} please") == []


@pytest.mark.parametrize("address", [j("12345+user", "@users.noreply.github.com"), j("678-user", "@users.noreply.gitlab.com")])
def test_a_forges_private_commit_address_names_its_user(detector: PiiDetector, address: str) -> None:
    """GitHub's private commit address (the user's ID and name at users.noreply.github.com;
    GitLab's alike): "noreply" in the domain, but the address is a person's."""
    assert found(prose(detector, f"Contact: {address} please"), "pii-email") == [address]


def test_valid_phone_numbers_fire_and_look_alikes_stay_quiet(detector: PiiDetector, fake: Faker) -> None:
    import phonenumbers

    numbers = []
    while len(numbers) < 6:
        candidate = f"({fake.random_int(200, 999)}) {fake.random_int(200, 999)}-{fake.random_int(1000, 9999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "US")):
            numbers.append(candidate)
    numbers.append("+44 20 7946 0958")
    text = " ".join(f"Call me on {n} after six." for n in numbers)
    assert sorted(found(prose(detector, text), "pii-phone")) == sorted(numbers)
    look_alikes = (
        "Released 2023-10-12 as version 1.2.3, build 20231012. Order 1234567890 shipped, "
        "serial 4155550134, at 12:30:45 for $1,299.99; ISBN 978-3-16-148410-0."
    )
    assert found(prose(detector, look_alikes), "pii-phone") == []


def test_bare_digits_are_a_phone_only_with_context(detector: PiiDetector) -> None:
    number = j("415555", "2671")
    assert found(prose(detector, f"ticket {number} closed"), "pii-phone") == []
    assert found(prose(detector, f"my mobile: {number}"), "pii-phone") == [number]


def test_payment_cards_fire_high_and_luhn_invalid_or_test_cards_do_not(detector: PiiDetector, fake: Faker) -> None:
    cards = [fake.credit_card_number(card_type=t) for t in ("visa16", "mastercard", "amex", "discover")]
    cards.append(j("2221 0000 ", "0000 0009"))  # Mastercard 2-series
    assert checks.card_ok(cards[-1])
    matches = prose(detector, " ".join(f"Charged to {c} yesterday." for c in cards))
    assert sorted(found(matches, "pii-credit-card")) == sorted(cards)
    assert {m.severity for m in matches if m.rule_id == "pii-credit-card"} == {Severity.HIGH}
    broken = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in cards[:4]]
    assert not any(checks.luhn_checksum_ok(checks.digits_of(b)) for b in broken)
    quiet = " ".join(f"card {b}" for b in broken) + " test cards 4111 1111 1111 1111 and 4242424242424242"
    assert found(prose(detector, quiet), "pii-credit-card") == []


def test_a_bare_long_integer_in_code_is_not_a_card(detector: PiiDetector, fake: Faker) -> None:
    number = fake.credit_card_number(card_type="visa16")
    assert found(prose(detector, f"SEED = {number}\n", ChunkKind.CODE, "seed.py"), "pii-credit-card") == []
    assert found(prose(detector, f"card = '{number}'  # credit card\n", ChunkKind.CODE, "t.py"), "pii-credit-card")


def test_ssns_fire_and_unissued_ranges_do_not(detector: PiiDetector, fake: Faker) -> None:
    ssns = [fake.ssn() for _ in range(6)]
    matches = prose(detector, " ".join(f"SSN {s}." for s in ssns))
    assert sorted(found(matches, "pii-us-ssn")) == sorted(ssns)
    invalid = ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120", "123-45-6789"]
    assert found(prose(detector, " ".join(f"SSN {s}." for s in invalid)), "pii-us-ssn") == []
    bare = j("5362", "28812")
    assert found(prose(detector, f"number {bare}"), "pii-us-ssn") == []  # bare digits need context
    assert found(prose(detector, f"ssn: {bare}"), "pii-us-ssn") == [bare]


def test_ibans_fire_and_bad_checksums_do_not(detector: PiiDetector) -> None:
    f = Faker("de_DE")
    f.seed_instance(99)
    ibans = [f.iban() for _ in range(3)] + [j("GB33 BUKB 2020 ", "1555 5555 55")]
    assert sorted(found(prose(detector, " ".join(f"IBAN {i}." for i in ibans)), "pii-iban")) == sorted(ibans)
    assert found(prose(detector, j("IBAN DE8937040044053201", "3001 and GB29NWBK6016133192", "6818")), "pii-iban") == []
    # the examples printed in the IBAN registry are quoted in docs and code everywhere
    assert found(prose(detector, j("e.g. DE89 3704 0044 0532 ", "0130 00")), "pii-iban") == []


def test_public_ips_fire_but_private_loopback_documentation_and_versions_do_not(detector: PiiDetector, fake: Faker) -> None:
    public = [fake.ipv4_public() for _ in range(4)] + ["2a00:1450:4001:82b::200e"]
    assert sorted(found(prose(detector, " ".join(f"client {ip} connected" for ip in public)), "pii-ip-address")) == sorted(public)
    quiet = (
        "127.0.0.1 10.0.0.1 192.168.1.20 172.16.0.5 169.254.1.1 203.0.113.5 198.51.100.7 8.8.8.8 1.1.1.1 "
        "::1 fe80::1 version 1.2.3.4, v2.10.1.3, firmware 5.12.3.44, numpy==1.26.4.1, 1.2.3.4.5"
    )
    assert found(prose(detector, quiet), "pii-ip-address") == []


def test_bitcoin_wallets_need_a_valid_checksum(detector: PiiDetector) -> None:
    valid = ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
    assert sorted(found(prose(detector, f"tip jar {valid[0]} or {valid[1]}"), "pii-crypto-wallet")) == sorted(valid)
    assert found(prose(detector, "tip jar 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), "pii-crypto-wallet") == []


@pytest.mark.parametrize("text, rule", [
    (j("My passport number is 9128", "03456."), "pii-us-passport"),
    (j("Driver license number: D123", "4567 issued"), "pii-us-driver-license"),
    (j("bank account number 123456", "789012"), "pii-us-bank-account"),
    (j("ITIN 912-70-", "1234 for taxes"), "pii-us-itin"),
    (j("NHS number 943 476 ", "5919"), "pii-uk-nhs"),
])
def test_context_bound_identifiers_fire_with_context_only(detector: PiiDetector, text: str, rule: str) -> None:
    matches = prose(detector, text)
    assert [m.rule_id for m in matches] == [rule]
    assert matches[0].severity is Severity.HIGH
    value = matches[0].secret
    assert rule not in {m.rule_id for m in prose(detector, f"The figure was {value} in total.")}


# --- health -------------------------------------------------------------------------------------


def test_icd10_codes_need_diagnosis_context_and_a_valid_category(detector: PiiDetector) -> None:
    matches = prose(detector, "ICD-10 codes: E11.9, I10, J45.909; dx: Z99.89")
    assert found(matches, "health-icd10") == ["E11.9", "I10", "J45.909", "Z99.89"]
    # codes with no person in the file are reference data, low (issue 14); next to a person, high
    assert all(m.category is Category.HEALTH and m.severity is Severity.LOW for m in matches)
    tied = prose(detector, "Patient: Ann Lee\nICD-10 codes: E11.9, I10, J45.909; dx: Z99.89")
    assert all(m.severity is Severity.HIGH for m in tied if m.rule_id == "health-icd10")
    assert prose(detector, "ruff: E501 line too long, F401 unused import, C901 too complex") == []
    assert prose(detector, "diagnosis code D99.1 (no such category)") == []


def test_npi_dea_mbi_and_mrn_with_context(detector: PiiDetector) -> None:
    rng = random.Random(5)
    npi = with_check_digit("1" + "".join(rng.choice("0123456789") for _ in range(8)), prefix="80840")
    assert checks.npi_ok(npi)
    body = "".join(rng.choice("0123456789") for _ in range(6))
    d = [int(c) for c in body]
    dea = "AS" + body + str((d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10)
    assert checks.dea_ok(dea)
    mbi, mrn = j("3TW7-KP2", "-HV58"), j("0048", "2913")
    assert checks.mbi_ok(mbi)
    text = f"Prescriber NPI {npi}, DEA number {dea}. Medicare MBI: {mbi}. Patient MRN: {mrn}."
    matches = prose(detector, text)
    assert found(matches, "health-npi") == [npi]
    assert found(matches, "health-dea") == [dea]
    assert found(matches, "health-medicare-mbi") == [mbi]
    assert found(matches, "health-mrn") == [mrn]
    assert "pii-phone" not in {m.rule_id for m in matches}  # one value, one entity: the NPI
    bad_npi = npi[:-1] + str((int(npi[-1]) + 1) % 10)
    bad_dea = dea[:-1] + str((int(dea[-1]) + 1) % 10)
    assert prose(detector, f"NPI {bad_npi}, DEA {bad_dea}") == []
    assert prose(detector, f"Reference {npi} and {dea} and {mbi.replace('-', '')} and {mrn}.") == []
    # an ICD code or an NPI in source code is reference data (low); an MRN is a patient's
    code = prose(detector, f'DX = "E11.9"  # diagnosis\nPROVIDER_NPI = "{npi}"\n', ChunkKind.CODE, "codes.py")
    assert {(m.rule_id, m.severity) for m in code} == {("health-icd10", Severity.LOW), ("health-npi", Severity.LOW)}


def test_a_line_joining_a_person_with_health_wording_is_a_health_record(detector: PiiDetector, fake: Faker) -> None:
    email = fake.free_email()
    matches = prose(detector, f"{email} was diagnosed with type 2 diabetes, prescribed metformin 500 mg\n")
    assert "health-record" in {m.rule_id for m in matches}
    assert prose(detector, "Most patients are diagnosed with type 2 diabetes after forty.\n") == []


# --- severity and aggregation -----------------------------------------------------------------------


def test_severity_depends_on_where_the_value_is(detector: PiiDetector, fake: Faker) -> None:
    email = fake.free_email()
    assert [m.severity for m in prose(detector, f"# maintainer: {email}\n", ChunkKind.CODE, "setup.py")] == [Severity.LOW]
    assert [m.severity for m in prose(detector, f"Sent to {email}", ChunkKind.OUTPUT, "nb.ipynb")] == [Severity.MEDIUM]
    ssn = fake.ssn()
    assert [m.severity for m in prose(detector, f"SSN {ssn} on the form", ChunkKind.PROSE)] == [Severity.HIGH]
    # source code quotes examples (docstrings, format docs): one SSN there is reported low...
    assert [m.severity for m in prose(detector, f"# e.g. ssn {ssn}\n", ChunkKind.CODE, "t.py")] == [Severity.LOW]
    # ...several different ones are a file of personal data
    fixture = "".join(f"    {{'ssn': '{fake.ssn()}'}},\n" for _ in range(3))
    [match] = prose(detector, f"PEOPLE = [\n{fixture}]\n", ChunkKind.CODE, "fixtures.py")
    assert (match.rule_id, match.severity, match.count) == ("pii-us-ssn", Severity.HIGH, 3)
    # a lone contact address in a JSON document is low, in a table medium
    contact = Chunk(email, ChunkKind.DATA, line=None, row=None, field="info.contact.email")
    assert [m.severity for m in scan(detector, contact, path="openapi.json")] == [Severity.LOW]


def test_a_text_file_full_of_emails_is_one_high_finding(detector: PiiDetector, fake: Faker) -> None:
    addresses = [fake.unique.free_email() for _ in range(40)]
    text = "\n".join(f"{fake.name()} <{a}>" for a in addresses)
    matches = prose(detector, text, path="customers.txt")
    assert len(matches) == 1
    assert matches[0].severity is Severity.HIGH and matches[0].count == 40
    assert "40 email addresses" in (matches[0].message or "")
    # the same list as a project's AUTHORS file is public contributor information
    authors = prose(detector, text, path="AUTHORS")
    assert len(authors) == 40 and {m.severity for m in authors} == {Severity.LOW}


def test_a_column_of_emails_is_one_high_finding_with_a_count(detector: PiiDetector, fake: Faker) -> None:
    addresses = [fake.free_email() for _ in range(120)]
    chunks = [column("customer.email", addresses[:70], row=1), column("customer.email", addresses[70:], row=71)]
    matches = scan(detector, column("id", [str(i) for i in range(1, 121)]), *chunks, path="users.jsonl")
    assert len(matches) == 1
    match = matches[0]
    assert (match.rule_id, match.severity, match.count) == ("pii-email", Severity.HIGH, 120)
    assert match.chunk.field == "customer.email" and match.chunk.row == 1 and match.start == 0
    assert match.message == "120 email addresses in this column"


def test_one_email_in_a_dataset_is_medium(detector: PiiDetector, fake: Faker) -> None:
    reviews = [fake.paragraph() for _ in range(30)]
    reviews[7] += f" Mail me: {fake.free_email()}"
    matches = scan(detector, column("review", reviews), path="reviews.csv")
    assert [(m.rule_id, m.severity, m.count) for m in matches] == [("pii-email", Severity.MEDIUM, 1)]
    assert "free-text column" in (matches[0].message or "")


def test_a_column_of_random_ids_is_not_a_column_of_cards(detector: PiiDetector) -> None:
    rng = random.Random(3)
    ids = [str(rng.randint(4 * 10**15, 5 * 10**15 - 1)) for _ in range(400)]
    assert sum(checks.card_ok(i) for i in ids) > 20  # some pass Luhn by chance
    assert scan(detector, column("order_id", ids), path="orders.csv") == []


def test_a_large_column_is_counted_after_presidio_vouched_for_a_sample(detector: PiiDetector, fake: Faker) -> None:
    ssns = [fake.ssn() for _ in range(600)]
    file = detector.for_file("people.csv")
    file.feed(column("ssn", ssns))
    matches = file.finish()
    assert [(m.rule_id, m.count) for m in matches] == [("pii-us-ssn", 600)]
    assert file.windows < 200  # Presidio saw a sample, not the 600 values


def test_name_columns_by_header_and_shape(detector: PiiDetector, fake: Faker) -> None:
    names = [fake.name() for _ in range(20)]
    assert [m.rule_id for m in scan(detector, column("full_name", names), path="a.csv")] == ["pii-person"]
    # a bare "name" column (products, models...) is a person's name only next to personal data
    assert scan(detector, column("name", names), path="b.csv") == []
    both = scan(detector, column("name", names), column("email", [fake.free_email() for _ in range(20)]), path="c.csv")
    assert sorted(m.rule_id for m in both) == ["pii-email", "pii-person"]


def test_health_headers_and_record_joins(detector: PiiDetector, fake: Faker) -> None:
    n = 12
    patients = scan(
        detector,
        column("patient_name", [fake.name() for _ in range(n)]),
        column("dob", [fake.date_of_birth().isoformat() for _ in range(n)]),
        column("icd10", ["E11.9", "I10", "J45.909", "F32.9"] * 3),
        path="patients.csv",
    )
    assert {m.rule_id for m in patients} == {"pii-person", "pii-date-of-birth", "health-icd10"}
    assert all(m.severity is Severity.HIGH for m in patients)
    # weak health header ("symptoms") only counts joined with a person identifier in the same row
    symptoms = column("symptoms", ["chest pain", "fever and cough", "", "headache"])
    assert scan(detector, column("product", ["a", "b", "c", "d"]), symptoms, path="s.csv") == []
    joined = scan(detector, column("email", [fake.free_email() for _ in range(4)]), symptoms, path="t.csv")
    records = [m for m in joined if m.rule_id == "health-record"]
    assert len(records) == 1 and records[0].count == 3 and records[0].category is Category.HEALTH
    assert "(email with symptoms)" in (records[0].message or "")


# --- configuration ------------------------------------------------------------------------------


def test_entities_and_categories_can_be_narrowed(fake: Faker) -> None:
    text = f"mail {fake.free_email()} ssn {fake.ssn()} dx: E11.9"
    only_ssn = make_detector(Config(pii=PiiConfig(entities=("US_SSN",))))
    assert only_ssn is not None
    assert [m.rule_id for m in prose(only_ssn, text)] == ["pii-us-ssn"]  # type: ignore[arg-type]
    no_health = make_detector(Config(categories=frozenset({Category.SECRET, Category.PII})))
    assert {m.category for m in prose(no_health, text)} == {Category.PII}  # type: ignore[arg-type]
    assert make_detector(Config(categories=frozenset({Category.SECRET}))) is None
    with pytest.raises(HfguardError, match="unknown entity 'NOPE'"):
        make_detector(Config(pii=PiiConfig(entities=("NOPE",))))


def test_a_missing_spacy_model_is_an_error_naming_the_install_command() -> None:
    with pytest.raises(HfguardError) as info:
        resolve_spacy_model("xx_no_such_model_sm")
    message = str(info.value)
    assert "pip install 'hfguard[ner]'" in message and "python -m spacy download xx_no_such_model_sm" in message
    with pytest.raises(HfguardError):
        make_detector(Config(pii=PiiConfig(spacy_model="xx_no_such_model_sm")))


def test_offsets_survive_characters_that_change_length_when_lowered(detector: PiiDetector, fake: Faker) -> None:
    email = fake.free_email()
    matches = prose(detector, f"\u0130stanbul office \u0130\u0130: write to {email} today")
    assert found(matches, "pii-email") == [email]


def test_code_without_personal_data_costs_presidio_nothing(detector: PiiDetector) -> None:
    header = (
        "# Licensed under the Apache License, Version 2.0 (the \"License\");\n"
        "# you may not use this file except in compliance with the License.\n"
        "TIMEOUT = 1200000000  # account for slow disks; see bank 3 of the table\n"
        "VERSION = (1, 26, 4)\n"
    )
    file = detector.for_file("module.py")
    file.feed(Chunk(header, ChunkKind.CODE))
    assert file.finish() == [] and file.windows == 0


def test_undecodable_bytes_kept_as_surrogates_do_not_stop_presidio(detector: PiiDetector, fake: Faker) -> None:
    email, ssn = fake.free_email(), fake.ssn()
    text = f"\udc80\udcff caf\udce9 mail {email} \udc80 ssn {ssn}\udc80"
    matches = prose(detector, text)
    assert found(matches, "pii-email") == [email] and found(matches, "pii-us-ssn") == [ssn]


def test_a_dotted_value_at_the_very_end_of_a_text_is_found(detector: PiiDetector, fake: Faker) -> None:
    ip = fake.ipv4_public()
    assert found(prose(detector, f"client {ip}"), "pii-ip-address") == [ip]
    assert found(prose(detector, f"client {ip}\n"), "pii-ip-address") == [ip]
