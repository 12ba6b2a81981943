"""The personal and health entities hfguard reports: rule id, category, wording, how sure a
Presidio result must be, and whether context is required. Explicit registry: ENTITIES."""
from __future__ import annotations

from dataclasses import dataclass

from hfguard.models import Category


@dataclass(frozen=True)
class Entity:
    name: str  # Presidio entity type
    rule_id: str
    category: Category
    noun: str  # singular, for messages
    plural: str
    min_score: float | None = None  # None: the configured pii.score_threshold
    needs_context: bool = False  # a context word near the value (or in the column name) is required
    sensitive: bool = False  # high severity wherever it is found (SSN, card, IBAN, health)
    description: str = ""


def _e(*args: object, **kwargs: object) -> Entity:
    return Entity(*args, **kwargs)  # type: ignore[arg-type]


P, H = Category.PII, Category.HEALTH

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        _e("EMAIL_ADDRESS", "pii-email", P, "email address", "email addresses",
           description="Email address (reserved domains, no-reply and cloud service-account addresses excluded)"),
        # phonenumbers has validated the number; Presidio's base score for it is 0.4.
        _e("PHONE_NUMBER", "pii-phone", P, "phone number", "phone numbers", min_score=0.4,
           description="Phone number validated by phonenumbers (dates and times excluded)"),
        _e("CREDIT_CARD", "pii-credit-card", P, "payment card number", "payment card numbers",
           sensitive=True, description="Payment card number (Luhn checksum; test cards excluded)"),
        # Presidio scores a bare 9-digit run with SSN context 0.4; our own check then insists on
        # dashes or context.
        _e("US_SSN", "pii-us-ssn", P, "US social security number", "US social security numbers",
           min_score=0.4, sensitive=True, description="US social security number (unissued ranges rejected)"),
        _e("IBAN_CODE", "pii-iban", P, "IBAN", "IBANs", sensitive=True,
           description="International bank account number (mod-97 checksum)"),
        _e("IP_ADDRESS", "pii-ip-address", P, "public IP address", "public IP addresses",
           description="Public IP address (loopback, private, documentation and version-like excluded)"),
        _e("US_PASSPORT", "pii-us-passport", P, "US passport number", "US passport numbers",
           min_score=0.4, needs_context=True, sensitive=True, description="US passport number (with context)"),
        _e("US_DRIVER_LICENSE", "pii-us-driver-license", P, "US driver licence number",
           "US driver licence numbers", min_score=0.4, needs_context=True, sensitive=True,
           description="US driver licence number (with context)"),
        _e("US_BANK_NUMBER", "pii-us-bank-account", P, "US bank account number",
           "US bank account numbers", min_score=0.4, needs_context=True, sensitive=True,
           description="US bank account number (with context)"),
        _e("US_ITIN", "pii-us-itin", P, "US ITIN", "US ITINs", min_score=0.4, needs_context=True,
           sensitive=True, description="US individual taxpayer identification number (with context)"),
        _e("UK_NHS", "pii-uk-nhs", P, "UK NHS number", "UK NHS numbers", needs_context=True,
           sensitive=True, description="UK NHS number (mod-11 checksum, with context)"),
        _e("CRYPTO", "pii-crypto-wallet", P, "crypto wallet address", "crypto wallet addresses",
           description="Bitcoin wallet address (checksum)"),
        _e("PERSON", "pii-person", P, "person name", "person names",
           description="Person name (spaCy NER, or a name column)"),
        _e("LOCATION", "pii-location", P, "location", "locations",
           description="Place name (spaCy NER)"),
        _e("DATE_OF_BIRTH", "pii-date-of-birth", P, "date of birth", "dates of birth",
           description="Date of birth column"),
        _e("STREET_ADDRESS", "pii-street-address", P, "street address", "street addresses",
           description="Street address column"),
        # Health (PHI): recognisers of our own.
        _e("ICD10_CODE", "health-icd10", H, "ICD-10 diagnosis code", "ICD-10 diagnosis codes",
           min_score=0.5, needs_context=True, sensitive=True,
           description="ICD-10-CM diagnosis code (valid category, diagnosis/dx/icd context)"),
        _e("MEDICAL_RECORD_NUMBER", "health-mrn", H, "medical record number", "medical record numbers",
           needs_context=True, sensitive=True, description="Medical record number (with MRN context)"),
        _e("US_NPI", "health-npi", H, "US NPI", "US NPIs", needs_context=True, sensitive=True,
           description="US National Provider Identifier (Luhn with 80840 prefix, with context)"),
        _e("US_DEA", "health-dea", H, "DEA number", "DEA numbers", needs_context=True, sensitive=True,
           description="US DEA registration number (checksum, with context)"),
        _e("MEDICARE_MBI", "health-medicare-mbi", H, "Medicare beneficiary identifier",
           "Medicare beneficiary identifiers", needs_context=True, sensitive=True,
           description="Medicare Beneficiary Identifier (with context)"),
        _e("HEALTH_FIELD", "health-column", H, "health value", "health values", sensitive=True,
           description="A column or field whose name says it holds health data"),
        _e("HEALTH_RECORD", "health-record", H, "record joining a person with health data",
           "records joining a person with health data", sensitive=True,
           description="A record or line that joins a person identifier with health information"),
    ]
}

# Entities that identify a person, for joining with health fields.
PERSON_IDENTIFIERS = frozenset(
    {"EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "PERSON", "DATE_OF_BIRTH", "MEDICAL_RECORD_NUMBER",
     "MEDICARE_MBI", "UK_NHS", "US_PASSPORT", "US_DRIVER_LICENSE", "STREET_ADDRESS", "US_ITIN"}
)


# Identifiers that tie health data in the same record (row, JSON record, note) to a person:
# HIPAA Safe Harbor's 18 as far as they are found (names, contact details, dates of birth,
# record, beneficiary, account and licence numbers, IP addresses).
TIE_IDENTIFIERS = PERSON_IDENTIFIERS | {"CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_BANK_NUMBER"}

# Health values that identify no patient by themselves (a code, a provider, a diagnosis): health
# data about a person only where an identifier in the same record ties them to one; without one
# (de-identified research tables, aggregates, code lists, a drug label) reported low.
TIEABLE_HEALTH = frozenset({"ICD10_CODE", "US_NPI", "US_DEA", "HEALTH_FIELD"})


def rule_descriptions() -> dict[str, tuple[Category, str]]:
    """rule id -> (category, description), for listings."""
    return {e.rule_id: (e.category, e.description) for e in ENTITIES.values()}
