"""Command line: `hfguard scan | baseline | rules`. `main(argv) -> int`; exit codes in one place."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from hfguard import __version__
from hfguard.errors import EXIT_BLOCKING, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, HfguardError
from hfguard.models import Report

CONFIG_HELP = (
    "config file; default: [tool.hfguard] in pyproject.toml, else .hfguard.toml, looked up in the "
    "scanned folder, then at the root of its git repository (first found wins; no file: defaults)"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise HfguardError(f"{self.prog}: {message}")


def _add_scan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files and folders (default: .)")
    p.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    p.add_argument("--no-pii", action="store_true", help="secrets only (no personal or health data)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: CPU count for large scans)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hfguard", description="Stop secrets, personal and health data from being published.")
    parser.add_argument("--version", action="version", version=f"hfguard {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    scan = sub.add_parser("scan", help="scan files, folders, staged changes or a commit range")
    _add_scan_arguments(scan)
    scan.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    scan.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    scan.add_argument("--baseline", metavar="FILE", help="findings recorded there do not block")
    scan.add_argument("--show-suppressed", action="store_true", help="also list suppressed findings and why")
    scan.add_argument("--quiet", action="store_true", help="no progress, no summary on success")

    baseline = sub.add_parser("baseline", help="record today's findings as accepted")
    _add_scan_arguments(baseline)
    baseline.add_argument("-o", "--output", metavar="FILE", default=".hfguard-baseline.json")

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    return parser


def _load_config(args: argparse.Namespace) -> Any:
    from hfguard.config import load_config

    paths = getattr(args, "paths", None) or ["."]
    start = Path(paths[0])
    return load_config(Path(args.config) if args.config else None, start if start.is_dir() else start.parent)


def _emit(text: str, output: str | None) -> None:
    if output:
        from hfguard.baseline import write_atomically

        write_atomically(Path(output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _exit_code(report: Report) -> int:
    if report.blocking:
        return EXIT_BLOCKING
    if report.errors:
        return EXIT_USAGE
    return EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from hfguard.baseline import load_baseline_fingerprints
    from hfguard.scanner import ScanOptions, scan_disk

    config = _load_config(args)
    baseline_path = args.baseline or config.baseline
    fingerprints = load_baseline_fingerprints(Path(baseline_path)) if baseline_path else frozenset()
    if args.jobs is not None and args.jobs < 1:
        raise HfguardError("--jobs must be at least 1")
    options = ScanOptions(config=config, pii=not args.no_pii, jobs=args.jobs, baseline_fingerprints=fingerprints)
    report = scan_disk(args.paths or ["."], options)
    _write_report(report, args, config)
    return _exit_code(report)


def _write_report(report: Report, args: argparse.Namespace, config: Any) -> None:
    if args.format == "json":
        text = json.dumps(report.to_dict(show_suppressed=args.show_suppressed), indent=2) + "\n"
    elif args.format == "sarif":
        from hfguard.report_sarif import format_sarif
        from hfguard.scanner import build_ruleset

        text = json.dumps(format_sarif(report, build_ruleset(config).by_id()), indent=2) + "\n"
    else:
        from hfguard.report_text import format_text
        from hfguard.scanner import build_ruleset

        colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        hints = {r.id: r.remediation for r in build_ruleset(config).rules if r.remediation}
        text = format_text(report, colour=colour, show_suppressed=args.show_suppressed, hints=hints)
    _emit(text, args.output)


def cmd_baseline(args: argparse.Namespace) -> int:
    from hfguard.baseline import baseline_document, write_atomically
    from hfguard.scanner import ScanOptions, scan_disk

    config = _load_config(args)
    options = ScanOptions(config=config, pii=not args.no_pii, jobs=args.jobs)
    report = scan_disk(args.paths or ["."], options)
    document = baseline_document(report.findings)
    write_atomically(Path(args.output), json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"hfguard: recorded {len(document['findings'])} finding(s) in {args.output}", file=sys.stderr)
    for error in report.errors:
        print(f"{error.path}: error: {error.message}", file=sys.stderr)
    return EXIT_USAGE if report.errors else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from hfguard.scanner import build_ruleset

    config = _load_config(args)
    rules = build_ruleset(config).rules
    if args.format == "json":
        print(json.dumps({"version": 1, "rules": [r.to_dict() for r in rules]}, indent=2))
    else:
        for r in rules:
            print(f"{r.id:<40} {r.category.value:<7} {r.severity.value:<9} {r.description}")
        print(f"{len(rules)} rules", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"scan": cmd_scan, "baseline": cmd_baseline, "rules": cmd_rules}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except HfguardError as exc:
        print(f"hfguard: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hfguard: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into exit 3
        print(f"hfguard: internal error ({type(exc).__name__}); please report it", file=sys.stderr)
        if os.environ.get("HFGUARD_DEBUG"):
            raise
        return EXIT_INTERNAL
