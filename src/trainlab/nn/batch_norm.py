"""Batch normalisation (Ioffe & Szegedy, 2015) with its backward pass written out, as the book derives it.

Forward, training mode, over a mini-batch of N rows (per feature column):

    μ = (1/N) Σᵢ xᵢ                σ² = (1/N) Σᵢ (xᵢ − μ)²   (biased)
    x̂ = (x − μ) / √(σ² + ε)        y = γ·x̂ + β

Backward, from the computational graph (the book's Fig. 6-17), with dy = ∂L/∂y:

    ∂L/∂β = Σᵢ dyᵢ                 ∂L/∂γ = Σᵢ dyᵢ·x̂ᵢ
    ∂L/∂x = γ / (N·√(σ² + ε)) · (N·dy − ∂L/∂β − x̂·∂L/∂γ)

(the three terms are the direct path through x̂, the path through μ, and the path through σ²).

Running statistics, ``running_stats="torch"`` (the default), follow ``torch.nn.BatchNorm1d`` exactly, so the two are
interchangeable, state dicts included: ``running_mean ← (1 − m)·running_mean + m·μ`` and
``running_var ← (1 − m)·running_var + m·σ²·N/(N − 1)`` (the *unbiased* variance), starting from mean 0 and variance
1; ``momentum=None`` gives the cumulative average. ``running_stats="book"`` keeps them as the book's code does: both
start at 0 and the running variance averages the *biased* σ² (its momentum 0.9 is 1 − m, m = 0.1). Eval mode
normalises with the running statistics, in one pass as ``x·a + b`` with a = γ/√(σ² + ε) and b = β − μ·a (what
torch's CPU kernel computes).

The start matters where the batch variance is tiny, as at experiment F's smallest weight scales (σ² ~1e-8): the
variance torch starts at 1 decays as 0.9ᵏ over k steps, and until it falls below ε eval mode divides by √0.9ᵏ
instead of √(σ² + ε) ≈ 1e-3 - the network's eval-mode accuracy (what F plots) sits at chance for epochs while its
training-mode accuracy rises. The book's start at 0 has no such lag.

Half-precision inputs (bf16/fp16, e.g. from a Linear under ``trainer.precision=bf16-mixed``) are normalised in
float32 and the output keeps the input's dtype, as torch's batch norm does.
"""

from __future__ import annotations

import torch
from torch import nn

from trainlab.models.net_choices import RUNNING_STATS


class BatchNormFunction(torch.autograd.Function):
    """y = γ·(x − μ)/√(σ² + ε) + β over dim 0 with the closed-form backward of the module docstring.

    Returns ``(y, μ, σ²)``; μ and σ² are for the running statistics and carry no gradient. The formulas are
    grouped so that each pass over the (N, C) data does as much as it can: with k = γ/√(σ² + ε) and c = x − μ,

        forward:   y = β + c·k                                     (x̂ = c/√(σ² + ε) is never materialised)
        backward:  ∂L/∂β = Σ dy,  ∂L/∂γ = Σ dy·c / √(σ² + ε),
                   ∂L/∂x = dy·k − c·(k·∂L/∂γ/(N·√(σ² + ε))) − k·∂L/∂β/N
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float):
        n = x.shape[0]
        mean = x.sum(dim=0).div_(n)
        centred = x - mean
        var = torch.linalg.vecdot(centred, centred, dim=0).div_(n)  # biased; var_mean(dim=0) is ~20x slower on CPU
        inv_std = torch.rsqrt(var + eps)
        if weight is None:
            y = centred * inv_std
        else:
            y = torch.addcmul(bias, centred, weight * inv_std)
        ctx.save_for_backward(centred, inv_std, weight)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, dy: torch.Tensor, _dmean, _dvar):
        centred, inv_std, weight = ctx.saved_tensors
        n = dy.shape[0]
        dbeta = dy.sum(dim=0)
        dgamma = torch.linalg.vecdot(dy, centred, dim=0).mul_(inv_std)
        k = inv_std if weight is None else weight * inv_std
        dx = torch.addcmul(k * dbeta / -n, centred, k * dgamma * inv_std / -n).addcmul_(dy, k)
        if weight is None:
            return dx, None, None, None
        return dx, dgamma, dbeta, None


class BatchNorm(nn.Module):
    """Drop-in for ``torch.nn.BatchNorm1d`` on (N, C) inputs, with the explicit backward of :class:`BatchNormFunction`.

    Args:
        num_features: C.
        eps: ε added to the variance (torch default 1e-5; the book uses 1e-6).
        momentum: weight m of the new batch in the running averages; ``None`` = cumulative average.
        affine: learn γ (``weight``, starts at 1) and β (``bias``, starts at 0).
        track_running_stats: keep running statistics and use them in eval mode; otherwise always batch statistics.
        running_stats: ``torch`` (start at mean 0, variance 1; average the unbiased variance) or ``book`` (start at
            0; average the biased variance), see the module docstring.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        running_stats: str = "torch",
    ) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(f"num_features={num_features} must be >= 1")
        if eps <= 0:
            raise ValueError(f"eps={eps} must be > 0")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum={momentum} must be in [0, 1] or None")
        if running_stats not in RUNNING_STATS:
            raise ValueError(f"running_stats={running_stats!r} is unknown; allowed: {', '.join(RUNNING_STATS)}")
        self.running_stats = running_stats
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            start = torch.zeros if running_stats == "book" else torch.ones
            self.register_buffer("running_var", start(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}, running_stats={self.running_stats}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm({self.num_features}) expects input of shape (N, {self.num_features}), "
                             f"got {tuple(x.shape)}")
        # statistics of a half-precision batch are summed in float32; the result goes back to the input's dtype
        x_in = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        use_batch_stats = self.training or not self.track_running_stats
        if not use_batch_stats:  # y = γ·(x − μ)/√(σ² + ε) + β = x·a + b: one pass over the data, as torch's kernel
            scale = torch.rsqrt(self.running_var + self.eps)  # a = γ/√(σ² + ε), b = β − μ·a (per feature)
            if self.weight is not None:
                scale = scale * self.weight
            shift = -self.running_mean * scale if self.bias is None else torch.addcmul(self.bias, self.running_mean,
                                                                                     scale, value=-1)
            return torch.addcmul(shift, x_in, scale).to(x.dtype)
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}"
                             " (batch statistics of one sample are undefined)")
        y, mean, var = BatchNormFunction.apply(x_in, self.weight, self.bias, self.eps)
        if self.training and self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = 1.0 / self.num_batches_tracked.item() if self.momentum is None else self.momentum
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), m)
                averaged = var if self.running_stats == "book" else var * (n / (n - 1))
                self.running_var.lerp_(averaged.to(self.running_var.dtype), m)
        return y.to(x.dtype)
