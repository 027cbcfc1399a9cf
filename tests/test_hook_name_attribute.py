"""Lightning's running-hook name is stored as a plain attribute on the project's LightningModules (a fast path
around ``nn.Module.__setattr__``), and every other attribute still registers as usual."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

from trainlab.models.classifier import MLPClassifier
from trainlab.models.mlp import MLP
from trainlab.optim import SGD
from trainlab.stacked.stacked_classifier import StackedClassifier


def lone_module() -> MLPClassifier:
    return MLPClassifier(MLP(20, [8], 3), optimizer=functools.partial(SGD, lr=0.1), num_classes=3)


def stacked_module() -> StackedClassifier:
    return StackedClassifier([lone_module(), lone_module()], writer=None, divergence_check_every=None)


@pytest.mark.parametrize("build", [lone_module, stacked_module], ids=["MLPClassifier", "StackedClassifier"])
def test_the_hook_name_skips_module_setattr_and_other_attributes_still_register(build, monkeypatch):
    module = build()
    calls = []
    original = nn.Module.__setattr__
    monkeypatch.setattr(nn.Module, "__setattr__", lambda self, name, value: (calls.append(name),
                                                                              original(self, name, value)))
    module._current_fx_name = "training_step"
    assert module._current_fx_name == "training_step" and calls == []
    module.extra = nn.Parameter(torch.ones(2))
    module.head = nn.Linear(2, 2)
    assert calls[0] == "extra" and calls[-1] == "head"  # (nn.Linear sets its own attributes in between)
    assert "extra" in dict(module.named_parameters()) and "head" in dict(module.named_children())
