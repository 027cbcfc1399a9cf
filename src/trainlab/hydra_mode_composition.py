"""One composition per command: the config Hydra composes to read ``hydra.mode`` is the one the run or sweep uses.

``python train.py ...`` composes ``conf/`` twice before anything runs: Hydra's ``_run_hydra`` first asks
``Hydra.get_mode``, which composes the whole config to read ``hydra.mode`` (an experiment config may set
``MULTIRUN``) and throws it away, and then ``Hydra.run`` or ``Hydra.multirun`` composes it again from the same
config name and overrides. A composition takes ~0.1-0.25 s on a 2-core machine (its defaults tree, a dozen YAML
files, merges and deep copies), so every command - a run, a sweep, a refused config - paid it twice.

:func:`compose_once_for_the_mode` makes the second call take the first one's config. The two compositions differ in
two settings only (``hydra/_internal/config_loader_impl.py``): the sweep overrides' legality (``get_mode`` skips the
check) and ``skip_missing`` (a group default ``???``: ``get_mode`` composes as a sweep, which skips it; a run
refuses it). So ``get_mode`` here composes as a run does, without the check of sweep overrides - where the config
has no missing group, that is the same config a run or a sweep composes - and the run or sweep that follows with
the same config name and overrides takes it, after the sweep-override check its own composition would have made
and with the logging set up as Hydra's ``compose_config`` sets it. Where the config sets no ``hydra.mode`` (a plain
run) or another one than the command's, Hydra adds ``hydra.mode=RUN`` (or ``MULTIRUN``) at the end of the
overrides before it composes again; that last override is applied to the config and recorded in
``hydra.overrides.hydra``, as its composition applies and records it. A config with a missing group choice is
composed as before (``get_mode`` falls back to Hydra's own). A config that cannot be composed returns no mode, as
Hydra's ``get_mode`` does, and the composition Hydra then makes inside its error reporting raises the error the
first one met, without composing it again - and before the sweep-override check, which Hydra makes first: with no
mode read, Hydra checks the sweep overrides as a run's, so a search typed without ``-m`` (``hparams_search=random``
sets ``hydra.mode: MULTIRUN``) with a mistyped key beside its ranges was refused with "Sweep parameters ...
requires --multirun" instead of the mistyped key. (The first composition skips sweep overrides, so its error is
never theirs.) Any other call (other overrides, a job of a sweep) composes anew.
"""

from __future__ import annotations

import logging
from typing import Any

from hydra._internal import hydra as hydra_module
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.hydra import Hydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import configure_log
from hydra.types import RunMode
from omegaconf import DictConfig

#: what a composition that a missing group choice stopped raises (``hydra/_internal/defaults_list.py``)
MISSING_CHOICE = ("You must specify '", "Missing ConfigDefault is not supported")
#: what Hydra's ``_run_app`` adds to the overrides where ``get_mode`` gave no mode
MODE_OVERRIDES = ("hydra.mode=RUN", "hydra.mode=MULTIRUN")


def added_mode(kept: list[str], overrides: list[str]) -> tuple[bool, str | None]:
    """(whether ``overrides`` are the command's whose overrides were ``kept``, the ``hydra.mode=...`` that Hydra's
    ``_run_app`` added at their end, if any: where the config sets no mode - a plain run - or not the command's)."""
    if overrides == kept:
        return True, None
    if overrides[:-1] == kept and overrides[-1] in MODE_OVERRIDES:
        return True, overrides[-1]
    return False, None


def compose_once_for_the_mode() -> None:
    """Patch ``Hydra.get_mode`` and ``Hydra.compose_config`` as the module docstring says (once per process)."""
    if getattr(Hydra.get_mode, "composes_once", False):
        return
    hydras_get_mode, hydras_compose_config = Hydra.get_mode, Hydra.compose_config

    def get_mode(self: Hydra, config_name: str | None, overrides: list[str]) -> Any:
        try:
            cfg = hydras_compose_config(self, config_name=config_name, overrides=overrides, run_mode=RunMode.RUN,
                                        with_log_configuration=False, validate_sweep_overrides=False)
        except Exception as error:  # noqa: BLE001 - as Hydra's get_mode: raised by the run's composition
            if str(error).startswith(MISSING_CHOICE):  # a sweep skips a missing choice: Hydra's own composition
                return hydras_get_mode(self, config_name, overrides)
            self.trainlab_mode_composition = (config_name, list(overrides), error)
            return None
        try:
            mode = cfg.hydra.mode
        except Exception:  # noqa: BLE001 - as Hydra's get_mode: no mode, and the run composes anew
            return None
        self.trainlab_mode_composition = (config_name, list(overrides), cfg)
        return mode

    def compose_config(self: Hydra, config_name: str | None, overrides: list[str], run_mode: RunMode,
                       with_log_configuration: bool = False, from_shell: bool = True,
                       validate_sweep_overrides: bool = True) -> DictConfig:
        kept = self.__dict__.pop("trainlab_mode_composition", None)
        same, mode = (False, None) if kept is None or kept[0] != config_name else added_mode(kept[1], list(overrides))
        if not same:
            return hydras_compose_config(self, config_name, overrides, run_mode, with_log_configuration, from_shell,
                                         validate_sweep_overrides)
        if isinstance(kept[2], Exception):  # before the check of sweep overrides: see the module docstring
            raise kept[2]
        parser = OverridesParser.create()
        if validate_sweep_overrides:  # the check this composition would have made first, in its words
            self.config_loader.validate_sweep_overrides_legal(overrides=parser.parse_overrides(overrides=overrides),
                                                              run_mode=run_mode, from_shell=from_shell)
        cfg = kept[2]
        if mode is not None:  # the last override, applied and recorded as the composition applies and records it
            ConfigLoaderImpl._apply_overrides_to_config(parser.parse_overrides(overrides=[mode]), cfg)
            cfg.hydra.overrides.hydra.append(mode)
        if with_log_configuration:  # as Hydra's compose_config
            configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
            hydra_module.log = logging.getLogger(hydra_module.__name__)
            self._print_debug_info(config_name, overrides, run_mode)
        return cfg

    get_mode.composes_once = True  # type: ignore[attr-defined]
    Hydra.get_mode = get_mode  # type: ignore[method-assign]
    Hydra.compose_config = compose_config  # type: ignore[method-assign]
