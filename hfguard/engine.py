"""Secret detection: keyword prefilter (Aho-Corasick) -> regex in a window -> entropy, validator
and allowlists -> detect-secrets' heuristics.

Only the rules whose keywords occur in a chunk run, and only over a window around each keyword
hit (the hit's line, clipped; a larger span for multi-line rules), so the cost is one automaton
pass over the text plus a little regex work per hit.
"""
from __future__ import annotations

import re
from typing import Any

import ahocorasick

from hfguard.models import Category, Chunk, Match
from hfguard.rules import Rule, RuleSet
from hfguard.heuristics import looks_like_placeholder
from hfguard.validators import VALIDATORS, shannon_entropy

LINE_WINDOW = 1024  # chars kept on each side of a keyword hit on a long line
MULTILINE_WINDOW = 16384  # chars after a hit that a multi-line rule (PEM block) may span
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

class SecretEngine:
    def __init__(self, ruleset: RuleSet, categories: frozenset[Category] | None = None) -> None:
        self.ruleset = ruleset
        self.rules = [
            r for r in ruleset.rules if categories is None or r.category in categories
        ]
        self._automaton: Any = ahocorasick.Automaton()
        by_keyword: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, []).append(i)
        for keyword, indices in by_keyword.items():
            self._automaton.add_word(keyword, (len(keyword), tuple(indices)))
        if by_keyword:
            self._automaton.make_automaton()
        self._has_keywords = bool(by_keyword)

    def scan(self, chunk: Chunk, path: str) -> list[Match]:
        text = chunk.text
        if not text or not self._has_keywords:
            return []
        lowered = text.lower()
        if len(lowered) != len(text):  # rare: some non-ASCII characters change length
            lowered = text.translate(_ASCII_LOWER)
        # rule index -> list of (window_start, window_end), merged as we go
        windows: dict[int, list[list[int]]] = {}
        for end, (length, indices) in self._automaton.iter(lowered):
            hit = end - length + 1
            for index in indices:
                rule = self.rules[index]
                start, stop = self._window(text, hit, end + 1, rule.multiline)
                spans = windows.setdefault(index, [])
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], stop)
                else:
                    spans.append([start, stop])
        matches: list[Match] = []
        for index, spans in windows.items():
            rule = self.rules[index]
            if rule.path is not None and not rule.path.search(path):
                continue
            if rule.allowlist.allows_path(path) or self.ruleset.global_allowlist.allows_path(path):
                continue
            seen: set[tuple[int, int]] = set()
            for start, stop in spans:
                assert rule.regex is not None
                for m in rule.regex.finditer(text, start, stop):
                    s, e = m.span(rule.secret_group)
                    if s < 0 or (s, e) in seen:
                        continue
                    seen.add((s, e))
                    secret = m.group(rule.secret_group)
                    if self._keep(rule, secret, text, m.start(), path, chunk):
                        matches.append(
                            Match(rule.id, rule.category, rule.severity, chunk, s, e, secret)
                        )
        return matches

    @staticmethod
    def _window(text: str, hit: int, hit_end: int, multiline: bool) -> tuple[int, int]:
        line_start = text.rfind("\n", max(0, hit - LINE_WINDOW), hit) + 1
        if line_start == 0:
            line_start = max(0, hit - LINE_WINDOW)
        if multiline:
            return line_start, min(len(text), hit_end + MULTILINE_WINDOW)
        line_end = text.find("\n", hit_end, hit_end + LINE_WINDOW)
        if line_end < 0:
            line_end = min(len(text), hit_end + LINE_WINDOW)
        return line_start, line_end

    def _keep(
        self, rule: Rule, secret: str, text: str, match_start: int, path: str, chunk: Chunk
    ) -> bool:
        if not secret.strip():
            return False
        if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
            return False
        if rule.validator is not None and not VALIDATORS[rule.validator](secret):
            return False
        if rule.allowlist.allows_secret(secret):
            return False
        if rule.category is not Category.SECRET:
            return True
        if self.ruleset.global_allowlist.allows_secret(secret):
            return False
        return not looks_like_placeholder(secret, _line_at(text, match_start))


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", max(0, pos - LINE_WINDOW), pos) + 1
    end = text.find("\n", pos, pos + LINE_WINDOW)
    return text[start : end if end >= 0 else min(len(text), pos + LINE_WINDOW)]
