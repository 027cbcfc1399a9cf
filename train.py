"""Train the book's MLP from the Hydra config in ``conf/`` (see README.md).

    python train.py                                  # one run with conf/train.yaml
    python train.py optimizer=adam init=he -m        # a multirun, one TensorBoard run per job
    python train.py experiment=compare_optimizers    # a chapter-6 comparison sweep
"""

import os
import signal
import sys
from pathlib import Path

try:
    from trainlab.startup_interrupt import stop_quietly_until_training
except ModuleNotFoundError as missing:  # another interpreter than the checkout's .venv: one line, not a traceback
    if missing.name != "trainlab":
        raise
    venv = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
    print(f"error: trainlab is not installed for {sys.executable}; run `make install` in "
          f"{Path(__file__).resolve().parent}, then `source .venv/bin/activate` or use {venv}", file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    # Before the seconds of imports below, until training starts: Ctrl-C ends the process with one line saying what
    # was written, not a traceback from inside an import (exit status 130, as the signal's)
    stop_quietly_until_training(__file__)

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from trainlab.checkout import given_root  # noqa: E402
from trainlab.data.absolute_data_dirs import absolute_data_dirs  # noqa: E402
from trainlab.dir_lock import release_output_dirs  # noqa: E402
from trainlab.distributed.shared_start_time import share_rank_0_start_time  # noqa: E402
from trainlab.errors import UserError, exit_for_user_error  # noqa: E402
from trainlab.hydra_errors import exit_if_options_split_the_overrides, report_config_errors_in_one_line  # noqa: E402
from trainlab.hydra_mode_composition import compose_once_for_the_mode  # noqa: E402
from trainlab.null_group_choice import exit_if_a_required_group_is_dropped, null_choices_as_deletions  # noqa: E402
from trainlab.preflight import leave_hydra_files_to_rank_0, writes_run_files  # noqa: E402
from trainlab.process_exit import skip_final_garbage_collection  # noqa: E402
from trainlab.shell_override import resume_command  # noqa: E402
from trainlab.versions import exit_if_versions_asked  # noqa: E402

# conf/paths/default.yaml places data/ and outputs/ under the repository root, whatever the working directory; a
# TRAINLAB_ROOT='~/lab' (a quoted ~, left as typed by the shell) is the home directory's, as on the command line
os.environ["TRAINLAB_ROOT"] = str(Path(__file__).resolve().parent) if given_root() is None else given_root()
# The script the printed resume commands start (trainlab/shell_override.py), resolved before hydra.job.chdir moves
# the working directory; a job's process (submitit) inherits it
os.environ["TRAINLAB_TRAIN_SCRIPT"] = str(Path(__file__).resolve())
# ... and the interpreter they start it with: this one (trainlab/printed_python.py), not a job process's own
os.environ["TRAINLAB_PYTHON"] = sys.executable


@hydra.main(config_path="conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    # Imported here, not at the top: importing Lightning takes several seconds (torchmetrics pulls in torchvision
    # and torch._dynamo), and what Hydra does before calling main - --help, --cfg, a misspelt key or option - needs
    # none of it, so those answer in about a second.
    from trainlab.collector_paused_import import import_with_collector_paused

    import_with_collector_paused("lightning")  # first, with the garbage collector paused: ~1 s less
    from hydra.core.hydra_config import HydraConfig

    from trainlab.callbacks.divergence_guard import RunDiverged
    from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
    from trainlab.distributed.rank_log_lines import leave_log_lines_to_rank_0
    from trainlab.failed_run_dir import say_where_failed_run_is
    from trainlab.lightning_noise import route_lightning_logs_through_root
    from trainlab.sweep.between_jobs import retire_between_jobs
    from trainlab.sweep.stopped_sweep import is_search, record_refused_sweep, record_stopped_sweep
    from trainlab.sweep.submitit_refusal import hand_refusal_to_the_command
    from trainlab.sweep.worker_stop import StartupStop, in_a_worker, run_worker_job
    from trainlab.train import train

    route_lightning_logs_through_root()
    leave_log_lines_to_rank_0()  # torchrun, SLURM: the other ranks say warnings and errors only, not in train.log
    worker = in_a_worker()  # a joblib or submitit_local job: the command waits for them all (sweep/worker_stop.py)
    try:
        return run_worker_job(cfg, train) if worker else train(cfg)
    except UserError as error:  # a config value, data file or directory to fix: one line, exit status 2
        say_where_failed_run_is(refused=True)  # a directory the refusal keeps (its status.json): where it is
        # a submitit job (local or SLURM): raised as the job's result, which submitit writes; the command prints it
        hand_refusal_to_the_command(error)
        if worker:  # the command's process prints the line, once for all its workers
            from trainlab.sweep.worker_refusal import refuse_from_worker

            refuse_from_worker(error)  # joblib: carried to the command in the worker's SystemExit
        record_refused_sweep(HydraConfig.get(), cfg.get("optimized_metric"))  # jobs that ran before: summary.csv
        exit_for_user_error(error)
    except RunDiverged as diverged:  # trained, recorded, but useless: exit status 3 (a multirun job never raises it)
        if writes_run_files():  # torchrun, SLURM: rank 0 says it, once
            print(diverged, file=sys.stderr)
        sys.exit(RunDiverged.EXIT_STATUS)
    except StartupStop as stop:  # trainer=ddp: the signal ended the job's processes before their training began
        from trainlab.startup_interrupt import written_since_start

        written = written_since_start(HydraConfig.get().runtime.output_dir)  # as a lone run's start-up says it
        print(f"{signal.Signals(stop.signum).name} while the DDP processes started: stopped before training; "
              f"{written}", file=sys.stderr)
        sys.exit(128 + stop.signum)
    except TrainingInterrupted as stop:
        retire_between_jobs()  # a second Ctrl-C is the stop's (Python's), not the sweep's between its jobs
        saved = stop.stop_line()  # or, a search's trial that keeps no checkpoint: none saved
        run_dir = stop.checkpoint.parent.parent
        if stop.requeued:  # submitit's time limit or a preemption: it requeues the job, which resumes from there
            from trainlab.submitit_requeue import hand_on_to_submitit

            print(f"{saved}; submitit requeues the job, which resumes from it", file=sys.stderr)
            try:
                hand_on_to_submitit(stop.signum, run_dir)  # submitit's handler requeues and exits
            except Exception as not_requeued:  # submitit's UncompletedJobError (its requeue limit), re-raised
                print(f"submitit did not requeue the job: {not_requeued}\n{resume_command(run_dir)}", file=sys.stderr)
                raise
        if worker:  # it returns: the pool waits for the other workers to save; the command says how to finish, once
            print(f"{saved}.", file=sys.stderr)
            return None
        if not writes_run_files():  # torchrun, SLURM: rank 0 says the stop and how to resume, once (another rank's
            sys.exit(128 + stop.signum)  # command line holds the hydra.output_subdir=null train.py gave it)
        record_stopped_sweep(HydraConfig.get(), cfg.get("optimized_metric"))  # a multirun here: what ran so far
        # a search's trial: the search records its stop and then prints the line that continues it, once
        finish = "" if is_search(HydraConfig.get()) else f"\n{resume_command(run_dir)}"
        print(f"{saved}.{finish}", file=sys.stderr)
        sys.exit(128 + stop.signum)
    except Exception:  # a crash: Hydra prints the traceback (exit status 1); the run's files stay, said where first
        say_where_failed_run_is(refused=False)
        raise


if __name__ == "__main__":
    exit_if_versions_asked(sys.argv[1:])  # trainlab's version and its packages', as `trainlab --version`
    exit_if_options_split_the_overrides(sys.argv[1:])  # train.py a=1 -m b=2: one line, exit status 2 (as typed)
    sys.argv = leave_hydra_files_to_rank_0(sys.argv)  # under torchrun / SLURM, rank 0 alone writes .hydra/
    exit_if_a_required_group_is_dropped(sys.argv[1:], Path(__file__).resolve().parent / "conf")  # optimizer=null
    sys.argv = null_choices_as_deletions(sys.argv, Path(__file__).resolve().parent / "conf")  # scheduler=null
    sys.argv = absolute_data_dirs(sys.argv)  # data.data_dir=mydata: ./mydata, recorded so for a resume from elsewhere
    skip_final_garbage_collection()  # before Lightning is imported and registers exit handlers: ~0.5 s less at exit
    share_rank_0_start_time()  # torchrun: every rank's ${now:...} (its run directory) is rank 0's start time
    report_config_errors_in_one_line()  # an unknown option or key: one line and exit status 2, as below
    compose_once_for_the_mode()  # Hydra composed conf/ twice: once to read hydra.mode, once to run
    try:
        main()
    finally:
        release_output_dirs()  # also where a refusal or a signal ends the command before Hydra's on_run_end
