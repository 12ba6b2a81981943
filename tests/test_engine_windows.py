"""The engine's keyword prefilter: hits become windows with the right offsets whatever the text.

The automaton runs over an ASCII copy of the text in segments; these tests pin what must not
change because of that: offsets after non-ASCII characters, keywords across segment borders,
shared keywords, non-ASCII keywords of custom rules, multi-line rules.
"""
from __future__ import annotations

from hfguard.secrets import engine as engine_module
from hfguard.secrets.engine import SecretEngine
from hfguard.models import Chunk
from hfguard.secrets.rules import RuleSet, parse_rule
from secretgen import rand


def _engine(*rules: dict[str, object]) -> SecretEngine:
    parsed = tuple(parse_rule(r, "test", require_examples=False) for r in rules)
    return SecretEngine(RuleSet(parsed))


def _rule(rule_id: str, regex: str, keywords: list[str], **extra: object) -> dict[str, object]:
    return {"id": rule_id, "description": "test rule", "regex": regex, "keywords": keywords, **extra}


TOKEN_RULE = _rule("tok", r"\b(tk_[A-Za-z0-9]{30})\b", ["tk_"])


def _found(engine: SecretEngine, text: str) -> list[tuple[str, int, str]]:
    return [(m.rule_id, m.start, m.secret) for m in engine.scan(Chunk(text), "f.py")]


def test_offsets_after_non_ascii_and_undecodable_characters() -> None:
    secret = "tk_" + rand("alnum", 30, "offsets")
    prefix = "# héllo wörld ✓ 日本語 \udc80\udcff 𝔘𝔫𝔦\n x = "
    text = prefix + f'"{secret}"\n'
    assert _found(_engine(TOKEN_RULE), text) == [("tok", len(prefix) + 1, secret)]


def test_keyword_matching_is_case_insensitive() -> None:
    secret = "TK_" + rand("alnum", 30, "case")
    rule = _rule("tok-upper", r"(?i)\b(tk_[A-Za-z0-9]{30})\b", ["tk_"])
    assert _found(_engine(rule), f"v = {secret}\n") == [("tok-upper", 4, secret)]


def test_keyword_across_a_segment_border(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine_module, "SEGMENT_CHARS", 64)
    engine = _engine(TOKEN_RULE)
    for shift in range(0, 70):
        secret = "tk_" + rand("alnum", 30, f"border{shift}")
        text = "a" * shift + " " + secret + " tail"
        assert _found(engine, text) == [("tok", shift + 1, secret)], shift


def test_each_hit_reported_once_on_a_long_line_with_many_hits() -> None:
    secrets = ["tk_" + rand("alnum", 30, f"many{i}") for i in range(50)]
    text = " ".join(f"tk_ {s}" for s in secrets)  # one line, two keyword hits per secret
    assert [m[2] for m in _found(_engine(TOKEN_RULE), text)] == secrets


def test_rules_sharing_keywords_each_run() -> None:
    secret = rand("alnum", 24, "shared")
    rules = (
        _rule("assign", r"""(?i)(?:password|token)\s*=\s*"([A-Za-z0-9]{24})\"""", ["password", "token"]),
        _rule("env", r"""(?im)^TOKEN_[A-Z]+=([A-Za-z0-9]{24})$""", ["token"]),
    )
    text = f'password = "{secret}"\nTOKEN_X={secret}\n'
    found = sorted(_found(_engine(*rules), text))
    assert [(r, s) for r, _, s in found] == [("assign", secret), ("env", secret)]


def test_non_ascii_keyword_of_a_custom_rule() -> None:
    value = rand("alnum", 20, "pass")
    rule = _rule("mot-de-passe", r"(?i)mot_de_passé\s*=\s*([A-Za-z0-9]{20})", ["MOT_DE_PASSÉ"])
    text = f"ÉÉ\nMOT_DE_PASSÉ = {value}\n"
    assert _found(_engine(rule), text) == [("mot-de-passe", text.index(value), value)]


def test_multiline_rule_spans_lines_after_its_keyword() -> None:
    body = "\n".join(rand("b64", 64, f"pem{i}") for i in range(4))
    rule = _rule(
        "block", r"-----BEGIN TEST KEY-----\n([A-Za-z0-9+/\n]{64,})\n-----END TEST KEY-----",
        ["-----begin test key"], multiline=True,
    )
    text = f"x = 1\n-----BEGIN TEST KEY-----\n{body}\n-----END TEST KEY-----\n"
    assert _found(_engine(rule), text) == [("block", text.index(body), body)]


def test_no_keyword_no_regex_work() -> None:
    assert _found(_engine(TOKEN_RULE), "nothing to see here\n" * 1000) == []


def test_secret_among_dense_keyword_hits_is_found() -> None:
    # A segment with more hits than DENSE_HITS is scanned whole instead of hit by hit.
    secret = "tk_" + rand("alnum", 30, "dense")
    filler = "tk_ " * (engine_module.DENSE_HITS * 3)
    text = filler + secret + " " + filler + "\n" + filler
    assert _found(_engine(TOKEN_RULE), text) == [("tok", len(filler), secret)]
