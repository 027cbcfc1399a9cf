"""A split's loss is the mean over its samples, and NaN where any batch's loss is NaN - not the mean of the other
batches with a torchmetrics warning (``MeanMetric``'s default ``nan_strategy="warn"`` dropped NaN batch losses: a
network whose outputs overflowed on some batches logged a finite ``val/loss``, and the stacked launcher's members,
whose sums keep the NaN, logged another value for the same weights)."""

from __future__ import annotations

import math
import warnings

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics import MeanMetric

from trainlab.models.classifier import MLPClassifier
from trainlab.models.mlp import MLP
from trainlab.models.weighted_mean import WeightedMean


def test_the_mean_weights_each_batch_by_its_size_as_meanmetric_does():
    ours, theirs = WeightedMean(), MeanMetric()
    for loss, size in [(2.0, 100), (1.0, 100), (4.0, 37)]:
        ours.update(torch.tensor(loss), weight=size)
        theirs.update(torch.tensor(loss), weight=size)
    assert ours.compute().item() == pytest.approx((2.0 * 100 + 1.0 * 100 + 4.0 * 37) / 237, rel=1e-6)
    assert ours.compute().item() == pytest.approx(theirs.compute().item(), rel=1e-6)


def test_a_nan_batch_makes_the_mean_nan_without_a_warning():
    metric = WeightedMean()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metric.update(torch.tensor(0.5), weight=100)
        metric.update(torch.tensor(float("nan")), weight=100)
        value = metric.compute()
    assert math.isnan(value.item())
    assert [str(w.message) for w in caught] == []
    metric.reset()
    metric.update(torch.tensor(0.25), weight=10)
    assert metric.compute().item() == 0.25  # the next epoch starts from zero


def test_a_checkpoint_holding_meanmetric_states_loads_into_the_split_loss():
    """Checkpoints of earlier versions hold the losses' MeanMetric states (persistent): the same names and meaning."""
    before = MeanMetric()
    before.persistent(True)
    before.update(torch.tensor(3.0), weight=4)
    before.update(torch.tensor(1.0), weight=4)
    now = WeightedMean()
    now.persistent(True)
    now.load_state_dict(before.state_dict())  # strict: the same keys
    now.update(torch.tensor(2.0), weight=2)  # the epoch goes on from the loaded sums: (12 + 4 + 4) / 10
    assert now.compute().item() == 2.0


def test_a_validation_with_a_batch_of_nan_outputs_logs_a_nan_val_loss():
    torch.manual_seed(0)
    model = MLPClassifier(MLP(6, [5], 3), optimizer=None, num_classes=3)
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    x[35] = float("nan")  # one sample of the last batch: its outputs, and that batch's loss, are NaN
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                        enable_checkpointing=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (logged,) = trainer.validate(model, DataLoader(TensorDataset(x, y), batch_size=10), verbose=False)
    assert math.isnan(logged["val/loss"])  # MeanMetric gave the mean of the three finite batches
    assert not [w for w in caught if "nan" in str(w.message).lower()]
    # the finite batches alone: a number, the mean over their samples
    (finite,) = trainer.validate(model, DataLoader(TensorDataset(x[:30], y[:30]), batch_size=10), verbose=False)
    with torch.no_grad():
        expected = torch.nn.functional.cross_entropy(model.net(x[:30]), y[:30]).item()
    assert finite["val/loss"] == pytest.approx(expected, rel=1e-5)
