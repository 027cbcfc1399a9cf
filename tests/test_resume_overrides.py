"""The overrides a refused resume names: the command's own, the checkpoint's values in place of those that differ."""

from __future__ import annotations

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
