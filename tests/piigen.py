"""Generated personal data for issue 14's recall measurements (tests/test_pii_recall.py and
bench/bench_pii.py): support tickets and customer tables in six Faker locales, every phone
format, every card type, free_email(). Each ticket carries one planted value after a cue, or
none (clean rows); the detector's recorded spans are mapped back to rows."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT")
CARD_TYPES = ("amex", "diners", "discover", "jcb", "jcb15", "jcb16", "maestro", "mastercard", "visa", "visa13",
              "visa16", "visa19")
TICKET_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "DATE_OF_BIRTH")

_CUES = {
    "EMAIL_ADDRESS": ("Please reply to {v} when you can.", "my email is {v}", "Contact: {v}", "{v} wrote:"),
    "PHONE_NUMBER": ("Call me at {v} please.", "Phone: {v}", "my number is {v}, thanks", "Tel. {v}",
                     "You can reach me on {v} after 5pm."),
    "CREDIT_CARD": ("I paid with card {v} yesterday.", "Card number: {v}", "charged twice on {v}",
                    "my credit card {v} was declined"),
    "IBAN_CODE": ("Refund to IBAN {v} please.", "my bank account {v}", "IBAN: {v}"),
    "US_SSN": ("My SSN is {v}.", "social security number {v}", "SSN: {v} for the tax form"),
    "IP_ADDRESS": ("Login from {v} was blocked.", "my IP is {v}", "the request came from {v} today"),
    "DATE_OF_BIRTH": ("DOB {v}", "I was born on {v}.", "date of birth: {v}", "Date of Birth: {v}, please update"),
}
_FILLER = ("Hello, I have a problem with my order #{n}.", "The app crashes on version {a}.{b}.{c}.",
           "It happened at {h}:{m} on {d}.", "Thanks for your help!", "The invoice total was {p} EUR.",
           "I ordered {k} items.", "Tracking number: {t}", "Order ID {o}, invoice INV-{y}-{n:06d}.",
           "Build {y}{mm}{dd}.{k} fails on 10.{k}.{b}.{c}.", "Ref {o} / {n}-{k}")
_DOB_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%B %d, %Y", "%d %B %Y")


@dataclass
class Ticket:
    text: str
    entity: str | None  # planted entity, None: clean
    value: str = ""


def _value(entity: str, fake: Faker, rng: random.Random) -> str:
    if entity == "EMAIL_ADDRESS":
        return str(fake.free_email())
    if entity == "PHONE_NUMBER":
        return str(fake.phone_number())
    if entity == "CREDIT_CARD":
        return str(fake.credit_card_number(card_type=rng.choice(CARD_TYPES)))
    if entity == "IBAN_CODE":
        return str(fake.iban())
    if entity == "US_SSN":
        return str(_us.ssn())
    if entity == "IP_ADDRESS":
        return str(fake.ipv4_public())
    return str(fake.date_of_birth(minimum_age=18, maximum_age=95).strftime(rng.choice(_DOB_FORMATS)))


_us = Faker("en_US")


def tickets(locale: str, n: int, seed: int = 14, clean_share: float = 0.3) -> list[Ticket]:
    fake = Faker(locale)
    fake.seed_instance(seed)
    _us.seed_instance(seed)
    rng = random.Random(f"{locale}-{seed}")
    out: list[Ticket] = []
    for i in range(n):
        filler = rng.choice(_FILLER).format(
            n=rng.randint(1000, 99999), a=rng.randint(1, 9), b=rng.randint(0, 20), c=rng.randint(0, 99),
            h=rng.randint(0, 23), m=f"{rng.randint(0, 59):02d}", d=fake.date(), p=f"{rng.uniform(5, 999):.2f}",
            k=rng.randint(1, 40), t=rng.randint(10**11, 10**12 - 1), o=rng.randint(10**9, 10**10 - 1),
            y=rng.randint(2015, 2025), mm=f"{rng.randint(1, 12):02d}", dd=f"{rng.randint(1, 28):02d}",
        )
        if rng.random() < clean_share:
            out.append(Ticket(f"{filler} {fake.sentence()}", None))
            continue
        entity = TICKET_ENTITIES[i % len(TICKET_ENTITIES)]
        value = _value(entity, fake, rng)
        cue = rng.choice(_CUES[entity]).format(v=value)
        out.append(Ticket(f"{filler} {cue} {fake.sentence()}", entity, value))
    return out


@dataclass
class Recall:
    hits: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    clean: int = 0
    clean_flagged: int = 0

    def add(self, other: Recall) -> None:
        for k, v in other.totals.items():
            self.totals[k] = self.totals.get(k, 0) + v
            self.hits[k] = self.hits.get(k, 0) + other.hits.get(k, 0)
        self.clean += other.clean
        self.clean_flagged += other.clean_flagged

    def share(self, entity: str) -> float:
        return self.hits.get(entity, 0) / max(1, self.totals.get(entity, 0))

    def lines(self) -> dict[str, str]:
        out = {e: f"{self.hits.get(e, 0)}/{t} ({100.0 * self.share(e):.1f}%)" for e, t in sorted(self.totals.items())}
        out["clean rows flagged"] = f"{self.clean_flagged}/{self.clean} ({100.0 * self.clean_flagged / max(1, self.clean):.1f}%)"
        return out


def measure(rows: list[Ticket], spans_of: Callable[[list[str]], list[set[tuple[str, int, int]]]]) -> Recall:
    """Per-row recall: a row counts when a span of its planted entity overlaps the planted value;
    a clean row counts as flagged when anything is found in it. `spans_of` maps texts to the
    (entity, start, end) found in each."""
    found = spans_of([t.text for t in rows])
    result = Recall()
    for ticket, spans in zip(rows, found):
        if ticket.entity is None:
            result.clean += 1
            result.clean_flagged += bool(spans)
            continue
        entity = ticket.entity
        result.totals[entity] = result.totals.get(entity, 0) + 1
        vs = ticket.text.index(ticket.value)
        ve = vs + len(ticket.value)
        if any(e == entity and s < ve and vs < en for e, s, en in spans):
            result.hits[entity] = result.hits.get(entity, 0) + 1
    return result


def hfguard_spans(texts: list[str]) -> list[set[tuple[str, int, int]]]:
    """What hfguard's PII detector records in each text, read as a JSONL column of tickets."""
    from hfguard.models import Chunk, ChunkKind
    from hfguard.pii import detector as det
    from hfguard.pii import make_detector
    from hfguard.policy.config import Config

    parent = make_detector(Config())
    assert parent is not None
    starts = []
    pos = 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    recorded: list[tuple[str, int, int]] = []
    original = det.FilePiiDetector._record

    def record(self, name, chunk, seq, start, end, info):  # type: ignore[no-untyped-def]
        recorded.append((name, start, end))
        return original(self, name, chunk, seq, start, end, info)

    det.FilePiiDetector._record = record  # type: ignore[method-assign]
    try:
        file = parent.for_file("tickets.jsonl")
        file.feed(Chunk("\n".join(texts), ChunkKind.DATA, line=None, row=1, field="text"))
        file.finish()
    finally:
        det.FilePiiDetector._record = original  # type: ignore[method-assign]
    import bisect

    out: list[set[tuple[str, int, int]]] = [set() for _ in texts]
    for name, s, e in recorded:
        row = bisect.bisect_right(starts, s) - 1
        out[row].add((name, s - starts[row], e - starts[row]))
    return out
