"""Python files and notebook code cells that pull code or weights from the Hub unpinned:
`trust_remote_code=True`, and `from_pretrained` / `load_dataset` / `hf_hub_download` /
`snapshot_download` without a `revision=`.

Read with `ast` where the source parses (IPython magics and shell lines blanked out first), so
strings and comments do not count; code that does not parse falls back to a line-based search
that skips comments.
"""
from __future__ import annotations

import ast
import re

from hfguard.hygiene.registry import make_match
from hfguard.models import Chunk, ChunkKind, Match

MAX_PARSED_CHARS = 2 * 1024 * 1024  # larger sources are searched line by line (ast memory)

# Loader -> the keyword that names what it loads (also its first positional argument).
_LOADERS = {
    "from_pretrained": "pretrained_model_name_or_path",
    "load_dataset": "path",
    "hf_hub_download": "repo_id",
    "snapshot_download": "repo_id",
}
# load_dataset() builders that read local files: nothing to pin.
_LOCAL_BUILDERS = frozenset({
    "csv", "json", "parquet", "text", "arrow", "pandas", "sql", "generator", "xml", "webdataset",
    "imagefolder", "audiofolder", "videofolder", "pdffolder", "niftifolder",
})
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(?:/[\w.-]{1,96})?$")
_BRANCHES = frozenset({"main", "master"})
_MAGIC_LINE = re.compile(r"^[ \t]*(?:[%!?]|\w+[ \t]*=[ \t]*[%!])[^\n]*|^[^\n#]*\?[ \t]*$", re.MULTILINE)
_CALL = re.compile(r"\b(" + "|".join(_LOADERS) + r")[ \t]*\(")
_TRUST = re.compile(r"\btrust_remote_code[ \t]*=[ \t]*True\b")
_REVISION_ARG = re.compile(r"\brevision[ \t]*=|\*\*")
_FALLBACK_REACH = 4000  # characters of a call's arguments looked at without a parser
_TRUST_MESSAGE = ("trust_remote_code=True runs the Python code of the Hub repository it loads; review it and "
                  "pin revision= to the commit you reviewed")


def _blank_magics(source: str) -> str:
    """IPython `%magic`, `!shell` and `obj?` lines as spaces (offsets unchanged)."""
    return _MAGIC_LINE.sub(lambda m: " " * len(m.group(0)), source)


class _Offsets:
    """ast positions (line, UTF-8 byte column) -> offsets into the source text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def offset(self, line: int, byte_column: int) -> int:
        start = self.starts[min(line, len(self.starts)) - 1]
        end = self.text.find("\n", start)
        row = self.text[start: end if end >= 0 else len(self.text)]
        if row.isascii():
            return start + min(byte_column, len(row))
        prefix = row.encode("utf-8", "surrogatepass")[:byte_column]
        return start + len(prefix.decode("utf-8", "ignore"))


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _target(node: ast.Call, name: str) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg == _LOADERS[name]:
            return keyword.value
    return node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None


def _unpinned(node: ast.Call, name: str) -> str | None:
    """Why this loader call is not pinned, or None (pinned, local, or cannot tell)."""
    target = _target(node, name)
    literal = target.value if isinstance(target, ast.Constant) and isinstance(target.value, str) else None
    if literal is not None:
        if name == "load_dataset" and literal in _LOCAL_BUILDERS:
            return None
        if not _HUB_ID.match(literal) or literal.startswith("."):
            return None  # a local folder or file
    for keyword in node.keywords:
        if keyword.arg is None:
            return None  # **kwargs may carry the revision
        if keyword.arg == "revision":
            value = keyword.value
            if isinstance(value, ast.Constant) and value.value is None:
                return "revision=None loads whatever the default branch holds"
            if isinstance(value, ast.Constant) and value.value in _BRANCHES:
                return f"revision={value.value!r} is a branch: it moves"
            return None
    return "no revision="


def _evidence(name: str, node: ast.Call | None, literal: str | None = None) -> str:
    if node is not None:
        target = _target(node, name)
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            literal = target.value
    if literal is not None and _HUB_ID.match(literal):
        return f"{name}({literal!r})"
    return f"{name}(...)"


class CodeChecker:
    """FileDetector for a .py file (CODE chunks) or a notebook (its code cells)."""

    def __init__(self, notebook: bool) -> None:
        self.notebook = notebook

    def feed(self, chunk: Chunk) -> list[Match]:
        if chunk.kind is not ChunkKind.CODE or (self.notebook and chunk.cell is None):
            return []
        text = chunk.text
        if "trust_remote_code" not in text and not any(name in text for name in _LOADERS):
            return []
        source = _blank_magics(text) if self.notebook else text
        tree = None
        if len(source) <= MAX_PARSED_CHARS:
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
                tree = None
        if tree is None:
            return self._by_lines(chunk)
        return self._by_ast(chunk, tree)

    def finish(self) -> list[Match]:
        return []

    def _by_ast(self, chunk: Chunk, tree: ast.AST) -> list[Match]:
        offsets = _Offsets(chunk.text)
        found: list[Match] = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if (keyword.arg == "trust_remote_code" and isinstance(keyword.value, ast.Constant)
                        and keyword.value.value is True):
                    start = offsets.offset(keyword.lineno, keyword.col_offset)
                    end = offsets.offset(keyword.end_lineno or keyword.lineno, keyword.end_col_offset or 0)
                    found.append(make_match("code-trust-remote-code", chunk, start, max(end, start + 1),
                                            "trust_remote_code=True", _TRUST_MESSAGE))
            name = _call_name(node)
            if name not in _LOADERS:
                continue
            why = _unpinned(node, name)
            if why is None:
                continue
            func = node.func
            line, column = func.end_lineno or func.lineno, func.end_col_offset or func.col_offset
            end = offsets.offset(line, column)
            start = max(0, end - len(name))
            found.append(make_match("code-unpinned-revision", chunk, start, end, _evidence(name, node),
                                    f"{why}: pin a revision (a commit sha or tag) so this loads what you tested"))
        return found

    def _by_lines(self, chunk: Chunk) -> list[Match]:
        """Without a parser: skip what follows a `#` on the line (comments; strings may still count)."""
        text = chunk.text
        found: list[Match] = []

        def commented(position: int) -> bool:
            line_start = text.rfind("\n", 0, position) + 1
            return "#" in text[line_start:position]

        for m in _TRUST.finditer(text):
            if not commented(m.start()):
                found.append(make_match("code-trust-remote-code", chunk, m.start(), m.end(), "trust_remote_code=True",
                                        _TRUST_MESSAGE))
        for m in _CALL.finditer(text):
            if commented(m.start()):
                continue
            name = m.group(1)
            arguments = _balanced(text, m.end())
            if _REVISION_ARG.search(arguments):
                continue
            first = re.match(r"\s*(['\"])([^'\"\n]{1,200})\1", arguments)
            literal = first.group(2) if first else None
            if literal is not None and (not _HUB_ID.match(literal) or literal.startswith(".")
                                        or (name == "load_dataset" and literal in _LOCAL_BUILDERS)):
                continue
            found.append(make_match("code-unpinned-revision", chunk, m.start(1), m.end(1),
                                    _evidence(name, None, literal),
                                    "no revision=: pin a revision (a commit sha or tag) so this loads what you tested"))
        return found


def _balanced(text: str, start: int) -> str:
    """The arguments of a call whose `(` ends just before `start` (at most _FALLBACK_REACH)."""
    depth = 1
    limit = min(len(text), start + _FALLBACK_REACH)
    for i in range(start, limit):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:limit]
