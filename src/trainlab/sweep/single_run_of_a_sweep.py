"""A sweep config run as a single run: ``python train.py experiment=compare_optimizers hydra.mode=RUN``.

An experiment or search config (``conf/experiment/*.yaml``, ``conf/hparams_search/*.yaml``) is a sweep: it sets
``hydra.mode: MULTIRUN`` and the swept keys in ``hydra.sweeper.params``. Run as a single run (``hydra.mode=RUN``
typed, or a config of one's own without ``hydra.mode: MULTIRUN`` started without ``-m``), Hydra ignores the sweeper
and its params: the command trained ONE run with the config's own value of every swept key (``optimizer=sgd`` for
experiment B, not the four optimizers) and ended with exit status 0, without a word.

A single run is such a config's job only when the command gives every swept key its one value
(``experiment=compare_optimizers hydra.mode=RUN optimizer=adam``; ``init=null``, which the command turns into
``~init``, gives ``init`` its value too): one member of the sweep, whose values a job's ``.hydra/overrides.yaml``
records - with them, ``ckpt_path=last hydra.mode=RUN 'hydra.run.dir="<job>"'`` resumes that job alone.
:func:`check_no_sweep_config_in_single_run` refuses the rest before anything is written (Preflight's
``on_run_start``), naming the swept keys the command left out, the sweep's own command and a job's.
"""

from __future__ import annotations

import sys

from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import override_key, override_lines
from trainlab.errors import ConfigError

#: the config groups whose options are sweeps (their yaml sets hydra.mode: MULTIRUN and hydra.sweeper.params)
SWEEP_GROUPS = ("experiment", "hparams_search")
#: a swept key's values longer than this are left out of the message (experiment F's 16 weight scales)
LONGEST_VALUES = 60


def swept_params(hydra_config: DictConfig) -> dict[str, str]:
    """``sweeper.params`` of a composed config's ``hydra`` node: each swept key (as an override names it:
    ``optimizer``, ``model.net.dropout``) with its values as written (``sgd,momentum,adagrad,adam``); empty without a
    sweep. A null entry is left out (both sweepers refuse one before a job runs)."""
    sweeper = hydra_config.get("sweeper")
    params = OmegaConf.to_container(sweeper, resolve=False).get("params") if sweeper is not None else None
    if not isinstance(params, dict):
        return {}
    return {override_key(str(key)): str(value) for key, value in params.items() if value is not None}


def typed_run_mode(argv: list[str]) -> str | None:
    """``hydra.mode=RUN`` as the command line typed it (``++hydra.mode=RUN``, ``hydra.mode='RUN'``), else None -
    Hydra records ``hydra.mode=RUN`` among the overrides of every single run, typed or not, so only the command line
    tells a typed one (which a sweep's job resumed alone must keep) from the default mode."""
    return next((word for word in argv
                 if override_key(word) == "hydra.mode" and word.partition("=")[2].strip("'\"") == "RUN"), None)


def described(key: str, values: str) -> str:
    """``optimizer (sgd,momentum,adagrad,adam)``; the key alone where its values would not fit on the line."""
    return f"{key} ({values})" if len(values) <= LONGEST_VALUES else key


def check_no_sweep_config_in_single_run(config: DictConfig, argv: list[str] | None = None) -> None:
    """Refuse a single run of a config whose ``hydra.sweeper.params`` sweep keys the command does not set: the run
    would ignore the sweep and train the config's own values. ``argv`` is the command line (``sys.argv[1:]``), which
    alone tells a typed ``hydra.mode=RUN`` from the default mode.

    Raises:
        ConfigError: a swept key has no value on the command line (the message names the keys, the sweep's command
            and a job's).
    """
    from trainlab.shell_override import config_options, train_command

    params = swept_params(config.hydra)
    task = override_lines(config.hydra.overrides.task)
    typed = {override_key(line) for line in task}  # ~init (init=null: PyTorch's own init) chooses its value too
    missing = {key: values for key, values in params.items() if key not in typed}
    if not missing:  # no sweep, or one of its jobs: every swept key has its value on the command line
        return
    argv = sys.argv[1:] if argv is None else argv
    mode = typed_run_mode(argv)
    hydra = [line for line in override_lines(config.hydra.overrides.hydra) if override_key(line) != "hydra.mode"]
    sources = [line for line in task if override_key(line) in SWEEP_GROUPS]
    source = " ".join(sources) or "hydra.sweeper.params"
    what = f"the experiment{'s' if len(sources) > 1 else ''}" if sources else "the config"
    single = f"{source} with {mode}" if mode else f"{source} without -m"
    keys = " and ".join(described(key, values) for key, values in missing.items())
    sweep_hydra = [line for line in hydra if override_key(line) != "hydra.run.dir"]  # a multirun refuses it
    # with -m even where the config sets hydra.mode: MULTIRUN: one of one's own that does not is no sweep without it
    options = config_options(config.hydra)  # --config-dir: an experiment of one's own is found only with it
    sweep = train_command([*task, *sweep_hydra], {}, multirun=True, options=options)
    job = " ".join([train_command([*task, *hydra], {"hydra.mode": "RUN"}, options=options),
                    *(f"{key}=<value>" for key in missing)])
    raise ConfigError(
        f"{single}: {what} is a sweep over {keys}, which a single run ignores: it would train one run with the "
        f"config's own {' and '.join(missing)}; nothing was written. allowed: the sweep ({sweep}), or one of its "
        f"jobs alone, each swept key given its value ({job})")

