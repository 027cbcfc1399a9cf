"""Experiment E - gradient check of the explicit BatchNorm backward (the book's gradient check, done right).

The book checks its BatchNorm backward on a batch of one sample, where BN's output is constant (β) and every
input gradient is 0 - a check that cannot fail. Here the check runs in float64 with N ∈ {2, 7, 64}: the analytic
gradients of :class:`trainlab.nn.batch_norm.BatchNormFunction` are compared with central differences of the
forward pass, for x, γ and β, and ``torch.autograd.gradcheck`` runs through a whole MLP with BatchNorm.

    python -m trainlab.experiments.batchnorm_gradcheck
"""

from __future__ import annotations

import argparse

import torch

from trainlab.models.mlp import MLP
from trainlab.nn.batch_norm import BatchNormFunction

EPS = 1e-5


def numerical_gradient(f, tensor: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Central differences of the scalar ``f()`` with respect to every element of ``tensor``."""
    grad = torch.zeros_like(tensor)
    flat, flat_grad = tensor.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        original = flat[i].item()
        flat[i] = original + h
        plus = f().item()
        flat[i] = original - h
        minus = f().item()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def check_batch_norm(n: int, features: int = 5, seed: int = 0) -> dict[str, float]:
    """Max |analytic − numerical| for x, γ, β at batch size ``n`` (float64)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator, dtype=torch.float64)
    gamma = torch.rand(features, generator=generator, dtype=torch.float64) + 0.5
    beta = torch.randn(features, generator=generator, dtype=torch.float64)
    upstream = torch.randn(n, features, generator=generator, dtype=torch.float64)

    def loss() -> torch.Tensor:
        return (BatchNormFunction.apply(x, gamma, beta, EPS)[0] * upstream).sum()

    inputs = [t.clone().requires_grad_() for t in (x, gamma, beta)]
    analytic = torch.autograd.grad((BatchNormFunction.apply(*inputs, EPS)[0] * upstream).sum(), inputs)
    with torch.no_grad():
        numerical = [numerical_gradient(loss, t) for t in (x, gamma, beta)]
    return {name: (a - b).abs().max().item() for name, a, b in zip(("x", "gamma", "beta"), analytic, numerical,
                                                                     strict=True)}


def check_mlp(n: int = 6, seed: int = 0) -> bool:
    """``torch.autograd.gradcheck`` of a loss through a 3-layer MLP with the custom BatchNorm (float64)."""
    torch.manual_seed(seed)
    net = MLP(12, [8, 8], 3, batch_norm="custom").double()
    names = [name for name, _ in net.named_parameters()]
    x = torch.randn(n, 12, dtype=torch.float64, requires_grad=True)

    def loss(x, *params):
        return torch.func.functional_call(net, dict(zip(names, params, strict=True)), x).pow(2).sum()

    return torch.autograd.gradcheck(loss, (x, *net.parameters()))


def main(argv: list[str] | None = None) -> dict[int, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 7, 64], help="batch sizes N (each >= 2)")
    args = parser.parse_args(argv)
    if min(args.sizes) < 2:
        parser.error("every batch size must be >= 2: with N = 1 BatchNorm's output is constant")
    results = {}
    print(f"{'N':>4s}  max|analytic - numerical|:  {'x':>10s} {'gamma':>10s} {'beta':>10s}")
    for n in args.sizes:
        results[n] = check_batch_norm(n)
        print(f"{n:4d}  {'':27s} {results[n]['x']:10.2e} {results[n]['gamma']:10.2e} {results[n]['beta']:10.2e}")
    print(f"gradcheck through MLP(12, [8, 8], 3, batch_norm=custom), float64: {'passed' if check_mlp() else 'FAILED'}")
    return results


if __name__ == "__main__":
    main()
