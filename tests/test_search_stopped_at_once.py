"""A second Ctrl-C while a search's trials stop: the command still ends at once, but closes the trials it ran (none is
left RUNNING) and prints the command that continues the search, as one Ctrl-C does."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import optuna
import pytest
from conftest import JOB_PYTHONPATH

from trainlab.signal_exit import last_words, say_last_words


def trial_states(sweep_dir: Path, study_name: str = "hparams_random") -> list[tuple[int, str, str | None]]:
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(sweep_dir / "optuna.journal")))
    study = optuna.load_study(study_name=study_name, storage=storage)
    return [(trial.number, trial.state.name, trial.user_attrs.get("outcome")) for trial in study.get_trials()]


@pytest.mark.slow  # ~8-15 s each on 2 cores (make test-slow; the default run stays within ~4 min)
@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=basic"]], ids=["default", "basic"])
def test_a_second_ctrl_c_in_a_search_closes_its_trials_and_says_how_to_continue(train_subprocess, tmp_path,
                                                                                  launcher):
    """The second Ctrl-C ended the process from the trial's signal handler: trials 0 and 1 stayed RUNNING in the
    study until a resume, no status.json was written, and the command ended on ``received SIGINT again: stopping
    at once, without a checkpoint`` with no command to continue the search. (A callback of the test's sends the two
    signals, which the stacked launcher does not stack: the default launcher runs the trials alone in the command's
    process, as the basic one does, and a stack's handler is a lone run's - the walkthrough's case was a stack.)"""
    sweep_dir = tmp_path / "sweep"
    run = train_subprocess("hparams_search=random", "hydra.sweeper.n_trials=2", "trainer.max_epochs=1000",
                           "data.train_size=100", "data.val_size=100", f"hydra.sweep.dir={sweep_dir}", *launcher,
                           "+callbacks.twice={_target_:sigterm_at_step.SignalTwiceAtStep,step:3}",
                           env={"PYTHONPATH": JOB_PYTHONPATH})
    text = run.stdout + run.stderr
    assert run.returncode == -signal.SIGINT, text[-3000:]  # died of it: exit status 130 in a shell
    assert "received SIGINT again: stopping at once, without a checkpoint" in text, text[-3000:]
    assert "Traceback" not in text
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("Continue the search with: "), text[-3000:]
    assert lines[-1].endswith(f"resume_sweep=true hydra.sweep.dir={sweep_dir}")
    assert lines[-3] == ("closed the search's running trials: trials 0, 1 interrupted (interrupted trials do "
                         "not count: the search asks new trials in their place)"), text[-3000:]
    # then its results so far, written on the way out (test_search_stopped_at_once_leaves_its_results.py)
    assert lines[-2].startswith("the search's results so far (2 interrupted; no trial completed): "), text[-3000:]
    assert trial_states(sweep_dir) == [(0, "FAIL", "interrupted"), (1, "FAIL", "interrupted")]
    (job,) = sweep_dir.glob("0_*")  # the trial's job directory says so too (summary.csv, the report)
    status = json.loads((job / "status.json").read_text())
    assert status["status"] == "interrupted"
    assert status["error"] == ("trial 0: the search ended at once (a second stop signal) before the job recorded its "
                               "end")
    assert not (job / "checkpoints" / "last.ckpt").exists()


def test_last_words_run_once_newest_first_and_only_in_the_process_that_registered_them(monkeypatch):
    said: list[str] = []
    with last_words(lambda: said.append("outer")), last_words(lambda: said.append("inner")):
        say_last_words()
        say_last_words()  # each once
    assert said == ["inner", "outer"]
    with last_words(lambda: said.append("parent's")):
        monkeypatch.setattr(os, "getpid", lambda: -1)  # a forked worker inherits the list, not the duty
        say_last_words()
    assert said == ["inner", "outer"]


def test_a_last_word_that_fails_is_said_and_the_others_still_run(capsys):
    said: list[str] = []

    def fails() -> None:
        raise OSError("disk full")

    with last_words(lambda: said.append("first")), last_words(fails):
        say_last_words()
    assert said == ["first"]
    assert capsys.readouterr().err == "while stopping at once: OSError: disk full\n"
