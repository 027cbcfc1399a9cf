"""``hydra.sweeper.params.model.net.batch_norm=custom`` on the command line: Hydra reads the dotted entry as nested
keys and refused ``hydra.sweeper.params.model: unknown key; allowed keys of hydra.sweeper.params: init.std,
model.net.batch_norm`` - naming the very key that was typed. The line gives the plain override that replaces the
entry instead (:mod:`trainlab.dotted_sweeper_params`), every entry the command sets, and nothing is written."""

from __future__ import annotations

import pytest

CONFIG_FILE = "or hydra.sweeper.params in a config file (hydra: {{sweeper: {{params: {{{written}}}}}}})"


@pytest.mark.parametrize(("words", "allowed", "written"), [
    (["hydra.sweeper.params.model.net.batch_norm=custom"],
     "the entry as an override of its key, model.net.batch_norm=custom (it replaces hydra.sweeper.params' entry for "
     "model.net.batch_norm)", "model.net.batch_norm: 'custom'"),
    # the walkthrough's command: the sweep value of init.std alone had its own line, the dotted entry hid it
    (["hydra.sweeper.params.init.std=0.0001,0.0074", "hydra.sweeper.params.model.net.batch_norm=custom"],
     "the entries as overrides of their keys, init.std=0.0001,0.0074 model.net.batch_norm=custom (each replaces "
     "hydra.sweeper.params' entry for its key)", "init.std: '0.0001,0.0074', model.net.batch_norm: 'custom'"),
    (["hydra.sweeper.params.optimizer.lr=0.1"],  # no such entry: a plain override of every job
     "the entry as an override of its key, optimizer.lr=0.1 (every job takes it)", "optimizer.lr: '0.1'"),
])
def test_a_dotted_sweeper_params_entry_is_refused_with_the_override_of_its_key(train_in_process, tmp_path, words,
                                                                                allowed, written):
    refused = train_in_process("experiment=compare_batchnorm", *words, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert refused.returncode == 2
    typed = words[-1]
    first = typed.partition("=")[0].split(".")[3]
    entry = typed.partition("=")[0].removeprefix("hydra.sweeper.params.")
    assert refused.stderr.strip().splitlines() == [
        f"error: {typed}: Hydra reads the dots of a key under hydra.sweeper.params as nested keys "
        f"(hydra.sweeper.params.{first}), not as the entry {entry}; allowed: {allowed}, "
        + CONFIG_FILE.format(written=written)]
    assert not (tmp_path / "sweep").exists()


def test_an_unknown_undotted_key_of_hydra_sweeper_params_keeps_the_list_of_its_entries(train_in_process, tmp_path):
    refused = train_in_process("experiment=compare_batchnorm", "hydra.sweeper.params.model=custom",
                               f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: hydra.sweeper.params.model: unknown key; allowed keys of hydra.sweeper.params: init.std, "
        "model.net.batch_norm")
