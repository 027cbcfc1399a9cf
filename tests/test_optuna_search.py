"""Hyper-parameter search on Optuna (hydra/sweeper=trainlab_optuna): stored, resumable and shared studies.

In-process tests drive :class:`~trainlab.search.optuna_search.OptunaSearch` with Hydra's real config loader and a
launcher that writes each job's ``status.json`` instead of training, or run a whole search through ``train.py``'s
command line (``train_in_process``); subprocess tests run ``train.py`` where signals, two processes or the one-line
errors of the command line are what is tested.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna
import optuna_dashboard
import pytest
import yaml
from conftest import CONF_DIR, JOB_PYTHONPATH, ROOT
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf, open_dict
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from trainlab.errors import ConfigError
from trainlab.report.build import build_report
from trainlab.run_status import read_status, write_status
from trainlab.search import optuna_search
from trainlab.search.optuna_search import OptunaSearch
from trainlab.search.sampler_factory import build_sampler
from trainlab.search.search_space import ALLOWED_FORMS, parse_search_space
from trainlab.search.storage import open_storage
from trainlab.search.study_settings import same_setting, study_settings
from trainlab.search.trial_budget import is_surplus, trials_left
from trainlab.search.worker_identity import this_worker

TESTS = Path(__file__).resolve().parent


# ---- in-process: the search loop with a launcher that only writes status.json ----------------------------------
def objective_of(overrides: list[str]) -> float:
    """A deterministic 'validation accuracy' of a trial: best at lr = 0.1."""
    lr = float(dict(o.split("=", 1) for o in overrides)["optimizer.lr"])
    return 1.0 / (1.0 + abs(math.log10(lr) + 1.0))


class StatusWritingLauncher:
    """Hydra's launcher contract (job number, job dir from hydra.sweep.dir/subdir, JobReturn per job) without
    training: each job writes the status.json a training job would. ``outcomes`` sets a job's status by number."""

    def __init__(self, config, config_loader, outcomes=None, on_launch=None):
        self.config, self.config_loader = config, config_loader
        self.outcomes, self.on_launch = outcomes or {}, on_launch
        self.calls: list[tuple[int, int]] = []  # (initial_job_idx, batch size)

    def job_dir(self, overrides, number) -> Path:
        job_config = self.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(job_config):
            job_config.hydra.job.num = number
        return Path(job_config.hydra.sweep.dir) / job_config.hydra.sweep.subdir

    def launch(self, job_overrides, initial_job_idx):
        self.calls.append((initial_job_idx, len(job_overrides)))
        if self.on_launch is not None:
            self.on_launch(self, initial_job_idx)
        returns = []
        for number, overrides in enumerate(job_overrides, start=initial_job_idx):
            job_dir = self.job_dir(overrides, number)
            job_dir.mkdir(parents=True)  # a job directory is never reused
            status = self.outcomes.get(number, "completed")
            if isinstance(status, BaseException):
                raise status
            value = objective_of(overrides) if status == "completed" else 0.0
            write_status(job_dir, status, list(overrides), {"val/acc": value}, value, 0.1)
            returns.append(JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=value))
        return returns


def compose_search(sweep_dir: Path, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        config = compose("train", overrides=["hparams_search=random", f"hydra.sweep.dir={sweep_dir}", *overrides],
                         return_hydra_config=True)
        return config, GlobalHydra.instance().config_loader()


def make_search(sweep_dir: Path, *overrides: str, outcomes=None, on_launch=None) -> OptunaSearch:
    config, loader = compose_search(sweep_dir, *overrides)
    launcher = StatusWritingLauncher(config, loader, outcomes, on_launch)
    settings = OmegaConf.to_container(config.hydra.sweeper, resolve=True)  # as Hydra instantiates the sweeper
    for key in ("_target_", "_recursive_"):
        settings.pop(key)
    settings["sampler"] = config.hydra.sweeper.sampler
    return OptunaSearch(config=config, config_loader=loader, launcher=launcher, **settings)


def run_search(search: OptunaSearch) -> dict:
    """Run ``search`` as Hydra's multirun does: with the task overrides of the command line as arguments."""
    return search.run(list(search.config.hydra.overrides.task))


def journal(path: Path) -> optuna.storages.JournalStorage:
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def load(sweep_dir: Path, study_name: str = "hparams_random") -> optuna.Study:
    """The study a search keeps in its sweep dir (the default storage: the journal file optuna.journal)."""
    return optuna.load_study(study_name=study_name, storage=journal(sweep_dir / "optuna.journal"))


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_batches_go_to_the_launcher_whole_with_job_number_equal_to_trial_number(tmp_path):
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=7", "hydra.sweeper.n_jobs=3")
    run_search(search)
    assert search.launcher.calls == [(0, 3), (3, 3), (6, 1)]
    study = load(tmp_path / "s")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 7
    for trial in study.trials:
        job_dir = Path(trial.user_attrs["job_dir"])
        assert job_dir.parent == tmp_path / "s" and job_dir.name.startswith(f"{trial.number}_")
        assert f"optimizer.lr={trial.params['optimizer.lr']!r}" in job_dir.name
        assert trial.value == read_status(job_dir)["objective"]
        assert trial.user_attrs["outcome"] == "completed" and trial.user_attrs["worker"] == this_worker()


@pytest.mark.slow  # ~3 s on 2 cores with warm imports (make test-slow; the default run stays short)
def test_the_study_names_its_objective_after_the_optimized_metric_for_optuna_dashboard(tmp_path):
    """optuna-dashboard and ``trials_dataframe`` label the objective with the study's metric name: ``val/loss``,
    not "Objective 0" / ``value``; the name is recorded once, by the search that creates the study."""
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=1", "optimized_metric=val/loss",
                         "hydra.sweeper.direction=minimize", "objective_on_failure=1e9")
    run_search(search)
    study = load(tmp_path / "s")
    assert study.metric_names == ["val/loss"]
    assert "value_val/loss" in study.trials_dataframe().columns
    # and as docs/hyper-parameter-search.md tells users to look at it: `optuna-dashboard <sweep>/optuna.journal` (its
    # web API)
    dashboard = optuna_dashboard.wsgi(str(tmp_path / "s" / "optuna.journal"))
    (summary,) = dashboard_json(dashboard, "/api/studies")["study_summaries"]
    assert summary["study_name"] == "hparams_random" and summary["directions"] == ["minimize"]
    shown = dashboard_json(dashboard, f"/api/studies/{summary['study_id']}", "after=0")
    assert shown["objective_names"] == ["val/loss"]
    (trial,) = shown["trials"]
    attributes = {attr["key"]: attr["value"] for attr in trial["user_attrs"]}
    assert attributes["job_dir"] == study.trials[0].user_attrs["job_dir"]  # where each trial's run is


def dashboard_json(app, path: str, query: str = "") -> dict:
    """GET ``path`` from optuna-dashboard's WSGI application, as its web page asks its server; the JSON answer."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, QUERY_STRING=query)
    statuses = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"], (path, statuses, body[:300])
    return json.loads(body)


SAMPLERS = {"random": {"_target_": "optuna.samplers.RandomSampler"},
            "tpe": {"_target_": "optuna.samplers.TPESampler", "n_startup_trials": 2, "constant_liar": True}}


def draws(sampler: str, seed: int, n: int, storage=None) -> list[dict]:
    """n trials asked and told as the search does, on a fresh study or on ``storage``'s study 's'."""
    space = parse_search_space({"optimizer.lr": "tag(log, interval(1e-4, 1))", "init": "he,xavier,normal"})
    study = optuna.create_study(storage=storage, study_name="s", load_if_exists=True, direction="maximize",
                                sampler=build_sampler({**SAMPLERS[sampler], "seed": seed}))
    params = []
    for _ in range(n):
        trial = study.ask(fixed_distributions=space.distributions)
        study.tell(trial, objective_of([f"optimizer.lr={trial.params['optimizer.lr']}"]))
        params.append(trial.params)
    return params


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_the_same_seed_gives_the_same_parameter_sequence(sampler):
    first = draws(sampler, 7, 6)
    assert draws(sampler, 7, 6) == first
    assert len({p["optimizer.lr"] for p in first}) == 6
    assert not {p["optimizer.lr"] for p in first} & {p["optimizer.lr"] for p in draws(sampler, 8, 6)}
    # a resumed study (or a second worker) with the same seed draws anew: seed + its first trial number
    storage = optuna.storages.InMemoryStorage()
    assert draws(sampler, 7, 3, storage) == first[:3]
    resumed = draws(sampler, 7, 3, storage)
    assert not {p["optimizer.lr"] for p in resumed} & {p["optimizer.lr"] for p in first}


@pytest.mark.slow  # ~9 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_worker_joining_a_study_shares_its_trials_and_draws_new_parameters(tmp_path):
    """Worker B runs its whole search while worker A's first batch is running: together n_trials, each once."""
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    common = ("hydra.sweeper.n_trials=5", "hydra.sweeper.n_jobs=2", f"hydra.sweeper.storage={storage}",
              "hydra.sweeper.study_name=shared")
    worker_b = make_search(tmp_path / "b", *common)

    def run_b_once(launcher, initial_job_idx):
        if initial_job_idx == 0:
            run_search(worker_b)

    worker_a = make_search(tmp_path / "a", *common, on_launch=run_b_once)
    run_search(worker_a)
    study = optuna.load_study(study_name="shared", storage=storage)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 5
    assert worker_a.launcher.calls == [(0, 2)]  # A's first batch; then the study was full
    assert worker_b.launcher.calls == [(2, 2), (4, 1)]  # B took the three trials left, numbered after A's
    dirs = {path.name.split("_")[0] for sweep in ("a", "b") for path in (tmp_path / sweep).iterdir() if path.is_dir()}
    assert dirs == {"0", "1", "2", "3", "4"}
    assert len({t.params["optimizer.lr"] for t in study.trials}) == 5  # same seed, no repeated draws


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_two_workers_creating_one_study_at_once_never_both_record_their_settings(tmp_path, monkeypatch, caplog):
    """Worker B creates the shared study just after worker A did and finds no settings, A not having recorded its
    own yet: B recorded its own (seed=2) and both ran trials of two configurations in one study. Now B, whose
    creation lost, joins the study, waits for A's settings and refuses in one line."""
    caplog.set_level("INFO", logger="trainlab.search.optuna_search")
    shared = (f"hydra.sweeper.storage=journal:{tmp_path / 'study.log'}", "hydra.sweeper.study_name=shared",
              "hydra.sweeper.n_trials=2")
    worker_a, worker_b = make_search(tmp_path / "a", *shared, "seed=1"), make_search(tmp_path / "b", *shared, "seed=2")
    real_check, held, refusals = optuna_search.check_study_settings, [], []

    def a_records_late(study, settings, *args, **kwargs):
        if not held:  # worker A, which created the study: B starts before A has recorded its settings
            held.append(lambda: real_check(study, settings, *args, **kwargs))
            monkeypatch.setattr(optuna.study, "get_all_study_names", lambda storage: [])  # B looked just before
            with pytest.raises(ConfigError) as refused:
                run_search(worker_b)
            refusals.append(str(refused.value))
            held[-1].join()
            return
        recorder = threading.Timer(0.3, held[0])  # A records its settings 0.3 s after B began its check
        held.append(recorder)
        recorder.start()
        real_check(study, settings, *args, **kwargs)

    monkeypatch.setattr(optuna_search, "check_study_settings", a_records_late)
    run_search(worker_a)
    assert refusals[0].startswith(f"the study 'shared' in journal:{tmp_path / 'study.log'} ran its trials with other "
                                  "settings than this search (seed: 1 in the study, 2 here)")
    study = optuna.load_study(study_name="shared", storage=journal(tmp_path / "study.log"))
    assert study.user_attrs["settings"]["seed"] == 1
    assert [t.user_attrs["worker"] for t in study.trials] == [this_worker()] * 2 and worker_b.launcher.calls == []
    assert (f"study 'shared' in journal:{tmp_path / 'study.log'}: created by another worker a moment ago; joining it"
            in caplog.text)


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_trial_asked_when_the_study_is_full_is_surplus_and_never_runs(tmp_path, monkeypatch):
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=3", "hydra.sweeper.n_jobs=2")
    real = optuna_search.trials_left
    # as if another worker had asked a trial between this worker's count and its ask: one slot seems two
    monkeypatch.setattr(optuna_search, "trials_left", lambda study, n: real(study, n) + (real(study, n) == 1))
    run_search(search)
    study = load(tmp_path / "s")
    assert [(t.state, t.user_attrs["outcome"]) for t in study.trials] == [
        *[(TrialState.COMPLETE, "completed")] * 3, (TrialState.FAIL, "surplus")]
    assert search.launcher.calls == [(0, 2), (2, 1)]  # trial 3 was not launched
    assert not list((tmp_path / "s").glob("3_*"))


def test_budget_counts_running_and_finished_trials_but_not_interrupted_ones():
    study = optuna.create_study()
    states = ["completed", "running", "interrupted", "diverged", "running"]
    for outcome in states:
        trial = study.ask()
        if outcome != "running":
            trial.set_user_attr("outcome", outcome)
            study.tell(trial, 0.5 if outcome == "completed" else None,
                       state=TrialState.COMPLETE if outcome == "completed" else TrialState.FAIL)
    assert trials_left(study, 5) == 1  # 0, 1, 3 and 4 count
    assert not is_surplus(study, 4, 4)  # three counted trials below 4
    assert is_surplus(study, 4, 3)


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_diverged_and_failed_jobs_are_told_fail_and_count(tmp_path):
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2",
                         outcomes={1: "diverged", 2: "failed"})
    run_search(search)
    study = load(tmp_path / "s")
    assert [(t.state, t.user_attrs["outcome"]) for t in study.trials] == [
        (TrialState.COMPLETE, "completed"), (TrialState.FAIL, "diverged"), (TrialState.FAIL, "failed"),
        (TrialState.COMPLETE, "completed")]  # four trials ran: the search ends there
    results = yaml.safe_load((tmp_path / "s" / "optimization_results.yaml").read_text())
    assert results["trials"] == {"completed": 2, "diverged": 1, "failed": 1, "interrupted": 0, "surplus": 0,
                                 "running": 0}
    best = max((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    assert (results["best_trial"], results["best_value"], results["best_params"]) == (
        best.number, best.value, best.params)


def test_a_moved_sweeps_results_name_its_best_job_where_it_is_now(tmp_path):
    import shutil

    from trainlab.search.results import write_results

    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2"))
    shutil.copytree(tmp_path / "s", tmp_path / "moved")
    shutil.rmtree(tmp_path / "s")
    study = load(tmp_path / "moved")
    payload = write_results(tmp_path / "moved", study, "journal")
    best_job = Path(payload["best_job"])  # the trials recorded the old place
    assert best_job.parent == tmp_path / "moved" and best_job.is_dir()


def test_a_search_without_a_completed_trial_says_so_instead_of_best_trial_none(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2", outcomes={0: "diverged", 1: "diverged"}))
    assert f"best trial: none - no trial completed ({tmp_path / 's' / 'optimization_results.yaml'})" in caplog.text
    assert "best trial: None with value None" not in caplog.text


def test_a_sweep_that_holds_no_job_says_so_instead_of_guessing_its_logger(tmp_path, caplog):
    from omegaconf import OmegaConf

    from trainlab.sweep.hparams_callback import SweepHParams

    caplog.set_level(logging.INFO)
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}, "optimized_metric": "val/acc"})
    SweepHParams().on_multirun_end(config)  # a resumed search whose study had its trials: no job ran here
    assert "no HPARAMS experiment of the sweep: it holds no job" in caplog.text and "logger=csv" not in caplog.text


def test_a_stop_in_the_middle_of_a_batch_tells_every_trial(tmp_path):
    """Job 0 completes, job 1 is stopped by a signal (exit 143): nothing stays RUNNING, the stop goes on."""
    def stopped_job(launcher, initial_job_idx):
        for number, status in ((0, "completed"), (1, "interrupted")):
            job_dir = tmp_path / "s" / f"{number}_job"
            job_dir.mkdir(parents=True)
            write_status(job_dir, status, [], {}, 0.75 if status == "completed" else None, 0.1)
        raise SystemExit(143)

    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2",
                         "hydra.sweep.subdir=${hydra.job.num}_job", on_launch=stopped_job)
    with pytest.raises(SystemExit) as stop:
        run_search(search)
    assert stop.value.code == 143
    study = load(tmp_path / "s")
    assert [(t.state, t.value, t.user_attrs["outcome"]) for t in study.trials] == [
        (TrialState.COMPLETE, 0.75, "completed"), (TrialState.FAIL, None, "interrupted")]
    # what ran so far is recorded as a finished search records it (nothing was, until a resume)
    results = yaml.safe_load((tmp_path / "s" / "optimization_results.yaml").read_text())
    assert (results["best_trial"], results["best_value"]) == (0, 0.75)
    assert results["trials"]["completed"] == 1 and results["trials"]["interrupted"] == 1
    with (tmp_path / "s" / "summary.csv").open() as table:
        assert [(row["job"], row["status"]) for row in csv.DictReader(table)] == [
            ("0_job", "completed"), ("1_job", "interrupted")]
    assert (tmp_path / "s" / "multirun.yaml").is_file()


def test_a_job_raising_stops_the_search_after_its_batch_is_told(tmp_path):
    class FailingLauncher(StatusWritingLauncher):
        def launch(self, job_overrides, initial_job_idx):
            returns = super().launch(job_overrides, initial_job_idx)
            returns[1] = JobReturn(overrides=returns[1].overrides, status=JobStatus.FAILED,
                                   _return_value=ConfigError("optimizer.lr=5 is invalid"))
            return returns

    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2")
    search.launcher = FailingLauncher(search.config, search.config_loader)
    with pytest.raises(ConfigError, match="optimizer.lr=5 is invalid"):
        run_search(search)
    assert [t.state for t in load(tmp_path / "s").trials] == [TrialState.COMPLETE, TrialState.FAIL]


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_resume_closes_the_trials_a_killed_run_left_running(tmp_path):
    """A killed run left trials 0 (its job had finished) and 1 RUNNING in this sweep dir; trial 2 runs elsewhere."""
    sweep = tmp_path / "s"
    sweep.mkdir()
    study = optuna.create_study(study_name="hparams_random", storage=journal(sweep / "optuna.journal"),
                                direction="maximize")
    for number, (where, status) in enumerate([(sweep, "completed"), (sweep, None), (tmp_path / "other", None)]):
        trial = study.ask({"optimizer.lr": FloatDistribution(1e-3, 1.0, log=True)})
        job_dir = where / f"{number}_job"
        job_dir.mkdir(parents=True)
        if status:  # finished, then the process was killed before telling Optuna
            write_status(job_dir, status, [], {}, 0.5, 0.1)
        trial.set_user_attr("job_dir", str(job_dir))
        trial.set_user_attr("sweep_dir", str(where))
        trial.set_user_attr("worker", "a-host-that-is-gone:1")
        (job_dir / "checkpoints").mkdir()
        (job_dir / "checkpoints" / ".last.ckpt.tmp-0123456789ab").write_bytes(b"half a checkpoint")  # killed mid-write

    search = make_search(sweep, "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=3", "resume_sweep=true")
    run_search(search)
    study = load(sweep)
    # the closed trials' directories lose what their killed writes left; the live worker's trial keeps its
    assert [(where / f"{number}_job" / "checkpoints" / ".last.ckpt.tmp-0123456789ab").exists()
            for number, where in enumerate([sweep, sweep, tmp_path / "other"])] == [False, False, True]
    assert [(t.state, t.value, t.user_attrs["outcome"] if t.state.is_finished() else None) for t in study.trials][:3] \
        == [(TrialState.COMPLETE, 0.5, "completed"), (TrialState.FAIL, None, "interrupted"),
            (TrialState.RUNNING, None, None)]  # another worker's trial is left alone
    assert [t.state for t in study.trials[3:]] == [TrialState.COMPLETE] * 2  # with trials 0 and 2: four in all
    assert search.launcher.calls == [(3, 2)]


class SignalMissed(Exception):
    pass


@pytest.fixture
def sigterm_fallback():
    """While a test runs: a SIGTERM the search does not handle fails the test instead of killing pytest."""
    def fallback(signum, frame):
        raise SignalMissed("SIGTERM reached the test's fallback handler")

    previous = signal.signal(signal.SIGTERM, fallback)
    yield fallback
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_sigterm_between_trials_stops_the_search_and_tells_every_trial(tmp_path, sigterm_fallback, capsys):
    def sigterm_in_launcher(launcher, initial_job_idx):
        if initial_job_idx == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # outside any training: the search's own handler

    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=6", "hydra.sweeper.n_jobs=2",
                         on_launch=sigterm_in_launcher)
    with pytest.raises(SystemExit) as stop:
        run_search(search)
    assert stop.value.code == 128 + signal.SIGTERM
    assert [(t.state, t.user_attrs["outcome"]) for t in load(tmp_path / "s").trials] == [
        *[(TrialState.COMPLETE, "completed")] * 2, *[(TrialState.FAIL, "interrupted")] * 2]
    assert signal.getsignal(signal.SIGTERM) is sigterm_fallback  # the previous handler is back
    # the line a stopped search ends with, as a second signal's (trainlab.shell_override.continue_search_line)
    stopped, last = capsys.readouterr().err.strip().splitlines()[-2:]
    assert stopped.startswith("the search stopped with 2 of 6 trials run (2 interrupted trials do not count: ")
    assert last.startswith("Continue the search with: ")
    assert last.endswith(f"resume_sweep=true hydra.sweep.dir={tmp_path / 's'}")


def test_a_signal_while_asking_waits_until_the_batch_is_asked(tmp_path, monkeypatch, sigterm_fallback):
    asked = []

    def ask_then_signal(self, study, space):
        job = real_ask(self, study, space)
        asked.append(job.number)
        if len(asked) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # deferred: the second trial is still asked, then the search stops
        return job

    real_ask = OptunaSearch.ask
    monkeypatch.setattr(OptunaSearch, "ask", ask_then_signal)
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2")
    with pytest.raises(SystemExit):
        run_search(search)
    assert asked == [0, 1] and search.launcher.calls == []
    assert [t.state for t in load(tmp_path / "s").trials] == [TrialState.FAIL] * 2


@pytest.mark.slow  # ~9 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_finished_study_in_the_sweep_dir_is_not_extended_without_resume_sweep(tmp_path, caplog):
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2"))
    assert sorted(p.name for p in (tmp_path / "s").glob("optuna*")) == ["optuna.journal"]  # no lock left behind
    before = (tmp_path / "s" / "optuna.journal").read_bytes()
    with pytest.raises(ConfigError, match=re.escape(
            f"hydra.sweep.dir={tmp_path / 's'} already holds the study 'hparams_random' with 2 trials")):
        run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=3"))
    assert (tmp_path / "s" / "optuna.journal").read_bytes() == before  # the refusal changed nothing
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=3", "resume_sweep=true"))
    assert len(load(tmp_path / "s").trials) == 3  # one more: the study ends at n_trials in all
    record = (tmp_path / "s" / "multirun.yaml").read_bytes()
    assert b"n_trials: 3" in record
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2", "resume_sweep=true"))
    assert len(load(tmp_path / "s").trials) == 3
    # it ran nothing: the record stays the command's that ran the trials (it was rewritten with n_trials: 2)
    assert (tmp_path / "s" / "multirun.yaml").read_bytes() == record
    assert (f"study 'hparams_random' in {tmp_path / 's' / 'optuna.journal'}: 3 trials so far, hydra.sweeper.n_trials=2 "
            "reached: nothing to run (a larger n_trials continues it)") in caplog.text


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_study_goes_on_only_with_the_settings_its_trials_ran_with(tmp_path):
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "model.net.dropout=0.1", "seed=3",
                           "model.net.hidden_sizes=[100,100]"))
    recorded = load(sweep).user_attrs["settings"]
    assert recorded["model.net.dropout"] == 0.1 and recorded["seed"] == 3
    assert recorded["model.net.hidden_sizes"] == [100, 100] and recorded["data.train_size"] == 400
    assert "optimizer.lr" not in recorded and "model.weight_decay" not in recorded  # searched
    assert not any(key.startswith(("paths.", "logger")) for key in recorded)  # where things are, what is shown
    before = (sweep / "optuna.journal").read_bytes()
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "model.net.dropout=0.2", "seed=3",
                               "model.net.hidden_sizes=[100,100]", "resume_sweep=true"))
    assert str(refused.value) == (
        f"the study 'hparams_random' in {sweep / 'optuna.journal'} ran its trials with other settings than this "
        "search (model.net.dropout: 0.1 in the study, 0.2 here): they would not be comparable. allowed: the study's "
        "own settings, or a new hydra.sweep.dir for another configuration")
    assert (sweep / "optuna.journal").read_bytes() == before  # no trial asked
    # a key the trials ran fixed, searched now: a new dimension joined the study without a word
    with pytest.raises(ConfigError) as refused:
        search = make_search(sweep, "hydra.sweeper.n_trials=3", "seed=3", "model.net.hidden_sizes=[100,100]",
                             "resume_sweep=true")
        search.run([*search.config.hydra.overrides.task, "model.net.dropout=interval(0, 0.5)"])  # as -m would
    assert str(refused.value) == (
        f"the study 'hparams_random' in {sweep / 'optuna.journal'} ran its trials with model.net.dropout fixed "
        "(model.net.dropout=0.1), and this search searches model.net.dropout: the trials so far ran at that value and "
        "record no draw of it, yet the study would rank them beside trials that drew it. allowed: the study's own "
        "search space, or a new hydra.sweep.dir for a search that includes it")
    assert (sweep / "optuna.journal").read_bytes() == before
    with pytest.raises(ConfigError, match=r"\(model.net.hidden_sizes: \[100, 100\] in the study, \[100, 100, 100, 100, "
                                          r"100, 100\] here; seed: 3 in the study, 0 here\)"):
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "model.net.dropout=0.1", "resume_sweep=true"))
    # the same settings written otherwise, with where-things-are, display and speed overrides: the study goes on
    run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "++seed=3", "model.net.dropout=1e-1",
                           "model.net.hidden_sizes=[100, 100]", "resume_sweep=true",
                           "trainer.enable_progress_bar=false", f"paths.data_dir={tmp_path / 'data'}", "logger=csv",
                           "trainer.enable_model_summary=true", "optimizer.foreach=false", "data.eval_batch_size=500",
                           "trainer.log_every_n_steps=1"))
    assert len(load(sweep).trials) == 3


@pytest.mark.slow  # ~6 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_key_the_study_searched_and_this_search_fixes_is_named_as_searched_with_the_studys_space(tmp_path):
    """Fixing a searched key on resume said ``optimizer.lr: (absent) in the study, 0.01 here`` (the study did search
    it), and dropping a searched group ``optimizer._partial_: (absent) in the study, True here; ...``, naming
    neither the searched key nor how the study searched it."""
    sweep, chosen = tmp_path / "s", tmp_path / "chosen"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2"))
    first = make_search(chosen, "hydra.sweeper.n_trials=2")
    first.run([*first.config.hydra.overrides.task, "optimizer=choice(sgd,adam)"])  # as -m would
    before = (sweep / "optuna.journal").read_bytes(), (chosen / "optuna.journal").read_bytes()
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true", "optimizer.lr=0.01"))
    assert str(refused.value) == (
        f"the study 'hparams_random' in {sweep / 'optuna.journal'} searched optimizer.lr (each trial drew its own "
        "value), and this search fixes it (optimizer.lr=0.01): its trials would not be comparable with the study's. "
        "allowed: the study's own search space ('optimizer.lr=tag(log, interval(1e-06, 0.01))', as its trials drew "
        "it), or a new hydra.sweep.dir for a search with optimizer.lr fixed")
    with pytest.raises(ConfigError, match=r"searched optimizer \(each trial drew its own value\), and this search "
                                          r"fixes it \(optimizer._partial_=True, optimizer._target_='trainlab.optim."
                                          r"sgd.SGD'\).*allowed: the study's own search space \('optimizer="
                                          r"choice\(sgd,adam\)', as its trials drew it\)"):
        run_search(make_search(chosen, "hydra.sweeper.n_trials=3", "resume_sweep=true"))
    assert ((sweep / "optuna.journal").read_bytes(), (chosen / "optuna.journal").read_bytes()) == before  # none asked


def test_the_study_space_a_fixed_key_refusal_offers_is_the_one_its_latest_trials_drew(tmp_path):
    """A study whose lr range was widened on resume: fixing lr was refused offering the first trial's range (and a
    change of scale named the latest's), so a user could not tell which range to paste."""
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2"))
    widened = make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true")
    widened.run([*widened.config.hydra.overrides.task, "optimizer.lr=tag(log, interval(1e-05, 0.1))"])
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=4", "resume_sweep=true", "optimizer.lr=0.01"))
    assert "allowed: the study's own search space ('optimizer.lr=tag(log, interval(1e-05, 0.1))', as its trials " \
           "drew it)" in str(refused.value), str(refused.value)


@pytest.mark.parametrize("written", ["choice(sgd,adam)", "choice(0.1,'a b',true)", "interval(0.0, 0.5)",
                                     "tag(log, interval(1e-06, 0.01))", "tag(int, interval(2, 9))",
                                     "tag(int, log, interval(1, 64))", "range(10, 100, 10)", "range(0.1, 0.5, 0.1)"])
def test_a_distribution_is_written_back_as_the_override_that_searches_it(written):
    from trainlab.search.search_space import parse_search_space, searched_as

    distribution = parse_search_space({}, [f"x={written}"]).distributions["x"]
    assert parse_search_space({}, [searched_as("x", distribution)]).distributions["x"] == distribution


@pytest.mark.parametrize("batch_norm", ["none", "custom"])
@pytest.mark.slow  # ~5 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_study_recorded_before_batch_norm_eps_existed_goes_on_unless_its_net_has_batch_norm(tmp_path, batch_norm):
    """Its settings lack model.net.batch_norm_eps: every such study was refused ('(absent) in the study, 1e-06
    here'), also without BatchNorm, where ε acts on nothing; with BatchNorm its trials had torch's 1e-5."""
    from trainlab.search.study_settings import SETTINGS_ATTR

    sweep = tmp_path / "s"
    net = f"model.net.batch_norm={batch_norm}"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=1", net))
    study = load(sweep)
    older = {k: v for k, v in study.user_attrs[SETTINGS_ATTR].items() if k != "model.net.batch_norm_eps"}
    study.set_user_attr(SETTINGS_ATTR, older)
    resume = ["hydra.sweeper.n_trials=2", net, "resume_sweep=true"]
    if batch_norm == "none":
        run_search(make_search(sweep, *resume))
        assert len(load(sweep).trials) == 2
        return
    with pytest.raises(ConfigError, match=r"\(model.net.batch_norm_eps: 1e-05 in the study, 1e-06 here\)"):
        run_search(make_search(sweep, *resume))
    run_search(make_search(sweep, *resume, "model.net.batch_norm_eps=1e-5"))  # the value its trials had
    assert len(load(sweep).trials) == 2


@pytest.mark.slow  # ~6 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_dropping_the_progress_bar_is_no_change_of_the_studys_settings_and_a_nan_objective_is_refused(tmp_path):
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=1"))
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "callbacks.progress_bar=null", "resume_sweep=true"))
    assert len(load(sweep).trials) == 2
    with pytest.raises(ConfigError, match=r"\(objective_on_failure: 0.0 in the study, 1.0 here\)"):
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "objective_on_failure=1.0", "resume_sweep=true"))
    # NaN is no objective a trial's job takes (each refused it): refused before the search asks anything
    with pytest.raises(ConfigError, match=r"^objective_on_failure=nan is invalid; allowed: a number or null"):
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "objective_on_failure=nan", "resume_sweep=true"))
    assert len(load(sweep).trials) == 2
    assert same_setting(math.nan, math.nan) and same_setting([1.0, math.nan], [1, math.nan])  # in a journal's JSON


def test_a_searched_key_written_with_plus_is_left_out_of_the_settings():
    config = OmegaConf.create({"seed": 0, "model": {"lr": 0.1, "net": {"dropout": 0.0}}, "hydra": {"job": {}}})
    assert study_settings(config, ["++seed", "+model.lr"], []) == {"model.net.dropout": 0.0}
    assert study_settings(config, ["seed"], ["model.net"]) == {"model.lr": 0.1}
    # speed and display keys are no settings, but the number of devices is (data.batch_size is per process)
    config = OmegaConf.create({"optimizer": {"foreach": True}, "trainer": {"devices": 2, "log_every_n_steps": 5}})
    assert study_settings(config, [], []) == {"trainer.devices": 2}


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_study_made_before_settings_were_recorded_goes_on_unchecked(tmp_path, caplog):
    caplog.set_level("INFO", logger="trainlab.search.study_settings")
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=1", "seed=3"))
    older = load(sweep)
    older.set_user_attr("settings", None)  # as an older version left it: trials, no settings
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "seed=4", "resume_sweep=true"))
    assert len(load(sweep).trials) == 2
    assert "records no settings (made before they were recorded): not compared" in caplog.text


@pytest.mark.slow  # ~12 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_second_study_in_a_sweep_dir_that_holds_one_is_refused(tmp_path):
    """Its trials would land beside the first study's jobs - a trial drawing the same values was skipped as
    completed and reported the first study's objective as its own - and share summary.csv."""
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2"))
    before = (sweep / "optuna.journal").read_bytes()
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "hydra.sweeper.study_name=lossy",
                               "resume_sweep=true"))
    assert str(refused.value) == (
        f"hydra.sweep.dir={sweep} holds the study 'hparams_random' (2 trials, {sweep / 'optuna.journal'}); a second "
        "study there (hydra.sweeper.study_name=lossy) would mix its jobs, summary.csv and optimization_results.yaml "
        "with that one's - a trial drawing the same values would even be skipped as completed; nothing was changed. "
        "allowed: hydra.sweeper.study_name=hparams_random (resume_sweep=true continues it; it was drawn by "
        "RandomSampler (hydra/sweeper/optuna_sampler=random)), or a new hydra.sweep.dir for the study 'lossy'")
    assert (sweep / "optuna.journal").read_bytes() == before
    # a storage outside the sweep dirs: studies of other sweep dirs are no obstacle, one of this sweep dir is
    shared = f"hydra.sweeper.storage=journal:{tmp_path / 'shared.journal'}"
    run_search(make_search(tmp_path / "a", "hydra.sweeper.n_trials=1", shared))
    run_search(make_search(tmp_path / "b", "hydra.sweeper.n_trials=1", shared, "hydra.sweeper.study_name=other"))
    with pytest.raises(ConfigError, match=r"holds the study 'hparams_random' \(1 trials, journal:.*\); .* allowed: "
                                          r"hydra.sweeper.study_name=hparams_random \(resume_sweep=true continues "
                                          r"it; it was drawn by RandomSampler \(hydra/sweeper/optuna_sampler="
                                          r"random\)\), or a new hydra.sweep.dir with a new hydra.sweeper.study_name "
                                          r"for the study 'third'$"):
        run_search(make_search(tmp_path / "a", "hydra.sweeper.n_trials=1", shared, "hydra.sweeper.study_name=third",
                               "resume_sweep=true"))


@pytest.mark.slow  # ~8 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_another_samplers_study_in_the_sweep_dir_is_continued_by_its_option_and_a_switch_is_warned_of(tmp_path,
                                                                                                     caplog):
    """hparams_search=random resume_sweep=true on a TPE search's directory: the refusal offered only the study's name,
    which continued the TPE study drawing at random without a word."""
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra/sweeper/optuna_sampler=tpe", "hydra.sweeper.n_trials=2"))
    assert load(sweep, "hparams_tpe").user_attrs["sampler"] == {"class": "optuna.samplers.TPESampler", "option": "tpe"}
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true"))
    assert str(refused.value).endswith(
        "allowed: hydra/sweeper/optuna_sampler=tpe (resume_sweep=true continues that study with the sampler it is "
        "named after), hydra.sweeper.study_name=hparams_tpe (continues it with this search's sampler, RandomSampler "
        "(hydra/sweeper/optuna_sampler=random)), or a new hydra.sweep.dir for the study 'hparams_random'")
    with caplog.at_level(logging.WARNING):
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true",
                               "hydra.sweeper.study_name=hparams_tpe"))
    assert (f"study 'hparams_tpe' in {sweep / 'optuna.journal'} was drawn by TPESampler (hydra/sweeper/optuna_sampler="
            "tpe); this search continues it with RandomSampler (hydra/sweeper/optuna_sampler=random); "
            "hydra/sweeper/optuna_sampler=tpe draws as before") in caplog.text
    assert len(load(sweep, "hparams_tpe").trials) == 3
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run_search(make_search(sweep, "hydra/sweeper/optuna_sampler=tpe", "hydra.sweeper.n_trials=4",
                               "resume_sweep=true"))
    assert "was drawn by" not in caplog.text
    assert len(load(sweep, "hparams_tpe").trials) == 4
    assert load(sweep, "hparams_tpe").user_attrs["sampler"]["option"] == "tpe"  # the creator's record stays


@pytest.mark.parametrize(("overrides", "warned"), [
    (["optimized_metric=val/loss"], "optimized_metric=val/loss with hydra.sweeper.direction=maximize: the search "
                                    "looks for the highest loss; hydra.sweeper.direction=minimize looks for the "
                                    "lowest"),
    (["hydra.sweeper.direction=minimize", "objective_on_failure=1e9"],
     "optimized_metric=val/acc with hydra.sweeper.direction=minimize: the search looks for the lowest acc; "
     "hydra.sweeper.direction=maximize looks for the highest"),
    (["optimized_metric=val/loss", "hydra.sweeper.direction=minimize", "objective_on_failure=1e9"], None),
    (["optimized_metric=val/loss", "hydra.sweeper.direction=minimize"],
     "objective_on_failure=0.0 in a search that minimizes val/loss: a diverged or failed trial returns 0.0, which "
     "reads as the best value in the objective column of summary.csv and ranking.csv (ranking.csv lists such trials "
     "last; the study records them as failed); objective_on_failure=1e9 reads as the worst"),
    ([], None),
])
def test_a_direction_against_the_metric_is_warned_of(tmp_path, caplog, overrides, warned):
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=1", *overrides))
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith(("optimized_metric=",
                                                                                      "objective_on_failure="))]
    assert warnings == ([warned] if warned else [])


@pytest.mark.slow  # ~6 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_direction_must_match_the_stored_study(tmp_path):
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=1"))
    with pytest.raises(ConfigError, match="hydra.sweeper.direction=minimize: the study 'hparams_random' in .* was "
                                          "created to maximize; allowed: maximize, or a new hydra.sweep.dir for a "
                                          "search that minimizes"):
        run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2", "hydra.sweeper.direction=minimize",
                    "resume_sweep=true"))


# ---- search space, sampler, storage: their contracts and errors ---------------------------------------------------
def test_search_space_forms():
    space = parse_search_space(
        {"optimizer.lr": "tag(log, interval(1e-6, 1e-2))", "model.net.dropout": "interval(0, 0.5)",
         "data.batch_size": "tag(int, log, interval(16, 256))", "trainer.max_epochs": "range(2, 11, 4)",
         "optimizer": "choice(sgd, adam)", "init": "he,xavier", "seed": "3"},
        ["model.net.activation=relu,tanh", "optimizer=adam"])
    assert space.distributions == {
        "optimizer.lr": FloatDistribution(1e-6, 1e-2, log=True), "model.net.dropout": FloatDistribution(0.0, 0.5),
        "data.batch_size": IntDistribution(16, 256, log=True), "trainer.max_epochs": IntDistribution(2, 10, step=4),
        "init": CategoricalDistribution(["he", "xavier"]),
        "model.net.activation": CategoricalDistribution(["relu", "tanh"])}
    assert space.fixed == ["optimizer=adam", "seed=3"]  # the command line replaced the config's entry
    assert space.trial_overrides({"optimizer.lr": 0.001, "init": "he", "x": "1 2", "y": "null", "z": None}) == [
        "optimizer=adam", "seed=3", "optimizer.lr=0.001", "init=he", "x='1 2'", "y='null'", "z=null"]


@pytest.mark.parametrize("entry,problem", [
    ("intervl(1, 2)", "HydraException while evaluating 'intervl(1, 2)': Unknown function 'intervl'"),
    ("interval(1e-4)", "TypeError while evaluating 'interval(1e-4)': missing a required argument: 'end'"),
    ("interval(2, 1)", "the interval's start 2.0 is not below its end 1.0"),
    ("tag(log, interval(0, 1))", "a log interval needs a start > 0, got 0.0"),
    ("tag(lg, interval(1, 2))", "unknown tag lg (interval tags: log, int)"),
    ("tag(int, interval(1.5, 3))", "tag(int, ...) needs whole-number bounds, got 1.5 and 3.0"),
    ("range(5, 1)", "range(5, 1, 1) is empty"),
    # Hydra's step is 1: the float range held its start alone, and every trial ran with it (exit 0)
    ("range(0.001, 0.01)", "range(0.001, 0.01, 1) holds one value (0.001): nothing to search; every value between "
                           "them is interval(0.001, 0.01), and a range needs a step that fits"),
    ("range(3, 4)", "range(3, 4, 1) holds one value (3): nothing to search"),
    ("choice([1, 2], [3])", "choice elements must be single values (str, int, float, bool, null), not [1, 2]"),
    ("glob(*)", "optimizer.lr is no config group, and glob() picks among a config group's options"),
])
def test_malformed_search_space_entries_name_the_key_and_the_allowed_forms(entry, problem):
    with pytest.raises(ConfigError) as error:
        parse_search_space({"optimizer.lr": entry})
    message = str(error.value)
    assert message.startswith(f"hydra.sweeper.params.optimizer.lr={entry}: ")
    assert problem in message
    assert message.endswith("; allowed: interval(a, b), tag(log, interval(a, b)), tag(int, interval(a, b)), "
                            "range(start, stop[, step]), choice(x, y, ...) or x,y,... of single values, glob(pattern) "
                            "of a config group's options, or one value (fixed)")


@pytest.mark.parametrize("node,message", [
    ({"_target_": "optuna.samplers.Nope"}, "hydra.sweeper.sampler._target_=optuna.samplers.Nope: not an importable "
                                           "class"),
    ({"_target_": "optuna.pruners.MedianPruner"}, "hydra.sweeper.sampler._target_=optuna.pruners.MedianPruner: "
                                                  "not an Optuna sampler"),
    ({"_target_": "optuna.samplers.TPESampler", "n_startup": 3}, "hydra.sweeper.sampler.n_startup: not an argument "
                                                                 "of TPESampler; allowed: consider_prior, "),
    ({"_target_": "optuna.samplers.RandomSampler", "seed": "x"}, "hydra.sweeper.sampler.seed='x' is invalid; allowed: "
                                                                 "an integer, or null (unseeded)"),
    ({"seed": 1}, "hydra.sweeper.sampler: no _target_"),
    # a preset's name, or anything else that is no node, where the node goes (tracebacks before)
    ("tpe", "hydra.sweeper.sampler='tpe' is not a sampler's settings (a node {_target_: ..., ...}); a sampler is "
            "chosen with hydra/sweeper/optuna_sampler=tpe; allowed: "),
    (5, "hydra.sweeper.sampler=5 is not a sampler's settings (a node {_target_: ..., ...}); a sampler is chosen "
        "with hydra/sweeper/optuna_sampler=<preset>; allowed: "),
    # the tpe preset's arguments stay when _target_ names another class
    ({"_target_": "optuna.samplers.NSGAIISampler", "seed": None, "n_startup_trials": 10},
     "hydra.sweeper.sampler.n_startup_trials: not an argument of NSGAIISampler; allowed: population_size, "),
    # the types the class annotates (Optuna checks none of them: abc failed at the first trial it sampled, with the
    # study left behind; maybe counted as true)
    ({"_target_": "optuna.samplers.TPESampler", "n_startup_trials": "abc"},
     "hydra.sweeper.sampler.n_startup_trials='abc' is invalid; allowed: an integer (TPESampler's n_startup_trials: "
     "int)"),
    ({"_target_": "optuna.samplers.TPESampler", "multivariate": "maybe"},  # annotated bool before Optuna 5
     ("hydra.sweeper.sampler.multivariate='maybe' is invalid; allowed: true or false or null (TPESampler's "
      "multivariate: bool | None)",
      "hydra.sweeper.sampler.multivariate='maybe' is invalid; allowed: true or false (TPESampler's multivariate: "
      "bool)")),
    ({"_target_": "optuna.samplers.TPESampler", "n_startup_trials": None},  # written as typed, not None
     "hydra.sweeper.sampler.n_startup_trials=null is invalid; allowed: an integer (TPESampler's n_startup_trials: "
     "int)"),
    ({"_target_": "optuna.samplers.CmaEsSampler", "popsize": "abc"},
     "hydra.sweeper.sampler.popsize='abc' is invalid; allowed: an integer or null (CmaEsSampler's popsize: "
     "int | None)"),
])
def test_sampler_errors(node, message):
    with pytest.raises(ConfigError) as error:
        build_sampler(node)
    assert str(error.value).startswith(message)
    assert "allowed:" in str(error.value)


def test_a_preset_argument_another_class_does_not_take_says_how_to_drop_it():
    with pytest.raises(ConfigError) as error:
        build_sampler({"_target_": "optuna.samplers.NSGAIISampler", "seed": None, "n_startup_trials": 10})
    assert str(error.value).endswith(
        "; remove it with ~hydra.sweeper.sampler.n_startup_trials, or start from hydra/sweeper/optuna_sampler=random "
        "(whose preset sets only seed) when _target_ names another class")


def test_an_experimental_sampler_is_said_once_as_a_line_not_as_a_warning_with_its_source(caplog):
    import warnings

    from trainlab.search import sampler_factory

    caplog.set_level(logging.INFO)
    sampler_factory.SAID_EXPERIMENTAL.discard("QMCSampler")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna's ExperimentalWarning, printed with `return self.cls(**arguments)`
        build_sampler({"_target_": "optuna.samplers.QMCSampler", "seed": 1})
        build_sampler({"_target_": "optuna.samplers.QMCSampler", "seed": 2})
    assert caplog.text.count("QMCSampler is experimental in Optuna") == 1


def test_cma_es_over_a_choice_says_once_that_it_draws_the_choice_at_random(caplog):
    from trainlab.search.optuna_search import quiet_independent_sampling
    from trainlab.search.sampler_factory import sampler_spec

    caplog.set_level(logging.INFO)
    space = parse_search_space({"optimizer.lr": "interval(0.001, 0.1)", "init": "choice(he, xavier)"})
    spec = quiet_independent_sampling(sampler_spec({"_target_": "optuna.samplers.CmaEsSampler", "seed": 1}), space)
    assert spec.arguments["warn_independent_sampling"] is False  # Optuna warned at every trial (100 lines in I)
    assert "CmaEsSampler draws init at random, each trial on its own" in caplog.text
    chosen = sampler_spec({"_target_": "optuna.samplers.CmaEsSampler", "warn_independent_sampling": True})
    assert quiet_independent_sampling(chosen, space).arguments["warn_independent_sampling"] is True  # the config's
    numbers = parse_search_space({"optimizer.lr": "interval(0.001, 0.1)"})
    tpe = sampler_spec({"_target_": "optuna.samplers.TPESampler"})
    assert quiet_independent_sampling(tpe, space) is tpe
    assert "warn_independent_sampling" not in quiet_independent_sampling(
        sampler_spec({"_target_": "optuna.samplers.CmaEsSampler"}), numbers).arguments


def test_any_optuna_sampler_by_target():
    for target in ("GPSampler", "CmaEsSampler", "QMCSampler", "NSGAIISampler"):
        sampler = build_sampler({"_target_": f"optuna.samplers.{target}", "seed": 3})
        assert str(sampler) == f"{target}(seed=3 + first trial number)"
    tpe = build_sampler({"_target_": "optuna.samplers.TPESampler", "multivariate": True, "constant_liar": True,
                         "n_startup_trials": 5})
    assert isinstance(tpe, optuna.samplers.TPESampler)  # unseeded: the class itself
    # an integer is a float argument's number too (NSGA-II's crossover_prob; TPE's prior_weight is deprecated)
    nsga = build_sampler({"_target_": "optuna.samplers.NSGAIISampler", "crossover_prob": 1, "population_size": 4})
    assert isinstance(nsga, optuna.samplers.NSGAIISampler)


def test_storage_forms_and_errors(tmp_path):
    default = open_storage(None, tmp_path)
    assert isinstance(default.storage, optuna.storages.JournalStorage) and default.in_sweep_dir
    assert default.description == str(tmp_path / "optuna.journal") and (tmp_path / "optuna.journal").is_file()
    journal = open_storage(f"journal:{tmp_path / 'study.log'}", tmp_path)
    assert isinstance(journal.storage, optuna.storages.JournalStorage) and not journal.in_sweep_dir
    assert (tmp_path / "study.log").is_file()
    missing = tmp_path / "no" / "such" / "dir"
    for spec, what, cause in [
            (f"sqlite:///{missing}/x.db", f"no directory {missing} for the database file", f"mkdir -p {missing}"),
            ("nosuchdb://user:secret@host/db", "cannot open", "Can't load plugin: sqlalchemy.dialects:nosuchdb"),
            (f"journal:{missing}/x.log", f"no directory {missing} for the journal file", f"mkdir -p {missing}"),
            (None, "cannot open", f"No such file or directory: {missing}/optuna.journal")]:
        with pytest.raises(ConfigError) as error:
            open_storage(spec, missing)
        message = str(error.value)
        named = "null" if spec is None else spec.replace("secret", "***")
        assert message.startswith(f"hydra.sweeper.storage={named}: {what}")
        assert cause in message and "secret" not in message
        assert "; allowed: " in message and message.endswith(
            "null (<hydra.sweep.dir>/optuna.journal), an RDB URL (sqlite:///file.db, postgresql://user:pass@host/db, "
            "mysql+pymysql://user:pass@host/db) or journal:<file>")



def test_a_search_whose_every_trial_would_be_refused_is_refused_before_its_study_exists(tmp_path):
    """A callback watching a metric the runs do not log: each trial's job refused it, once the search had asked its
    first batch into a new study (an optuna.journal of trials that never ran)."""
    search = make_search(tmp_path / "s", "callbacks=early_stopping", "callbacks.early_stopping.monitor=val/accc")
    with pytest.raises(ConfigError, match=r"^callbacks.early_stopping.monitor='val/accc' is not a metric this run "
                                          r"logs; allowed: one of val/loss, val/acc, val/acc_best"):
        run_search(search)
    assert search.launcher.calls == [] and not (tmp_path / "s").exists()


@pytest.mark.slow  # ~3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_monitor_that_a_searched_key_makes_logged_is_left_to_the_trials(tmp_path):
    """model.weight_decay searched from 1e-8 up: every trial logs train/weight_penalty, which the configured
    weight decay of 0 does not - the check before the study counts the searched key as > 0."""
    from trainlab.config_validation import validate_config
    from trainlab.job_view import job_view

    overrides = ["callbacks=early_stopping", "callbacks.early_stopping.monitor=train/weight_penalty"]
    search = make_search(tmp_path / "s", *overrides)
    with job_view(search.config_loader.load_sweep_config(search.config, overrides), str(tmp_path)) as task:
        with pytest.raises(ConfigError, match="train/weight_penalty' is not a metric this run logs"):
            validate_config(task, machine=False)  # a run with the configured λ = 0 indeed logs no penalty
        validate_config(task, machine=False, searched={"model.weight_decay": None})
        validate_config(task, machine=False, searched={"callbacks.early_stopping.monitor": None})  # the trials' own
    run_search(make_search(tmp_path / "s", *overrides, "hydra.sweeper.n_trials=2"))  # the search runs
    assert [t.state for t in load(tmp_path / "s").trials] == [TrialState.COMPLETE] * 2

@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_sweep_dir_with_the_sqlite_study_of_an_earlier_version_keeps_using_it(tmp_path):
    """Sweep dirs written before the journal became the default hold optuna.db: resume_sweep=true continues it."""
    sweep = tmp_path / "s"
    sweep.mkdir()
    earlier = optuna.create_study(study_name="hparams_random", storage=f"sqlite:///{sweep / 'optuna.db'}",
                                  direction="maximize")
    trial = earlier.ask({"optimizer.lr": FloatDistribution(1e-3, 1.0, log=True)})
    earlier.tell(trial, 0.25)
    opened = open_storage(None, sweep)
    assert isinstance(opened.storage, optuna.storages.RDBStorage) and opened.in_sweep_dir
    assert opened.description == str(sweep / "optuna.db")
    opened.close()
    run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true"))
    study = optuna.load_study(study_name="hparams_random", storage=f"sqlite:///{sweep / 'optuna.db'}")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3 and study.trials[0].value == 0.25
    assert not (sweep / "optuna.journal").exists()


def test_the_package_depends_on_current_optuna_not_hydra_optuna_sweeper():
    requirements = importlib.metadata.requires("trainlab")
    assert not [r for r in requirements if r.startswith("hydra-optuna-sweeper")]
    assert "optuna>=4.8" in requirements  # pyproject.toml: GPSampler's batches
    assert int(optuna.__version__.split(".")[0]) >= 4


# ---- train.py: a real search (in-process), signals, two processes, one-line errors --------------------------------
SMALL = ["test=false", "trainer.max_epochs=1", "data.train_size=100", "data.val_size=50", "data.batch_size=10",
         "optimizer.lr=tag(log, interval(1e-2, 0.2))", "trainer.enable_progress_bar=false"]


def train_command(data_dir: Path, *args: str) -> list[str]:
    # -m: the search's own `hydra.mode: MULTIRUN` is not known yet when composing fails
    return [sys.executable, str(ROOT / "train.py"), "-m", "data.source=bundled", f"paths.data_dir={data_dir}", *SMALL,
            *args]


def run(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(train_command(data_dir, *args), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def read_csv(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow  # ~2.5-3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_tpe_search_stores_every_trial_and_its_best_matches_the_results_files(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *SMALL, "hparams_search=tpe", "hydra.sweeper.n_trials=4",
                              "hydra.sweeper.n_jobs=2", "hydra.sweeper.sampler.n_startup_trials=2",
                              "hydra.sweeper.sampler.constant_liar=true", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    study = optuna.load_study(study_name="hparams_tpe", storage=journal(sweep / "optuna.journal"))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    for trial in study.trials:  # parameters and value as the job saw and returned them
        job_dir = Path(trial.user_attrs["job_dir"])
        assert job_dir.name.startswith(f"{trial.number}_")
        status = read_status(job_dir)
        assert trial.value == status["objective"] == status["metrics"]["val/acc"]
        assert {f"{key}={value!r}" for key, value in trial.params.items()} <= set(status["overrides"])
        assert list(job_dir.glob("events.out.tfevents.*"))  # its TensorBoard run
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    ranking = read_csv(sweep / "ranking.csv")
    assert len(ranking) == 4
    best = study.trials[results["best_trial"]]
    assert best.value == max(t.value for t in study.trials) == results["best_value"]
    assert best.params == results["best_params"]
    assert ranking[0]["job"] == Path(results["best_job"]).name
    assert float(ranking[0]["objective"]) == results["best_value"]
    assert "top20_trials" in build_report(sweep)  # trainlab report draws experiment I's grid


@pytest.mark.slow  # three train.py processes in a row (~25 s); test_sigterm_between_trials_... is the fast check
def test_a_search_stopped_by_sigterm_then_killed_resumes_to_n_trials(data_dir, tmp_path):
    """n_jobs=2, n_trials=3. Run 1: job 1 gets SIGTERM -> exit 143, trial 0 complete, trial 1 interrupted.
    Run 2 (resume): job 2 gets SIGKILL -> trials 2 and 3 left RUNNING. Run 3 (resume): they are closed as
    interrupted and trials 4, 5 complete the study. No job directory is used twice; finished ones are untouched."""
    sweep = tmp_path / "sweep"
    args = ["hparams_search=random", "hydra.sweeper.n_trials=3", "hydra.sweeper.n_jobs=2", f"hydra.sweep.dir={sweep}",
            "+callbacks.s={_target_:signal_in_job.SignalInJob}"]
    # this checkout's trainlab, also where the environment's editable install is another checkout's
    env = {"PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT / "src")]),
           "TRAINLAB_TEST_SIGNALS": "1:SIGTERM,2:SIGKILL"}

    def study_states():
        study = load(sweep)
        return [(t.state, t.user_attrs.get("outcome")) for t in study.trials]

    first = run(data_dir, *args, env=env)
    assert first.returncode == 128 + signal.SIGTERM, first.stderr[-3000:]
    stopped, last = first.stderr.strip().splitlines()[-2:]
    assert first.stderr.count("resume_sweep=true") == 1  # the search's line alone: its stopped trial printed none
    assert stopped == ("the search stopped with 1 of 3 trials run (1 interrupted trial does not count: the search "
                       "asks new trials in their place, which train from the start - a search resumes no trial).")
    # the search's own command: its task overrides, then its hydra.* ones, then the resume
    assert last.startswith("Continue the search with: python train.py -m ")
    assert " hparams_search=random '+callbacks.s={_target_:signal_in_job.SignalInJob}' " in last
    assert last.endswith(f" hydra.sweeper.n_trials=3 hydra.sweeper.n_jobs=2 resume_sweep=true hydra.sweep.dir={sweep}")
    assert study_states() == [(TrialState.COMPLETE, "completed"), (TrialState.FAIL, "interrupted")]  # none RUNNING
    (job_0,) = sweep.glob("0_*")
    finished = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in job_0.rglob("*") if p.is_file()}
    assert read_status(next(sweep.glob("1_*")))["status"] == "interrupted"

    killed = run(data_dir, *args, "resume_sweep=true", env=env)
    assert killed.returncode == -signal.SIGKILL
    assert study_states()[2:] == [(TrialState.RUNNING, None)] * 2

    resumed = run(data_dir, *args, "resume_sweep=true", env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert study_states() == [(TrialState.COMPLETE, "completed"), *[(TrialState.FAIL, "interrupted")] * 3,
                              *[(TrialState.COMPLETE, "completed")] * 2]
    job_dirs = sorted(p.name.split("_")[0] for p in sweep.iterdir() if p.is_dir())
    assert job_dirs == ["0", "1", "2", "4", "5"]  # trial 3 never started; every number once
    killed_job = read_status(next(sweep.glob("2_*")))  # written by the resume: the killed job is in the tables
    assert killed_job["status"] == "interrupted" and "killed?" in killed_job["error"]
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in job_0.rglob("*") if p.is_file()} == finished
    assert not list(job_0.glob("attempts"))
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["trials"]["completed"] == 3 and results["trials"]["interrupted"] == 3
    ranking = read_csv(sweep / "ranking.csv")
    assert [r["status"] for r in ranking][:3] == ["completed"] * 3
    assert float(ranking[0]["objective"]) == results["best_value"]


@pytest.mark.slow  # two train.py processes (~20 s); test_a_worker_joining_a_study_... is the fast check
def test_two_processes_share_one_study(data_dir, tmp_path):
    """Two workers, one journal file, the same study and seed: n_trials in all, each trial once, new draws each.
    A barrier holds each worker's first trial until the other has one too, so they do overlap. Each worker asks two
    trials per batch: a worker that starts late still finds slots left (the experiment's n_jobs=100 let the first
    worker ask all four, and the second then found none and left the first waiting at the barrier)."""
    journal = tmp_path / "study.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": JOB_PYTHONPATH,
           "TRAINLAB_TEST_BARRIER": f"{tmp_path / 'barrier'}:2"}
    workers = [
        subprocess.Popen(train_command(data_dir, "hparams_search=random", "hydra.sweeper.n_trials=4",
                                       f"hydra.sweeper.storage=journal:{journal}", "hydra.sweeper.study_name=shared",
                                       "hydra.sweeper.n_jobs=2", f"hydra.sweep.dir={tmp_path / name}",
                                       "+callbacks.b={_target_:study_barrier.WaitForWorkers}"),
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")]
    try:
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:  # a worker left running would hold its files and a core for the rest of the test session
        for worker in workers:
            worker.kill()
    assert [w.returncode for w in workers] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
    study = optuna.load_study(study_name="shared", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))))
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 4
    assert all(t.user_attrs["outcome"] == "surplus" for t in study.trials if t.state != TrialState.COMPLETE)
    assert len({t.user_attrs["worker"] for t in complete}) == 2  # both workers ran trials
    job_dirs = [p for name in ("a", "b") for p in (tmp_path / name).iterdir() if p.is_dir()]
    assert sorted(int(p.name.split("_")[0]) for p in job_dirs) == sorted(t.number for t in complete)
    for trial in complete:
        assert Path(trial.user_attrs["job_dir"]).parent == Path(trial.user_attrs["sweep_dir"])
        assert read_status(trial.user_attrs["job_dir"])["objective"] == trial.value
    assert len({t.params["optimizer.lr"] for t in complete}) == 4


@pytest.mark.parametrize("override,message", [
    ("hydra/sweeper/optuna_sampler=sobol", "error: hydra/sweeper/optuna_sampler=sobol: no option 'sobol' in config "
                                           "group hydra/sweeper/optuna_sampler; allowed: cmaes, gp, qmc, random, tpe"),
    ("hydra.sweeper.sampler._target_=optuna.samplers.Sobol", "error: hydra.sweeper.sampler._target_="
                                                             "optuna.samplers.Sobol: not an importable class"),
    ("model.weight_decay=interval(1e-4,1e-5)", "error: model.weight_decay=interval(1e-4,1e-5): the interval's start "
                                               "0.0001 is not below its end 1e-05; allowed: interval(a, b), "),
    # SQLite's own word was "OperationalError: unable to open database file", naming no directory
    ("hydra.sweeper.storage=sqlite:////nonexistent/dir/study.db", "error: hydra.sweeper.storage=sqlite:////"
                                                                  "nonexistent/dir/study.db: no directory "
                                                                  "/nonexistent/dir for the database file (SQLite "
                                                                  "does not make one); allowed: an existing directory "
                                                                  "(mkdir -p /nonexistent/dir), or null"),
    ("hydra.sweeper.direction=max", "error: hydra.sweeper.direction=max is invalid; allowed: maximize, minimize"),
    # no node where the sampler's and the space's go (tracebacks before, exit 1)
    ("hydra.sweeper.sampler=tpe", "error: hydra.sweeper.sampler='tpe' is not a sampler's settings"),
    ("hydra.sweeper.params=abc", "error: hydra.sweeper.params='abc' is not a mapping of keys to search; allowed: e.g. "
                                 "on the command line: python train.py hparams_search=tpe 'optimizer.lr=tag(log, "
                                 "interval(1e-4, 1e-1))', or in an hparams_search config: "),
    ("optimizer.lr=range(0.001,0.01)", "error: optimizer.lr=range(0.001,0.01): range(0.001, 0.01, 1) holds one value"),
    # a sweep function Hydra's grammar cannot call: Hydra's raw parse error named neither the allowed forms
    ("optimizer.lr=interval(0.1)", "error: optimizer.lr=interval(0.1): TypeError while evaluating 'interval(0.1)': "
                                   "missing a required argument: 'end'; allowed: interval(a, b), "),
    ("optimizer.lr=intervall(0.1,0.2)", "error: optimizer.lr=intervall(0.1,0.2): HydraException while evaluating "
                                        "'intervall(0.1,0.2)': Unknown function 'intervall'; allowed: "),
    ("hydra.sweeper.storage=optuna.journal", "error: hydra.sweeper.storage=optuna.journal is no database URL "
                                             "(<dialect>://...) and no journal (journal:<file>); did you mean "
                                             "hydra.sweeper.storage=journal:optuna.journal? allowed: "),
    ("hydra.sweeper.storage=study.db", "error: hydra.sweeper.storage=study.db is no database URL (<dialect>://...) "
                                       "and no journal (journal:<file>); did you mean "
                                       "hydra.sweeper.storage=sqlite:///study.db? allowed: "),
    ("hydra.sweeper.study_name=null", "error: hydra.sweeper.study_name=null is invalid; allowed: a string"),
    ("data.batch_size=interval(10,100)", "error: the search space reaches a value its key does not take: "
                                         "data.batch_size=10.0 is invalid; allowed: an integer >= 1; for whole "
                                         "numbers: data.batch_size=tag(int, interval(10, 100))"),
    ("optimizer.lr=interval(-1,1)", "error: the search space reaches a value its key does not take: "
                                    "optimizer.lr=-1.0 is invalid; allowed: a finite number >= 0.0"),
    # status/diverged is reported (bookkeeping) but not offered
    ("optimized_metric=val/accuracy", "error: optimized_metric='val/accuracy' is not a metric the trials report; "
                                      "allowed: one of val/loss, val/acc, val/acc_best, train/acc, train/loss, "
                                      "train/weight_penalty, train/total_loss; did you mean val/acc?"),
])
def test_bad_search_settings_fail_in_one_line_before_any_trial(override, message, train_in_process, tmp_path):
    result = train_in_process("-m", *SMALL, "hparams_search=tpe", f"hydra.sweep.dir={tmp_path / 'sweep'}", override)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1].startswith(message)
    if override.startswith("optimized_metric="):  # not "or optimized_metric=null": a search needs an objective
        assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.stderr and "Error getting class" not in result.stdout + result.stderr
    assert not list(tmp_path.rglob("status.json")) and not list(tmp_path.rglob("*.tfevents.*"))
    assert not list(tmp_path.rglob("optuna.journal"))  # refused before the study's file is made


@pytest.mark.parametrize("overrides, refusal", [
    (["data.train_size=choice(400, 100000)"],
     "(optimizer.lr=0.01 model.weight_decay=0.0001 data.train_size=100000): data.train_size=100000 + "
     "data.val_size=100 do not fit the bundled training pool of 4500 images"),
    (["trainer.max_steps=tag(int, interval(1, 40))"],
     "(optimizer.lr=1e-06 model.weight_decay=1e-08 trainer.max_steps=1): optimized_metric='val/acc' is computed by "
     "validation"),
    (["optimizer=null", "+optimizer._target_=own_optimizers.BetaSGD", "+optimizer._partial_=true",
      "+optimizer.lr=0.1", "+optimizer.beta=interval(0.5, 1.5)"],
     "(model.weight_decay=0.0001 +optimizer.beta=1.5): optimizer.beta=1.5 is invalid; own_optimizers.BetaSGD raised "
     "ValueError: beta=1.5 must be in [0, 1)"),
])
def test_a_trial_at_the_ends_of_the_space_that_its_checks_refuse_is_refused_before_the_study(
        train_in_process, tmp_path, overrides, refusal):
    """Found by the first trial that drew such a value, after the study was made: its trials were told
    "interrupted", and the corrected command was refused for the study they left (``already holds the study
    'hparams_random' with 2 trials``)."""
    sweep = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "trainer.max_epochs=1",
                              *overrides, f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: the search space reaches a trial its checks refuse {refusal}")
    assert not sweep.exists() and "interrupted" not in result.stdout + result.stderr


def test_a_search_value_hydra_cannot_evaluate_is_one_line_naming_the_override_and_the_allowed_forms(
        train_in_process, tmp_path):
    """``'optimizer.lr=interval(0.1)'`` gave Hydra's parse error ("cannot parse the override ...: Error parsing
    override ... See https://hydra.cc/...") without the forms a search takes, which its other malformed values list."""
    result = train_in_process("hparams_search=tpe", "hydra.sweeper.n_trials=2", "trainer.max_epochs=1",
                              f"hydra.sweep.dir={tmp_path / 'E'}", "optimizer.lr=interval(0.1)")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: optimizer.lr=interval(0.1): TypeError while evaluating 'interval(0.1)': missing a required argument: "
        f"'end'; allowed: {ALLOWED_FORMS}"]
    assert not (tmp_path / "E").exists()


def test_a_basic_sweeps_unparsable_sweep_value_keeps_hydras_message(train_in_process, tmp_path):
    """The search's forms are no way out of a basic sweep (no interval there): its line stays Hydra's."""
    result = train_in_process("-m", f"hydra.sweep.dir={tmp_path / 'E'}", "optimizer.lr=interval(0.1)")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: cannot parse the override 'optimizer.lr=interval(0.1)': ")
    assert "allowed" not in line


def test_a_trial_told_by_its_storage_id_gets_its_outcome_and_a_finished_trial_keeps_the_first(tmp_path, caplog):
    from trainlab.search.trial_outcome import OUTCOME_ATTR, TrialOutcome, tell_outcome

    storage = open_storage(None, tmp_path).storage  # the default journal file
    study = optuna.create_study(storage=storage, study_name="ids", direction="maximize")
    asked = [study.ask() for _ in range(3)]
    tell_outcome(study, asked[1]._trial_id, TrialOutcome("completed", 0.75))
    tell_outcome(study, asked[2]._trial_id, TrialOutcome("diverged"))
    tell_outcome(study, asked[1]._trial_id, TrialOutcome("failed"))  # already finished: kept as it was
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.RUNNING, TrialState.COMPLETE, TrialState.FAIL]
    assert trials[1].value == 0.75 and trials[1].user_attrs[OUTCOME_ATTR] == "completed"
    assert trials[2].user_attrs[OUTCOME_ATTR] == "diverged"
    assert "trial 1 was already finished (COMPLETE); keeping that" in caplog.text


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_resume_with_a_space_the_study_cannot_go_on_with_is_one_line_and_leaves_no_trial_running(
        train_in_process, tmp_path):
    sweep_dir = tmp_path / "search"
    base = ["hparams_search=random", "hydra.sweeper.n_jobs=2", "trainer.max_epochs=1", f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*base, "hydra.sweeper.n_trials=2").returncode == 0
    changed = train_in_process(*base, "hydra.sweeper.n_trials=4", "optimizer.lr=interval(0.5, 0.9)",
                               "resume_sweep=true")  # the study searched lr on a log scale
    assert changed.returncode == 2
    last = changed.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: optimizer.lr: the study in {sweep_dir / 'optuna.journal'} searched it as "
                           "FloatDistribution(high=0.01, log=True, low=1e-06")
    assert "allowed: the study's own search space, or a new hydra.sweep.dir" in last
    study = optuna.load_study(study_name="hparams_random", storage=open_storage(None, sweep_dir).storage)
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 2  # no trial asked, none RUNNING
    widened = train_in_process(*base, "hydra.sweeper.n_trials=3", "optimizer.lr=tag(log, interval(1e-6, 1e-1))",
                               "resume_sweep=true")  # the same kind of range, wider: Optuna goes on, with a warning
    assert widened.returncode == 0, widened.stderr[-3000:]
    assert ("optimizer.lr: the study in " f"{sweep_dir / 'optuna.journal'} searched it as FloatDistribution(high=0.01, "
            "log=True, low=1e-06, step=None), this search as FloatDistribution(high=0.1, log=True, low=1e-06, "
            "step=None): the trials from here on are drawn from the new space") in widened.stdout + widened.stderr


def test_a_search_into_a_directory_that_holds_another_sweeps_jobs_but_no_study_is_refused(tmp_path):
    """resume_sweep=true into a grid sweep's directory (its multirun.yaml gone or not) started a study there and
    mixed the search's trials with the grid's jobs in one summary.csv."""
    sweep = tmp_path / "grid"
    job = sweep / "0_optimizer=adam"
    (job / ".hydra").mkdir(parents=True)
    (job / "status.json").write_text('{"status": "completed"}')
    with pytest.raises(ConfigError) as refused:
        run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "resume_sweep=true"))
    assert str(refused.value) == (
        f"hydra.sweep.dir={sweep} holds 1 job of another sweep (0_optimizer=adam, ...) but no study "
        f"'hparams_random' in {sweep / 'optuna.journal'}: this search's trials would land beside them and share "
        "their summary.csv; nothing was changed. allowed: the storage and study_name of the search that ran there "
        "(resume_sweep=true continues it), or a new hydra.sweep.dir for this search")
    assert sorted(path.name for path in sweep.iterdir()) == ["0_optimizer=adam"]  # no journal file left behind


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_study_recorded_by_an_earlier_version_is_compared_without_the_keys_that_are_no_settings_now(tmp_path):
    """An earlier version recorded speed and display keys (optimizer.foreach, data.eval_batch_size, ...) as settings:
    its study was refused for keys this version ignores."""
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra.sweeper.n_trials=1"))
    older = load(sweep)
    older.set_user_attr("settings", {**older.user_attrs["settings"], "optimizer.foreach": False,
                                     "data.eval_batch_size": 4096, "trainer.log_every_n_steps": 50})
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "resume_sweep=true"))
    assert len(load(sweep).trials) == 2
    older.set_user_attr("settings", {**load(sweep).user_attrs["settings"], "model.net.dropout": 0.5})
    with pytest.raises(ConfigError, match=r"\(model.net.dropout: 0.5 in the study, 0.0 here\)"):  # a setting still
        run_search(make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true"))


@pytest.mark.parametrize("sampler", ["gp", "cmaes", "qmc", "tpe"])
def test_the_tpe_search_takes_any_sampler_preset_and_tpe_keeps_its_batch_settings(tmp_path, sampler):
    """hparams_search=tpe set constant_liar for TPE: another sampler refused an argument the user never wrote."""
    config, _ = compose_search(tmp_path, "hparams_search=tpe", f"hydra/sweeper/optuna_sampler={sampler}")
    built = build_sampler(config.hydra.sweeper.sampler)
    assert str(built).startswith(f"{config.hydra.sweeper.sampler._target_.rsplit('.', 1)[1]}(seed=1234")
    if sampler == "tpe":
        tpe = config.hydra.sweeper.sampler
        assert tpe.constant_liar is True and tpe.n_startup_trials == 10


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_cmaes_search_on_the_random_preset_draws_from_its_model_and_is_named_after_it(tmp_path, caplog):
    """hparams_search=random hydra/sweeper/optuna_sampler=cmaes asked all trials in one batch (n_jobs: 100), so
    CMA-ES drew them all with its independent sampler: the random search's parameters, in a study 'hparams_random'."""
    caplog.set_level("INFO", logger="trainlab.search.optuna_search")
    search = make_search(tmp_path / "s", "hydra/sweeper/optuna_sampler=cmaes", "+hydra.sweeper.sampler.popsize=4",
                         "hydra.sweeper.n_trials=6")
    run_search(search)
    assert search.launcher.calls == [(0, 1), (1, 4), (5, 1)]  # the start-up trial, then one generation a batch
    study = load(tmp_path / "s", "hparams_cmaes")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    generations = [t.system_attrs.get("cma:generation") for t in study.trials]
    assert generations == [None, 0, 0, 0, 0, 1]  # CMA-ES drew every trial after the first; 1 learnt from 0
    assert "(a first batch of 1, then batches of 4 by hydra.sweeper.n_jobs=auto)" in caplog.text
    assert "WARNING" not in caplog.text


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_explicit_n_jobs_of_one_batch_with_a_model_sampler_warns_before_the_first_trial(tmp_path, caplog):
    search = make_search(tmp_path / "s", "hparams_search=tpe", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=100",
                         "hydra.sweeper.sampler.n_startup_trials=2")
    run_search(search)
    assert search.launcher.calls == [(0, 4)]  # as asked: the warning only says what it costs
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "hydra.sweeper.n_jobs=100 asks all 4 trials left in one batch: TPESampler draws a trial from its model only "
        "once 2 trials (n_startup_trials) completed before it is asked, so it draws every trial at random, as "
        "RandomSampler would; hydra.sweeper.n_jobs=auto asks batches of 2 here, 2 of them drawn from the model"]


@pytest.mark.parametrize("sampler", ["random", "tpe", "gp", "cmaes", "qmc"])
def test_both_presets_name_the_study_after_the_sampler_and_let_it_pick_the_batches(tmp_path, sampler):
    """The study of hparams_search=random hydra/sweeper/optuna_sampler=gp was named hparams_random."""
    for preset in ("random", "tpe"):
        config, _ = compose_search(tmp_path, f"hparams_search={preset}", f"hydra/sweeper/optuna_sampler={sampler}")
        assert config.hydra.sweeper.study_name == f"hparams_{sampler}"
        assert config.hydra.sweeper.n_jobs == "auto" and config.hydra.sweeper.sampler.seed == 1234


def test_a_sampler_whose_package_is_missing_is_refused_before_any_trial(monkeypatch):
    """CmaEsSampler imports cmaes at its first sample: the search crashed mid-way and left a trial RUNNING."""
    from trainlab.search import sampler_factory

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "cmaes" else found(name, *a))
    with pytest.raises(ConfigError) as refused:
        sampler_factory.build_sampler({"_target_": "optuna.samplers.CmaEsSampler", "seed": 1})
    assert str(refused.value).startswith("hydra.sweeper.sampler._target_=optuna.samplers.CmaEsSampler needs the "
                                         "package 'cmaes', which is not installed; allowed: pip install cmaes, or "
                                         "another sampler: ")


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_the_start_line_counts_the_trials_that_count_toward_n_trials(tmp_path, caplog):
    """An interrupted trial was counted in 'N trials so far', so a resume said '2 trials so far ... until 2 trials
    have run' and then ran one more; the batch size shown was n_jobs even when fewer trials were left."""
    caplog.set_level("INFO", logger="trainlab.search.optuna_search")
    sweep = tmp_path / "s"
    with pytest.raises(BaseException):  # noqa: B017 - the interrupted job stops the search, as a signal does
        run_search(make_search(sweep, "hydra.sweeper.n_trials=2", outcomes={1: KeyboardInterrupt()}))
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "resume_sweep=true"))
    assert re.search(r"1 trials so far \(and 1 that do not count: interrupted or surplus\), .* maximize until 2 "
                     r"trials have run \(batches of 1 by hydra.sweeper.n_jobs=auto\)", caplog.text)
    assert len(load(sweep).trials) == 3  # the interrupted trial 1 did not count: trial 2 ran in its place
    run_search(make_search(sweep, "hydra.sweeper.n_trials=2", "resume_sweep=true"))
    assert (f"study 'hparams_random' in {sweep / 'optuna.journal'}: 2 trials so far (and 1 that do not count: "
            "interrupted or surplus), hydra.sweeper.n_trials=2 reached: nothing to run") in caplog.text


def test_a_killed_trials_job_gets_the_interrupted_status_it_could_not_write(tmp_path):
    """After kill -9 and a resume, the study counted the trial as interrupted but summary.csv, ranking.csv and the
    report left it out: its directory had no status.json."""
    from trainlab.search.stale_trials import record_killed_job

    job = tmp_path / "2_optimizer.lr=0.01"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- optimizer.lr=0.01\n")
    record_killed_job(job, 2)
    status = read_status(job)
    assert status["status"] == "interrupted" and status["overrides"] == ["optimizer.lr=0.01"]
    assert status["error"] == ("trial 2: its process ended before the job recorded its end (killed?); closed by "
                               "resume_sweep=true")
    write_status(job, "completed", [], {"val/acc": 0.5}, 0.5, 1.0)
    record_killed_job(job, 2)  # a job that recorded its end keeps it
    assert read_status(job)["status"] == "completed"
    record_killed_job(tmp_path / "3_never_started", 3)
    assert not (tmp_path / "3_never_started").exists()


def test_a_new_study_in_a_shared_storage_names_the_studies_it_holds(train_in_process, tmp_path):
    """A misspelt study name in a storage several sweeps share started a new study beside the one meant, without a
    word (Optuna's default)."""
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    first = train_in_process("hparams_search=tpe", "hydra.sweeper.n_trials=1", *SMALL,
                             f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={tmp_path / 'a'}")
    assert first.returncode == 0, first.stderr[-3000:]
    typo = train_in_process("hparams_search=tpe", "hydra.sweeper.n_trials=1", *SMALL, "hydra.sweeper.study_name="
                            "hparams_tpee", f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={tmp_path / 'b'}")
    assert typo.returncode == 0, typo.stderr[-3000:]
    assert f"study 'hparams_tpee' is new in {storage}, which holds 1 other study: hparams_tpe" in typo.stdout
    assert "is new in" not in first.stdout  # an empty storage: nothing to name


def test_jobs_of_another_search_name_the_storage_and_study_its_results_record(train_in_process, tmp_path):
    """The refusal said "the storage and study_name of the search that ran there" without naming them."""
    sweep = tmp_path / "sweep"
    first = train_in_process("hparams_search=tpe", "hydra.sweeper.n_trials=1", *SMALL, f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr[-3000:]
    other = train_in_process("hparams_search=tpe", "hydra.sweeper.n_trials=2", *SMALL, "resume_sweep=true",
                             f"hydra.sweeper.storage=sqlite:///{tmp_path / 'other.db'}", f"hydra.sweep.dir={sweep}")
    assert other.returncode == 2
    assert ("allowed: hydra.sweeper.storage=null hydra.sweeper.study_name=hparams_tpe, the search that ran there as "
            "its optimization_results.yaml records it (resume_sweep=true continues it)") in other.stderr
    assert not (tmp_path / "other.db").exists()


@pytest.mark.parametrize("recorded, told", [
    ("{sweep}/optuna.journal", "hydra.sweeper.storage=null"),
    ("/elsewhere/optuna.journal", "hydra.sweeper.storage=journal:/elsewhere/optuna.journal"),  # a moved sweep dir
    ("/elsewhere/optuna.db", "hydra.sweeper.storage=sqlite:////elsewhere/optuna.db"),
    ("journal:/shared/j.log", "hydra.sweeper.storage=journal:/shared/j.log"),
    ("postgresql://me:***@host/db", "the storage postgresql://me:***@host/db (with its password) and"),
])
def test_the_recorded_storage_is_told_as_a_value_the_storage_key_takes(tmp_path, recorded, told):
    from trainlab.search.optuna_search import recorded_search_settings

    (tmp_path / "optimization_results.yaml").write_text(
        f"study_name: hparams_tpe\nstorage: {recorded.format(sweep=tmp_path)}\n")
    assert recorded_search_settings(tmp_path).startswith(told)


def test_data_that_every_trial_would_refuse_is_not_blamed_on_the_search_space(train_in_process, tmp_path):
    """``data.train_size=100000`` is no searched key: the refusal was prefixed "the search space reaches a trial
    its checks refuse (optimizer.lr=1e-06 ...)"."""
    sweep = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "trainer.max_epochs=1",
                              "data.train_size=100000", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: data.train_size=100000 + data.val_size=100 do not fit the bundled training pool")
    assert not sweep.exists()


@pytest.mark.parametrize("schema, told", [
    ("CREATE TABLE notes (text TEXT)", "is a database of something else (its tables: notes), not an Optuna study's"),
    ("CREATE TABLE studies (name TEXT, year INTEGER)", "is a database whose studies table is not Optuna's (its "
                                                       "columns: name, year; Optuna's has study_id and study_name)"),
])
def test_an_sqlite_file_of_another_database_is_refused_unchanged(train_in_process, tmp_path, schema, told):
    """Optuna added its 26 tables and indexes to a database of one's own (exit 0, no word), or - for a ``studies``
    table of its own - failed with three tracebacks (``no such column: studies.study_id``) after adding them."""
    database = tmp_path / "mine.db"
    with sqlite3.connect(database) as connection:
        connection.execute(schema)
    connection.close()
    before = database.read_bytes()
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *SMALL, "hparams_search=tpe", f"hydra.sweep.dir={sweep}",
                              f"hydra.sweeper.storage=sqlite:///{database}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: hydra.sweeper.storage=sqlite:///{database}: {database} {told}; the search would add Optuna's tables "
        "to it, so it is left as it is. allowed: a database file that does not exist yet or is empty "
        "(sqlite:///study.db), one that holds an Optuna study, or null (<hydra.sweep.dir>/optuna.journal) or "
        "journal:<file>")
    assert "Traceback" not in result.stderr
    assert database.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("mine.db")) == ["mine.db"]
    assert not sweep.exists()


def test_an_sqlite_storage_that_names_a_directory_says_so(train_in_process, tmp_path):
    """SQLite's own word was "OperationalError: unable to open database file" (the journal storage said "Is a
    directory")."""
    directory = tmp_path / "studies"
    directory.mkdir()
    result = train_in_process("-m", *SMALL, "hparams_search=tpe", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                              f"hydra.sweeper.storage=sqlite:///{directory}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: hydra.sweeper.storage=sqlite:///{directory}: cannot open the study storage (OperationalError: "
        f"{directory} is a directory, not a database file); allowed: ")
    assert list(directory.iterdir()) == []
