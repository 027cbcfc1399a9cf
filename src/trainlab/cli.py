"""The ``trainlab`` console script.

    trainlab report <sweep_dir> [--out DIR]     figures + summary.md of a finished multirun
    trainlab reproduce [--quick] [--out DIR] [--only ID ...]
                                                experiments A-I and their reports (also `make reproduce`)
    trainlab evaluate <run_dir> [--ckpt last|best|PATH] [--split val test ...]
                                                loss and accuracy of a run's checkpoint
    trainlab --version                          trainlab's version and those of torch, Lightning, Hydra, ...

``python -m trainlab <command> ...`` and ``python -m trainlab.<command> ...`` (report, reproduce, evaluate) run the
same parser, for an interpreter whose console scripts are not on PATH.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from trainlab.output_locations import location_problem
from trainlab.process_exit import skip_final_garbage_collection
from trainlab.versions import PrintVersions


def print_evaluation(run_dir: str, ckpt: str, splits: list[str]) -> int:
    from trainlab.errors import UserError
    from trainlab.evaluate import evaluate, nan_loss_note, run_end_note

    notes: list[str] = []
    try:
        results = evaluate(run_dir, ckpt, splits, notes)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # the directory absolute, as every path the commands print (docs/where-files-go.md); a markdown table as it is
    print(f"{Path(run_dir).absolute()}, --ckpt {ckpt}:\n\n| split | loss | acc |\n|---|---|---|")
    for split, values in results.items():
        print(f"| {split} | {values['loss']:.4f} | {values['acc']:.4f} |")
    for note in (run_end_note(run_dir, ckpt), *notes, nan_loss_note(run_dir, ckpt, results)):
        if note:  # on stderr: stdout stays the table
            print(note, file=sys.stderr)
    return 0


def default_output_dir(args: argparse.Namespace) -> Path | None:
    """Where ``report`` and ``reproduce`` write without ``--out``: ``<sweep_dir>/report`` (of an existing sweep;
    a missing one is the report's to name), ``<root>/outputs/reproduce/``."""
    if getattr(args, "out", None):
        return None
    if args.command == "report":
        from trainlab.report.output_dir import default_report_dir

        return default_report_dir(Path(args.sweep_dir)) if Path(args.sweep_dir).is_dir() else None
    if args.command == "reproduce":
        from trainlab.reproduce import reproductions_dir

        return reproductions_dir()
    return None


def parse_arguments(parser: argparse.ArgumentParser, commands: argparse._SubParsersAction,
                    argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed; an unknown option after a command is refused by that command's parser, with its usage
    (``trainlab report: error: unrecognized arguments: --outt x``) and exit status 2: the top-level parser's own
    refusal shows the top-level usage, which names the commands and none of their options."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = commands.choices[args.command]
        after = argv[argv.index(args.command) + 1:]  # the top level takes only -h before its command
        if set(unknown) <= set(after):
            command.error(f"unrecognized arguments: {' '.join(unknown)}")
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    skip_final_garbage_collection()
    parser = argparse.ArgumentParser(prog="trainlab", description="trainlab command line")
    parser.add_argument("--version", action=PrintVersions)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="draw the book-style figures and summary.md of a sweep")
    report.add_argument("sweep_dir", help="a multirun directory, e.g. outputs/multiruns/2026-01-01_12-00-00")
    report.add_argument("--out", help="output directory (default <sweep_dir>/report)")
    reproduce = commands.add_parser("reproduce", help="run experiments A-I with their reports")
    reproduce.add_argument("--out", help="output directory (default outputs/reproduce/<date>_<time>)")
    reproduce.add_argument("--quick", action="store_true", help="tiny budgets: a smoke test of the whole pipeline")
    reproduce.add_argument("--only", nargs="+", metavar="ID", help="run only these experiments (A ... I)")
    evaluate = commands.add_parser("evaluate", help="loss and accuracy of a finished run's checkpoint")
    evaluate.add_argument("run_dir", help="a run directory, e.g. outputs/runs/2026-01-01_12-00-00")
    evaluate.add_argument("--ckpt", default="last", help="last (default), best, or a checkpoint file")
    evaluate.add_argument("--split", nargs="+", default=["val", "test"], metavar="SPLIT",
                          help="splits to evaluate: val, train, test (default: val test)")
    args = parse_arguments(parser, commands, sys.argv[1:] if argv is None else argv)
    for name in ("out", "sweep_dir", "run_dir", "ckpt"):  # bash leaves the ~ of `--out=~/figs` as typed
        if (value := getattr(args, name, None)) and value.startswith("~"):
            setattr(args, name, os.path.expanduser(value))

    if getattr(args, "out", None) == "":  # `--out "$OUT"` with OUT unset: report wrote into the current directory
        print(f"error: --out '' names no directory; allowed: --out <a directory>, or no --out for {args.command}'s "
              "default", file=sys.stderr)
        return 2
    out_problem = location_problem(args.out) if getattr(args, "out", None) else None
    if out_problem is not None:  # before anything runs, as train.py checks hydra.run.dir
        print(f"error: --out {args.out} is unusable: {out_problem}", file=sys.stderr)
        return 2
    default_out = default_output_dir(args)
    default_problem = location_problem(default_out) if default_out is not None else None
    if default_problem is not None:  # a read-only checkout or sweep: the way out is --out
        print(f"error: {default_out} (where {args.command} writes without --out) is unusable: {default_problem}; "
              "allowed: --out <a directory this process can write to>", file=sys.stderr)
        return 2

    if args.command == "reproduce":  # which answers a Ctrl-C itself, naming the experiments left to run
        from trainlab.reproduce import reproduce as run_reproduce

        return run_reproduce(out=args.out, quick=args.quick, only=args.only)
    from trainlab.signal_exit import stop_with_line

    # a Ctrl-C or SIGTERM: one line saying what the command leaves, and the signal's exit status
    with stop_with_line(lambda signum: f"{signal.Signals(signum).name}: {STOPPED[args.command]}"):
        try:
            return print_report(args.sweep_dir, args.out) if args.command == "report" else print_evaluation(
                args.run_dir, args.ckpt, args.split)
        except KeyboardInterrupt:  # raised by code of its own: one line too, and the same exit status
            print(f"SIGINT: {STOPPED[args.command]}", file=sys.stderr)
            return 128 + signal.SIGINT


#: what a Ctrl-C leaves of each command that does not answer it itself
STOPPED = {"report": "the report stopped before it finished: the files it had replaced are new, the others as "
                     "they were; run the same command again to write it whole",
           "evaluate": "the evaluation stopped; it writes nothing"}


def print_report(sweep_dir: str, out: str | None) -> int:
    from trainlab.errors import UserError
    from trainlab.report.build import build_report

    try:
        written = build_report(sweep_dir, out)
    except (FileNotFoundError, UserError) as error:  # no sweep there; a report directory holding other files
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, path in written.items():  # absolute, as every path the commands print (docs/where-files-go.md)
        print(f"{name}: {os.path.abspath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
