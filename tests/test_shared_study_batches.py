"""A worker's batch in a study shared with other workers: its trial numbers jump where the others asked in between.

The stacked launcher takes the batch's own numbers and trains it as one launch (one stack); a launcher that numbers
a call's jobs itself gets one call per run of consecutive numbers, and each run is told to the study as soon as its
call returns. A worker that ends while others still train writes ``optimization_results.yaml`` saying it is the
study as it stood then. The other worker is simulated in this process: after each trial the search asks, it asks
one of its own (``interleaved``), so the numbers interleave whatever the timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from optuna.trial import TrialState
from test_optuna_search import StatusWritingLauncher, load, make_search, run_search
from test_stacked_sweeps import SMALL

from trainlab.search.optuna_search import OptunaSearch
from trainlab.search.results import RESULTS_FILE
from trainlab.search.trial_outcome import SWEEP_DIR_ATTR


class NumberTakingLauncher(StatusWritingLauncher):
    """The status-writing launcher with the stacked launcher's ``job_numbers``: each job numbered as handed
    (``numbers``: the numbers of each call; ``calls`` holds one entry per job)."""

    takes_job_numbers = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers: list[list[int]] = []

    def launch(self, job_overrides, initial_job_idx, job_numbers=None):
        self.numbers.append(list(job_numbers))
        returns = []
        for number, overrides in zip(job_numbers, job_overrides, strict=True):
            returns += super().launch([overrides], number)
        return returns


@pytest.fixture
def interleaved(monkeypatch, tmp_path):
    """After each trial the search asks, "another worker" (sweep dir ``tmp_path/other``) asks one; its trials stay
    RUNNING. Returns that worker's trial numbers."""
    real_ask, others = OptunaSearch.ask, []

    def ask_and_let_another_worker_ask(self, study, space):
        job = real_ask(self, study, space)
        trial = study.ask(fixed_distributions=space.distributions)
        trial.set_user_attr(SWEEP_DIR_ATTR, str(tmp_path / "other"))
        others.append(trial.number)
        return job

    monkeypatch.setattr(OptunaSearch, "ask", ask_and_let_another_worker_ask)
    return others


def job_numbers_in(sweep_dir: Path) -> list[int]:
    return sorted(int(path.name.split("_")[0]) for path in sweep_dir.iterdir() if path.is_dir())


def test_the_stacked_launcher_is_recognised_as_taking_job_numbers():
    from hydra_plugins.trainlab_stacked_launcher.stacked_launcher import StackedLauncher
    from trainlab.search.optuna_search import takes_job_numbers

    assert takes_job_numbers(StackedLauncher()) and not takes_job_numbers(object())


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_batch_whose_numbers_jump_is_one_launch_with_each_trials_own_number(tmp_path, interleaved):
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=6", "hydra.sweeper.n_jobs=3")
    config, loader = search.config, search.config_loader
    search.launcher = NumberTakingLauncher(config, loader)
    run_search(search)
    assert interleaved == [1, 3, 5]
    assert search.launcher.numbers == [[0, 2, 4]]  # one call: before, three (one per trial)
    assert job_numbers_in(tmp_path / "s") == [0, 2, 4]
    study = load(tmp_path / "s")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.RUNNING] * 3


def test_a_launcher_numbering_its_jobs_itself_gets_one_call_per_run_each_told_when_it_returns(tmp_path, interleaved):
    """Hydra's launchers number a call's jobs from initial_job_idx: the batch 0, 2, 4 is three calls - and trial 0
    is in the study, COMPLETE, when the call of trial 2 starts (it was told only after the batch's last call)."""
    states_at_launch = {}

    def record_states(launcher, initial_job_idx):
        study = load(tmp_path / "s")
        states_at_launch[initial_job_idx] = [t.state.name for t in study.trials if t.number in (0, 2, 4)]

    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=6", "hydra.sweeper.n_jobs=3",
                         on_launch=record_states)
    run_search(search)
    assert search.launcher.calls == [(0, 1), (2, 1), (4, 1)]
    assert states_at_launch == {0: ["RUNNING", "RUNNING", "RUNNING"], 2: ["COMPLETE", "RUNNING", "RUNNING"],
                                4: ["COMPLETE", "COMPLETE", "RUNNING"]}


def test_a_failed_run_of_a_batch_still_has_the_others_told_once(tmp_path, interleaved):
    """A launch that raises (a stop, a crash) in the second run: the first run was told when it returned, the rest
    (no job return: interrupted) are told on the way out - each trial once, none of this worker's left RUNNING."""
    search = make_search(tmp_path / "s", "hydra.sweeper.n_trials=6", "hydra.sweeper.n_jobs=3",
                         outcomes={2: RuntimeError("launcher crashed")})
    with pytest.raises(RuntimeError, match="launcher crashed"):
        run_search(search)
    study = load(tmp_path / "s")
    mine = [t for t in study.trials if t.number in (0, 2, 4)]
    assert [(t.state, t.user_attrs.get("outcome")) for t in mine] == [
        (TrialState.COMPLETE, "completed"), (TrialState.FAIL, "interrupted"), (TrialState.FAIL, "interrupted")]
    assert search.launcher.calls == [(0, 1), (2, 1)]


def test_a_worker_that_ends_while_others_train_says_its_results_are_the_study_as_it_stood(tmp_path, interleaved,
                                                                                          caplog):
    caplog.set_level("INFO", logger="trainlab.search.optuna_search")
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2"))
    results = yaml.safe_load((tmp_path / "s" / RESULTS_FILE).read_text())
    assert results["trials"] == {"completed": 2, "diverged": 0, "failed": 0, "interrupted": 0, "surplus": 0,
                                 "running": 2}
    assert results["running_in"] == {str(tmp_path / "other"): 2}
    assert results["note"].startswith("the study as it stood when this worker ended: 2 trials were still running")
    assert results["counted_at"].endswith("Z")
    assert (f"2 trials of the study still running (2 in {tmp_path / 'other'}): optimization_results.yaml holds the "
            "study as it stood when this worker ended") in caplog.text


def test_a_worker_that_ends_with_the_study_finished_writes_no_note(tmp_path):
    run_search(make_search(tmp_path / "s", "hydra.sweeper.n_trials=2"))
    results = yaml.safe_load((tmp_path / "s" / RESULTS_FILE).read_text())
    assert results["trials"]["running"] == 0
    assert not {"running_in", "counted_at", "note"} & set(results)


@pytest.mark.slow  # ~7 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_the_stacked_launcher_trains_a_batch_with_jumping_numbers_as_one_stack(train_in_process, tmp_path,
                                                                               interleaved):
    sweep_dir = tmp_path / "search"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=6", "hydra.sweeper.n_jobs=3",
                              *SMALL, "trainer.max_epochs=1", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "Launching 3 jobs as 1 run: 1 stacked, 0 alone" in output
    assert "#0,2,4 : one stacked run of 3 jobs" in output and "runs alone" not in output
    assert job_numbers_in(sweep_dir) == [0, 2, 4]
    for job_dir in (path for path in sweep_dir.iterdir() if path.is_dir()):
        hydra_yaml = yaml.safe_load((job_dir / ".hydra" / "hydra.yaml").read_text())
        assert hydra_yaml["hydra"]["job"]["num"] == int(job_dir.name.split("_")[0])
    assert "one stacked run of 3 jobs" in (sorted(sweep_dir.glob("4_*"))[0] / "train.log").read_text()


def test_the_stacked_launcher_refuses_job_numbers_that_do_not_fit_its_jobs():
    from hydra_plugins.trainlab_stacked_launcher.stacked_launcher import StackedLauncher

    with pytest.raises(ValueError, match=r"job_numbers=\[3, 3\]: one distinct number per job of the 2"):
        StackedLauncher().launch([["a=1"], ["a=2"]], initial_job_idx=3, job_numbers=[3, 3])


def test_the_stacked_launcher_without_job_numbers_numbers_from_initial_job_idx(monkeypatch):
    from hydra_plugins.trainlab_stacked_launcher.stacked_launcher import StackedLauncher

    seen = []
    monkeypatch.setattr(StackedLauncher, "_launch", lambda self, overrides, numbers: seen.append(numbers) or [])
    StackedLauncher().launch([["a=1"], ["a=2"]], initial_job_idx=7)
    StackedLauncher().launch([["a=1"], ["a=2"]], initial_job_idx=7, job_numbers=[7, 9])
    assert seen == [[7, 8], [7, 9]]

