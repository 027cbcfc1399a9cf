"""Hydra turns what a callback raises into a warning and goes on. A check of trainlab's ``Preflight`` callback that
fails unexpectedly (a bug, not a refusal) now ends the command - its traceback, a line saying what failed, exit
status 1, nothing run, no directory made for nothing - instead of letting it run with every later check skipped
(``trainlab/preflight.py``, ``checks_that_must_finish``). And ``hydra.sweeper.params=abc``, which made one of those
checks fail that way, is told in one line with no such warning (``trainlab/shadowed_options.py``)."""

from __future__ import annotations

import warnings

import pytest

import trainlab.preflight
from trainlab.shadowed_options import group_values


def failing_check(config):
    raise RuntimeError("a check's own bug")


@pytest.mark.parametrize("command", [["-m", "optimizer=sgd,adam", "debug=limit"], ["debug=limit"]],
                         ids=["multirun", "run"])
def test_a_check_that_fails_unexpectedly_stops_the_command_with_its_traceback(train_in_process, tmp_path, monkeypatch,
                                                                           command):
    monkeypatch.setattr(trainlab.preflight, "shadowed_options_note", failing_check)
    out = tmp_path / "out"
    key = "hydra.sweep.dir" if "-m" in command else "hydra.run.dir"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_in_process(*command, f"{key}={out}")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: trainlab's checks before the run failed unexpectedly (RuntimeError: a check's own bug); nothing was "
        "run - a bug to report, with the traceback above")
    assert not out.exists()  # made for nothing: removed
    assert not [w for w in caught if "Callback Preflight" in str(w.message)]


def test_sweeper_params_that_are_no_mapping_are_refused_in_one_line_without_a_callback_warning(train_in_process,
                                                                                             tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_in_process("hparams_search=random", "hydra.sweeper.params=abc",
                                  f"hydra.sweep.dir={tmp_path / 'search'}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].startswith(
        "error: hydra.sweeper.params='abc' is not a mapping of keys to search; allowed: e.g. on the command line:")
    assert [str(w.message) for w in caught if "Callback Preflight" in str(w.message)] == []
    assert not (tmp_path / "search").exists()


def test_options_are_read_from_sweeper_params_only_where_they_are_a_mapping():
    assert group_values(["optimizer=sgd,adam"], "abc") == [("optimizer", "sgd"), ("optimizer", "adam")]
    assert group_values([], {"init": "choice(he,xavier)"}) == [("init", "he"), ("init", "xavier")]
