"""Weight decay (decay / no-decay groups, the ½λΣ‖W‖² penalty), dropout, and experiments G, H, I."""

from __future__ import annotations

import csv

import pytest
import torch
import yaml
from tb_events import load_run, scalar_values
from torch import nn

from trainlab.models.classifier import MLPClassifier, split_decay_groups
from trainlab.models.mlp import MLP
from trainlab.optim import SGD
from trainlab.train import train


def test_biases_and_batchnorm_parameters_are_not_decayed():
    net = MLP(20, [8, 8], 3, batch_norm="custom")
    decay, no_decay = split_decay_groups(net, 0.1)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert {id(p) for p in decay["params"]} == {id(m.weight) for m in linears}  # output layer included
    bn_params = {id(p) for m in net.modules() if type(m).__name__ == "BatchNorm" for p in m.parameters()}
    biases = {id(m.bias) for m in linears}
    assert {id(p) for p in no_decay["params"]} == bn_params | biases
    assert len(bn_params) == 4


def test_without_weight_decay_every_parameter_is_in_one_group():
    net = MLP(20, [8, 8], 3, batch_norm="custom")
    (group,) = split_decay_groups(net, 0.0)
    assert group["weight_decay"] == 0.0
    assert [id(p) for p in group["params"]] == [id(p) for p in net.parameters()]


def test_penalty_gradient_is_lambda_w_on_weights_only():
    torch.manual_seed(0)
    module = MLPClassifier(MLP(20, [8], 3, batch_norm="torch"), optimizer=None, weight_decay=0.3)
    module.weight_penalty().backward()
    for name, p in module.net.named_parameters():
        if p.dim() == 2:  # Linear weights
            torch.testing.assert_close(p.grad, 0.3 * p.detach())
        else:
            assert p.grad is None or torch.count_nonzero(p.grad) == 0, name
    expected = 0.5 * 0.3 * sum((m.weight**2).sum() for m in module.net.modules() if isinstance(m, nn.Linear))
    torch.testing.assert_close(module.weight_penalty(), expected)


def test_optimizer_weight_decay_equals_sgd_on_data_loss_plus_penalty():
    """One step with the decay group == one plain SGD step on (data loss + ½λΣ‖W‖²)."""
    torch.manual_seed(0)
    a = MLPClassifier(MLP(20, [8, 8], 3), optimizer=lambda groups: SGD(groups, lr=0.1), weight_decay=0.05)
    b = MLPClassifier(MLP(20, [8, 8], 3), optimizer=lambda groups: SGD(groups, lr=0.1), weight_decay=0.05)
    b.load_state_dict(a.state_dict())
    x, y = torch.randn(16, 20), torch.randint(0, 3, (16,))
    opt_a = a.configure_optimizers()
    nn.functional.cross_entropy(a(x), y).backward()
    opt_a.step()
    plain = SGD(b.parameters(), lr=0.1)
    (nn.functional.cross_entropy(b(x), y) + b.weight_penalty()).backward()
    plain.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_dropout_active_in_training_off_in_eval_with_the_configured_ratio():
    torch.manual_seed(0)
    net = MLP(50, [2000], 10, dropout=0.2)
    hidden = nn.Sequential(*list(net)[:3])  # Linear -> ReLU -> Dropout
    x = torch.randn(64, 50)
    net.train()
    dropped = hidden(x)
    kept = nn.Sequential(*list(net)[:2])(x)  # before dropout
    positive = kept > 0
    zero_fraction = (dropped[positive] == 0).float().mean().item()
    assert abs(zero_fraction - 0.2) < 0.01
    # inverted dropout: survivors are scaled by 1/(1-p)
    survivors = positive & (dropped != 0)
    torch.testing.assert_close(dropped[survivors], kept[survivors] / 0.8)
    net.eval()
    torch.testing.assert_close(hidden(x), kept)
    assert torch.equal(net(x), net(x))


def test_weight_penalty_is_logged_beside_the_data_loss(make_cfg, tmp_path):
    train(make_cfg("debug=limit", "model.weight_decay=0.1", output_dir=tmp_path / "wd"))
    data_loss = scalar_values(tmp_path / "wd", "train/loss")
    penalty = scalar_values(tmp_path / "wd", "train/weight_penalty")
    total = scalar_values(tmp_path / "wd", "train/total_loss")
    assert len(data_loss) == len(penalty) == len(total) == 10
    assert all(p > 1.0 for p in penalty)  # ½·0.1·Σ‖W‖² of a He-initialised 5-layer net
    for d, p, t in zip(data_loss, penalty, total, strict=True):
        assert t == pytest.approx(d + p, rel=1e-6)


@pytest.mark.parametrize("experiment,swept", [("overfit_weight_decay", "model.weight_decay=0.1"),
                                              ("overfit_dropout", "model.net.dropout=0.2")])
def test_overfitting_experiments_compose_and_run(experiment, swept, make_cfg, tmp_path):
    cfg = make_cfg(f"experiment={experiment}", swept, "trainer.max_epochs=2", output_dir=tmp_path / experiment)
    assert cfg.data.train_size == 300 and list(cfg.model.net.hidden_sizes) == [100] * 6
    assert cfg.optimized_metric is None  # a comparison, not a search
    train(cfg)
    for tag in ("eval/train_acc", "eval/test_acc"):  # what the figure plots, every epoch
        assert len(scalar_values(tmp_path / experiment, tag)) == 2, tag
    assert "val/acc" not in load_run(tmp_path / experiment).Tags()["scalars"]  # no validation split, as the book


def test_random_hparams_search_runs_and_writes_trials_table(train_in_process, tmp_path):
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=3", "trainer.max_epochs=2")
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"optimizer.lr", "model.weight_decay"}
    with (sweep_dir / "ranking.csv").open() as handle:
        trials = list(csv.DictReader(handle))
    assert len(trials) == 3
    assert {"optimizer.lr", "model.weight_decay", "status", "objective", "val/acc"} <= set(trials[0])
    objectives = [float(t["objective"]) for t in trials]
    assert objectives == sorted(objectives, reverse=True)
    assert float(trials[0]["objective"]) == pytest.approx(best["best_value"])
    for trial in trials:
        assert 1e-6 <= float(trial["optimizer.lr"]) <= 1e-2
        assert 1e-8 <= float(trial["model.weight_decay"]) <= 1e-4
