"""`hfguard upload REPO_ID LOCAL_PATH [PATH_IN_REPO]`: the guarded twin of `hf upload`.

It scans what would be sent (before the repo is even created), then creates the repo if needed
and uploads through huggingface_hub with the guard on. The token is handed to huggingface_hub
and never printed.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hfguard.errors import EXIT_OK, EXIT_USAGE, HfguardError

if TYPE_CHECKING:
    from hfguard.hub.gate import UploadBlocked


def add_upload_parser(sub: argparse._SubParsersAction, config_help: str) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("upload", help="upload a file or folder to the Hugging Face Hub, after checking it")
    p.add_argument("repo_id", metavar="REPO_ID", help="e.g. username/my-model")
    p.add_argument("local_path", metavar="LOCAL_PATH", help="file or folder to upload")
    p.add_argument("path_in_repo", metavar="PATH_IN_REPO", nargs="?",
                   help="where it goes in the repo (default: the file name, or the root for a folder)")
    p.add_argument("--repo-type", choices=["model", "dataset", "space"], default="model")
    p.add_argument("--revision", help="branch to commit to (created if missing)")
    p.add_argument("--include", nargs="*", metavar="PATTERN", help="only upload files matching these globs")
    p.add_argument("--exclude", nargs="*", metavar="PATTERN", help="do not upload files matching these globs")
    p.add_argument("--commit-message", help="the commit summary")
    p.add_argument("--commit-description", help="the commit description")
    p.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing")
    p.add_argument("--private", action="store_true", help="create the repo private if it does not exist")
    p.add_argument("--token", help="Hugging Face token (default: the saved one); never printed")
    p.add_argument("--config", metavar="FILE", help=config_help)
    p.add_argument("--baseline", metavar="FILE", help="findings recorded there do not block")
    p.add_argument("--no-pii", action="store_true", help="no personal or health data detection (secrets and hygiene checks still run)")
    p.add_argument("--allow-unscanned", action="store_true", help="send files that cannot be scanned")
    p.add_argument("--dry-run", action="store_true", help="check what would be sent, send nothing")
    p.add_argument("--redact", action="store_true",
                   help="upload a redacted copy (`hfguard redact`, operators from [tool.hfguard.redact]) "
                        "instead of LOCAL_PATH; nothing is sent unless nothing that blocks remains in it")


def cmd_upload(args: argparse.Namespace) -> int:
    from hfguard.hub import Guard
    from hfguard.hub.gate import UploadBlocked, check, make_options, unscanned_excluded
    from hfguard.hub.hooks import ensure_supported
    from hfguard.sources.upload import file_item, folder_items, texts

    if getattr(args, "redact", False):  # explicit only: the copy is checked and uploaded in its place
        from hfguard.redact.api import upload_redacted

        return upload_redacted(args, cmd_upload)
    local = args.local_path
    is_file = os.path.isfile(local)
    if not is_file and not os.path.isdir(local):
        raise HfguardError(f"{local}: no such file or folder")
    path_in_repo = args.path_in_repo or (os.path.basename(local) if is_file else ".")
    start = Path(local).parent if is_file else Path(local)
    options = make_options(Path(args.config) if args.config else None, args.baseline, start=start,
                           allow_unscanned=args.allow_unscanned, pii=not args.no_pii)
    ensure_supported()
    items = [file_item(path_in_repo, local)] if is_file else folder_items(local, path_in_repo, args.include, args.exclude) or []
    items += texts([("<commit message>", args.commit_message), ("<commit description>", args.commit_description)])
    try:
        excluded = check(items, options, args.repo_id, log_excluded=False)
    except UploadBlocked as blocked:
        _print_blocked(blocked)
        return blocked.exit_code
    if args.dry_run:
        line = f"hfguard: {len(items) - len(excluded)} item(s) checked, nothing blocks"
        if excluded:
            line += "; " + unscanned_excluded(excluded, would=True)
        print(f"{line} (dry run: nothing sent)", file=sys.stderr)
        return EXIT_OK
    if excluded:
        print(f"hfguard: {unscanned_excluded(excluded)}", file=sys.stderr)

    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

    api = HfApi(token=args.token)
    try:
        with Guard(options):
            repo_id = api.create_repo(repo_id=args.repo_id, repo_type=args.repo_type, exist_ok=True,
                                      private=args.private or None,
                                      space_sdk="gradio" if args.repo_type == "space" else None).repo_id
            if args.revision is not None and not args.create_pr:
                try:
                    api.repo_info(repo_id=repo_id, repo_type=args.repo_type, revision=args.revision)
                except RevisionNotFoundError:
                    api.create_branch(repo_id=repo_id, repo_type=args.repo_type, branch=args.revision, exist_ok=True)
            common = {"repo_id": repo_id, "repo_type": args.repo_type, "revision": args.revision,
                      "commit_message": args.commit_message, "commit_description": args.commit_description,
                      "create_pr": args.create_pr}
            if is_file:
                info = api.upload_file(path_or_fileobj=local, path_in_repo=path_in_repo, **common)
            else:
                info = api.upload_folder(folder_path=local, path_in_repo=path_in_repo,
                                         allow_patterns=args.include, ignore_patterns=args.exclude, **common)
    except UploadBlocked as blocked:  # caught by a choke point (e.g. content changed meanwhile)
        _print_blocked(blocked)
        return blocked.exit_code
    except (HfHubHTTPError, OSError, ValueError) as exc:
        print(f"hfguard: error: upload failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(getattr(info, "pr_url", None) or getattr(info, "commit_url", info))
    return EXIT_OK


def _print_blocked(blocked: UploadBlocked) -> None:
    print(blocked.summary(cli=True), file=sys.stderr)  # masked findings only
