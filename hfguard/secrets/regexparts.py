"""Named parts a rule's regex may use, written `{{name}}`, so that one grammar serves every rule.

A rule file writes `...token(?![\\w.-]){{assign}}(["'`])(...)\\1`; the loader (rules.parse_rule)
replaces `{{assign}}` with ASSIGN before the regex is compiled. The parts hold no capturing
group, so a rule's group numbers are the ones it writes. An unknown `{{name}}` is a RuleError
(example generators such as `{{alnum:32}}` hold a colon and are never parts).

ASSIGN: what stands between a key's name and the opening quote of its value, in the assignment
forms of configuration and source files (the forms gitleaks' and betterleaks' rule examples
write each secret in, cmd/generate/config/utils/generate.go, plus R's arrow):

- `=`, `==`, `===`, `!=`, `:`, `:=`, `=>`, `??=`, `||=` (Python, JS, Go, Ruby, PHP, YAML, JSON, Perl)
- GNU make's `::=`, `:::=`, `?=`, `+=` (GNU make manual, "Setting Variables"); PHP's `.=`; R's `<-`
- a type between name and `=`: Go `var xToken string = "..."`, Kotlin/TypeScript `x: String = "..."`

A quoted name, a comma and a value (`System.setProperty("X_TOKEN", "...")`) is left to the rules
that name the function (generic-env-default): in a list of names (`["pwd", "passphrase"]`) the
same shape is no assignment.
- the name's closing quote or bracket before any of them (`os.environ["X_TOKEN"] = ...`), and
  a backslash before the value's quote (a JSON-escaped string).
"""
from __future__ import annotations

import re

ASSIGN = (
    r"""\\{0,2}["'`]?\]?(?:\s*:\s*[A-Za-z_][\w\[\], |.]{0,30}?\s*="""
    r"""|[ \t]+(?:string|String|str|\[\]byte)[ \t]*="""
    r"""|\s*(?:={1,3}|!==?|:{1,3}=|[?+.]=|=>|<-|:|\?\?=|\|\|=))\s*\\?"""
)

PARTS: dict[str, str] = {"assign": ASSIGN}

_PART_RE = re.compile(r"\{\{([a-z_]+)\}\}")


def expand(pattern: str) -> str:
    """`pattern` with each `{{name}}` replaced by its part; KeyError(name) for an unknown one."""
    if "{{" not in pattern:
        return pattern
    return _PART_RE.sub(lambda m: PARTS[m.group(1)], pattern)
