"""The book's multi-layer perceptron.

``MLP(784, [100] * 4, 10)`` is the book's "5-layer net": per hidden layer ``Linear -> [BatchNorm] -> activation ->
[Dropout]``, then an output ``Linear`` whose logits feed softmax cross-entropy. Nothing is applied to the input or
after the output layer.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from trainlab.models.net_choices import ACTIVATIONS, BATCH_NORMS


def make_activation(name: str) -> nn.Module:
    """The activation ``name`` (a key of :data:`~trainlab.models.net_choices.ACTIVATIONS`) as a torch.nn module."""
    return getattr(nn, ACTIVATIONS[name])()


def make_batch_norm(kind: str, num_features: int, eps: float) -> nn.Module:
    """``custom`` = the project's own BatchNorm (explicit backward), ``torch`` = ``nn.BatchNorm1d``; ε = ``eps``."""
    if kind == "torch":
        return nn.BatchNorm1d(num_features, eps=eps)
    from trainlab.nn.batch_norm import BatchNorm

    return BatchNorm(num_features, eps=eps)


class MLP(nn.Sequential):
    """Fully connected classifier.

    Args:
        input_size: features per sample (784 for flattened MNIST).
        hidden_sizes: width of each hidden layer; ``[100] * (N - 1)`` is the book's N-layer net.
        num_classes: output logits.
        activation: ``relu`` | ``sigmoid`` | ``tanh``.
        batch_norm: ``none`` | ``custom`` | ``torch`` - BatchNorm after every hidden Linear.
        batch_norm_eps: BatchNorm's ε in x̂ = (x − μ_B)/√(σ²_B + ε). The default is torch's 1e-5, which every run
            before this argument existed used; ``conf/model/mlp.yaml`` sets the book's 1e-6 (``10e-7`` in its code).
            It matters where the batch variance is tiny, as at experiment F's smallest weight scales.
        dropout: drop probability after every hidden activation (0 = no Dropout layer).
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_sizes: Sequence[int] = (100, 100, 100, 100),
        num_classes: int = 10,
        activation: str = "relu",
        batch_norm: str = "none",
        dropout: float = 0.0,
        batch_norm_eps: float = 1e-5,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"model.net.activation={activation!r} is unknown; allowed: {', '.join(ACTIVATIONS)}")
        if batch_norm not in BATCH_NORMS:
            raise ValueError(f"model.net.batch_norm={batch_norm!r} is unknown; allowed: {', '.join(BATCH_NORMS)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"model.net.dropout={dropout} must be in [0, 1)")
        if isinstance(batch_norm_eps, bool) or not isinstance(batch_norm_eps, int | float) or not batch_norm_eps > 0:
            raise ValueError(f"model.net.batch_norm_eps={batch_norm_eps!r} must be a number > 0 (the book: 1e-6, "
                             "torch: 1e-5)")
        hidden_sizes = list(hidden_sizes)
        if not hidden_sizes or any(int(size) < 1 for size in hidden_sizes):
            raise ValueError(f"model.net.hidden_sizes={hidden_sizes} must be a non-empty list of sizes >= 1")
        layers: list[nn.Module] = []
        fan_in = input_size
        for width in hidden_sizes:
            layers.append(nn.Linear(fan_in, width))
            if batch_norm != "none":
                layers.append(make_batch_norm(batch_norm, width, batch_norm_eps))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            fan_in = width
        layers.append(nn.Linear(fan_in, num_classes))
        super().__init__(*layers)
