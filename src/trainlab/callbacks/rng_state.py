"""Keep the random number generators' state in every checkpoint, so a resumed run draws what it would have.

Dropout masks come from the global generators; without their state a resumed run would follow a different
trajectory from the step it resumed at. Saved: torch (CPU and every CUDA device), NumPy and Python ``random``,
as tensors and plain Python values only, so the checkpoint still loads with ``torch.load(weights_only=True)``.
The data order needs nothing here: it is a function of (data seed, epoch) and the loader's own state.
"""

from __future__ import annotations

import random

import lightning as L
import numpy as np
import torch


def numpy_state_to_plain(state: tuple) -> tuple:
    """NumPy's ("MT19937", uint32 keys, pos, has_gauss, cached) with the keys as an int64 tensor."""
    name, keys, pos, has_gauss, cached = state
    return name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)


def numpy_state_from_plain(state: tuple) -> tuple:
    name, keys, pos, has_gauss, cached = state
    return name, keys.numpy().astype(np.uint32), pos, has_gauss, cached


class RNGStateInCheckpoint(L.Callback):
    """Writes ``checkpoint["rng_states"]`` on save and restores the generators from it on load."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint["rng_states"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": numpy_state_to_plain(np.random.get_state()),
            "python": random.getstate(),
        }

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        states = checkpoint.get("rng_states")
        if states is None:
            return
        torch.set_rng_state(states["torch"])
        if states["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["cuda"])
        np.random.set_state(numpy_state_from_plain(states["numpy"]))
        random.setstate(states["python"])
