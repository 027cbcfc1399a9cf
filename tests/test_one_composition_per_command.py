"""``train.py`` composes ``conf/`` once per command: the config Hydra composes to read ``hydra.mode`` is the one the
run or sweep uses (:mod:`trainlab.hydra_mode_composition`) - Hydra composed it twice, ~0.1-0.25 s each on 2 cores,
for every run, sweep and refused config."""

from __future__ import annotations

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_config_search_path
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode

from trainlab.hydra_mode_composition import compose_once_for_the_mode


@pytest.fixture
def compositions(monkeypatch) -> list[list[str]]:
    """The overrides of each composition of the whole config (``ConfigLoaderImpl.load_configuration``) from here on."""
    calls: list[list[str]] = []
    compose = ConfigLoaderImpl.load_configuration

    def counted(self, config_name, overrides, *args, **kwargs):
        calls.append(list(overrides))
        return compose(self, config_name, overrides, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", counted)
    return calls


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("args, line", [
    (["optimizer.lr=-0.1"], "error: optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0"),
    (["model.net.widht=3"], "error: model.net.widht: unknown key; allowed keys of model.net: _target_, activation, "),
    (["optimizer.lr=0.1,0.2"], "error: Ambiguous value for argument 'optimizer.lr=0.1,0.2'"),  # Hydra's check
    # a search without -m (its config sets the mode): the mistyped key, not "... requires --multirun"
    (["hparams_search=random", "model.net.widht=3", "model.net.dropout=interval(0,0.5)"],
     "error: model.net.widht: unknown key; allowed keys of model.net: _target_, activation, "),
])
def test_a_refused_command_composes_its_config_once_and_says_why(train_in_process, compositions, args, line):
    result = train_in_process(*args)
    assert result.returncode == 2
    assert last_line(result).startswith(line), result.stderr[-2000:]
    assert len(compositions) == 1 and compositions[0][-len(args):] == args


def test_a_sweep_composes_its_config_once_before_its_jobs(train_in_process, compositions, tmp_path):
    result = train_in_process("-m", "optimizer.lr=-0.1,0.1", f"hydra.sweep.dir={tmp_path / 's'}")
    assert result.returncode == 2  # the first job's value, refused before any job ran
    sweep = [overrides for overrides in compositions if "optimizer.lr=-0.1,0.1" in overrides]
    assert len(sweep) == 1, sweep  # Hydra's second one added hydra.mode=MULTIRUN; each job's own are from templates


def test_a_missing_group_choice_is_refused_in_a_run_and_skipped_by_get_mode(tmp_path):
    """The one setting in which Hydra's composition for the mode differs from a run's: a group default ``???``."""
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "mysql.yaml").write_text("host: localhost\n")
    (tmp_path / "app.yaml").write_text("defaults:\n  - db: ???\n  - _self_\n\nhydra:\n  mode: MULTIRUN\n")
    compose_once_for_the_mode()
    GlobalHydra.instance().clear()
    try:
        hydra = Hydra.create_main_hydra2(task_name="app", config_search_path=create_config_search_path(str(tmp_path)))
        assert hydra.get_mode("app", []) == RunMode.MULTIRUN  # composed as a sweep: the missing choice skipped
        with pytest.raises(ConfigCompositionException, match="You must specify 'db'"):
            hydra.compose_config("app", [], run_mode=RunMode.RUN)
        assert hydra.get_mode("app", ["db=mysql"]) == RunMode.MULTIRUN
        assert hydra.compose_config("app", ["db=mysql"], run_mode=RunMode.MULTIRUN).db.host == "localhost"
    finally:
        GlobalHydra.instance().clear()


def test_a_mode_that_cannot_be_read_is_no_mode_and_the_run_composes_anew(train_in_process, compositions):
    """As Hydra's get_mode: an unresolvable ``hydra.mode`` gives no mode; Hydra adds ``hydra.mode=RUN`` and composes
    again, which replaces it - the command goes on to trainlab's own check, not a traceback."""
    result = train_in_process("hydra.mode=${oc.env:TRAINLAB_NO_SUCH_VARIABLE}", "optimizer.lr=-0.1")
    assert result.returncode == 2
    assert last_line(result) == "error: optimizer.lr=-0.1 is invalid; allowed: a finite number >= 0.0"
    assert len(compositions) == 2 and compositions[1][-1] == "hydra.mode=RUN"
