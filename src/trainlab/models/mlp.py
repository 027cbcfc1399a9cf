"""The book's multi-layer perceptron.

``MLP(784, [100] * 4, 10)`` is the book's "5-layer net": per hidden layer ``Linear -> [BatchNorm] -> activation ->
[Dropout]``, then an output ``Linear`` whose logits feed softmax cross-entropy. Nothing is applied to the input or
after the output layer.

Two of the layers come in the book's form and in torch's: BatchNorm's running statistics
(``batch_norm_running_stats``, :mod:`trainlab.nn.batch_norm`) and dropout's scaling (``dropout_kind``,
:mod:`trainlab.nn.dropout`). The defaults are torch's, what every run before these arguments existed had; the
chapter's experiments F and H choose the book's.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from trainlab.models.net_choices import ACTIVATIONS, BATCH_NORMS, DROPOUT_KINDS, RUNNING_STATS


def make_activation(name: str) -> nn.Module:
    """The activation ``name`` (a key of :data:`~trainlab.models.net_choices.ACTIVATIONS`) as a torch.nn module."""
    return getattr(nn, ACTIVATIONS[name])()


def make_batch_norm(kind: str, num_features: int, eps: float, running_stats: str) -> nn.Module:
    """``custom`` = the project's own BatchNorm (explicit backward), ``torch`` = ``nn.BatchNorm1d``; ε = ``eps``;
    ``running_stats``: ``torch`` or ``book`` (the project's own BatchNorm alone keeps the book's)."""
    if kind == "torch":
        return nn.BatchNorm1d(num_features, eps=eps)
    from trainlab.nn.batch_norm import BatchNorm

    return BatchNorm(num_features, eps=eps, running_stats=running_stats)


def make_dropout(kind: str, p: float) -> nn.Module:
    """``inverted`` = ``nn.Dropout`` (survivors scaled by 1/(1 − p) in training), ``book`` = the book's (the layer
    scaled by 1 − p at inference)."""
    if kind == "inverted":
        return nn.Dropout(p)
    from trainlab.nn.dropout import BookDropout

    return BookDropout(p)


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
        batch_norm_running_stats: ``torch`` (running mean 0 and variance 1 at the start, the unbiased variance
            averaged: ``nn.BatchNorm1d``'s) or ``book`` (both start at 0, the biased variance averaged; with
            ``batch_norm="custom"`` only). It decides eval mode's accuracy early in training at tiny weight scales.
        dropout_kind: ``inverted`` (``nn.Dropout``) or ``book`` (:class:`~trainlab.nn.dropout.BookDropout`).
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
        batch_norm_running_stats: str = "torch",
        dropout_kind: str = "inverted",
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
        if batch_norm_running_stats not in RUNNING_STATS:
            raise ValueError(f"model.net.batch_norm_running_stats={batch_norm_running_stats!r} is unknown; allowed: "
                             f"{', '.join(RUNNING_STATS)}")
        if batch_norm == "torch" and batch_norm_running_stats != "torch":
            raise ValueError(f"model.net.batch_norm_running_stats={batch_norm_running_stats} needs "
                             "model.net.batch_norm=custom: torch's BatchNorm1d keeps torch's running statistics")
        if dropout_kind not in DROPOUT_KINDS:
            raise ValueError(f"model.net.dropout_kind={dropout_kind!r} is unknown; allowed: {', '.join(DROPOUT_KINDS)}")
        hidden_sizes = list(hidden_sizes)
        if not hidden_sizes or any(int(size) < 1 for size in hidden_sizes):
            raise ValueError(f"model.net.hidden_sizes={hidden_sizes} must be a non-empty list of sizes >= 1")
        layers: list[nn.Module] = []
        fan_in = input_size
        for width in hidden_sizes:
            layers.append(nn.Linear(fan_in, width))
            if batch_norm != "none":
                layers.append(make_batch_norm(batch_norm, width, batch_norm_eps, batch_norm_running_stats))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(make_dropout(dropout_kind, dropout))
            fan_in = width
        layers.append(nn.Linear(fan_in, num_classes))
        super().__init__(*layers)
