"""`python -m tools.script_audit PATH [--out DIR] [--threshold 0.8]` (nox: `nox -s audit -- PATH`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from tools.script_audit.audit import DEFAULT_THRESHOLD, run_audit
from tools.script_audit.inventory import LANGUAGES, AuditInputError
from tools.script_audit.report import write_reports


def _threshold(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 (exclusive) and 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.script_audit",
        description=f"Audit the scripts ({', '.join(sorted(LANGUAGES))}) under PATH: duplicates, near "
        "duplicates, purpose and a recommended action, as Markdown and JSON.",
    )
    parser.add_argument("path", type=Path, help="folder to audit")
    parser.add_argument(
        "--out", type=Path, default=Path("script-audit"), help="report folder (default: %(default)s)"
    )
    parser.add_argument(
        "--threshold", type=_threshold, default=DEFAULT_THRESHOLD, help="near-duplicate similarity in (0, 1]"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    try:
        result = run_audit(args.path, args.threshold, quiet=args.quiet)
        markdown, as_json = write_reports(result.to_dict(), args.out)
    except AuditInputError as error:
        console.print(f"[red]script audit: error:[/] {error}", highlight=False)
        return 2
    except OSError as error:
        console.print(f"[red]script audit: cannot write the report:[/] {error}", highlight=False)
        return 2
    if not args.quiet:
        summary = result.to_dict()["summary"]
        console.print(
            f"{summary['scripts']} scripts, {summary['skipped']} skipped, "
            f"{summary['exact_groups']} exact groups, "
            f"{summary['normalised_groups']} whitespace/comment groups, "
            f"{summary['near_pairs']} near pairs",
            highlight=False,
            soft_wrap=True,
        )
        for item in result.skipped:
            console.print(f"  skipped {item.path}: {item.reason}", highlight=False)
    print(f"report: {markdown}\ndata:   {as_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
