"""The overrides a refused resume names: the command's own, the checkpoint's values in place of those that differ."""

from __future__ import annotations

from conftest import CONF_DIR
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from trainlab.resume_overrides import fitting_overrides


def test_a_differing_value_is_replaced_where_the_command_set_it_and_its_budget_is_kept():
    command = ["data.source=bundled", "optimizer.lr=0.1", "trainer.max_epochs=6", "ckpt_path=last"]
    recorded = ["data.source=bundled", "trainer.max_epochs=4"]  # the session that wrote the checkpoint
    assert fitting_overrides(command, recorded, [("optimizer.lr", 0.01, 0.1)]) == [
        "data.source=bundled", "optimizer.lr=0.01", "trainer.max_epochs=6"]


def test_another_option_of_a_group_is_given_back_by_the_recorded_choice_and_its_values():
    command = ["optimizer=sgd", "optimizer.lr=0.5", "optimizer.foreach=false", "trainer.max_epochs=3"]
    recorded = ["optimizer=adam", "+optimizer.amsgrad=true", "optimizer.lr=0.001", "trainer.max_epochs=1"]
    differences = [("optimizer._target_", "trainlab.optim.adam.Adam", "trainlab.optim.sgd.SGD")]
    assert fitting_overrides(command, recorded, differences) == [
        "optimizer=adam", "+optimizer.amsgrad=true", "optimizer.lr=0.001", "trainer.max_epochs=3"]


def test_a_choice_the_checkpoint_made_by_default_drops_the_commands_and_values_are_written_as_hydra_reads_them():
    differences = [("init._target_", "trainlab.init.he.he_init", "trainlab.init.normal.normal_init"),
                   ("model.net.hidden_sizes", [50, 50], [100]), ("data.train_size", None, 1000),
                   ("model.net.batch_norm", False, True), ("optimizer.foo", object(), 1)]  # absent: not written
    command = ["init=normal", "init.std=0.1", "model/net=wide", "+optimizer.foo=1", "data.train_size=1000"]
    assert fitting_overrides(command, [], differences) == [
        "model.net.hidden_sizes=[50,50]", "data.train_size=null", "model.net.batch_norm=false"]


def test_without_differences_the_command_stays_as_it_is():
    assert fitting_overrides(["seed=3", "ckpt_path=last"], ["seed=3"], []) == ["seed=3"]


ADAM = {"_target_": "trainlab.optim.adam.Adam", "_partial_": True, "lr": 0.003, "betas": [0.9, 0.999], "eps": 1e-07,
        "foreach": True, "compile": False, "amsgrad": True}  # a checkpoint's resolved optimizer node


def test_a_choice_no_recorded_override_made_is_the_groups_option_with_the_checkpoints_target():
    """The checkpoint's optimizer came from an experiment config or a default since changed: no recorded override
    names it, so the option whose _target_ it has does, with the checkpoint's values that differ from its YAML."""
    differences = [("optimizer._target_", "trainlab.optim.adam.Adam", "trainlab.optim.sgd.SGD"), ("seed", 0, 3)]
    command = ["experiment=compare_init", "seed=3", "trainer.max_epochs=9", "ckpt_path=last"]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        fitted = fitting_overrides(command, ["experiment=other"], differences, {"optimizer": ADAM, "seed": 0})
    assert fitted == ["experiment=compare_init", "optimizer=adam", "optimizer.lr=0.003", "+optimizer.amsgrad=true",
                      "seed=0", "trainer.max_epochs=9"]


def test_without_one_option_of_that_target_or_a_hydra_to_read_the_options_from_no_choice_is_made():
    unknown = [("optimizer._target_", "my.optim.Lion", "trainlab.optim.sgd.SGD")]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        assert fitting_overrides(["seed=1"], [], unknown, {"optimizer": {"_target_": "my.optim.Lion"}}) == ["seed=1"]
    adam = [("optimizer._target_", "trainlab.optim.adam.Adam", "trainlab.optim.sgd.SGD")]
    GlobalHydra.instance().clear()  # as outside a Hydra app (a test's composed config, checked afterwards)
    assert fitting_overrides(["seed=1"], [], adam, {"optimizer": ADAM}) == ["seed=1"]  # no Hydra initialized
