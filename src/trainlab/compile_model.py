"""Opt-in ``torch.compile`` of the network (``compile.enabled=true``).

Only ``model.net`` is compiled, in place (``nn.Module.compile``), so parameter names, checkpoints and the
optimizer's parameter groups stay exactly those of the eager model. ``mode=reduce-overhead`` uses CUDA graphs on
a GPU, which removes most per-kernel launch overhead of the book's small MLP; on CPU, compilation costs seconds up
front and gains little for such a small network.
"""

from __future__ import annotations

from omegaconf import DictConfig
from torch import nn

from trainlab.errors import ConfigError

MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = ("inductor", "aot_eager", "eager", "cudagraphs")


def compile_network(net: nn.Module, cfg: DictConfig | None) -> None:
    """Compile ``net`` in place when ``cfg.enabled``; validate ``mode`` and ``backend``."""
    if not cfg or not cfg.get("enabled", False):
        return
    mode, backend = cfg.get("mode", "default"), cfg.get("backend", "inductor")
    if mode not in MODES:
        raise ConfigError(f"compile.mode={mode!r} is invalid; allowed: one of {', '.join(MODES)}")
    if backend not in BACKENDS:
        raise ConfigError(f"compile.backend={backend!r} is invalid; allowed: one of {', '.join(BACKENDS)}")
    net.compile(mode=None if backend != "inductor" else mode, backend=backend)
