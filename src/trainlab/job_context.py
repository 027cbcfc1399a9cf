"""What a training job knows of the Hydra job around it: its overrides, its config-group choices, and whether it is
one job of a multirun.

:func:`~trainlab.train.train` reads it from Hydra (:meth:`JobContext.from_hydra`). A DDP rank process
(:mod:`trainlab.distributed.rank_process`) runs outside Hydra and is handed its job's context instead, so that
``status.json``, the checkpoints' provenance and the HPARAMS columns it writes are the job's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from trainlab.config_keys import override_lines


@dataclass(frozen=True)
class JobContext:
    """``overrides``: the job's task overrides; ``choices``: Hydra's {group: option}; ``ignored_override_keys``: the
    override keys that name no hyper-parameter (``hydra.job.config.override_dirname.exclude_keys``);
    ``multirun``: whether the job is one of a multirun (a failed job then returns ``objective_on_failure``, or no
    objective when ``optimized_metric: null``, instead of raising); ``drawn_seed``: for ``seed=null``, the seed a
    DDP job's process drew for all its rank processes (:mod:`trainlab.run_seed`)."""

    overrides: list[str] = field(default_factory=list)
    choices: dict[str, str | None] = field(default_factory=dict)
    ignored_override_keys: list[str] = field(default_factory=list)
    multirun: bool = False
    drawn_seed: int | None = None

    @classmethod
    def from_hydra(cls) -> JobContext:
        """The running Hydra job's context; an empty one outside Hydra (a test calling ``train`` directly)."""
        if not HydraConfig.initialized():
            return cls()
        hydra_cfg = HydraConfig.get()
        return cls(overrides=override_lines(hydra_cfg.overrides.task), choices=dict(hydra_cfg.runtime.choices),
                   ignored_override_keys=list(hydra_cfg.job.config.override_dirname.exclude_keys),
                   multirun=hydra_cfg.mode == RunMode.MULTIRUN)
