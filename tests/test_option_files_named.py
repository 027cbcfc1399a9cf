"""A mistake in an option's yaml (or an experiment's defaults list) is refused naming the file to correct, not only
the key: ``optimizer._target_='...' cannot be imported``, "add _partial_: true to its config", "no _target_ names
the class to build" (with the faulty option among the ones offered) and Hydra's "init appears more than once in the
final defaults list" each left the user to find which of the config directories' files said so."""

from __future__ import annotations

import pytest

OPTIONS = {
    "bad_cls": "_target_: trainlab.optim.nesterov.NesteroV\n_partial_: true\nlr: 0.01\n",
    "nopartial": "_target_: torch.optim.SGD\nlr: 0.01\n",
    "notarget": "target: torch.optim.SGD\n_partial_: true\nlr: 0.01\n",
}
#: offered in place of one without a _target_: not notarget itself
NAMING_A_CLASS = ("adagrad, adam, bad_cls, momentum, nesterov, nopartial, rmsprop, sgd, torch_adam, torch_adamw, "
                  "torch_sgd")


@pytest.fixture
def own_conf(tmp_path):
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    for name, text in OPTIONS.items():
        (conf / "optimizer" / f"{name}.yaml").write_text(text)
    (conf / "experiment").mkdir()
    (conf / "experiment" / "second_init.yaml").write_text("# @package _global_\ndefaults:\n  - /init: he\n")
    return conf


@pytest.mark.parametrize(("overrides", "line"), [
    (["optimizer=bad_cls"], "error: optimizer._target_='trainlab.optim.nesterov.NesteroV' (set in {conf}/optimizer/"
     "bad_cls.yaml) cannot be imported: module 'trainlab.optim.nesterov' has no attribute 'NesteroV'; did you mean "
     "'Nesterov'?"),
    # set on the command line: the file is not to blame
    (["optimizer=sgd", "optimizer._target_=trainlab.optim.nesterov.NesteroV"], "error: optimizer._target_="
     "'trainlab.optim.nesterov.NesteroV' cannot be imported: module 'trainlab.optim.nesterov' has no attribute "
     "'NesteroV'; did you mean 'Nesterov'?"),
    (["optimizer=nopartial"], "error: optimizer is invalid; torch.optim.SGD raised TypeError: SGD.__init__() missing "
     "1 required positional argument: 'params'; trainlab passes params itself (the parameters): add _partial_: true "
     "to {conf}/optimizer/nopartial.yaml"),
    (["optimizer=notarget"], "error: optimizer=notarget: {conf}/optimizer/notarget.yaml has target: where Hydra reads "
     "_target_: (the class to build); allowed: _target_: in place of target: in that file, or optimizer=<option> ("
     + NAMING_A_CLASS + ")"),
    (["experiment=second_init", "hydra.mode=RUN"], "error: init: the defaults list of {conf}/experiment/"
     "second_init.yaml chooses init=he where conf/train.yaml chooses from that group already; allowed: "
     "'- override /init: he' in that defaults list"),
])
def test_a_mistake_in_an_options_yaml_names_the_file(own_conf, train_in_process, tmp_path, overrides, line):
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(own_conf), *overrides, "debug=limit", f"hydra.run.dir={run}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == line.format(conf=own_conf)
    assert "Traceback" not in result.stderr
    assert not run.exists()


def test_resuming_without_the_runs_config_dir_says_the_run_was_made_with_it(train_in_process, tmp_path):
    """``--config-dir my_conf init=lecun``, resumed with ``init=lecun ckpt_path=last hydra.run.dir=<run>`` and no
    ``--config-dir``: 'no option lecun in config group init' did not say the run had found it elsewhere."""
    conf = tmp_path / "my_conf"
    (conf / "init").mkdir(parents=True)
    (conf / "init" / "lecun.yaml").write_text("_target_: trainlab.init.he.he_init\n_partial_: true\n")
    run = tmp_path / "run"
    made = train_in_process("--config-dir", str(conf), "init=lecun", "debug=limit", "trainer.max_steps=4", "test=false",
                            f"hydra.run.dir={run}")
    assert made.returncode == 0, made.stderr[-3000:]
    recorded = (run / ".hydra" / "hydra.yaml").read_text()
    result = train_in_process("init=lecun", "debug=limit", "trainer.max_steps=8", "test=false", "ckpt_path=last",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init=lecun: no option 'lecun' in config group init; allowed: default, glorot, he, normal, xavier, "
        f"zeros; the run in {run} was made with --config-dir {conf}, which has init/lecun.yaml: add --config-dir "
        f"{conf} to this command")
    assert (run / ".hydra" / "hydra.yaml").read_text() == recorded  # nothing rewritten
