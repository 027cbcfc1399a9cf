"""Compose the jobs of a sweep from templates: Hydra's ``ConfigLoader.load_sweep_config``, without re-reading YAML.

Hydra composes a job's config from the YAML files each time it is asked - about 0.25 s for this project's config on
a 2-core machine (some 17 files parsed, merged and checked). A sweep asks at least once per job (the basic sweeper
also composes every job of a batch to check it, the Optuna sweeper composes a trial to learn its job directory,
and then the launcher composes the job to run it). For a stack of cheap members that is more time than the
training: 16 s of experiment F's 32 jobs, 50 s of a 100-trial search; for a sweep of lone runs, half a second a job.
Every multirun composes from templates (:class:`ComposeFromTemplates`, a Hydra callback), whatever its sweeper and
launcher.

Most jobs of a sweep differ from each other only in *values* (``optimizer.lr=0.003``, ``init.std=0.5``,
``seed=2``), and Hydra applies such overrides after it has merged the YAML files: which files are merged depends
on the *config group* choices alone (``optimizer=adam``). :func:`compose_from_templates` makes a config loader
compose each distinct set of group choices once - the *template* - and build a job's config as a copy of its
template with the job's value overrides applied by Hydra's own ``_apply_overrides_to_config``, with the job's
``hydra.overrides.task`` and ``hydra.job.override_dirname`` written as Hydra writes them. A copy is made by
unpickling the template, pickled once (:class:`Template`): 0.9 ms for this project's config, against 4.4 ms for
``copy.deepcopy`` (a config that does not pickle is deep-copied).

A sweeper that composes a job only to read from it (the Optuna sweeper: the trial's job directory) hands the config
over (:meth:`TemplateComposer.hand_over`) and the launcher's call for the same overrides gets that config instead of
composing it a second time (in this process; what no call took is dropped when the launch returns).

A job whose overrides do anything else (``+key=...``, ``~key``, ``++key=...``, a ``hydra.*`` key, a package
override, a key that is not a value of its template) is composed by Hydra in full, as before. The result is the
config Hydra would compose (``tests/test_composed_configs.py`` compares the two, errors included).
"""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.experimental.callback import Callback
from omegaconf import Container, DictConfig, OmegaConf, open_dict

MAX_TEMPLATES = 256  # distinct group choices kept (a sweep has a handful)
MAX_PARSED_LINES = 4096  # override lines kept parsed (a job's shared lines, and recent jobs' own)
MAX_HANDED_OVER = 256  # composed configs kept for the launcher until its launch returns (a batch's trials)


def is_group_choice(override: Override, is_group: Callable[[str], bool]) -> bool:
    """``group=option`` (or ``group@package=option``): it changes which YAML files are merged."""
    return (override.type == OverrideType.CHANGE and not override.is_sweep_override()
            and not isinstance(override.value(), dict) and is_group(override.key_or_group))


def is_plain_value(override: Override, is_group: Callable[[str], bool]) -> bool:
    """``key=value`` on a task key (no ``+``/``~``/``++``, no package, not a group, not ``hydra.*``, no sweep)."""
    return (override.type == OverrideType.CHANGE and override.package is None and not override.is_sweep_override()
            and not override.is_hydra_override() and "/" not in override.key_or_group
            and not is_group(override.key_or_group))


def names_a_value(template: DictConfig, key: str) -> bool:
    """Whether ``key`` (dotted) is a leaf value of ``template`` (not a config node a group could have put there)."""
    node = OmegaConf.select(template, key, throw_on_missing=False, throw_on_resolution_failure=False)
    if node is None:
        parent, _, leaf = key.rpartition(".")
        container = OmegaConf.select(template, parent) if parent else template
        return isinstance(container, DictConfig) and leaf in container  # a key whose value is null
    return not isinstance(node, Container)


@dataclass
class Template:
    """A composed config and its pickled bytes, from which copies are made (None: it does not pickle), and which
    dotted keys name one of its values (:func:`names_a_value`, asked once per key: the jobs of a sweep override the
    same keys)."""

    config: DictConfig
    pickled: bytes | None
    value_keys: dict[str, bool] = field(default_factory=dict)

    def names_a_value(self, key: str) -> bool:
        known = self.value_keys.get(key)
        if known is None:
            known = self.value_keys[key] = names_a_value(self.config, key)
        return known

    @classmethod
    def of(cls, config: DictConfig) -> Template:
        try:
            return cls(config, pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError):  # e.g. a structured config's class not importable
            return cls(config, None)

    def copy(self) -> DictConfig:
        """A config of its own, equal to the template (values, flags, interpolations; its parent is None)."""
        return copy.deepcopy(self.config) if self.pickled is None else pickle.loads(self.pickled)


def config_copy(config: DictConfig) -> DictConfig:
    """``copy.deepcopy(config)`` by a pickle round trip (2.4× quicker for a composed job config)."""
    return Template.of(config).copy()


class TemplateComposer:
    """``load_sweep_config(master_config, sweep_overrides)`` of one config loader, from templates (module docstring).

    The jobs of a sweep repeat most of their override lines (the command line's, the sweep's choices) and override
    the same keys, so what Hydra answers about a line or a key is kept: a line's parse (the grammar's parser costs
    ~1 ms a line), whether a name is a config group (a look-up on the config search path), and per template which
    keys name a value. Together they were half the time of composing a job of a 100-trial search.

    Args:
        config_loader: Hydra's config loader (its ``repository`` tells config groups from keys).
        compose: the loader's own ``load_sweep_config``.
    """

    def __init__(self, config_loader: Any, compose: Any) -> None:
        self.repository = config_loader.repository
        self.compose = compose
        self.parser = OverridesParser.create()
        self.templates: OrderedDict[tuple, Template] = OrderedDict()
        self.parsed_lines: OrderedDict[str, Override] = OrderedDict()
        self.group_names: dict[str, bool] = {}
        self.handed_over: OrderedDict[tuple, DictConfig] = OrderedDict()

    def hand_over(self, master_config: DictConfig, sweep_overrides: list[str], config: DictConfig) -> None:
        """Keep ``config`` - this composer's answer for ``sweep_overrides``, which its caller has only read - for the
        next call with the same overrides, which gets it instead of a new composition: a sweeper composes a job to
        learn its directory, and its launcher composes it again to run it (~5 ms a job of a 100-trial search).
        A launcher sets ``hydra.job.id``/``num`` itself; the caller must not change anything else."""
        key = (id(master_config), tuple(sweep_overrides))
        self.handed_over[key] = config
        self.handed_over.move_to_end(key)
        while len(self.handed_over) > MAX_HANDED_OVER:
            self.handed_over.popitem(last=False)

    def forget_handed_over(self) -> None:
        """Drop the configs no call took (a launcher that composes its jobs in other processes: joblib, submitit)."""
        self.handed_over.clear()

    def __getstate__(self) -> dict[str, Any]:
        """A launcher's worker processes get the composer without the configs handed over: they are this process's
        (keyed by its master config's identity) and would make every pickled job as large as a batch's configs."""
        return {**self.__dict__, "handed_over": OrderedDict()}

    def is_group(self, name: str) -> bool:
        known = self.group_names.get(name)
        if known is None:
            known = self.group_names[name] = self.repository.group_exists(name)
        return known

    def parse(self, lines: list[str]) -> list[Override]:
        """Hydra's parse of each line (its errors too: a line is parsed by Hydra's parser the first time)."""
        new = list(dict.fromkeys(line for line in lines if line not in self.parsed_lines))
        self.parsed_lines.update(zip(new, self.parser.parse_overrides(new), strict=True))
        for line in lines:
            self.parsed_lines.move_to_end(line)
        parsed = [self.parsed_lines[line] for line in lines]
        while len(self.parsed_lines) > MAX_PARSED_LINES:
            self.parsed_lines.popitem(last=False)
        return parsed

    def template(self, master_config: DictConfig, choices: list[Override]) -> Template:
        key = (id(master_config), tuple(override.input_line for override in choices))  # one master per sweep
        if key not in self.templates:
            self.templates[key] = Template.of(self.compose(master_config, [o.input_line for o in choices]))
            while len(self.templates) > MAX_TEMPLATES:
                self.templates.popitem(last=False)
        return self.templates[key]

    def __call__(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        handed_over = self.handed_over.pop((id(master_config), tuple(sweep_overrides)), None)
        if handed_over is not None:  # once: a second call composes anew
            return handed_over
        parsed = self.parse(list(sweep_overrides))
        choices = [o for o in parsed if is_group_choice(o, self.is_group)]
        values = [o for o in parsed if is_plain_value(o, self.is_group)]
        if len(choices) + len(values) != len(parsed):
            return self.compose(master_config, list(sweep_overrides))
        template = self.template(master_config, choices)
        if not all(template.names_a_value(override.key_or_group) for override in values):
            return self.compose(master_config, list(sweep_overrides))
        config = template.copy()
        ConfigLoaderImpl._apply_overrides_to_config(values, config)
        task = [override for override in parsed if not override.is_hydra_override()]  # as Hydra sorts them
        dirname = config.hydra.job.config.override_dirname
        with open_dict(config.hydra):
            config.hydra.overrides.task = [override.input_line for override in task]
            config.hydra.job.override_dirname = get_overrides_dirname(
                overrides=task, kv_sep=dirname.kv_sep, item_sep=dirname.item_sep, exclude_keys=dirname.exclude_keys)
        OmegaConf.copy_cache(from_config=master_config, to_config=config)
        return config


class ComposeFromTemplates(Callback):
    """The Hydra callback (``hydra.callbacks.compose_from_templates``) that makes every sweep compose its jobs from
    templates: the basic sweeper and the joblib, submitit and basic launchers as well as the project's own, which
    all ask the loader of the command (:func:`compose_from_templates`) before the sweeper starts."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from hydra.core.global_hydra import GlobalHydra

        if GlobalHydra.instance().is_initialized():  # the loader the sweeper and its launcher are handed
            compose_from_templates(GlobalHydra.instance().config_loader())


def compose_from_templates(config_loader: Any) -> None:
    """Make ``config_loader.load_sweep_config`` compose from templates (idempotent; other loaders are untouched)."""
    if isinstance(config_loader.load_sweep_config, TemplateComposer):
        return
    config_loader.load_sweep_config = TemplateComposer(config_loader, config_loader.load_sweep_config)
