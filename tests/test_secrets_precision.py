"""Precision of the secret engine: one value, one finding; placeholders and non-secrets quiet.

All credentials are built at run time (secretgen) so that none is committed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from secretgen import github_pat, rand

from hfguard.models import Category, Chunk, Match, Severity
from hfguard.scanner import ScanOptions, scan_disk
from hfguard.secrets.engine import SecretEngine, drop_covered
from hfguard.secrets.heuristics import looks_like_placeholder, repeated_groups
from hfguard.secrets.rules import load_default_rules


@pytest.fixture(scope="module")
def engine() -> SecretEngine:
    return SecretEngine(load_default_rules())


def _ids(engine: SecretEngine, text: str, path: str = "src/app.py") -> list[str]:
    return [m.rule_id for m in engine.scan(Chunk(text), path)]


def _pem(seed: str, lines: int = 25, kind: str = "PRIVATE KEY") -> str:
    body = "\n".join(rand("b64", 64, f"{seed}{i}") for i in range(lines))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


# --- one value, one finding -------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "remote = https://x-access-token:{t}@github.com/org/repo.git",
        "git clone https://someone:{t}@github.com/org/repo.git",
        "curl -u someone:{t} https://api.github.com/user",
        'curl -H "Authorization: Bearer {t}" https://api.github.com/user',
        "pip install git+https://{t}@github.com/org/private.git",
    ],
)
def test_token_in_url_or_command_is_one_finding(engine: SecretEngine, template: str) -> None:
    text = template.format(t=github_pat("url")) + "\n"
    assert _ids(engine, text) == ["github-pat"]


def test_pem_body_lines_are_not_more_secrets(tmp_path: Path) -> None:
    """A GCP service-account key file: the key once, not one finding per base64 line."""
    account = {
        "type": "service_account",
        "project_id": "demo-project-" + rand("digits", 6, "p"),
        "private_key_id": rand("hex", 40, "kid"),
        "private_key": _pem("sa"),
        "client_email": "svc@demo.iam.gserviceaccount.com",
        "client_id": rand("digits", 21, "cid"),
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps(account, indent=2), encoding="utf-8")
    findings = scan_disk([str(path)], ScanOptions(pii=False, jobs=1)).findings
    rules = sorted(f.rule for f in findings)
    assert "private-key" in rules or "gcp-service-account-key" in rules
    assert not [r for r in rules if r.startswith("generic-")], rules
    assert len(findings) <= 2, rules


def test_pem_in_a_log_line_with_escaped_newlines(engine: SecretEngine) -> None:
    key = _pem("log", 6).replace("\n", "\\n")
    text = f'2026-11-30T10:00:00Z DEBUG config loaded {{"tls_key": "{key}"}}\n'
    assert _ids(engine, text) == ["private-key"]


def test_non_secret_match_inside_a_secret_is_dropped() -> None:
    token = github_pat("covered")
    chunk = Chunk(f"see {token}@github.com\n")
    start = chunk.text.index(token)
    secret = Match("github-pat", Category.SECRET, Severity.CRITICAL, chunk, start, start + len(token), token)
    email = Match("pii-email", Category.PII, Severity.LOW, chunk, start, len(chunk.text) - 1, "x")
    elsewhere = Match("pii-email", Category.PII, Severity.LOW, Chunk(chunk.text), start, start + 5, "x")
    assert drop_covered([secret, email, elsewhere]) == [secret, elsewhere]


# --- quiet on what is not a secret ------------------------------------------------------------


def test_repeated_digit_groups_are_a_placeholder(engine: SecretEngine) -> None:
    assert repeated_groups("11111222223333344444555556666677")
    assert looks_like_placeholder("aaaabbbbccccdddd0000")
    assert not repeated_groups(rand("alnum", 32, "random"))
    assert _ids(engine, 'api_key = "11111222223333344444555556666677"\n') == []
    assert _ids(engine, f'api_key = "{rand("hex", 32, "real")}"\n') == ["generic-secret-assignment"]


@pytest.mark.parametrize(
    "kind, header",
    [
        ("ENCRYPTED PRIVATE KEY", ""),
        ("RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC," + rand("hex", 32, "iv").upper() + "\n\n"),
    ],
)
def test_encrypted_private_keys_are_quiet(engine: SecretEngine, kind: str, header: str) -> None:
    pem = _pem("enc", 8, kind).replace("-\n", "-\n" + header, 1)
    assert _ids(engine, pem) == []
    assert _ids(engine, _pem("plain", 8, "RSA PRIVATE KEY")) == ["private-key"]


def test_csrf_form_tokens_and_credential_ids_are_quiet(engine: SecretEngine) -> None:
    value = rand("b64", 86, "csrf")
    assert _ids(engine, f'<input type="hidden" name="authenticity_token" value="{value}==" />\n', "a.html") == []
    assert _ids(engine, f'{{"credentialId": "{rand("b64url", 43, "cred")}"}}\n') == []
    assert _ids(engine, f'credential = "{rand("b64url", 43, "cred2")}"\n') != []


def test_token_before_an_at_sign_is_not_also_an_email(tmp_path: Path) -> None:
    """With personal-data detection on: `ghp_...@github.com` is a token, not a token and an email."""
    path = tmp_path / "notes.txt"
    path.write_text(f"see {github_pat('email')}@github.com for access\n", encoding="utf-8")
    findings = scan_disk([str(path)], ScanOptions(jobs=1)).findings
    assert [(f.rule, f.category.value) for f in findings] == [("github-pat", "secret")]


# --- token efficiency (hfguard/secrets/tokenefficiency.py) --------------------------------------


def test_token_efficiency_separates_random_values_from_words() -> None:
    from hfguard.secrets.tokenefficiency import RANDOM_BELOW, WORDS_FROM, chars_per_token

    for seed in ("a", "b", "c"):
        assert chars_per_token(rand("alnum", 40, seed)) < RANDOM_BELOW
        assert chars_per_token(rand("hex", 32, seed)) < RANDOM_BELOW
    for words in ("development_environment_settings", "DEFAULT_CONFIGURATION_VALUE",
                  "abcdef123456abcdef123456abcdef", "ThisIsTheDefaultConfiguration"):
        assert chars_per_token(words) >= WORDS_FROM, words


def test_token_efficiency_vocabulary_is_shipped_and_loads_offline() -> None:
    from hfguard.secrets import tokenefficiency

    assert tokenefficiency.VOCABULARY.is_file()
    tokenizer = tokenefficiency._tokenizer()
    assert tokenizer.get_vocab_size() == tokenefficiency.VOCABULARY_SIZE


def test_random_uuid_under_a_secret_name_is_a_secret(engine: SecretEngine) -> None:
    """Heroku, HubSpot, npm (legacy) and others issue UUID keys: one drawn at random beside a
    secret's name is reported; the documented example UUID and typed ones stay quiet."""
    import uuid

    key = str(uuid.UUID(int=int(rand("hex", 32, "uuid-key"), 16), version=4))
    assert _ids(engine, f'api_key = "{key}"\n') == ["generic-secret-assignment"]
    assert _ids(engine, f"SERVICE_API_SECRET={key}\n", "deploy/.env") == ["generic-config-secret"]
    example = "123e4567-e89b-12d3-a456-" + "426614174000"
    assert _ids(engine, f'api_key = "{example}"\n') == []
    assert _ids(engine, f'client_uuid = "{key}"\n') == []  # an id, not under a secret's name


@pytest.mark.parametrize(
    "value",
    ["abcdef123456abcdef123456abcdef", "12345abcdef67890abcdef1234", "ABCDEF123456GHIJKL7890MNOPQR",
     "signupgeniusACCESS"],
)
def test_typed_filler_that_compresses_well_is_quiet(engine: SecretEngine, value: str) -> None:
    """Entropy alone lets these through (digits and letters, many distinct characters); a BPE
    vocabulary compresses them like words. A random value of the same length is still reported."""
    assert _ids(engine, f'api_key = "{value}"\n') == []
    assert _ids(engine, f"SERVICE_SECRET={value}\n", "deploy/.env") == []
    assert _ids(engine, f'api_key = "{rand("alnum", len(value), value)}"\n') == ["generic-secret-assignment"]


def test_anonymous_ftp_passwords_are_quiet(engine: SecretEngine) -> None:
    """RFC 1635's convention for anonymous FTP: a bare `name@` is not a secret; a password that
    merely ends with an at sign is."""
    assert _ids(engine, 'server->user = "anonymous";\nserver->password = "guest@";\n', "src/ftp.c") == []
    assert _ids(engine, 'wget_password = "-wget@"\n') == []
    value = rand("alnum", 10, "at") + "@"
    assert _ids(engine, f'server->password = "{value}";\n', "src/ftp.c") == ["generic-password-assignment"]


@pytest.mark.parametrize(
    "value", ["deadbeef-dead-beef-dead-beefdeadbeef", "1234abcd-1234-abcd-1234-abcd1234abcd",
              "c0ffee00c0ffee00c0ffee00c0ffee00", "AbCd1234AbCd1234AbCd1234"],
)
def test_values_typed_as_repeated_chunks_are_quiet(engine: SecretEngine, value: str) -> None:
    """A few chunks typed again and again (in a UUID's shape or not) is filler, not a key found by
    its randomness; random values of the same shapes under the same names are reported."""
    for line in (f'api_key = "{value}"\n', f"blocknative_key={value}\n", f"SERVICE_SECRET={value}\n"):
        assert _ids(engine, line, "deploy/.env") == [], line
    import uuid

    key = str(uuid.UUID(int=int(rand("hex", 32, value), 16), version=4))
    assert _ids(engine, f"blocknative_key={key}\n") == ["generic-named-key"]
    assert _ids(engine, f'api_key = "{rand("hex", 32, value)}"\n') == ["generic-secret-assignment"]


@pytest.mark.parametrize("template", [
    "export AWS_ACCESS_KEY_ID={k} AWS_SECRET_ACCESS_KEY={s}\n",
    "boto3.client('s3', aws_access_key_id='{k}', aws_secret_access_key='{s}')\n",
])
def test_a_key_pair_on_one_line_is_one_finding_per_value(engine: SecretEngine, template: str) -> None:
    """The pair's rule and the secret key's own rule match the same value at the same place: one
    finding for it (a new user saw aws-credentials-pair and aws-secret-access-key both)."""
    from secretgen import aws_key_id, aws_secret

    text = template.format(k=aws_key_id("pair-one"), s=aws_secret("pair-one"))
    found = engine.scan(Chunk(text), "deploy.sh")
    spans = [(m.start, m.end) for m in found]
    assert len(spans) == len(set(spans)) == 2, [(m.rule_id, m.start) for m in found]
    assert {m.rule_id for m in found} == {"aws-access-key-id", "aws-credentials-pair"}


def test_a_service_account_key_in_a_json_log_is_one_finding(engine: SecretEngine) -> None:
    """A service account's `"private_key": "-----BEGIN ..."` logged as JSON: the service account
    rule and the private key rule both match that PEM; it is one finding (a new user saw two)."""
    key = _pem("sa-log", 6, "RSA PRIVATE KEY").replace("\n", "\\n")
    text = ('{"ts": "2026-11-30T10:00:00Z", "level": "DEBUG", "msg": "loaded service account", '
            f'"type": "service_account", "private_key": "{key}"}}\n')
    assert len(_ids(engine, text)) == 1, _ids(engine, text)
