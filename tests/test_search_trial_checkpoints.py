"""A search's trial stopped by a signal saves no checkpoint where its config keeps none: a search never resumes a
trial from it (a resume asks new trials in its place). Each interrupted trial of ``hparams_search=tpe`` - whose
preset says ``last_checkpoint: null # many small jobs: no checkpoints`` - wrote a 540 KB last.ckpt (~54 MB for
experiment I's 100 trials). A worker's job that a search's stop kept from running says what the search's resume
does: it said ``not run (resume_sweep=true runs it)``, but the resume asks new trials and never runs that job."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import OmegaConf
from sigterm_at_step import stacks_get_sigterm_at

from trainlab.callbacks import graceful_shutdown
from trainlab.callbacks.graceful_shutdown import NOT_SAVED, GracefulShutdown, TrainingInterrupted
from trainlab.run_status import read_status
from trainlab.stacked.train_stack import StackJob, train_stack
from trainlab.sweep.worker_stop import STOP_MARK, run_worker_job

SMALL = ["data.train_size=200", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[16]",
         "trainer.max_epochs=3"]
NO_CHECKPOINTS = ["callbacks.model_checkpoint=null", "callbacks.last_checkpoint=null"]  # as hparams_search sets


def interrupted_stack(make_cfg, tmp_path: Path, monkeypatch, *overrides: str) -> tuple[TrainingInterrupted, list]:
    """Two stacked members of a search (the search's sweeper, as Hydra names it), SIGTERM at step 2 (mid-epoch: 4
    batches an epoch)."""
    monkeypatch.setattr(graceful_shutdown, "in_a_search", lambda: True)
    dirs = [tmp_path / "sweep" / str(i) for i in range(2)]
    jobs = [StackJob(make_cfg(*SMALL, f"optimizer.lr={lr}", *overrides, output_dir=d), [f"lr={lr}"])
            for lr, d in zip((0.01, 0.05), dirs, strict=True)]

    with stacks_get_sigterm_at(monkeypatch, 2), pytest.raises(TrainingInterrupted) as stop:
        train_stack(jobs)
    return stop.value, dirs


def test_a_search_stack_that_keeps_no_checkpoint_saves_none_on_a_stop(make_cfg, tmp_path, monkeypatch):
    stop, dirs = interrupted_stack(make_cfg, tmp_path, monkeypatch, *NO_CHECKPOINTS)
    assert stop.saved is False
    for job_dir in dirs:
        assert not (job_dir / "checkpoints").exists()
        assert read_status(job_dir)["status"] == "interrupted"
        assert read_status(job_dir)["error"] == f"SIGTERM at step 3; {NOT_SAVED}"


def test_a_search_stack_that_keeps_last_ckpt_saves_it_on_a_stop(make_cfg, tmp_path, monkeypatch):
    stop, dirs = interrupted_stack(make_cfg, tmp_path, monkeypatch)  # the default callbacks keep last.ckpt
    assert stop.saved is True
    for job_dir in dirs:
        assert read_status(job_dir)["error"] == f"SIGTERM at step 3; saved {job_dir / 'checkpoints' / 'last.ckpt'}"
        assert (job_dir / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_lone_search_trial_that_keeps_no_checkpoint_saves_none_on_a_stop(train_in_process, tmp_path):
    """The basic launcher runs each trial alone in the command's process (as joblib's workers do in theirs)."""
    sweep_dir = tmp_path / "sweep"
    run = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "hydra/launcher=basic",
                           "data.train_size=100", "data.val_size=100", "trainer.max_epochs=3",
                           f"hydra.sweep.dir={sweep_dir}", "+callbacks.stop={_target_:sigterm_at_step.SigtermAtStep,"
                           "step:2}")
    assert run.returncode == 128 + signal.SIGTERM, run.stderr[-3000:]
    (job,) = sweep_dir.glob("0_*")
    assert not list(sweep_dir.rglob("*.ckpt"))
    assert read_status(job)["error"] == f"SIGTERM at step 3; {NOT_SAVED}"
    assert f"SIGTERM: stopped at step 3, {NOT_SAVED}.\n" in run.stderr


def trainer_with(*callbacks) -> SimpleNamespace:
    return SimpleNamespace(checkpoint_callbacks=list(callbacks))


def test_a_stop_saves_but_in_a_search_trial_whose_config_keeps_no_checkpoint(tmp_path, monkeypatch):
    shutdown = GracefulShutdown(dirpath=str(tmp_path / "checkpoints"))
    last = ModelCheckpoint(dirpath=tmp_path / "checkpoints", filename="last", save_top_k=1)
    none_kept = ModelCheckpoint(dirpath=tmp_path / "checkpoints", save_top_k=0)  # the default model_checkpoint's
    elsewhere = ModelCheckpoint(dirpath=tmp_path / "other", filename="last", save_top_k=1)
    monkeypatch.setattr(graceful_shutdown, "in_a_search", lambda: False)
    assert shutdown.saves_on_stop(trainer_with())  # a lone run, or a sweep's job: its resume reads it
    monkeypatch.setattr(graceful_shutdown, "in_a_search", lambda: True)
    assert shutdown.saves_on_stop(trainer_with(last))  # kept: a trial trained on alone resumes from it
    assert not shutdown.saves_on_stop(trainer_with())
    assert not shutdown.saves_on_stop(trainer_with(none_kept, elsewhere))
    shutdown._requeue = shutdown.received = signal.SIGUSR2  # submitit requeues the job, which resumes from it
    assert shutdown.saves_on_stop(trainer_with())


@pytest.mark.parametrize("sweeper, said", [
    ("hydra_plugins.trainlab_optuna_sweeper.sweeper.TrainlabOptunaSweeper",
     "not run (its trial counts as interrupted: resume_sweep=true asks a new trial in its place)"),
    ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "not run (resume_sweep=true runs it)")],
    ids=["search", "sweep"])
def test_a_workers_job_a_stop_kept_from_running_says_what_the_resume_does(tmp_path, monkeypatch, caplog, sweeper,
                                                                          said):
    from hydra.core.hydra_config import HydraConfig

    (tmp_path / STOP_MARK).write_text("SIGINT command")
    hydra = OmegaConf.create({"sweep": {"dir": str(tmp_path)}, "runtime": {"output_dir": str(tmp_path / "3_x")},
                              "sweeper": {"_target_": sweeper}})
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: hydra))
    with caplog.at_level(logging.WARNING):
        assert run_worker_job(None, lambda cfg: pytest.fail("the job ran")) is None
    assert caplog.messages == [f"3_x: the sweep was stopped before this job started; {said}"]


def test_a_startup_stop_that_surfaces_as_another_error_still_stops_the_job_unrun(tmp_path, monkeypatch, caplog):
    """The stop signal's StartupStop is raised wherever the job's start-up is; raised inside OmegaConf's merge (the
    Trainer's instantiation), OmegaConf's clean-up raised a ConfigKeyError in its place, which ended a joblib search
    as a config error, exit status 2: ``error: trainer is invalid; ... '_invalidate_flags_cache'``."""
    import os

    from hydra.core.hydra_config import HydraConfig

    hydra = OmegaConf.create({"sweep": {"dir": str(tmp_path)}, "runtime": {"output_dir": str(tmp_path / "3_x")},
                              "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"}})
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: hydra))

    def start_up(cfg):
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # the worker's handler raises StartupStop here
        except BaseException as stop:
            raise KeyError("'NoneType' object has no attribute '_invalidate_flags_cache'") from stop.__context__
        pytest.fail("the signal was not answered")

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with caplog.at_level(logging.WARNING):
            assert run_worker_job(None, start_up) is None
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert caplog.messages == ["3_x: SIGTERM before this job's training began; not run (resume_sweep=true runs it; the "
                               "stop surfaced as KeyError)"]
    assert (tmp_path / STOP_MARK).is_file()


def test_an_error_of_a_jobs_start_up_without_a_stop_is_the_jobs_error(tmp_path, monkeypatch):
    from hydra.core.hydra_config import HydraConfig

    hydra = OmegaConf.create({"sweep": {"dir": str(tmp_path)}, "runtime": {"output_dir": str(tmp_path / "3_x")},
                              "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"}})
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: hydra))
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(KeyError, match="a real error"):
            run_worker_job(None, lambda cfg: (_ for _ in ()).throw(KeyError("a real error")))
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def test_an_error_after_training_began_is_the_jobs_even_after_a_startup_stop(tmp_path, monkeypatch):
    """A StartupStop swallowed by the code it unwound, the job trained on: its later error (a TrainingInterrupted, a
    real failure) is the job's to hand on, not "stopped before its training began"."""
    import os

    from hydra.core.hydra_config import HydraConfig

    from trainlab import startup_interrupt

    hydra = OmegaConf.create({"sweep": {"dir": str(tmp_path)}, "runtime": {"output_dir": str(tmp_path / "3_x")},
                              "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"}})
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: hydra))

    def swallowed_then_trains(cfg):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except BaseException:  # noqa: BLE001, S110 - the code the stop unwound swallowed it
            pass
        monkeypatch.setattr(startup_interrupt, "STARTUP_ENDS", startup_interrupt.STARTUP_ENDS + 1)  # fit began
        raise RuntimeError("a failure while training")

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(RuntimeError, match="a failure while training"):
            run_worker_job(None, swallowed_then_trains)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
