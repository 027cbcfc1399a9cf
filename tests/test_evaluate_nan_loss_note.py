"""``trainlab evaluate`` of a checkpoint whose loss is nan: a ``note:`` line says whether its weights are NaN/Inf (a
diverged run's) or finite (its outputs were not).

``run_end_note`` explains a diverged run's ``last.ckpt`` from its ``status.json``; a checkpoint given by path (or
``--ckpt best``), or a killed run's ``last.ckpt``, had no word of trainlab's on its nan, only torchmetrics' warning
about the nan values, which evaluate now silences.
"""

from __future__ import annotations

import torch

from trainlab.evaluate import nan_loss_note

NAN = float("nan")


def checkpoint(path, **weights: torch.Tensor):
    torch.save({"state_dict": {f"net.{name}": value for name, value in weights.items()}}, path)
    return path


def test_a_checkpoint_with_nan_weights_is_named_with_them(tmp_path):
    path = checkpoint(tmp_path / "epoch_001.ckpt", **{"0.weight": torch.tensor([1.0, NAN]), "0.bias": torch.ones(2),
                                                       "2.weight": torch.tensor([float("inf")])})
    results = {"val": {"loss": NAN, "acc": 0.1}, "test": {"loss": 2.3, "acc": 0.1}}
    assert nan_loss_note(tmp_path, str(path), results) == (
        f"note: the loss on val is nan: {path} holds NaN/Inf weights (net.0.weight, net.2.weight), a diverged run's "
        "- the nan is theirs, not the evaluation's")


def test_a_nan_loss_of_finite_weights_says_the_outputs_were_not(tmp_path):
    path = checkpoint(tmp_path / "epoch_001.ckpt", **{"0.weight": torch.ones(2)})
    results = {"val": {"loss": NAN, "acc": 0.1}, "train": {"loss": NAN, "acc": 0.1}}
    assert nan_loss_note(tmp_path, str(path), results) == (
        f"note: the loss on val, train is nan, though the weights in {path} are finite: the network's outputs there "
        "hold NaN/Inf")


def test_a_killed_runs_nan_last_checkpoint_is_named_with_its_weights(tmp_path):
    """No status.json (killed, or still training): run_end_note says only that, not why the loss is nan."""
    (tmp_path / "checkpoints").mkdir()
    path = checkpoint(tmp_path / "checkpoints" / "last.ckpt", **{"0.weight": torch.tensor([NAN])})
    assert nan_loss_note(tmp_path, "last", {"val": {"loss": NAN, "acc": 0.1}}) == (
        f"note: the loss on val is nan: {path} holds NaN/Inf weights (net.0.weight), a diverged run's - the nan is "
        "theirs, not the evaluation's")


def test_no_note_for_numbers_or_for_the_last_checkpoint_of_a_run_recorded_diverged(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    checkpoint(tmp_path / "checkpoints" / "last.ckpt", **{"0.weight": torch.tensor([NAN])})
    assert nan_loss_note(tmp_path, "last", {"val": {"loss": 2.3, "acc": 0.1}}) is None
    (tmp_path / "status.json").write_text('{"status": "diverged", "overrides": [], "metrics": {}}')
    assert nan_loss_note(tmp_path, "last", {"val": {"loss": NAN, "acc": 0.1}}) is None  # run_end_note's to say
