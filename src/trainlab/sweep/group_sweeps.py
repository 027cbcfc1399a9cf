"""Sweeps over a config group's options: ``glob()`` picks among them, ``range()`` and ``interval()`` cannot.

A config group's choice is the name of one of its options, so Hydra sweeps a group over a list of names
(``optimizer=sgd,adam``) or a ``glob()`` of them (``optimizer=glob(torch_*)``), which its config loader expands
against the group's options; the checks before a sweep parse the overrides with that loader too
(:func:`~trainlab.sweep.basic_sweep.sweep_parser`; without it they failed, "ConfigLoader is not set"). A number
sweep over a group is refused here, in one line naming the key and the group's options, before anything is written:
``optimizer=range(0,2)`` ended in Hydra's traceback ("Config group override must be a string or a list. Got int")
after the sweep directory and its ``multirun.yaml`` were made, and ``optimizer=interval(0,1)`` failed in the checks
("Can only enumerate CHOICE and RANGE sweeps"). A ``glob()`` that matches no option is an empty sweep
(:func:`glob_note` says why; :func:`~trainlab.sweep.first_job.check_sweep_has_jobs` and the search refuse it).
"""

from __future__ import annotations

from hydra.core.override_parser.types import Glob, Override, ValueType
from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import override_lines
from trainlab.errors import ConfigError
from trainlab.sweep.basic_sweep import sweep_lines, sweep_parser

NUMBER_SWEEPS = {ValueType.RANGE_SWEEP: "range", ValueType.INTERVAL_SWEEP: "interval"}


def group_choices(group: str) -> list[str] | None:
    """The options of the config group ``group`` (``optimizer``, ``hydra/launcher``), sorted; None where ``group``
    is no config group or no Hydra is initialized."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.object_type import ObjectType

    if not GlobalHydra.instance().is_initialized():
        return None
    loader = GlobalHydra.instance().config_loader()
    repository = getattr(loader, "repository", None)
    if repository is None or not repository.group_exists(group):
        return None
    return sorted(loader.get_group_options(group, results_filter=ObjectType.CONFIG))


def ways_to_sweep(group: str, options: list[str]) -> str:
    """What a sweep over ``group`` may be, with its options."""
    pair = ",".join(options[:2]) if len(options) > 1 else "<option>,<option>"
    return (f"a list of its options ({group}={pair}) or a glob() of them ({group}=glob(*)); options of {group}: "
            f"{', '.join(options) or 'none'}")


def number_sweep_refusal(override: Override) -> str | None:
    """The refusal of ``range()`` or ``interval()`` over a config group (see the module docstring), or None."""
    kind = NUMBER_SWEEPS.get(override.value_type)
    if kind is None or override.is_delete():
        return None
    options = group_choices(override.key_or_group)
    if options is None:
        return None
    return (f"{override.input_line}: {override.key_or_group} is a config group, whose choice is an option's name, and "
            f"{kind}() sweeps over numbers; nothing was written. allowed: "
            f"{ways_to_sweep(override.key_or_group, options)}")


def glob_in_list_refusal(override: Override) -> str | None:
    """The refusal of a list with a ``glob()`` among its values (``optimizer=glob(torch_s*),adam``), or None. Hydra
    expands a ``glob()`` that is the whole sweep; one inside a list reached the job as a mapping of its patterns
    ("optimizer.include: unknown key")."""
    if override.value_type not in (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP) or override.is_delete():
        return None
    values = override._value.list  # noqa: SLF001 (the sweep's values: no public reader)
    globs = [value for value in values if isinstance(value, Glob)]
    if not globs:
        return None
    key = override.key_or_group
    patterns = [pattern for value in values for pattern in (value.include if isinstance(value, Glob) else [value])]
    merged = (f"one glob() alone ({key}='glob([{','.join(map(str, patterns))}])')" if not any(g.exclude for g in globs)
              else "one glob() alone")  # a merged exclude= would drop the listed names it matches too
    options = group_choices(key)
    allowed = (f"{merged} or a list of option names; "
               f"options of {key}: {', '.join(options) or 'none'}") if options is not None else \
        f"a list of values ({key} is no config group, and glob() picks among a config group's options)"
    return f"{override.input_line}: a glob() inside a list is not expanded; nothing was written. allowed: {allowed}"


def check_group_sweeps(config: DictConfig) -> None:
    """Refuse a multirun - any sweeper's: a search draws from the same overrides - that sweeps a config group with
    ``range()`` or ``interval()``, or lists a ``glob()`` among other values, whether on the command line or in
    ``hydra.sweeper.params``."""
    from hydra.errors import HydraException

    params = OmegaConf.select(config, "hydra.sweeper.params", default=None)
    params = params if isinstance(params, DictConfig) else None  # no mapping: refused by its own check
    parser = sweep_parser()
    for line in sweep_lines(params, override_lines(config.hydra.overrides.task)):
        try:
            (override,) = parser.parse_overrides([line])
        except (HydraException, ValueError):
            continue  # Hydra's parse error is reported in its own words
        if (refusal := number_sweep_refusal(override) or glob_in_list_refusal(override)) is not None:
            raise ConfigError(refusal)


def glob_note(override: Override) -> str | None:
    """Why the ``glob()`` of ``override`` sweeps over nothing - it matches none of its group's options, or its key is
    no config group (``optimizer.lr=glob(*)``: a glob picks among a group's options) - or None for another sweep."""
    if override.value_type != ValueType.GLOB_CHOICE_SWEEP:
        return None
    key = override.key_or_group
    options = group_choices(key)
    if options is None:
        return f"{key} is no config group, and glob() picks among a config group's options"
    return f"glob() matches none of the options of {key}: {', '.join(options) or 'none'}"

