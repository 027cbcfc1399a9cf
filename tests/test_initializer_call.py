"""An initializer of one's own writes the network's parameters in place and returns None (trainlab/models/
initializer_call.py). One that reshaped a weight (the transpose) or changed its dtype failed at the first step in
a traceback, after the run's files were written, and stopped a stacked sweep with ``stack expects each tensor to be
equal size``; one that returned new weights instead of writing them trained the network's own initialisation under
its name, exit status 0. Each is refused in one line naming ``init._target_``. A first parameter the config sets,
or one annotated with a plain type, cannot take the network (or an optimizer's parameters): refused before anything
is built (config_validation.check_first_parameter_is_left_free)."""

from __future__ import annotations

import functools
import textwrap

import pytest
import torch
from test_argument_types import refusal  # check_keys' refusal of {key: node}, None where it passes
from torch import nn

from trainlab.errors import ConfigError
from trainlab.models.initializer_call import initialise


def net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


@torch.no_grad()
def transposed(module: nn.Module, std: float = 0.05) -> None:
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            layer.weight.data = torch.randn(layer.in_features, layer.out_features) * std


@torch.no_grad()
def doubled(module: nn.Module) -> None:
    module[0].weight.data = module[0].weight.data.double()


@torch.no_grad()
def returns_weights(module: nn.Module, scale: float = 1.0) -> dict:
    return {name: torch.randn_like(p) * scale for name, p in module.named_parameters()}


@torch.no_grad()
def written_in_place(module: nn.Module, value: float = 0.5) -> nn.Module:
    for parameter in module.parameters():
        parameter.fill_(value)
    return module  # the network it was given: allowed


@pytest.mark.parametrize("init, message", [
    (transposed, "changed model.net.0.weight: its shape from (3, 4) to (4, 3); an initializer writes the values of "
                 "the network's parameters in place"),
    (doubled, "changed model.net.0.weight: its dtype from torch.float32 to torch.float64; an initializer writes"),
    (functools.partial(returns_weights, scale=2.0), "returned a value (dict) and wrote nothing into the network; "
                                                    "an initializer writes the values"),
])
def test_an_initializer_that_reshapes_retypes_or_returns_weights_is_refused_naming_it(init, message):
    with pytest.raises(ConfigError) as refused:
        initialise(init, net())
    name = getattr(init, "func", init).__qualname__
    assert str(refused.value).startswith(f"init._target_={__name__}.{name} {message}")


def test_an_initializer_writing_in_place_runs_and_may_return_the_network_it_was_given():
    network = net()
    initialise(functools.partial(written_in_place, value=0.25), network)
    assert all(torch.equal(p, torch.full_like(p, 0.25)) for p in network.parameters())


@torch.no_grad()
def zeros_returned(module: nn.Module) -> list:
    return [nn.init.zeros_(layer.weight) for layer in module.modules() if isinstance(layer, nn.Linear)]


def test_an_initializer_that_wrote_in_place_may_return_what_it_filled():
    """``return nn.init.zeros_(...)`` or a list of the tensors it filled: the weights were written, nothing lost."""
    network = net()
    initialise(zeros_returned, network)
    assert not network[0].weight.detach().any() and not network[2].weight.detach().any()


def test_a_lazy_modules_parameters_without_a_shape_yet_pass():
    """``nn.LazyLinear`` has no shape until its first batch: reading it raised, refusing every such network."""
    network = nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyLinear(2))
    initialise(lambda module: None, network)
    assert network(torch.zeros(1, 4)).shape == (1, 2)


OWN = """\
    import torch


    def forgot_module(scale: float = 1.0):
        pass


    def loose_first(module, scale: float = 1.0):
        pass


    class LrFirst(torch.optim.SGD):
        def __init__(self, lr, params):
            super().__init__(params, lr=lr)
"""


@pytest.fixture
def own_module(tmp_path, monkeypatch):
    (tmp_path / "own_first.py").write_text(textwrap.dedent(OWN))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "own_first"


@pytest.mark.parametrize("node, key, line", [
    ({"_target_": "own_first.forgot_module", "_partial_": True}, "init",
     "init._target_=own_first.forgot_module: trainlab calls it with the network as its first argument, and its first "
     "parameter is scale, annotated float; allowed: a first parameter that takes the network (def forgot_module("
     "module, scale, ...)), the config's keys after it"),
    ({"_target_": "own_first.forgot_module", "_partial_": True, "scale": 2.0}, "init",
     "init._target_=own_first.forgot_module: trainlab calls it with the network as its first argument, and its first "
     "parameter is scale, which the config sets (init.scale); allowed: a first parameter that takes the network (def "
     "forgot_module(module, scale, ...)), the config's keys after it"),
    ({"_target_": "own_first.LrFirst", "_partial_": True, "lr": 0.1}, "optimizer",
     "optimizer._target_=own_first.LrFirst: trainlab calls it with the parameters as its first argument, and its "
     "first parameter is lr, which the config sets (optimizer.lr); allowed: a first parameter that takes the "
     "parameters (__init__(self, params, lr, ...)), the config's keys after it"),
])
def test_a_first_parameter_that_cannot_take_what_trainlab_passes_is_refused(own_module, node, key, line):
    assert refusal(node, key) == line


@pytest.mark.parametrize("node, key", [
    ({"_target_": "own_first.loose_first", "_partial_": True, "scale": 2.0}, "init"),
    ({"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.1}, "optimizer"),
    ({"_target_": "trainlab.init.he.he_init", "_partial_": True}, "init"),
])
def test_a_first_parameter_left_to_trainlab_passes(own_module, node, key):
    assert refusal(node, key) is None


def through_data(module: nn.Module, std: float = 0.02) -> torch.Tensor:
    """The common ``.data`` style, returning what the last call returned (the tensor it filled)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            filled = layer.weight.data.normal_(0.0, std)
            layer.bias.data.zero_()
    return filled


@torch.no_grad()
def convolutions_only(module: nn.Module, std: float = 0.05) -> None:
    """Writes the convolutions it finds - none in an MLP."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=std)


def test_an_initializer_that_writes_nothing_is_said_in_a_warning_and_init_default_is_not(caplog):
    """It trained from PyTorch's own initialisation under its own name, exit status 0, without a word."""
    from trainlab.init.default import default_init
    from trainlab.init.he import he_init

    with caplog.at_level("WARNING", logger="trainlab.models.initializer_call"):
        initialise(functools.partial(convolutions_only, std=0.1), net())
    assert [record.getMessage() for record in caplog.records] == [
        f"init._target_={__name__}.convolutions_only wrote nothing into the network (no parameter of model.net was "
        "written): the run trains from PyTorch's own initialisation, as init=default does, recorded under this "
        "initializer; an initializer writes the values of the network's parameters in place (under torch.no_grad(): "
        "parameter.copy_(...), torch.nn.init.normal_(layer.weight)), keeping their shapes and dtypes, and returns None"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="trainlab.models.initializer_call"):
        initialise(default_init, net())  # PyTorch's initialisation, by design
        initialise(he_init, net())
        initialise(written_in_place, net())
        initialise(through_data, net())  # a write through .data moves no version counter: a write all the same
    assert caplog.records == []


def test_what_an_initializer_wrote_is_told_with_nans_and_dtypes_as_they_are():
    """NaN garbage left unwritten (``torch.empty``) counted as written (NaN != NaN), and a weight made float64 was
    "wrote nothing" (float32 and float64 compare equal) before the dtype refusal."""
    from trainlab.models.initializer_call import unchanged

    garbage = torch.tensor([float("nan"), 1.0])
    assert unchanged(garbage.clone(), garbage)
    assert not unchanged(garbage.double(), garbage)
    assert not unchanged(torch.tensor([0.5, 1.0]), garbage)
