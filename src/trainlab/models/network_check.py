"""What the classifier needs of a network of one's own (``model.net._target_``), checked once it is built.

The classifier feeds ``model.net`` a batch of flattened images, shape (B, 784), and takes its output as (B, C)
logits for C = ``model.num_classes`` classes. A network returning another shape failed at the first step with the
loss's traceback - ``Target 9 is out of bounds`` for (B, 9), ``Expected target size [100, 10]`` for (B, 1, 10),
``Expected input batch_size (10) to match`` for (C, B) - or, for (B, 11), trained and reported accuracies over
classes that do not exist. The initializer (``init``) and the weight decay act on the network's ``nn.Linear`` and
convolution layers: a network without any was left as built by ``init`` (``init=zeros`` changed nothing) and failed
at the first logged step with λ > 0; a layer whose weight is computed from other parameters (``weight_norm``,
``spectral_norm``) kept its own weights whatever ``init`` wrote, and had no decay while the penalty was logged.
:func:`check_network` refuses each before anything is written, naming the key. It runs a deep copy of the network,
in training and in evaluation mode (a network returning a tuple in training only), with the random generators put
back: the run trains as if it had never looked.
"""

from __future__ import annotations

import copy

import torch
from omegaconf import DictConfig, OmegaConf
from torch import nn

from trainlab.errors import ConfigError
from trainlab.init import glorot_init, he_init, normal_init, xavier_init, zeros_init
from trainlab.init.linear_layers import weight_layers
from trainlab.located_target import locate  # not hydra.utils.get_object: it logs an ERROR line before raising

PROBE_BATCH = 2
MNIST_PIXELS = 784  # what the project's data module feeds the network: a flattened 28 x 28 image
#: trainlab's initializers that write nn.Linear and convolution weights (init=default keeps the layers' own); one's
#: own - also one added to trainlab/init/ as docs/extending.md shows - may act on anything
LAYER_INITIALIZERS = (glorot_init, he_init, normal_init, xavier_init, zeros_init)


def writes_layer_weights(target: object) -> bool:
    """Whether ``init._target_`` names one of :data:`LAYER_INITIALIZERS`, by any of its import paths
    (``trainlab.init.he.he_init`` or ``trainlab.init.he_init``)."""
    if not isinstance(target, str):
        return False
    try:
        function = locate(target)
    except Exception:  # noqa: BLE001 - a target that does not import is not trainlab's (its import error is its own)
        return False
    return any(function is initializer for initializer in LAYER_INITIALIZERS)


def check_network(net: nn.Module, cfg: DictConfig, input_size: int = MNIST_PIXELS) -> None:
    """Refuse a network whose output is not (B, ``model.num_classes``) for a (B, ``input_size``) batch, or without
    the layers that ``init`` and ``model.weight_decay`` act on (see the module docstring)."""
    target = OmegaConf.select(cfg, "model.net._target_")
    layers = set(weight_layers(net))
    init = OmegaConf.select(cfg, "init._target_", default=None)
    writes_weights = writes_layer_weights(init)
    if not layers and writes_weights:
        raise ConfigError(f"init._target_={init} initialises nn.Linear and convolution layers, and model.net "
                          f"({target}) has none; allowed: init=null or init=default (the network keeps its own "
                          "initialisation)")
    weight_decay = OmegaConf.select(cfg, "model.weight_decay", default=0) or 0
    if not layers and weight_decay:
        raise ConfigError(f"model.weight_decay={weight_decay}: model.net ({target}) has no nn.Linear or convolution "
                          "weights for the decay; allowed: model.weight_decay=0")
    derived = [name for name, layer in net.named_modules()
               if layer in layers and not isinstance(layer.weight, nn.Parameter)]
    if derived and writes_weights:
        raise ConfigError(f"init._target_={init}: the weight of model.net.{derived[0]} ({target}) is computed from "
                          "other parameters (weight_norm, spectral_norm, a parametrization), so what the initializer "
                          "writes into it is lost; allowed: init=null or init=default (the layer's own "
                          "initialisation)")
    if derived and weight_decay:  # weight_norm / spectral_norm: the weight is computed from other parameters
        raise ConfigError(f"model.weight_decay={weight_decay}: the weight of model.net.{derived[0]} ({target}) is "
                          "computed from other parameters (weight_norm, spectral_norm, a parametrization), so the "
                          "optimizer's decay cannot act on it and the penalty logged as train/weight_penalty would not "
                          "be the one trained; allowed: model.weight_decay=0, or the layer's weight as a parameter")
    classes = OmegaConf.select(cfg, "model.num_classes", default=10)
    parameter = next(net.parameters(), None)
    batch = torch.zeros(PROBE_BATCH, input_size,
                        dtype=parameter.dtype if parameter is not None and parameter.is_floating_point()
                        else torch.float32, device=parameter.device if parameter is not None else "cpu")
    cuda = [parameter.device.index or 0] if parameter is not None and parameter.is_cuda else []
    for training in (True, False):  # training steps, then validation: a network may differ between the two
        try:  # a copy (a layer set up by its first batch, ActNorm, trains as if this had never run), the random
            # generators put back (one that draws in forward: the same draws)
            with torch.random.fork_rng(devices=cuda), torch.no_grad():
                output = copy.deepcopy(net).train(training)(batch)
        except Exception:  # noqa: BLE001 - a network that fails on a batch fails the run's first step, which says why
            return
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        if shape != (PROBE_BATCH, classes):
            mode = "in training" if training else "in evaluation"
            raise ConfigError(f"model.net ({target}) returns {shape} {mode} for a batch of {PROBE_BATCH} images of "
                              f"{input_size} pixels; allowed: a network returning (batch, {classes}) logits, one per "
                              f"class (model.num_classes={classes})")
