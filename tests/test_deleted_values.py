"""``'~optimizer.lr'`` trained with the class's own default and left the key out of the run's config and HPARAMS;
such a deletion is refused in one line before anything is written. A key the node's class does not take is still
deleted as before (the way out a swapped-in network's refusal gives)."""

from __future__ import annotations

import pytest

REFUSED = ("error: ~{key}: deleting it trains with {target}'s own default for {name}, which the run's config and "
           "HPARAMS would not record; allowed: {key}=<value> (the value to train with)")


@pytest.mark.parametrize(("words", "key", "target"), [
    (["~optimizer.lr"], "optimizer.lr", "trainlab.optim.sgd.SGD"),
    (["~model.weight_decay"], "model.weight_decay", "trainlab.models.classifier.MLPClassifier"),
    (["optimizer=adam", "~optimizer.betas"], "optimizer.betas", "trainlab.optim.adam.Adam"),
    (["~data.batch_size"], "data.batch_size", "trainlab.data.mnist_datamodule.MNISTDataModule"),
    (["-m", "~optimizer.lr", "seed=1,2"], "optimizer.lr", "trainlab.optim.sgd.SGD"),
])
def test_deleting_a_value_the_config_gives_is_refused_before_anything(train_in_process, tmp_path, words, key, target):
    out = tmp_path / "out"
    where = f"hydra.sweep.dir={out}" if "-m" in words else f"hydra.run.dir={out}"
    result = train_in_process(*words, "debug=limit", where)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == REFUSED.format(key=key, target=target,
                                                                    name=key.rpartition(".")[2])
    assert not out.exists()


def test_a_key_the_swapped_in_class_does_not_take_is_still_deleted(train_in_process, tmp_path):
    """``~model.net.hidden_sizes`` for a torch.nn.Linear: the refusal that follows is of the keys left, not of it."""
    result = train_in_process("model.net._target_=torch.nn.Linear", "~model.net.hidden_sizes",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: model.net.{input_size, num_classes,"), line
