"""An option of a ``--config-dir`` with the name of one of the checkout's ``conf/`` (Hydra searches ``conf/`` first)
is never used: ``--config-dir my_conf optimizer=sgd`` with a ``my_conf/optimizer/sgd.yaml`` of ``lr: 0.5`` trained
at the checkout's ``lr: 0.01`` and said nothing. Now a warning names both files when the command uses the option -
chosen, swept on the command line, or listed by a search's ``params``."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from trainlab.shadowed_options import group_values, shadowed_options


@pytest.fixture
def my_conf(tmp_path):
    conf = tmp_path / "my_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "sgd.yaml").write_text("_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.5\n")
    (conf / "optimizer" / "fast_sgd.yaml").write_text("_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.5\n")
    return conf


def warning_line(my_conf) -> str:
    return (f"warning: the checkout's conf/ hides options of the --config-dir of the same name (Hydra searches conf/ "
            f"first), so they are not used: {my_conf / 'optimizer' / 'sgd.yaml'} (optimizer=sgd uses "
            f"{ROOT / 'conf' / 'optimizer' / 'sgd.yaml'}); give yours names of their own (<group>/<new name>.yaml, "
            "chosen with <group>=<new name>)")


def test_a_run_choosing_a_hidden_option_says_which_file_it_uses(train_in_process, my_conf, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process("--config-dir", str(my_conf), "optimizer=sgd", "debug=limit", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert warning_line(my_conf) in result.stderr.splitlines()
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert "lr: 0.01" in (run_dir / ".hydra" / "config.yaml").read_text()  # the checkout's, as the warning says


def test_an_option_of_a_name_of_its_own_is_used_without_a_warning(train_in_process, my_conf, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process("--config-dir", str(my_conf), "optimizer=fast_sgd", "debug=limit",
                              f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "hides options" not in result.stderr
    assert "lr: 0.5" in (run_dir / ".hydra" / "config.yaml").read_text()


def test_a_sweep_over_a_hidden_option_warns_once_before_its_jobs(train_in_process, my_conf, tmp_path):
    result = train_in_process("-m", "--config-dir", str(my_conf), "optimizer=adam,sgd", "hydra/launcher=basic",
                              "debug=limit", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines().count(warning_line(my_conf)) == 1


def test_the_options_a_command_line_or_a_search_lists_are_looked_at():
    assert group_values(["optimizer=adam,sgd", "+init=choice(he, xavier)", "seed=1"],
                        {"optimizer": "choice(momentum,'nesterov')"}) == [
        ("optimizer", "adam"), ("optimizer", "sgd"), ("init", "he"), ("init", "xavier"), ("seed", "1"),
        ("optimizer", "momentum"), ("optimizer", "nesterov")]


def test_only_options_in_both_directories_are_named(tmp_path):
    main, mine = tmp_path / "conf", tmp_path / "mine"
    for directory, names in ((main, ["sgd", "adam"]), (mine, ["sgd", "lion"])):
        (directory / "optimizer").mkdir(parents=True)
        for name in names:
            (directory / "optimizer" / f"{name}.yaml").write_text("{}\n")
    chosen = [("optimizer", "sgd"), ("optimizer", "adam"), ("optimizer", "lion"), ("optimizer", "sgd"), ("seed", "1")]
    assert shadowed_options(chosen, main, [mine]) == [
        ("optimizer", "sgd", mine / "optimizer" / "sgd.yaml", main / "optimizer" / "sgd.yaml")]
    assert shadowed_options(chosen, None, [mine]) == []
    elsewhere = tmp_path / "data.yaml"  # a key's value that is a path: no option of any group
    elsewhere.write_text("{}\n")
    assert shadowed_options([("paths.data_dir", str(tmp_path / "data"))], main, [mine]) == []
