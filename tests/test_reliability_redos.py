"""Regexes that cannot hang: every rule's regex against adversarial input of 12.5 and 50 KB.

Inputs are derived from each regex itself: long runs of every character its classes accept,
its literal prefixes and keywords repeated with and without a tail, its own true-positive
examples repeated and cut short (near misses), and an opened quote that never closes. Time must
grow about linearly (50 KB against 12.5 KB: 4x the input, we allow 10x the CPU time), and no single
call may run past a hard cap (SIGALRM interrupts the regex engine, so a catastrophic rule fails
the test instead of hanging it). The same inputs then go through the engine as one chunk.
"""
from __future__ import annotations

import signal
import string
import threading
import time
from typing import Any, Iterator

import pytest

from hfguard.secrets.engine import SecretEngine
from hfguard.models import Chunk
from hfguard.secrets.rules import Rule, RuleSet, expand_example, load_default_rules

try:  # the regex parser behind `re`, to learn which characters a rule's classes accept
    from re import _compiler as sre_compile  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_compile  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

SMALL = 12_500
LARGE = 4 * SMALL  # 50 KB
FAST_ENOUGH = 0.02  # CPU seconds: a rule that handles the large input this fast needs no ratio check
MAX_RATIO = 10.0  # linear is 4; quadratic would be 16
HARD_CAP = 3.0  # seconds for any one regex run on 50 KB
CANDIDATES = string.ascii_letters + string.digits + string.punctuation + " \t\n" + "\u00e9\u4e2d"

RULES = load_default_rules().rules


def _class_chars(items: Any, flags: int) -> str:
    """Candidate characters accepted by one parsed character class / category / literal."""
    try:
        state = sre_parse.State() if hasattr(sre_parse, "State") else sre_parse.Pattern()
        state.flags = flags
        sub = sre_parse.SubPattern(state, [items])
        compiled = sre_compile.compile(sub, flags)
        return "".join(c for c in CANDIDATES if compiled.match(c))
    except Exception:  # noqa: BLE001 - private API: fall back to a fixed spread of characters
        return "aA0_-/+=. "


def _walk(parsed: Any) -> Iterator[tuple[Any, Any]]:
    for op, av in parsed:
        yield op, av
        if isinstance(av, tuple):
            for part in av:
                if isinstance(part, sre_parse.SubPattern):
                    yield from _walk(part)
                elif isinstance(part, list):
                    for sub in part:
                        if isinstance(sub, sre_parse.SubPattern):
                            yield from _walk(sub)
        elif isinstance(av, sre_parse.SubPattern):
            yield from _walk(av)


def _literals(parsed: Any) -> list[str]:
    """Runs of 2+ literal characters (prefixes such as `hf_`, `AKIA`, `password`)."""
    found: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if len(current) >= 2:
            found.append("".join(current))
        current.clear()

    for op, av in parsed:
        if op is sre_parse.LITERAL:
            current.append(chr(av))
            continue
        flush()
        if isinstance(av, tuple):
            for part in av:
                if isinstance(part, sre_parse.SubPattern):
                    found.extend(_literals(part))
                elif isinstance(part, list):
                    for sub in part:
                        if isinstance(sub, sre_parse.SubPattern):
                            found.extend(_literals(sub))
        elif isinstance(av, sre_parse.SubPattern):
            found.extend(_literals(av))
    flush()
    return found


def adversarial_inputs(rule: Rule, size: int) -> dict[str, str]:
    assert rule.regex is not None
    parsed = sre_parse.parse(rule.regex.pattern, rule.regex.flags)
    reps: list[str] = []
    for op, av in _walk(parsed):
        if op in (sre_parse.IN, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.CATEGORY):
            accepted = _class_chars((op, av), rule.regex.flags)
            alnum = [c for c in accepted if c.isalnum()]
            other = [c for c in accepted if not c.isalnum()]
            for pick in (alnum[:1] + alnum[-1:] + other[:2]):
                if pick not in reps:
                    reps.append(pick)
    reps = reps[:8] or ["a"]
    word = next((c for c in reps if c.isalnum()), "a")
    prefixes = list(dict.fromkeys(_literals(parsed) + list(rule.keywords)))[:3]

    def fill(unit: str) -> str:
        return (unit * (size // max(1, len(unit)) + 1))[:size]

    inputs = {f"run of {c!r}": fill(c) for c in reps}
    inputs[f"alternating {reps[0]!r}{word!r}"] = fill(reps[0] + word)
    for p in prefixes:
        inputs[f"{p!r} repeated"] = fill(p)
        inputs[f"{p!r} + 8 chars, repeated"] = fill(p + word * 8)
        inputs[f"{p!r} + 40 chars, repeated"] = fill(p + word * 40 + " ")
        inputs[f"{p!r} then a run"] = (p + " = \"" + fill(word))[:size]
        inputs[f"{p!r} then spaces"] = (p + fill(" "))[:size]
    for i, template in enumerate(rule.tps[:2]):
        example = expand_example(template, f"redos:{rule.id}:{i}")
        inputs[f"tp {i} repeated"] = fill(example)
        inputs[f"tp {i} cut short, repeated"] = fill(example[: max(1, len(example) * 3 // 4)])
        inputs[f"tp {i} without its last char, repeated"] = fill(example[:-1] + word)
    return inputs


class _Timeout(Exception):
    pass


def _timed(fn: Any, cap: float) -> float:
    """CPU seconds fn() took; raises _Timeout past `cap` seconds of wall time (the regex engine
    checks for signals)."""
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous = None
    if use_alarm:
        def on_alarm(signum: int, frame: Any) -> None:
            raise _Timeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        # CPU time of this thread: wall time on a loaded 2-core machine counts other processes'
        # slices too, and more of them the longer a run is (which looked like superlinear growth).
        started = time.thread_time()
        fn()
        return time.thread_time() - started
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _finditer_all(rule: Rule, text: str) -> None:
    assert rule.regex is not None
    for _ in rule.regex.finditer(text):
        pass


def _best_of(fn: Any, cap: float, tries: int = 2) -> float:
    return min(_timed(fn, cap) for _ in range(tries))


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_regex_is_linear_on_adversarial_input(rule: Rule) -> None:
    problems = []
    large_inputs = adversarial_inputs(rule, LARGE)
    small_inputs = adversarial_inputs(rule, SMALL)
    for name, text in large_inputs.items():
        try:
            t_large = _timed(lambda: _finditer_all(rule, text), HARD_CAP)
            if t_large < FAST_ENOUGH:
                continue
            t_large = _best_of(lambda: _finditer_all(rule, text), HARD_CAP)
            small = small_inputs[name]
            t_small = _best_of(lambda: _finditer_all(rule, small), HARD_CAP)
        except _Timeout:
            problems.append(f"{name}: more than {HARD_CAP} s on {LARGE} chars")
            if len(problems) >= 2:
                break  # enough to show the rule is broken; do not spend minutes proving it
            continue
        ratio = t_large / max(t_small, 1e-4)
        if t_large >= FAST_ENOUGH and ratio > MAX_RATIO:
            problems.append(f"{name}: {t_small * 1e3:.1f} ms -> {t_large * 1e3:.1f} ms for 4x the input (x{ratio:.0f})")
    assert not problems, f"rule {rule.id} ({rule.regex.pattern if rule.regex else ''}) backtracks:\n" + "\n".join(problems)


def test_engine_stays_fast_on_every_rules_adversarial_input() -> None:
    """All rules at once, through keyword windows, on each rule's true positives repeated on one
    long line (a minified file full of tokens: every match is checked against allowlists)."""
    engine = SecretEngine(RuleSet(RULES, load_default_rules().global_allowlist))
    slow = []
    for rule in RULES:
        inputs = adversarial_inputs(rule, SMALL)
        for name in [n for n in inputs if n.startswith("tp ") and n.endswith(" repeated")][:1]:
            chunk = Chunk(inputs[name].replace("\n", " "))
            try:
                took = _timed(lambda: engine.scan(chunk, "adversarial.txt"), HARD_CAP * 2)
            except _Timeout:
                slow.append(f"{rule.id} / {name}: more than {HARD_CAP * 2} s")
                continue
            if took > 0.5:
                slow.append(f"{rule.id} / {name}: {took:.2f} s for {len(chunk.text)} chars")
    assert not slow, "engine too slow on:\n" + "\n".join(slow)


def test_engine_keyword_soup_is_linear() -> None:
    """Every keyword of every rule, over and over on one line: windows merge into one span."""
    engine = SecretEngine(RuleSet(RULES, load_default_rules().global_allowlist))
    soup = " ".join(k + "=" + "A1b2" * 10 for r in RULES for k in r.keywords) + " "

    def line(size: int) -> Chunk:
        return Chunk((soup * (size // len(soup) + 1))[:size])

    small, large = line(25_000), line(200_000)
    t_small = _best_of(lambda: engine.scan(small, "soup.txt"), 20)
    t_large = _best_of(lambda: engine.scan(large, "soup.txt"), 20)
    assert t_large < 0.1 or t_large / max(t_small, 1e-3) < MAX_RATIO, (t_small, t_large)
