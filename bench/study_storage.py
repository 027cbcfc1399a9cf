"""What a search's study costs per trial: the default journal file (``trainlab.search.storage``) against an SQLite
file in SQLite's default rollback-journal mode and in the WAL mode that ``trainlab.search.storage`` sets for an
``sqlite:///`` file on a local file system (:mod:`trainlab.search.sqlite_wal`).

Each round creates a fresh study file and makes the storage calls a search makes for experiment I (the random
sampler over I's two parameters): ``n_trials`` asks with the job's three user attributes, then ``n_trials`` tells
(one batch, as the stacked launcher gets it). The stores alternate, ``--rounds`` times; medians are printed.

    python bench/study_storage.py                 # 100 trials, 5 rounds
    python bench/study_storage.py --trials 300    # a larger batch (SQLite's asks grow with its square)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import optuna
from optuna.distributions import FloatDistribution
from optuna.storages import RDBStorage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_cli, beside this script

from bench_cli import count, parser_for  # noqa: E402

from trainlab.search.storage import EARLIER_DEFAULT_FILE, SQLITE_BUSY_TIMEOUT_S, open_storage  # noqa: E402

SPACE = {"optimizer.lr": FloatDistribution(1e-6, 1e-2, log=True),
         "model.weight_decay": FloatDistribution(1e-8, 1e-4, log=True)}


def one_round(storage, trials: int) -> tuple[float, float]:
    """Seconds to ask ``trials`` trials (with their user attributes), and to tell them."""
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0), direction="maximize")
    started = time.perf_counter()
    asked = []
    for number in range(trials):
        trial = study.ask(fixed_distributions=SPACE)
        for name in ("job_dir", "sweep_dir", "worker"):
            trial.set_user_attr(name, f"/outputs/multiruns/sweep/{number}_optimizer.lr={trial.params['optimizer.lr']}")
        asked.append(trial)
    ask_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for trial in asked:
        study.tell(trial, 0.5)
    return ask_seconds, time.perf_counter() - started


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--trials", type=count, default=100, help="trials asked, then told, per round")
    parser.add_argument("--rounds", type=count, default=5, help="alternating rounds (median)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    times: dict[str, list[tuple[float, float]]] = {"journal file (trainlab's default)": [],
                                                     "SQLite, rollback journal (its default)": [],
                                                     "SQLite, WAL (trainlab, local disk)": []}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.rounds):
            for number, mode in enumerate(times):
                directory = Path(tmp) / f"{index}_{number}"
                directory.mkdir()
                database = directory / EARLIER_DEFAULT_FILE
                if mode.startswith("journal"):
                    opened = open_storage(None, directory)
                    times[mode].append(one_round(opened.storage, args.trials))
                elif "WAL" in mode:
                    opened = open_storage(f"sqlite:///{database}", directory)
                    times[mode].append(one_round(opened.storage, args.trials))
                    opened.close()
                else:
                    storage = RDBStorage(f"sqlite:///{database}",  # as open_storage, without WAL
                                         engine_kwargs={"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}})
                    times[mode].append(one_round(storage, args.trials))
                    storage.engine.dispose()
    print(f"{args.trials} trials, median of {args.rounds} round{'s' if args.rounds > 1 else ''}:")
    for mode, rounds in times.items():
        asks = statistics.median(r[0] for r in rounds)
        tells = statistics.median(r[1] for r in rounds)
        print(f"  {mode:40s} asks {asks:5.2f} s  tells {tells:5.2f} s  total {asks + tells:5.2f} s "
              f"({(asks + tells) / args.trials * 1e3:.1f} ms a trial)")


if __name__ == "__main__":
    main()
