"""Opt-in ``torch.compile`` of the network (``compile.enabled=true``).

Only ``model.net`` is compiled, in place (``nn.Module.compile``), so parameter names, checkpoints and the
optimizer's parameter groups stay exactly those of the eager model. ``mode=reduce-overhead`` captures the network's
kernels in CUDA graphs on a GPU; for the book's small MLP that does not pay - Lightning's loop, not the network's
kernels, sets the pace (on an H200 324 steps/s against eager's 345, BENCHMARKS.md) - and on CPU compilation costs
seconds up front and gains little. It is there for a larger network of your own.
"""

from __future__ import annotations

from omegaconf import DictConfig
from torch import nn

from trainlab.errors import ConfigError
from trainlab.typed_values import typed

MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = ("inductor", "aot_eager", "eager", "cudagraphs")


def compile_network(net: nn.Module, cfg: DictConfig | None) -> None:
    """Compile ``net`` in place when ``cfg.enabled``; validate ``mode`` and ``backend``."""
    if not cfg or not cfg.get("enabled", False):
        return
    mode, backend = cfg.get("mode", "default"), cfg.get("backend", "inductor")
    if mode not in MODES:
        raise ConfigError(f"compile.mode={typed(mode)} is invalid; allowed: one of {', '.join(MODES)}")
    if backend not in BACKENDS:
        raise ConfigError(f"compile.backend={typed(backend)} is invalid; allowed: one of {', '.join(BACKENDS)}")
    net.compile(mode=None if backend != "inductor" else mode, backend=backend)
