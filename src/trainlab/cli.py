"""The ``trainlab`` console script.

    trainlab report <sweep_dir> [--out DIR]     figures + summary.md of a finished multirun
    trainlab reproduce [--quick] [--out DIR]    experiments A-I and their reports (also `make reproduce`)
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trainlab", description="trainlab command line")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="draw the book-style figures and summary.md of a sweep")
    report.add_argument("sweep_dir", help="a multirun directory, e.g. outputs/multiruns/2026-01-01_12-00-00")
    report.add_argument("--out", help="output directory (default <sweep_dir>/report)")
    reproduce = commands.add_parser("reproduce", help="run experiments A-I with their reports")
    reproduce.add_argument("--out", help="output directory (default outputs/reproduce/<date>_<time>)")
    reproduce.add_argument("--quick", action="store_true", help="tiny budgets: a smoke test of the whole pipeline")
    reproduce.add_argument("--only", nargs="+", metavar="ID", help="run only these experiments (A ... I)")
    args = parser.parse_args(argv)

    if args.command == "report":
        from trainlab.report.build import build_report

        try:
            written = build_report(args.sweep_dir, args.out)
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for name, path in written.items():
            print(f"{name}: {path}")
        return 0

    from trainlab.reproduce import reproduce as run_reproduce

    return run_reproduce(out=args.out, quick=args.quick, only=args.only)


if __name__ == "__main__":
    sys.exit(main())
