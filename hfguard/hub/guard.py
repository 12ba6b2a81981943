"""The Hub guard: `safe_upload()` and `protect()` block an upload before a single byte is sent.

    safe_upload(folder_path="out", repo_id="me/model")       # as HfApi.upload_folder
    safe_upload(path_or_fileobj="a.csv", path_in_repo="a.csv", repo_id="me/data")  # as upload_file
    with protect():                                            # every huggingface_hub upload path
        trainer.push_to_hub()

Both scan exactly what would be sent (files, bytes, file objects, commit messages, PR texts) with
the project's config and baseline, and raise `UploadBlocked` (masked findings, readable summary)
when something blocks. Files that cannot be scanned block too, unless `allow_unscanned=True`.
The caller's token is passed through to huggingface_hub and never logged or stored.

Each scan is logged on the `logging` logger "hfguard" (INFO: what is scanned, how much, the
verdict); a scan that is not over within a moment shows a tqdm progress bar on stderr when
it is a terminal, unless HF_HUB_DISABLE_PROGRESS_BARS is set or huggingface_hub's
`disable_progress_bars()` was called. LFS files that `preupload_lfs_files` (e.g. in
`datasets.push_to_hub`) uploads before the commit are judged at the commit by the sha256 that was
cleared before they left; a block after some of them left says so (`UploadBlocked.already_uploaded`).
"""
from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from hfguard.hub.gate import GateOptions, GuardUnavailable, UploadBlocked, check, make_options
from hfguard.hub.hooks import (
    activate,
    deactivate,
    ensure_supported,
    installed,
    reset_context_options,
    set_context_options,
)
from hfguard.policy.config import Config
from hfguard.sources.upload import Outgoing, folder_items, source_item, texts

__all__ = ["Guard", "GuardUnavailable", "UploadBlocked", "installed", "protect", "safe_upload"]


class Guard:
    """An active-or-not guard over every huggingface_hub upload path, process-wide.

    Use as a context manager (re-entrant, also from several threads at once), or call
    `install()` / `uninstall()` for a process-wide guard. The hooks go in with the first active
    guard and come out, restoring every original, with the last one.
    """

    def __init__(self, options: GateOptions) -> None:
        self.options = options
        self._tokens = threading.local()
        self._installs = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Guard:  # noqa: PYI034 - Self needs Python 3.11
        activate(self.options)
        stack = self._tokens.__dict__.setdefault("stack", [])
        stack.append(set_context_options(self.options))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        reset_context_options(self._tokens.stack.pop())
        deactivate(self.options)

    def install(self) -> Guard:
        activate(self.options)
        with self._lock:
            self._installs += 1
        return self

    def uninstall(self) -> None:
        with self._lock:
            if self._installs == 0:
                return
            self._installs -= 1
        deactivate(self.options)


def protect(
    *,
    install: bool = False,
    config: Config | str | Path | None = None,
    baseline: str | Path | None = None,
    allow_unscanned: bool = False,
    pii: bool = True,
) -> Guard:
    """A guard over every huggingface_hub upload path (aliases imported earlier included).

    `with protect():` guards the block; `protect(install=True)` guards the whole process until
    `.uninstall()`. Config: a Config or file, else discovered from the current folder.
    Raises GuardUnavailable (refusing to run unguarded) if this huggingface_hub is unsupported.
    """
    ensure_supported()
    guard = Guard(make_options(config, baseline, allow_unscanned=allow_unscanned, pii=pii))
    if install:
        guard.install()
    return guard


def _file_start(path: Any) -> Path | None:
    if isinstance(path, (str, Path)):
        p = Path(path).expanduser()
        return p if p.is_dir() else p.parent
    return None


def safe_upload(
    *,
    api: Any = None,
    allow_unscanned: bool = False,
    config: Config | str | Path | None = None,
    baseline: str | Path | None = None,
    pii: bool = True,
    **kwargs: Any,
) -> Any:
    """`upload_file` (given `path_or_fileobj`) or `upload_folder` (given `folder_path`), with the
    same arguments and return value, after checking what would be sent. `api`: an HfApi to use.

    Raises UploadBlocked before any request when something blocks.
    """
    ensure_supported()
    if ("path_or_fileobj" in kwargs) == ("folder_path" in kwargs):
        raise TypeError("safe_upload() takes either path_or_fileobj= (like upload_file) or folder_path= (like upload_folder)")
    is_file = "path_or_fileobj" in kwargs
    local = kwargs["path_or_fileobj"] if is_file else kwargs["folder_path"]
    options = make_options(config, baseline, start=_file_start(local), allow_unscanned=allow_unscanned, pii=pii)
    items: list[Outgoing]
    if is_file:
        path_in_repo = kwargs.get("path_in_repo")
        if not isinstance(path_in_repo, str):
            raise TypeError("safe_upload() with path_or_fileobj= needs path_in_repo= (a string)")
        item = source_item(path_in_repo, local)
        items = [item] if item is not None else []
    else:
        listed = folder_items(local, kwargs.get("path_in_repo"), kwargs.get("allow_patterns"), kwargs.get("ignore_patterns"))
        if listed is None:
            raise ValueError(f"Provided path: '{local}' is not a directory")
        items = listed
    items += texts([("<commit message>", kwargs.get("commit_message")),
                    ("<commit description>", kwargs.get("commit_description"))])
    check(items, options, kwargs.get("repo_id"))

    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    # The hooks stay on while huggingface_hub works, so its own choke points see the same
    # options (and find this content already cleared).
    with Guard(options):
        return api.upload_file(**kwargs) if is_file else api.upload_folder(**kwargs)
