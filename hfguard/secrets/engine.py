"""Secret detection: keyword prefilter (Aho-Corasick) -> regex in a window -> entropy, validator
and allowlists -> detect-secrets' heuristics.

Only the rules whose keywords occur in a chunk run, and only over a window around each keyword
hit (the hit's line, clipped; a larger span for multi-line rules), so the cost is one automaton
pass over the text plus a little regex work per hit.
"""
from __future__ import annotations

import bisect
import json
import operator
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any, Protocol

import ahocorasick_rs

try:  # re's parser, for start_literals (its module names since Python 3.11)
    import re._constants as _sre_constants  # type: ignore[import-not-found]
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # Python 3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser

from hfguard.models import Category, Chunk, Match, value_starts_of
from hfguard.secrets.heuristics import looks_like_placeholder
from hfguard.secrets.rules import Rule, RuleSet
from hfguard.secrets.validators import ENTROPY_ONLY_VALIDATORS, VALIDATORS, shannon_entropy

LINE_WINDOW = 1024  # chars kept on each side of a keyword hit on a long line
MULTILINE_WINDOW = 16384  # chars after a hit that a multi-line rule (PEM block) may span
SEGMENT_CHARS = 256 * 1024  # automaton input per call: bounds the hit list a dense text makes
DENSE_HITS = SEGMENT_CHARS // 32  # more hits than this in a segment: scan it whole
STARTS_AFTER = 16  # chunks a rule runs on before start_literals is worked out for it
MAX_START_LITERALS = 6  # start_literals: more alternatives than this cost more than they save
_first = operator.itemgetter(0)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class JsonSource(Protocol):
    """The JSON text a reader's column chunks were cut from (one document, or a batch of JSON
    Lines records), shared by those chunks: their index's `json_source`."""

    keys: Collection[str]  # the keys of the objects in it that hold a string, each once
    secret_matches: dict[int, Any]  # per engine: what its rules found in the text, by column

    def text(self) -> str:
        """The JSON text as on disk (decoded)."""

    def locate(self, start: int, end: int) -> tuple[str, int, int, int] | None:
        """(column, value number in that column's chunk, start and end in the decoded value)
        of the string value that holds text[start:end], or None (a key, a number)."""

    def scanned(self) -> None:
        """The engine has what it needs (in `secret_matches`): what only `locate` uses may go
        (chunks kept for a grouped finding would keep it alive)."""


_end = operator.itemgetter(2)


def _quoted(key: str) -> str:
    """A key as JSON writes it with non-ASCII characters as they are (json.dumps(key): as
    `\\u` escapes). A key with nothing JSON escapes is only quoted (most keys: ~1 us saved
    each, thousands a document)."""
    if key.isprintable() and '"' not in key and "\\" not in key:
        return f'"{key}"'
    return json.dumps(key, ensure_ascii=False)


def lower_same_length(text: str) -> str:
    """text.lower(), or only ASCII lowered when some character would change length (offsets
    into the result must stay offsets into text)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


class SecretEngine:
    def __init__(self, ruleset: RuleSet, categories: frozenset[Category] | None = None) -> None:
        self.ruleset = ruleset
        self.rules = [
            r for r in ruleset.rules if categories is None or r.category in categories
        ]
        # Rules that share a keyword share its windows: one window list per distinct set of rules
        # (and window shape), so a hit costs the same however many rules stand behind it.
        by_keyword: dict[str, set[int]] = {}
        for i, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, set()).add(i)
        group_ids: dict[tuple[tuple[int, ...], bool], int] = {}
        self._group_rules: list[tuple[int, ...]] = []
        self._group_multiline: list[bool] = []
        keyword_groups: dict[str, tuple[int, ...]] = {}
        for keyword, indices in by_keyword.items():
            groups: list[int] = []
            for multiline in (False, True):
                members = tuple(sorted(i for i in indices if self.rules[i].multiline == multiline))
                if not members:
                    continue
                if (members, multiline) not in group_ids:
                    group_ids[members, multiline] = len(self._group_rules)
                    self._group_rules.append(members)
                    self._group_multiline.append(multiline)
                groups.append(group_ids[members, multiline])
            keyword_groups[keyword] = tuple(groups)
        # ASCII keywords (all the shipped ones) go through a bytes automaton over an ASCII copy of
        # the text in which every other character became one "?": offsets stay character offsets.
        ascii_keywords = [k for k in keyword_groups if k.isascii()]
        self._keyword_groups = [keyword_groups[k] for k in ascii_keywords]
        self._automaton: Any = (
            ahocorasick_rs.BytesAhoCorasick(
                [k.encode("ascii") for k in ascii_keywords],
                # A DFA: ~3x faster than the default NFA with hundreds of keywords, small in memory.
                implementation=ahocorasick_rs.Implementation.DFA,
            )
            if ascii_keywords else None
        )
        self._overlap = max((len(k) for k in ascii_keywords), default=1) - 1
        self._other_keywords = [(k, keyword_groups[k]) for k in keyword_groups if not k.isascii()]
        # Rules for named columns / JSON keys: they run on the whole chunk when its field matches.
        # Each with the literals one of which its field regex needs (required_literals): a JSON
        # file's thousands of key paths are tested with `in` (~0.2 us), not searched (~3 us).
        self._field_rules = [
            (i, rule.field_regex, required_literals(rule.field_regex))
            for i, rule in enumerate(self.rules) if rule.field_regex is not None
        ]
        # Per rule, start_literals(regex) once the rule has run on STARTS_AFTER chunks: parsing
        # a regex costs about what the shortcut saves on a few windows (most rules never get
        # that far; the generic ones run on thousands).
        self._starts: dict[int, re.Pattern[str] | None] = {}
        self._runs: dict[int, int] = {}
        # Rules that look at the path at all (a `path` regex, path allowlists): the others skip it.
        self._path_checks = [
            rule.path is not None or bool(rule.allowlist.paths) or bool(ruleset.global_allowlist.paths)
            for rule in self.rules
        ]
        self._has_keywords = bool(by_keyword) or bool(self._field_rules)
        self._fallback = frozenset(rule.id for rule in self.rules if rule.fallback)
        # JSON object keys, quoted as in the text (`"api_key"`) -> their keyword hits: a JSON
        # Lines file names the same few keys in every batch.
        self._key_hits: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self._all_keyword_groups = self._keyword_groups + [groups for _, groups in self._other_keywords]
        self._index_of = {rule.id: i for i, rule in enumerate(self.rules)}
        # Around keys, the rules that name a provider or a format: the generic rules' keywords
        # (key, token, secret) are in most keys, and the data-column rules judge those values.
        self._named = [not rule.id.startswith(GENERIC_PREFIX) for rule in self.rules]
        self._needs: dict[int, tuple[tuple[bytes, ...], re.Pattern[str]] | None] = {}  # see _can_match
        self._keyword_named = [
            any(self._named[i] for group in groups for i in self._group_rules[group])
            for groups in self._all_keyword_groups
        ]

    def scan(self, chunk: Chunk, path: str) -> list[Match]:
        text = chunk.text
        if not text or not self._has_keywords:
            return []
        windows = self._windows(text)
        field = chunk.field
        field_rules = self._matching_field_rules(field) if field else []
        # A column of JSON values: what the rules find in the JSON text around its values (a
        # value's key, its neighbours), as a text file of the same content gives it.
        values = getattr(chunk, "index", None)
        source: JsonSource | None = getattr(values, "json_source", None)
        context = self._in_source(source, getattr(values, "column", ""), chunk, path) if source is not None else []
        if not windows and not field_rules:
            return drop_shadowed(context, self._fallback) if len(context) > 1 else context
        # rule index -> its windows (a rule reached through several keyword groups: merged)
        per_rule = self._per_rule(windows)
        for index in field_rules:
            per_rule[index] = [[0, len(text)]]
        # The key's matches first: of two rules on one value, equally severe and long, the one
        # that knows the key's name (`"clerk_secret_key": "sk_live_..."`) names it.
        matches = context + self._run(text, per_rule, path, chunk) if context else self._run(text, per_rule, path, chunk)
        return drop_shadowed(matches, self._fallback) if len(matches) > 1 else matches

    def _per_rule(self, windows: dict[int, list[list[int]]]) -> dict[int, list[list[int]]]:
        per_rule: dict[int, list[list[int]]] = {}
        for group, spans in windows.items():
            for index in self._group_rules[group]:
                known = per_rule.get(index)
                per_rule[index] = spans if known is None else _merge_spans(known + spans)
        return per_rule

    def _run(self, text: str, per_rule: dict[int, list[list[int]]], path: str, chunk: Chunk) -> list[Match]:
        """The matches of each rule in its spans of `text` that its checks keep (offsets into
        `text`; `chunk` is what they are recorded against)."""
        matches: list[Match] = []
        path_checks = self._path_checks
        for index, spans in per_rule.items():
            rule = self.rules[index]
            if path_checks[index]:
                if rule.path is not None and not rule.path.search(path):
                    continue
                if rule.allowlist.allows_path(path) or self.ruleset.global_allowlist.allows_path(path):
                    continue
            seen: set[tuple[int, int]] = set()
            regex = rule.regex
            if index in self._starts:
                starts = self._starts[index]
            else:
                runs = self._runs[index] = self._runs.get(index, 0) + 1
                starts = None
                if runs >= STARTS_AFTER:
                    starts = self._starts[index] = start_literals(regex)
            for start, stop in spans:
                found = (
                    regex.finditer(text, start, stop) if starts is None
                    else finditer_from(regex, starts, text, start, stop)
                )
                for m in found:
                    s, e = m.span(rule.secret_group)
                    if s < 0 or (s, e) in seen:
                        continue
                    seen.add((s, e))
                    secret = m.group(rule.secret_group)
                    if self._keep(rule, secret, text, m.start(), path, chunk, m.group(0)):
                        matches.append(
                            Match(rule.id, rule.category, rule.severity, chunk, s, e, secret)
                        )
        return matches

    def _in_source(self, source: JsonSource, column: str, chunk: Chunk, path: str) -> list[Match]:
        """This column's share of what the rules find in the JSON text its values come from,
        as matches on the values in `chunk`: the text is scanned when its first column is."""
        found = source.secret_matches.get(id(self))
        if found is None:
            found = source.secret_matches[id(self)] = self._scan_source(source, path, chunk)
            source.scanned()
        entries = found.get(column)
        if not entries:
            return []
        text = chunk.text
        starts = value_starts_of(chunk)
        separator = getattr(chunk, "separator", 1)
        matches = []
        for number, start, end, rule_index, secret in entries:
            if number >= len(starts):
                continue
            begin = starts[number]
            stop = starts[number + 1] - separator if number + 1 < len(starts) else len(text)
            if begin + start >= stop:
                continue
            rule = self.rules[rule_index]
            matches.append(Match(rule.id, rule.category, rule.severity, chunk,
                                 begin + start, min(stop, begin + max(end, start + 1)), secret))
        return matches

    def _scan_source(self, source: JsonSource, path: str, chunk: Chunk) -> dict[str, list[tuple[int, int, int, int, str]]]:
        """Column -> (value number, start and end in the value, rule index, secret) of the
        matches in the JSON text around the keys that hold a keyword: `{"username": "...",
        "key": "..."}` is a Kaggle key and `"wandb_api_key": "..."` a W&B key, as in a text file.
        The windows are those a text file of the same content gets around those keywords; hits
        inside values are the columns' own scan's (the same values, decoded). Generic rules do
        not run here: the data-column rules judge values by their key's name."""
        quoted: list[tuple[str, tuple[tuple[int, int, int], ...]]] = []
        for key in source.keys:
            for token in (_quoted(key),) if key.isascii() else (_quoted(key), json.dumps(key)):
                hits = self._key_hits.get(token)
                if hits is None:
                    if len(self._key_hits) > 50_000:  # keys of many shapes: start again
                        self._key_hits.clear()
                    hits = self._key_hits[token] = self._hits_in(token)
                if hits:
                    quoted.append((token, hits))
        if not quoted:
            return {}
        text = source.text()
        # The rules these keys would run that can match in this text at all: one search of the
        # text for the strings each needs (`"username"` or `kaggle_key` for the Kaggle rule), so
        # a JSON Lines file with a "key" in every record does not run the rule on every line.
        groups = self._all_keyword_groups
        candidates = {
            i for _, hits in quoted for keyword, _, _ in hits for group in groups[keyword]
            for i in self._group_rules[group] if self._named[i]
        }
        lowered = text.encode("ascii").lower() if text.isascii() else None
        rules = {i for i in candidates if self._can_match(i, text, lowered)}
        if not rules:
            return {}
        found_hits: list[tuple[int, int, int]] = []
        for token, hits in quoted:
            hits = tuple(
                hit for hit in hits
                if any(i in rules for group in groups[hit[0]] for i in self._group_rules[group])
            )
            at = text.find(token) if hits else -1
            while at >= 0:
                found_hits.extend((keyword, at + start, at + end) for keyword, start, end in hits)
                at = text.find(token, at + len(token))
        if not found_hits:
            return {}
        found_hits.sort(key=_end)
        windows: dict[int, list[list[int]]] = {}
        self._add_windows(text, found_hits, groups, windows)
        found: dict[str, list[tuple[int, int, int, int, str]]] = {}
        per_rule = {i: spans for i, spans in self._per_rule(windows).items() if i in rules}
        for match in self._run(text, per_rule, path, chunk):
            place = source.locate(match.start, match.end)
            if place is not None:
                column, number, start, end = place
                found.setdefault(column, []).append((number, start, end, self._index_of[match.rule_id], match.secret))
        return found

    def _can_match(self, index: int, text: str, lowered: bytes | None) -> bool:
        """Whether `text` holds one of the strings every match of rule `index` contains (any
        case; always true when none is known). `lowered`: the text lower-cased, if all ASCII
        (bytes.find: ~20x faster than a case-insensitive regex search)."""
        if index not in self._needs:
            literals = required_literals(self.rules[index].regex)
            self._needs[index] = None if literals is None else (
                tuple(literal.encode("ascii") for literal in literals),
                re.compile("|".join(map(re.escape, literals)), re.IGNORECASE),
            )
        needs = self._needs[index]
        if needs is None:
            return True
        if lowered is not None:
            return any(literal in lowered for literal in needs[0])
        return needs[1].search(text) is not None  # (under IGNORECASE, K also finds the Kelvin sign)

    def _hits_in(self, token: str) -> tuple[tuple[int, int, int], ...]:
        """(keyword number, start, end) of the keywords in a short text (see _all_keyword_groups)."""
        hits: list[tuple[int, int, int]] = []
        if self._automaton is not None:
            data = (token.encode("ascii") if token.isascii() else token.encode("ascii", "replace")).lower()
            hits.extend(self._automaton.find_matches_as_indexes(data, overlapping=True))
        if self._other_keywords:
            lowered = lower_same_length(token)
            base = len(self._keyword_groups)
            for number, (keyword, _) in enumerate(self._other_keywords):
                at = lowered.find(keyword)
                while at >= 0:
                    hits.append((base + number, at, at + len(keyword)))
                    at = lowered.find(keyword, at + 1)
        named = self._keyword_named
        return tuple(hit for hit in hits if named[hit[0]])

    def precompile(self, keep_going: Callable[[], bool]) -> int:
        """Compile the regexes of the rules most texts reach (generic and context rules: their
        keywords are words such as key, token, password) while `keep_going()` says so: in the
        time a scan waits for its walk, before worker processes are forked, so that they inherit
        them instead of each compiling them again. Returns how many were compiled now."""
        compiled = 0
        for rule in self.rules:
            if not (rule.fallback or rule.id.startswith(GENERIC_PREFIX)) or "regex" in vars(rule):
                continue
            if not keep_going():
                break
            rule.regex  # noqa: B018 - a cached property: compiled here, kept on the rule
            compiled += 1
        return compiled

    def _matching_field_rules(self, field: str) -> list[int]:
        """The field rules whose field regex finds `field`. An ASCII field (no character that
        case-folds to an ASCII letter, as the Kelvin sign does to k) is searched only by the
        rules whose required literals it holds, lower-cased."""
        if not field.isascii():
            return [i for i, pattern, _ in self._field_rules if pattern.search(field)]
        holds = field.lower().__contains__
        return [
            i for i, pattern, literals in self._field_rules
            if (literals is None or any(map(holds, literals))) and pattern.search(field)
        ]

    def _windows(self, text: str) -> dict[int, list[list[int]]]:
        """Keyword group -> merged (start, stop) windows around its hits, in text order."""
        n = len(text)
        data = (text.encode("ascii") if text.isascii() else text.encode("ascii", "replace")).lower()
        windows: dict[int, list[list[int]]] = {}
        if n <= SEGMENT_CHARS and self._automaton is not None and not self._other_keywords:
            # One segment, ASCII keywords only (most texts): the loop below without its slicing
            # and copying of hits (~1 us a chunk; the 32 MB tree has 12,308 chunks).
            found = self._automaton.find_matches_as_indexes(data, overlapping=True)
            if len(found) <= DENSE_HITS:
                if found:
                    self._add_windows(text, found, self._keyword_groups, windows)
                return windows
        view = memoryview(data)
        hits: list[tuple[int, int, int]] = []
        if self._automaton is not None:
            for base in range(0, n, SEGMENT_CHARS):
                found = self._automaton.find_matches_as_indexes(
                    view[base : base + SEGMENT_CHARS + self._overlap], overlapping=True
                )
                if len(found) > DENSE_HITS:
                    # Per-hit work would cost more than running the rules over the segment: one
                    # segment-wide window per keyword hit here (a line of 'hf_hf_hf_...').
                    segment_end = min(n, base + SEGMENT_CHARS + self._overlap)
                    hits.extend((keyword, base, segment_end) for keyword in set(map(_first, found)))
                elif n <= SEGMENT_CHARS:  # one segment (most texts): every hit is its own
                    hits.extend(found)
                else:
                    for keyword, start, end in found:
                        if start < SEGMENT_CHARS:  # else the next segment reports it
                            hits.append((keyword, base + start, base + end))
                self._add_windows(text, hits, self._keyword_groups, windows)
                hits.clear()
        lowered = ""
        for keyword, groups in self._other_keywords:  # rare: non-ASCII keywords of custom rules
            if not lowered:
                lowered = lower_same_length(text)
            at = lowered.find(keyword)
            while at >= 0:
                hits.append((0, at, at + len(keyword)))
                at = lowered.find(keyword, at + 1)
            self._add_windows(text, hits, [groups], windows)
            hits.clear()
        if self._other_keywords:
            for spans in windows.values():  # hits of another keyword came in out of order
                spans[:] = _merge_spans(spans)
        return windows

    def _add_windows(
        self,
        text: str,
        hits: list[tuple[int, int, int]],
        keyword_groups: list[tuple[int, ...]],
        windows: dict[int, list[list[int]]],
    ) -> None:
        """Each hit's window (_window) added to its groups' lists; the hit's line is found once
        for all its groups, and not at all when a group's last window already covers it."""
        n = len(text)
        multiline_of = self._group_multiline
        rfind, find, get = text.rfind, text.find, windows.get
        for keyword, start, end in hits:  # ordered by end
            line_start = line_end = -1
            for group in keyword_groups[keyword]:
                spans = get(group)
                multiline = multiline_of[group]
                if spans is None:
                    spans = windows[group] = []
                elif not multiline:
                    last = spans[-1]
                    # Inside a window that is whole lines: this hit's window is inside it too.
                    if (
                        last[0] <= start
                        and end <= last[1]
                        and (last[1] == n or text[last[1]] == "\n")
                        and (last[0] == 0 or text[last[0] - 1] == "\n")
                    ):
                        continue
                if line_start < 0:  # _window, inline
                    lo = start - LINE_WINDOW if start > LINE_WINDOW else 0
                    line_start = rfind("\n", lo, start) + 1 or lo
                if multiline:
                    w_stop = min(n, end + MULTILINE_WINDOW)
                else:
                    if line_end < 0:
                        line_end = find("\n", end, end + LINE_WINDOW)
                        if line_end < 0:
                            line_end = min(n, end + LINE_WINDOW)
                    w_stop = line_end
                if spans and line_start <= spans[-1][1]:
                    last = spans[-1]
                    last[0] = min(last[0], line_start)
                    last[1] = max(last[1], w_stop)
                else:
                    spans.append([line_start, w_stop])

    def _keep(
        self,
        rule: Rule,
        secret: str,
        text: str,
        match_start: int,
        path: str,
        chunk: Chunk,
        matched: str = "",
    ) -> bool:
        if not secret.strip():
            return False
        if chunk.no_entropy and rule.validator in ENTROPY_ONLY_VALIDATORS:
            return False
        if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
            return False
        if rule.validator is not None and not VALIDATORS[rule.validator](secret):
            return False
        # The match's line is cut out only for allowlists that look at it (few rules have any).
        global_allowlist = self.ruleset.global_allowlist
        wants_line = rule.allowlist.line_regexes or (
            rule.category is Category.SECRET and global_allowlist.line_regexes
        )
        line = _line_at(text, match_start) if wants_line else ""
        if rule.allowlist.allows(secret, matched, line):
            return False
        if rule.category is not Category.SECRET:
            return True
        if global_allowlist.allows(secret, matched, line):
            return False
        return not looks_like_placeholder(secret)


def start_literals(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A pattern that finds where a match of `pattern` can start, when every match of it must
    begin with one of a few literal strings (after zero-width assertions such as the look-behinds
    of `(?<!pad_)token`), else None.

    Python's `re` tries a case-insensitive pattern that opens with look-behinds at every position
    of the text; `finditer_from` tries it only where one of its literals stands, which gives the
    same matches (a match can start nowhere else) for a fraction of the work."""
    try:
        parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an internal API: when in doubt, no shortcut
        return None
    flags = parsed.state.flags
    if flags & re.LOCALE:
        return None
    assertions: list[bool] = []
    found = _starts(list(parsed.data), bool(flags & re.IGNORECASE), assertions)
    if not found:
        return None
    unique = sorted(set(found))
    # Worth it only where `re` cannot skip ahead on its own (an assertion before the literals:
    # `\b`, look-behinds) and few literals: a long alternation is slower to search for than the
    # rule itself (measured on the 32 MB tree: generic-token-assignment 59 -> 21 ms, a rule
    # with 100 provider names 7 -> 28 ms).
    if not assertions or len(unique) > MAX_START_LITERALS:
        return None
    cases = {ignorecase for _, ignorecase in unique}
    extra = re.ASCII if flags & re.ASCII else 0
    if len(cases) == 1:
        texts = sorted({text for text, _ in unique}, key=lambda t: (-len(t), t))
        return re.compile("|".join(map(re.escape, texts)), extra | (re.IGNORECASE if cases.pop() else 0))
    return re.compile("|".join(f"(?{'i' if ic else '-i'}:{re.escape(text)})" for text, ic in unique), extra)


MAX_EXACT = 32  # required_literals: more strings than this in a product: not worth it


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of `pattern` contains (lower-cased),
    or None when none can be shown: a field regex `(?i)(?:^|_)(?:password|pwd)$` needs
    "password" or "pwd". A necessary condition on ASCII text only: under IGNORECASE a non-ASCII
    character can match an ASCII letter (the Kelvin sign, k; the long s, s)."""
    try:
        parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an internal API: when in doubt, no shortcut
        return None
    if parsed.state.flags & re.LOCALE:
        return None
    found = _required(list(parsed.data))
    if not found or not all(text and text.isascii() for text in found):
        return None
    return tuple(sorted({text.lower() for text in found}))


def _required(items: list[tuple[Any, Any]]) -> list[str] | None:
    """Strings one of which a match of this sequence contains: of its runs of items whose
    matches are a few exact strings (their product), and of the items that need a string of
    their own, the set whose shortest string is the longest."""
    best: list[str] | None = None

    def consider(candidate: list[str] | None) -> None:
        nonlocal best
        if candidate and all(candidate) and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    run: list[str] | None = None
    for item in items:
        exact = _exact([item])
        if exact is not None:
            run = exact if run is None else [a + b for a in run for b in exact]
            if len(run) > MAX_EXACT:
                run = None
            continue
        consider(run)
        run = None
        if not _zero_width([item]):
            consider(_required_item(item))
    consider(run)
    return best


def _required_item(item: tuple[Any, Any]) -> list[str] | None:
    c = _sre_constants
    op, av = item
    if op is c.BRANCH:
        union: list[str] = []
        for alternative in av[1]:
            found = _required(list(alternative.data))
            if found is None:
                return None
            union.extend(found)
        return union
    if op is c.SUBPATTERN:
        return _required(list(av[3].data))
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _required(list(av.data))
    if op is c.MAX_REPEAT or op is c.MIN_REPEAT or op is getattr(c, "POSSESSIVE_REPEAT", None):
        return _required(list(av[2].data)) if av[0] >= 1 else None
    return None


def _exact(items: list[tuple[Any, Any]]) -> list[str] | None:
    """The strings this sequence matches (a few literals), ignoring zero-width assertions
    (a match still contains one of them), or None."""
    c = _sre_constants
    strings = [""]
    for op, av in items:
        if op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT:
            continue
        if op is c.LITERAL:
            options = [chr(av)]
        elif op is c.IN and av and all(kind is c.LITERAL for kind, _ in av):
            options = [chr(code) for _, code in av]
        elif op is c.BRANCH:
            options = []
            for alternative in av[1]:
                found = _exact(list(alternative.data))
                if found is None:
                    return None
                options.extend(found)
        elif op is c.SUBPATTERN:
            found = _exact(list(av[3].data))
            if found is None:
                return None
            options = found
        else:
            return None
        strings = [a + b for a in strings for b in options]
        if len(strings) > MAX_EXACT:
            return None
    return strings


def _starts(items: list[tuple[Any, Any]], ignorecase: bool, assertions: list[bool]) -> list[tuple[str, bool]] | None:
    """The literal strings a match of this sequence must start with (and whether each is
    case-insensitive), or None when that cannot be shown; `assertions` gets an item for each
    zero-width assertion passed on the way."""
    c = _sre_constants
    for i, (op, av) in enumerate(items):
        if op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT:
            assertions.append(True)
            continue  # zero-width: the match starts at what comes next
        if op is c.LITERAL:
            chars = [chr(av)]
            for next_op, next_av in items[i + 1 :]:
                if next_op is not c.LITERAL:
                    break
                chars.append(chr(next_av))
            return [("".join(chars), ignorecase)]
        if op is c.IN:
            if not av or any(kind is not c.LITERAL for kind, _ in av):
                return None  # a range, a category, a negated set
            return [(chr(code), ignorecase) for _, code in av]
        if op is c.BRANCH and all(_zero_width(alternative.data) for alternative in av[1]):
            assertions.append(True)
            continue  # `(?:(?<=x)|(?<=y))`: an assertion made of assertions
        if op is c.BRANCH:
            found: list[tuple[str, bool]] = []
            for alternative in av[1]:
                starts = _starts(list(alternative.data), ignorecase, assertions)
                if starts is None:
                    return None
                found.extend(starts)
            return found
        if op is c.SUBPATTERN:
            _group, add, delete, sub = av
            scoped = (ignorecase or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE
            return _starts(list(sub.data), scoped, assertions)
        if op is getattr(c, "ATOMIC_GROUP", None):  # Python >= 3.11
            return _starts(list(av.data), ignorecase, assertions)
        if op is c.MAX_REPEAT or op is c.MIN_REPEAT or op is getattr(c, "POSSESSIVE_REPEAT", None):
            low, _high, sub = av
            return _starts(list(sub.data), ignorecase, assertions) if low >= 1 else None
        return None
    return None  # only zero-width items: the match may be empty


def _zero_width(items: list[tuple[Any, Any]]) -> bool:
    c = _sre_constants
    return bool(items) and all(op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT for op, _ in items)


def finditer_from(regex: re.Pattern[str], starts: re.Pattern[str], text: str, pos: int, stop: int) -> Iterator[re.Match[str]]:
    """regex.finditer(text, pos, stop), trying the regex only where `starts` (start_literals)
    finds one of its literals. A match is never empty (it begins with a literal)."""
    search, match = starts.search, regex.match
    while True:
        candidate = search(text, pos, stop)
        if candidate is None:
            return
        at = candidate.start()
        found = match(text, at, stop)
        if found is None:
            pos = at + 1
        else:
            yield found
            pos = found.end()


def preload() -> None:
    """Load now what the first candidate would load (the token-efficiency tokenizer: ~20 ms):
    called before worker processes are forked, so that they inherit it instead of each loading
    it again. Not detect-secrets: heuristics.looks_like_placeholder asks it last and imports it
    only then (its package brings requests and urllib3, ~45 ms), which most scans never need."""
    try:  # the generic rules' token-efficiency check loads its tokenizer on first use (~20 ms)
        from hfguard.secrets import tokenefficiency

        tokenefficiency.chars_per_token("preload")
    except (ImportError, AttributeError):
        pass


def _line_at(text: str, pos: int) -> str:
    # Clipped on both sides: on a long line with no newline nearby, starting at 0 would make
    # every match cost O(len(text)) (a minified file full of tokens went quadratic).
    lo = max(0, pos - LINE_WINDOW)
    newline = text.rfind("\n", lo, pos)
    start = newline + 1 if newline >= 0 else lo
    end = text.find("\n", pos, pos + LINE_WINDOW)
    return text[start : end if end >= 0 else min(len(text), pos + LINE_WINDOW)]


def _merge_spans(spans: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return merged


GENERIC_PREFIX = "generic-"
# The rest of a PEM block after the part a key rule matched: base64 lines (raw, in quotes, with
# JSON/log escapes such as \\n) up to the END line. Its lines are the key, not more secrets.
_BLOCK_TAIL = re.compile(r"""(?:[A-Za-z0-9+/=\s"'+,]|\\[rn])*(?:-----END[ A-Z0-9]{0,30}-----)?""")


def _extent(match: Match) -> tuple[int, int]:
    """The text a match stands for: its span, and for a PEM block the whole block."""
    if not match.secret.startswith("-----BEGIN"):
        return match.start, match.end
    text = match.chunk.text
    tail = _BLOCK_TAIL.match(text, match.end, min(len(text), match.end + MULTILINE_WINDOW))
    return match.start, tail.end() if tail else match.end


def drop_shadowed(matches: list[Match], fallback: frozenset[str] = frozenset()) -> list[Match]:
    """One finding per secret. A `generic-*` match, or one of a rule in `fallback` (a URL's
    password, a connection string's, a command line's: context rules), that overlaps a provider
    rule's match, or an already kept fallback match, is dropped: `token = "hf_..."` is a Hugging
    Face token once, `https://user:ghp_...@github.com` a GitHub token once, and the lines of a
    private key's PEM block are that key, not more secrets."""

    def yields(m: Match) -> bool:
        return m.rule_id.startswith(GENERIC_PREFIX) or m.rule_id in fallback

    kept = _one_per_span([m for m in matches if not yields(m)])
    weak = sorted(
        (m for m in matches if yields(m)),
        key=lambda m: (m.rule_id.startswith(GENERIC_PREFIX), -m.severity.rank, m.start),
    )
    if not weak:  # (kept is in the order of matches)
        return kept
    extents = [_extent(k) for k in kept]
    for m in weak:
        if not any(start < m.end and m.start < end for start, end in extents):
            kept.append(m)
            extents.append((m.start, m.end))
    if len(kept) == len(matches):
        return matches
    keep_ids = {id(k) for k in kept}
    return [m for m in matches if id(m) in keep_ids]


def _one_per_span(matches: list[Match]) -> list[Match]:
    """Two provider rules on one value (their matches overlap): one finding, the more severe, then
    the longer, then the one found first. A key pair's rule and the secret key's own rule on
    `aws_secret_access_key=...`; a service account's rule and the private key's on its PEM."""
    if len(matches) < 2:
        return matches
    ranked = sorted(matches, key=lambda m: (-m.severity.rank, -(m.end - m.start)))
    starts: list[int] = []  # the kept matches' spans, disjoint, in order (bisect: many tokens in a chunk)
    ends: list[int] = []
    keep_ids: set[int] = set()
    for m in ranked:
        at = bisect.bisect_left(starts, m.start)
        if (at and ends[at - 1] > m.start) or (at < len(starts) and starts[at] < m.end):
            continue
        starts.insert(at, m.start)
        ends.insert(at, m.end)
        keep_ids.add(id(m))
    if len(keep_ids) == len(matches):
        return matches
    return [m for m in matches if id(m) in keep_ids]


def drop_covered(matches: list[Match]) -> list[Match]:
    """Across detectors: a non-secret match (an "email" that is `ghp_...@github.com`) inside a
    secret's match in the same chunk is that secret, not a second finding."""
    secrets = [m for m in matches if m.category is Category.SECRET]
    if not secrets or len(secrets) == len(matches):
        return matches
    extents = [(m.chunk, *_extent(m)) for m in secrets]
    return [
        m for m in matches
        if m.category is Category.SECRET
        or not any(chunk is m.chunk and start < m.end and m.start < end for chunk, start, end in extents)
    ]
