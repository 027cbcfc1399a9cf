"""Sweeps over a config group's options (trainlab.sweep.group_sweeps): ``glob()`` picks among them in a basic sweep
and in a search, as Hydra expands it; ``range()``/``interval()`` over a group are refused before anything is written.

Before: ``-m 'optimizer=glob(torch_s*)'`` (and a search's ``'optimizer=glob(*)'``) failed in trainlab's checks,
"ConfigLoader is not set", ``optimizer=interval(0,1)`` there too ("Can only enumerate CHOICE and RANGE sweeps"), and
``optimizer=range(0,2)`` ended in Hydra's traceback ("Config group override must be a string or a list. Got int")
after the sweep directory and its multirun.yaml were written.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import CONF_DIR

QUICK = ["debug=limit", "trainer.max_epochs=1"]


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


def test_a_glob_over_a_group_sweeps_the_options_it_matches(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *QUICK, "optimizer=glob(torch_s*)", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [path.name.partition("_")[2] for path in sweep.iterdir() if path.is_dir()] == [
        "data.source=bundled,optimizer=torch_sgd,trainer.max_epochs=1"]


def test_a_search_draws_a_glob_over_a_group_from_the_options_it_matches(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", *QUICK, "optimizer=glob(torch_*)",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["best_params"]["optimizer"] in {"torch_adam", "torch_adamw", "torch_sgd"}


@pytest.mark.parametrize("search", [False, True], ids=["basic", "search"])
@pytest.mark.parametrize("override, group, kind", [
    ("optimizer=range(0,2)", "optimizer", "range"),
    ("init=range(0,2)", "init", "range"),
    ("optimizer=interval(0,1)", "optimizer", "interval"),
])
def test_a_number_sweep_over_a_group_is_refused_before_anything(train_in_process, tmp_path, search, override, group,
                                                                 kind):
    sweep = tmp_path / "sweep"
    first = options(group)
    how = ["hparams_search=random", "hydra.sweeper.n_trials=2"] if search else ["-m"]
    result = train_in_process(*how, *QUICK, override, f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {override}: {group} is a config group, whose choice is an option's name, and {kind}() sweeps over "
        f"numbers; nothing was written. allowed: a list of its options ({group}={first[0]},{first[1]}) or a glob() "
        f"of them ({group}=glob(*)); options of {group}: {', '.join(first)}")
    assert "Traceback" not in result.stderr
    assert not sweep.exists()


@pytest.mark.parametrize("search", [False, True], ids=["basic", "search"])
@pytest.mark.parametrize("override, allowed", [
    ("optimizer=glob(torch_s*),adam", "one glob() alone (optimizer='glob([torch_s*,adam])') or a list of option "
                                      "names; options of optimizer: " + ", ".join(options("optimizer"))),
    ("optimizer=adam,glob(torch_*,exclude=torch_adam)", "one glob() alone or a list of option names; options of "
                                                         "optimizer: " + ", ".join(options("optimizer"))),
    ("optimizer.lr=glob(1*),0.1", "a list of values (optimizer.lr is no config group, and glob() picks among a config "
                                  "group's options)"),
])
def test_a_glob_among_the_values_of_a_list_is_refused_before_anything(train_in_process, tmp_path, search, override,
                                                                       allowed):
    """Hydra expands a glob() that is the whole sweep; inside a list it reached the job as a mapping of its patterns,
    refused there as "optimizer.include: unknown key" after the sweep directory was made."""
    sweep = tmp_path / "sweep"
    how = ["hparams_search=random", "hydra.sweeper.n_trials=2"] if search else ["-m"]
    result = train_in_process(*how, *QUICK, override, f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {override}: a glob() inside a list is not expanded; nothing was written. allowed: {allowed}")
    assert not sweep.exists()


def test_the_glob_a_refusal_suggests_sweeps_each_pattern(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", *QUICK, "optimizer=glob([torch_s*,adam])", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(path.name.split("optimizer=")[1].split(",")[0] for path in sweep.iterdir() if path.is_dir()) == [
        "adam", "torch_sgd"]
