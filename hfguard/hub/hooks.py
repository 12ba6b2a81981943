"""Where the guard hooks into huggingface_hub, checked when this module is imported.

Wrapping public HfApi methods is not enough: `from huggingface_hub import create_commit` is a
bound method of a module-level HfApi made at import time, and with hf_xet installed
`upload_folder` streams through `_upload_pipeline.pipelined_upload` without `create_commit`.
So the guard patches the module and class attributes that the upload paths look up *at call
time*, just before content leaves:

- `utils._validators.smoothly_deprecate_legacy_arguments`: called by `@validate_hf_hub_args` with
  the keyword arguments of every public HfApi method, whoever holds a reference to it (bound
  aliases included). The entry gate: files, commit messages and PR texts, before any request.
- `_commit_api._fetch_upload_modes` / `_upload_pipeline._fetch_upload_modes` (first request that
  carries content: the preupload sample), `_commit_api._upload_files` (LFS / Xet),
  `_commit_api._send_commit` / `_upload_pipeline._send_commit` (the commit),
  `_upload_pipeline.pipelined_upload`, `HfApi._validate_yaml` and `RepoCard.validate` (README sent
  to /api/validate-yaml), `HfApi._batch_bucket_files` (buckets).

These are private names, so the supported huggingface_hub range is pinned, and at import this
module checks that each hook point exists with the parameters it reads and that the call paths
still look those names up at call time. If not, guarded uploads are refused (GuardUnavailable).
"""
from __future__ import annotations

import contextvars
import functools
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from hfguard.hub.gate import (
    GateOptions,
    GuardUnavailable,
    check,
    committed,
    remember_uploading,
    uploaded,
)
from hfguard.sources.upload import (
    Outgoing,
    bucket_items,
    folder_items,
    is_sequence,
    operation_items,
    repo_path,
    source_item,
    text_item,
    texts,
)

logger = logging.getLogger("hfguard")

SUPPORTED_RANGE = ((2, 4), (3, 0))  # huggingface_hub >= 2.4, < 3 (keep in step with pyproject.toml)
SUPPORTED_TEXT = ">=2.4,<3"

Arguments = dict[str, Any]
Extractor = Callable[[Arguments], list[Outgoing]]


# --- what each hooked function is about to send -----------------------------------------------


def _commit_texts(a: Arguments) -> list[Outgoing]:
    return texts([("<commit message>", a.get("commit_message")), ("<commit description>", a.get("commit_description"))])


def _operations(value: Any) -> list[Outgoing]:
    return operation_items(value) if is_sequence(value) else []  # a generator is checked further down


def _one_file(a: Arguments) -> list[Outgoing]:
    path_in_repo = a.get("path_in_repo")
    if not isinstance(path_in_repo, str):
        return []
    item = source_item(path_in_repo, a.get("path_or_fileobj"))
    return [item] if item is not None else []


def _folder(a: Arguments) -> list[Outgoing]:
    folder = a.get("folder_path")
    if folder is None:
        return []
    return folder_items(folder, a.get("path_in_repo"), a.get("allow_patterns"), a.get("ignore_patterns")) or []


def _attachment(a: Arguments) -> list[Outgoing]:
    path = a.get("path")
    item = source_item(str(path), path) if path is not None else None
    return [item] if item is not None else []


def _bucket(a: Arguments) -> list[Outgoing]:
    add = a.get("add")
    return bucket_items(add) if is_sequence(add) else []


def _text(**labels: str) -> Extractor:
    """Text arguments, each shown in findings under a label such as `<pull request title>`."""
    return lambda a: texts((f"<{label}>", a.get(name)) for name, label in labels.items())


# Public (and decorated private) huggingface_hub functions seen by the entry gate, by __name__.
ENTRY_GATES: dict[str, Extractor] = {
    "create_commit": lambda a: _operations(a.get("operations")) + _commit_texts(a),
    "upload_file": lambda a: _one_file(a) + _commit_texts(a),
    "upload_folder": lambda a: _folder(a) + _commit_texts(a),
    "_fetch_upload_modes": lambda a: _operations(a.get("additions")) + texts([(".gitignore", a.get("gitignore_content"))]),
    "_upload_files": lambda a: _operations(a.get("additions")),
    "create_pull_request": _text(title="pull request title", description="pull request description"),
    "create_discussion": _text(title="discussion title", description="discussion description"),
    "comment_discussion": _text(comment="discussion comment"),
    "edit_discussion_comment": _text(new_content="discussion comment"),
    "rename_discussion": _text(new_title="discussion title"),
    "create_tag": _text(tag_message="tag message"),
    "super_squash_history": _text(commit_message="commit message"),
    "add_space_variable": _text(value="space variable", description="space variable description"),  # public
    "upload_attachment": _attachment,
    "batch_bucket_files": _bucket,
}


# --- which options apply, and the re-entrancy guard --------------------------------------------

_CURRENT: contextvars.ContextVar[GateOptions | None] = contextvars.ContextVar("hfguard_options", default=None)
_ACTIVE: list[GateOptions] = []  # every active guard, process-wide, most recent last
_LOCK = threading.RLock()
_SCANNING = threading.local()


def current_options() -> GateOptions | None:
    """The guard of this context (a `with protect()` block), else the latest one active anywhere
    in the process (threads started by huggingface_hub do not inherit context)."""
    options = _CURRENT.get()
    if options is not None:
        return options
    with _LOCK:
        return _ACTIVE[-1] if _ACTIVE else None


def _gate(items_of: Callable[[], list[Outgoing]], target: Any) -> None:
    options = current_options()
    if options is None or getattr(_SCANNING, "busy", False):
        return
    _SCANNING.busy = True
    try:
        items = items_of()
        if items:
            check(items, options, target if isinstance(target, str) else None)
    finally:
        _SCANNING.busy = False


# --- wrappers ---------------------------------------------------------------------------------


def _target(a: Arguments) -> Any:
    return a.get("repo_id") or a.get("bucket_id")


def _caller_arguments(frame: FrameType | None, kwargs: dict[str, Any]) -> Arguments:
    """All arguments of the decorated call, positional ones included, read from the frame of
    validate_hf_hub_args' wrapper (`args` and `signature`); keyword arguments alone otherwise."""
    if frame is not None and frame.f_code.co_name == "_inner_fn":
        local = frame.f_locals
        args, signature = local.get("args"), local.get("signature")
        if isinstance(args, tuple) and isinstance(signature, inspect.Signature):
            try:
                return dict(signature.bind_partial(*args, **kwargs).arguments)
            except TypeError:
                pass  # the call itself is wrong: huggingface_hub will say so
    return dict(kwargs)


# Iterables the entry gate turns into lists (when passed by keyword) so that checking them does
# not consume what huggingface_hub is about to iterate.
_MATERIALIZE: dict[str, tuple[str, ...]] = {
    "create_commit": ("operations",),
    "_fetch_upload_modes": ("additions",),
    "_upload_files": ("additions",),
    "batch_bucket_files": ("add",),
}


def _wrap_entry(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def smoothly_deprecate_legacy_arguments(fn_name: str, kwargs: dict[str, Any]) -> Any:
        extractor = ENTRY_GATES.get(fn_name)
        if extractor is not None and current_options() is not None:
            for name in _MATERIALIZE.get(fn_name, ()):
                value = kwargs.get(name)
                if value is not None and not is_sequence(value) and not isinstance(value, (str, bytes)):
                    kwargs = {**kwargs, name: list(value)}
            frame = sys._getframe(1)
            try:
                arguments = _caller_arguments(frame, kwargs)
            finally:
                del frame
            _gate(lambda: extractor(arguments), _target(arguments))
        return original(fn_name=fn_name, kwargs=kwargs)

    return smoothly_deprecate_legacy_arguments


def _wrap_call(extract: Extractor, materialize: tuple[str, ...] = (),
               after: Callable[[GateOptions, dict[str, Any]], None] | None = None,
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper that checks what `extract` finds in the call's arguments, then calls through.
    Iterables named in `materialize` are turned into lists first, so checking does not consume them.
    `after` is called with the options and the arguments once the call has returned."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(original)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            options = current_options()
            if options is None:
                return original(*args, **kwargs)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return original(*args, **kwargs)  # let huggingface_hub report the bad call
            for name in materialize:
                value = bound.arguments.get(name)
                if value is not None and not is_sequence(value):
                    bound.arguments[name] = list(value)
            arguments = dict(bound.arguments)
            _gate(lambda: extract(arguments), _target(arguments))
            result = original(*bound.args, **bound.kwargs)
            if after is not None:
                after(options, arguments)
            return result

        return wrapper

    return make


def _lfs_keys(operations: Any) -> list[tuple[str, str]]:
    """(path in repo, sha256) of the operations whose sha256 huggingface_hub knows."""
    keys = []
    for op in operations if is_sequence(operations) else []:
        info = getattr(op, "upload_info", None)
        path = getattr(op, "path_in_repo", None)
        if isinstance(path, str) and info is not None and getattr(info, "is_hashed", False):
            keys.append((repo_path(path), info.sha256.hex()))
    return keys


def _wrap_lfs_upload(original: Callable[..., Any]) -> Callable[..., Any]:
    """`_commit_api._upload_files` (LFS / Xet): check the additions, remember them as clean by
    sha256 (their content may be dropped after the upload, before the commit), and count what
    left so that a later block says so."""
    signature = inspect.signature(original)

    @functools.wraps(original)
    def _upload_files(*args: Any, **kwargs: Any) -> Any:
        options = current_options()
        if options is None or getattr(_SCANNING, "busy", False):
            return original(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return original(*args, **kwargs)  # let huggingface_hub report the bad call
        additions = bound.arguments.get("additions")
        if additions is not None and not is_sequence(additions):
            bound.arguments["additions"] = additions = list(additions)
        target = _target(bound.arguments)
        items = _operations(additions)
        _gate(lambda: items, target)
        _SCANNING.busy = True
        try:
            remembered = dict(remember_uploading(items, options))
        finally:
            _SCANNING.busy = False
        result = original(*bound.args, **bound.kwargs)
        sent = _lfs_keys(additions)
        uploaded(options, target if isinstance(target, str) else None, sent)
        for path, sha in sent:
            if path in remembered and remembered[path] != sha:
                logger.warning("hfguard: %s changed between its scan and its upload; its commit will be blocked", path)
        return result

    return _upload_files


def _committed(options: GateOptions, arguments: dict[str, Any]) -> None:
    """`_commit_api._send_commit` returned: its LFS files no longer count as sent-but-uncommitted."""
    target = _target(arguments)
    committed(options, target if isinstance(target, str) else None, _lfs_keys(arguments.get("operations")))


def _readme(content: Any) -> list[Outgoing]:
    item = text_item("README.md", content, is_file=True)
    return [item] if item is not None else []


def _card_items(a: Arguments) -> list[Outgoing]:
    return _readme(str(a["self"]))


@dataclass(frozen=True)
class HookPoint:
    module: str
    attr: str  # "name" or "Class.name"
    params: tuple[str, ...]  # parameters the wrapper reads: checked at import
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]]


HOOK_POINTS: tuple[HookPoint, ...] = (
    HookPoint("huggingface_hub.utils._validators", "smoothly_deprecate_legacy_arguments", ("fn_name", "kwargs"), _wrap_entry),
    HookPoint("huggingface_hub._commit_api", "_fetch_upload_modes", ("additions", "gitignore_content"),
              _wrap_call(ENTRY_GATES["_fetch_upload_modes"], ("additions",))),
    HookPoint("huggingface_hub._upload_pipeline", "_fetch_upload_modes", ("additions", "gitignore_content"),
              _wrap_call(ENTRY_GATES["_fetch_upload_modes"], ("additions",))),
    HookPoint("huggingface_hub._commit_api", "_upload_files", ("additions", "repo_id"), _wrap_lfs_upload),
    HookPoint("huggingface_hub._commit_api", "_send_commit", ("operations", "commit_message", "commit_description", "repo_id"),
              _wrap_call(lambda a: _operations(a.get("operations")) + _commit_texts(a), ("operations",), _committed)),
    HookPoint("huggingface_hub._upload_pipeline", "_send_commit", ("operations", "commit_message", "commit_description"),
              _wrap_call(lambda a: _operations(a.get("operations")) + _commit_texts(a), ("operations",))),
    HookPoint("huggingface_hub._upload_pipeline", "pipelined_upload", ("add_operations", "commit_message", "commit_description"),
              _wrap_call(lambda a: _operations(a.get("add_operations")) + _commit_texts(a), ("add_operations",))),
    HookPoint("huggingface_hub.hf_api", "HfApi._validate_yaml", ("content",),
              _wrap_call(lambda a: _readme(a.get("content")))),
    HookPoint("huggingface_hub.hf_api", "HfApi._batch_bucket_files", ("add",),
              _wrap_call(lambda a: _bucket(a), ("add",))),
    HookPoint("huggingface_hub.repocard", "RepoCard.validate", ("self",), _wrap_call(_card_items)),
)

# Call paths that must still look the hooked names up at call time (names in their code).
CALL_PATHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("huggingface_hub.hf_api", "HfApi.create_commit", ("smoothly_deprecate_legacy_arguments",)),
    ("huggingface_hub.hf_api", "HfApi.create_commit.__wrapped__", ("_validate_yaml", "preupload_lfs_files", "_send_commit")),
    ("huggingface_hub.hf_api", "HfApi.preupload_lfs_files", ("_fetch_upload_modes", "_upload_files")),
    ("huggingface_hub.hf_api", "HfApi.upload_file.__wrapped__", ("create_commit",)),
    ("huggingface_hub.hf_api", "HfApi.upload_folder.__wrapped__",
     ("_prepare_upload_folder_additions", "pipelined_upload", "create_commit", "DEFAULT_IGNORE_PATTERNS")),
    ("huggingface_hub.hf_api", "HfApi._prepare_upload_folder_additions", ("_validate_yaml", "filter_repo_objects", "glob")),
    ("huggingface_hub.hf_api", "HfApi.batch_bucket_files.__wrapped__", ("_batch_bucket_files",)),
    ("huggingface_hub._upload_pipeline", "_UploadPipeline._coordinator_loop", ("_fetch_upload_modes",)),
    ("huggingface_hub._upload_pipeline", "_UploadPipeline._do_commit", ("_send_commit", "create_pull_request")),
    ("huggingface_hub.repocard", "RepoCard.push_to_hub", ("validate", "upload_file")),
)


# --- checks at import -------------------------------------------------------------------------


def _lookup(module_name: str, attr: str) -> tuple[Any, str, Any]:
    """(owner, last name, value); raises LookupError with a readable message."""
    try:
        owner: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise LookupError(f"cannot import {module_name} ({exc})") from None
    parts = attr.split(".")
    for part in parts[:-1]:
        if not hasattr(owner, part):
            raise LookupError(f"{module_name}.{attr} is missing")
        owner = getattr(owner, part)
    if not hasattr(owner, parts[-1]):
        raise LookupError(f"{module_name}.{attr} is missing")
    return owner, parts[-1], getattr(owner, parts[-1])


def _version_tuple(version: str) -> tuple[int, int]:
    numbers = []
    for piece in version.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit()) if piece else ""
        numbers.append(int(digits) if digits else 0)
    return (numbers + [0, 0])[0], (numbers + [0, 0])[1]


def _find_problems() -> list[str]:
    try:
        import huggingface_hub
    except ImportError:
        return ["huggingface_hub is not installed (pip install 'huggingface_hub" + SUPPORTED_TEXT + "')"]
    version = getattr(huggingface_hub, "__version__", "0")
    low, high = SUPPORTED_RANGE
    if not low <= _version_tuple(version) < high:
        return [f"huggingface_hub {version} is not supported (supported: {SUPPORTED_TEXT})"]
    problems = []
    for point in HOOK_POINTS:
        try:
            _, _, value = _lookup(point.module, point.attr)
            params = inspect.signature(value).parameters
        except (LookupError, TypeError, ValueError) as exc:
            problems.append(str(exc))
            continue
        missing = [p for p in point.params if p not in params]
        if missing:
            problems.append(f"{point.module}.{point.attr} no longer takes {', '.join(missing)}")
    for module_name, attr, names in CALL_PATHS:
        try:
            unwrap = attr.endswith(".__wrapped__")
            _, _, value = _lookup(module_name, attr.removesuffix(".__wrapped__"))
            code_names = set((inspect.unwrap(value) if unwrap else value).__code__.co_names)
        except (LookupError, AttributeError) as exc:
            problems.append(str(exc) if isinstance(exc, LookupError) else f"{module_name}.{attr} is not plain Python")
            continue
        gone = [n for n in names if n not in code_names]
        if gone:
            problems.append(f"{module_name}.{attr} no longer looks up {', '.join(gone)}")
    return problems


PROBLEMS: list[str] = _find_problems()


def ensure_supported() -> None:
    if PROBLEMS:
        raise GuardUnavailable(
            "hfguard cannot guard uploads with this huggingface_hub, so it refuses them: "
            + "; ".join(PROBLEMS)
        )


# --- install / remove -------------------------------------------------------------------------

_INSTALLED: list[tuple[Any, str, Any, Any]] = []  # (owner, name, original, wrapper)


def _install() -> None:
    try:
        for point in HOOK_POINTS:
            owner, name, _ = _lookup(point.module, point.attr)
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            wrapper = point.wrap(original)
            wrapper.__hfguard_original__ = original  # type: ignore[attr-defined]
            setattr(owner, name, wrapper)
            _INSTALLED.append((owner, name, original, wrapper))
    except Exception as exc:  # noqa: BLE001 - all or nothing: any failure leaves no hook behind
        _uninstall()
        raise GuardUnavailable(f"hfguard could not install its upload hooks ({type(exc).__name__}: {exc})") from None


def _uninstall() -> None:
    while _INSTALLED:
        owner, name, original, wrapper = _INSTALLED.pop()
        current = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if current is wrapper:
            setattr(owner, name, original)
        # else: someone patched over us; our wrapper stays below theirs and passes through when
        # no guard is active (it only acts while options are set).


def installed() -> bool:
    with _LOCK:
        return bool(_INSTALLED)


def activate(options: GateOptions) -> None:
    """Add a guard (process-wide): hooks go in with the first one."""
    ensure_supported()
    with _LOCK:
        if not _ACTIVE:
            _install()
        _ACTIVE.append(options)


def deactivate(options: GateOptions) -> None:
    """Remove that guard; hooks come out with the last one."""
    with _LOCK:
        for index in range(len(_ACTIVE) - 1, -1, -1):
            if _ACTIVE[index] is options:
                del _ACTIVE[index]
                break
        if not _ACTIVE:
            _uninstall()


def set_context_options(options: GateOptions | None) -> contextvars.Token[GateOptions | None]:
    return _CURRENT.set(options)


def reset_context_options(token: contextvars.Token[GateOptions | None]) -> None:
    _CURRENT.reset(token)


def originals() -> Iterable[tuple[str, Any]]:
    """(dotted name, original) for every hook point, for tests that check restoration."""
    for point in HOOK_POINTS:
        _, _, value = _lookup(point.module, point.attr)
        yield f"{point.module}.{point.attr}", getattr(value, "__hfguard_original__", value)
