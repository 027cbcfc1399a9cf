"""A stopped search says what happens to its interrupted trials truly, and tells apart the trials that never trained.

Before: the stop said "their checkpoints are not resumed" of trials that keep no checkpoint (the presets keep none);
and a batch stopped before some of its trials' turn counted them in ``optimization_results.yaml`` (``interrupted:
3``) while the sweep summary, which lists job directories with a status, said ``1 interrupted``, with no word of why.
"""

from __future__ import annotations

import csv
import logging
import os
import signal

import pytest
import yaml
from test_optuna_search import load, make_search, run_search, sigterm_fallback  # noqa: F401 - a fixture

NEVER_TRAINED = ("2 of the interrupted trials (2, 3) never trained: stopped before their turn, they have no "
                 "status.json and so no row in summary.csv, which lists this sweep dir's jobs")


@pytest.mark.slow  # two searches (~8 s on 2 cores)
def test_trials_stopped_before_their_turn_are_told_apart_from_interrupted_jobs(tmp_path, sigterm_fallback,  # noqa: F811
                                                                               capsys, caplog):
    def sigterm_before_the_second_batch(launcher, initial_job_idx):
        if initial_job_idx == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # trials 2 and 3 are asked, and never start

    sweep = tmp_path / "s"
    search = make_search(sweep, "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", outcomes={1: "interrupted"},
                         on_launch=sigterm_before_the_second_batch)
    with pytest.raises(SystemExit):
        run_search(search)
    stopped = capsys.readouterr().err.strip().splitlines()[-2]
    assert stopped == ("the search stopped with 1 of 4 trials run (3 interrupted trials do not count: the search asks "
                       "new trials in their place, which train from the start - a search resumes no trial; 2 of them "
                       "never trained, so summary.csv has no row for them).")
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["trials"]["interrupted"] == 3 and results["note"] == NEVER_TRAINED
    with open(sweep / "summary.csv") as table:
        assert [row["status"] for row in csv.DictReader(table)] == ["completed", "interrupted"]

    with caplog.at_level(logging.INFO):
        run_search(make_search(sweep, "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", "resume_sweep=true"))
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["trials"]["completed"] == 4 and results["note"] == NEVER_TRAINED
    assert f"{sweep / 'optimization_results.yaml'} counts 3 interrupted trials: {NEVER_TRAINED}" in caplog.messages
    assert len(load(sweep).trials) == 7
