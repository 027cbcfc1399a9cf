"""A sweep config (an experiment, a search) run as a single run is refused unless the command gives every swept key
its value: ``python train.py experiment=compare_optimizers hydra.mode=RUN`` trained ONE run with the config's own
optimizer (sgd) and ended with exit status 0, without a word (src/trainlab/sweep/single_run_of_a_sweep.py)."""

from __future__ import annotations

import re

import pytest
from conftest import CONF_DIR
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from trainlab.errors import ConfigError
from trainlab.shell_override import python_train_py
from trainlab.sweep.single_run_of_a_sweep import check_no_sweep_config_in_single_run, typed_run_mode


def composed(*overrides: str) -> DictConfig:
    """conf/train.yaml with ``overrides`` and its ``hydra`` node, as Preflight's ``on_run_start`` gets it."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides), return_hydra_config=True)


def test_an_experiment_run_with_hydra_mode_run_is_refused_naming_the_swept_key_and_both_ways_out():
    config = composed("experiment=compare_optimizers", "debug=limit", "hydra.mode=RUN")
    with pytest.raises(ConfigError) as refusal:
        check_no_sweep_config_in_single_run(config, argv=["experiment=compare_optimizers", "debug=limit",
                                                          "hydra.mode=RUN"])
    train = python_train_py()
    assert str(refusal.value) == (
        "experiment=compare_optimizers with hydra.mode=RUN: the experiment is a sweep over optimizer "
        "(sgd,momentum,adagrad,adam), which a single run ignores: it would train one run with the config's own "
        f"optimizer; nothing was written. allowed: the sweep ({train} -m experiment=compare_optimizers debug=limit), "
        f"or one of its jobs alone, each swept key given its value ({train} experiment=compare_optimizers "
        "debug=limit hydra.mode=RUN optimizer=<value>)")


def test_a_search_run_as_a_single_run_names_only_the_swept_keys_the_command_left_out():
    """Experiment F's 16 weight scales would not fit on the line: a long list of values is left out."""
    config = composed("hparams_search=random", "optimizer.lr=0.01", "hydra.mode=RUN")
    with pytest.raises(ConfigError, match=r"^hparams_search=random with hydra.mode=RUN: the experiment is a sweep "
                       r"over model.weight_decay \(tag\(log, interval\(1e-8, 1e-4\)\)\), which a single run ignores"):
        check_no_sweep_config_in_single_run(config, argv=["hydra.mode=RUN"])
    config = composed("experiment=compare_batchnorm", "hydra.mode=RUN")
    with pytest.raises(ConfigError, match=r"^experiment=compare_batchnorm with hydra.mode=RUN: the experiment is a "
                       r"sweep over model.net.batch_norm \(custom,none\) and init.std, which a single run ignores: "
                       r"it would train one run with the config's own model.net.batch_norm and init.std;"):
        check_no_sweep_config_in_single_run(config, argv=["hydra.mode=RUN"])


def test_the_sweep_a_refusal_of_hydra_mode_run_suggests_has_m():
    """Without -m the suggested sweep was refused again where the config does not set hydra.mode: MULTIRUN (one's
    own experiment config holding only hydra.sweeper.params); -m is harmless where it does."""
    config = composed("experiment=compare_optimizers", "hydra.mode=RUN")
    with pytest.raises(ConfigError) as refusal:
        check_no_sweep_config_in_single_run(config, argv=["experiment=compare_optimizers", "++hydra.mode='RUN'"])
    assert str(refusal.value).startswith("experiment=compare_optimizers with ++hydra.mode='RUN': the experiment is a ")
    assert f"allowed: the sweep ({python_train_py()} -m experiment=compare_optimizers), or" in str(refusal.value)


@pytest.mark.parametrize(("argv", "typed"), [
    (["experiment=compare_optimizers", "hydra.mode=RUN"], "hydra.mode=RUN"),
    (["++hydra.mode=RUN", "optimizer=adam"], "++hydra.mode=RUN"),
    (["hydra.mode='RUN'"], "hydra.mode='RUN'"),
    (['hydra.mode="RUN"'], 'hydra.mode="RUN"'),
    (["hydra.mode=MULTIRUN"], None),
    (["experiment=compare_optimizers", "hydra.run.dir=/tmp/run"], None),
], ids=["typed", "with ++", "single quotes", "double quotes", "multirun", "not typed"])
def test_a_typed_hydra_mode_run_is_the_word_whose_value_is_run(argv, typed):
    """One test of the command line for the refusal here and for train.py's resume line: ``hydra.mode=MULTIRUN``
    is no typed RUN (the refusal's check took any ``hydra.mode=`` word)."""
    assert typed_run_mode(argv) == typed


def test_a_config_of_ones_own_that_sweeps_without_multirun_mode_is_refused_without_m():
    """A config without ``hydra.mode: MULTIRUN`` started without -m: the way out is -m."""
    config = composed("experiment=compare_optimizers", "hydra.mode=RUN")
    with pytest.raises(ConfigError) as refusal:
        check_no_sweep_config_in_single_run(config, argv=["experiment=compare_optimizers"])
    assert str(refusal.value).startswith("experiment=compare_optimizers without -m: the experiment is a sweep ")
    assert f"allowed: the sweep ({python_train_py()} -m experiment=compare_optimizers), or" in str(refusal.value)


@pytest.mark.parametrize("overrides", [
    ["experiment=compare_optimizers", "hydra.mode=RUN", "optimizer=adam"],
    ["experiment=compare_batchnorm", "hydra.mode=RUN", "model.net.batch_norm=none", "init.std=0.01"],
    ["hparams_search=random", "hydra.mode=RUN", "optimizer.lr=0.01", "model.weight_decay=1e-6"],
    ["optimizer=adam"],
    ["experiment=compare_optimizers", "hydra.mode=RUN", "hydra.sweeper.params=null"],
    ["experiment=compare_init", "hydra.mode=RUN", "~init"],
], ids=["one-job", "one-job-of-two-keys", "one-trial", "no-sweep", "sweep-dropped", "null-choice"])
def test_a_single_run_that_gives_every_swept_key_its_value_is_one_job_and_runs(overrides):
    """A sweep's job run alone (its resume command: ckpt_path=last hydra.mode=RUN with the job's overrides)."""
    check_no_sweep_config_in_single_run(composed(*overrides), argv=overrides)


def test_train_py_refuses_an_experiment_with_hydra_mode_run_before_writing_anything(train_in_process, tmp_path):
    run = tmp_path / "run"
    result = train_in_process("experiment=compare_optimizers", "hydra.mode=RUN", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert re.fullmatch(
        r"error: experiment=compare_optimizers with hydra.mode=RUN: the experiment is a sweep over optimizer "
        r"\(sgd,momentum,adagrad,adam\), which a single run ignores: it would train one run with the config's own "
        r"optimizer; nothing was written. allowed: the sweep \(\S+ \S*train\.py -m .*experiment=compare_optimizers "
        r"debug=limit\), or one of its jobs alone, each swept key given its value \(\S+ \S*train\.py .*"
        f"experiment=compare_optimizers debug=limit {re.escape(f'hydra.run.dir={run}')} hydra.mode=RUN "
        r"optimizer=<value>\)", result.stderr.splitlines()[-1])
    assert not run.exists() and not (tmp_path / "outputs").exists()


def test_the_commands_a_refusal_suggests_keep_the_config_dir_of_an_experiment_of_ones_own(train_in_process, tmp_path):
    """Without ``--config-dir`` the suggested sweep looked for the experiment in the template's conf/ alone."""
    my_conf = tmp_path / "my_conf"
    (my_conf / "experiment").mkdir(parents=True)
    (my_conf / "experiment" / "mine.yaml").write_text(
        "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n      optimizer: sgd,adam\n")
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(my_conf), "experiment=mine", "hydra.mode=RUN", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2, result.stderr[-2000:]
    line = result.stderr.splitlines()[-1]
    # the fixture's own overrides (data, log directory) come before the command's
    assert re.search(rf"allowed: the sweep \({re.escape(python_train_py())} -m --config-dir {re.escape(str(my_conf))} "
                     r"\S.* experiment=mine debug=limit\), ", line), line
    assert re.search(rf"each swept key given its value \({re.escape(python_train_py())} --config-dir "
                     rf"{re.escape(str(my_conf))} \S.* experiment=mine debug=limit {re.escape(f'hydra.run.dir={run}')} "
                     r"hydra.mode=RUN optimizer=<value>\)$", line), line
    assert not run.exists()


def test_train_py_runs_one_job_whose_swept_group_is_null(train_in_process, tmp_path):
    """``init=null`` (PyTorch's own init) is a value of experiment D's swept ``init``: train.py turns it into
    ``~init``, which the refusal did not count, and refused the job ("would train one run with the config's own
    init")."""
    run = tmp_path / "run"
    result = train_in_process("experiment=compare_init", "hydra.mode=RUN", "init=null", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "a sweep over init" not in result.stderr
    assert (run / "status.json").is_file()
