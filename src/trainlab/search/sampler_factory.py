"""Build the Optuna sampler of ``hydra.sweeper.sampler``: ``{_target_: <class>, <keyword arguments>}``.

Any importable subclass of ``optuna.samplers.BaseSampler`` works (RandomSampler, TPESampler with ``multivariate`` /
``constant_liar``, GPSampler, CmaEsSampler, QMCSampler, ...); the presets of ``hydra/sweeper/optuna_sampler`` are
such nodes. A target that is not a sampler class, or an argument the class does not take, is a
:class:`~trainlab.errors.ConfigError` naming the key and what is allowed, raised before any trial starts.

With a ``seed``, the sampler is wrapped in :class:`~trainlab.search.worker_seeded_sampler.WorkerSeededSampler`:
a fresh study draws exactly what the seeded class draws; a resumed study or a second worker on a shared one draws
from ``seed + <its first trial number>``, so it does not repeat the draws already made.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.search.worker_seeded_sampler import WorkerSeededSampler
from trainlab.typed_values import typed

log = logging.getLogger(__name__)

KEY = "hydra.sweeper.sampler"
SAID_EXPERIMENTAL: set[str] = set()  # sampler classes whose ExperimentalWarning this process has logged
PRESETS = ("random", "tpe", "gp", "cmaes", "qmc")  # hydra/sweeper/optuna_sampler (hydra_plugins...config.SAMPLERS)
#: samplers that import a package of their own only when they first sample (a trial was left RUNNING then)
PACKAGE_NEEDED = {"CmaEsSampler": "cmaes"}


def sampler_classes() -> list[str]:
    return sorted(name for name in optuna.samplers.__all__
                  if isinstance(getattr(optuna.samplers, name), type) and not name.startswith("Base")
                  and issubclass(getattr(optuna.samplers, name), optuna.samplers.BaseSampler))


def allowed() -> str:
    return (f"{{_target_: optuna.samplers.<class>, ...its arguments}} with a class of "
            f"{', '.join(sampler_classes())} (or any optuna.samplers.BaseSampler subclass), or "
            f"hydra/sweeper/optuna_sampler={'|'.join(PRESETS)}")


@dataclass(frozen=True)
class SamplerSpec:
    """The checked content of ``hydra.sweeper.sampler``: the class and the keyword arguments it is built with."""

    cls: type
    target: str
    arguments: dict[str, Any]

    @property
    def name(self) -> str:
        return self.cls.__name__

    def argument(self, name: str) -> Any:
        """The value the sampler gets for ``name``: the configured one, else the class's default (None when the
        class has no such argument)."""
        if name in self.arguments:
            return self.arguments[name]
        parameter = inspect.signature(self.cls).parameters.get(name)
        return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default

    def build(self) -> optuna.samplers.BaseSampler:
        """The sampler (see the module docstring)."""

        def make(seed: int | None) -> optuna.samplers.BaseSampler:
            arguments = {**self.arguments, "seed": seed} if "seed" in self.arguments else self.arguments
            try:
                with warnings.catch_warnings(record=True) as caught:  # QMCSampler's, printed with its source line
                    warnings.simplefilter("always", optuna.exceptions.ExperimentalWarning)
                    sampler = self.cls(**arguments)
            except (TypeError, ValueError, ImportError) as error:
                raise ConfigError(f"{KEY} ({self.target}): {error}") from None
            for warning in caught:
                if not issubclass(warning.category, optuna.exceptions.ExperimentalWarning):
                    warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
                elif self.name not in SAID_EXPERIMENTAL:  # once a process, as one line
                    SAID_EXPERIMENTAL.add(self.name)
                    log.info("%s is experimental in Optuna %s: its interface may change", self.name,
                             optuna.__version__)
            return sampler

        seed = self.arguments.get("seed")
        if seed is None:
            return make(None)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ConfigError(f"{KEY}.seed={typed(seed)} is invalid; allowed: an integer, or null (unseeded)")
        make(seed)  # the arguments are checked now, before any trial, not at the first trial
        return WorkerSeededSampler(make, seed, self.name)


def sampler_spec(node: DictConfig | Mapping[str, Any] | None) -> SamplerSpec:
    """The class and arguments ``node`` names, checked: an importable sampler class, its package installed, only
    arguments it takes."""
    if node is not None and not isinstance(node, DictConfig | Mapping):  # hydra.sweeper.sampler=tpe
        preset = f"hydra/sweeper/optuna_sampler={node if str(node) in PRESETS else '<preset>'}"
        raise ConfigError(f"{KEY}={typed(node)} is not a sampler's settings (a node {{_target_: ..., ...}}); a sampler "
                          f"is chosen with {preset}; allowed: {allowed()}")
    spec = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node or {})
    target = spec.pop("_target_", None)
    if not isinstance(target, str) or not target:
        raise ConfigError(f"{KEY}: no _target_; allowed: {allowed()}")
    hydra_log = logging.getLogger("hydra.utils")  # get_class logs the failure before raising: said once, below
    was_disabled, hydra_log.disabled = hydra_log.disabled, True
    try:
        cls = get_class(target)
    except Exception as error:  # noqa: BLE001 - Hydra raises ImportError or ValueError, wrapped differently by version
        raise ConfigError(f"{KEY}._target_={target}: not an importable class ({error.__class__.__name__}); "
                          f"allowed: {allowed()}") from None
    finally:
        hydra_log.disabled = was_disabled
    if not (isinstance(cls, type) and issubclass(cls, optuna.samplers.BaseSampler)):
        raise ConfigError(f"{KEY}._target_={target}: not an Optuna sampler; allowed: {allowed()}")
    package = PACKAGE_NEEDED.get(cls.__name__)
    if package is not None and importlib.util.find_spec(package) is None:
        raise ConfigError(f"{KEY}._target_={target} needs the package {package!r}, which is not installed; allowed: "
                          f"pip install {package}, or another sampler: {allowed()}")
    check_arguments(cls, spec)
    return SamplerSpec(cls, target, spec)


def build_sampler(node: DictConfig | Mapping[str, Any] | None) -> optuna.samplers.BaseSampler:
    """The sampler ``node`` describes (see the module docstring)."""
    return sampler_spec(node).build()


#: the plain types a sampler's argument may be annotated with, and what a value of each is
PLAIN_TYPES = {
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "None": (lambda v: v is None, "null"),
}


def check_arguments(cls: type, spec: dict[str, Any]) -> None:
    """Each key of ``spec`` is an argument of ``cls``, and a value of its type where the class annotates it with
    plain types (``int``, ``bool | None``, ...): Optuna does not check them, so ``n_startup_trials=abc`` failed at the
    first trial it sampled (a study left behind with that trial RUNNING), and ``multivariate=maybe`` counted as
    true."""
    parameters = inspect.signature(cls).parameters
    names = [name for name in parameters if name != "self"]
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        for name in spec:
            if name not in names:  # a preset's argument stays when _target_ names another class
                raise ConfigError(f"{KEY}.{name}: not an argument of {cls.__name__}; allowed: {', '.join(names)}; "
                                  f"remove it with ~{KEY}.{name}, or start from hydra/sweeper/optuna_sampler=random "
                                  "(whose preset sets only seed) when _target_ names another class")
    for name, value in spec.items():
        if name == "seed":  # checked where the sampler is built, with what null means (SamplerSpec.build)
            continue
        annotation = parameters[name].annotation if name in parameters else inspect.Parameter.empty
        if not isinstance(annotation, str):  # a class that does not postpone its annotations: left to it
            continue
        kinds = [kind.strip() for kind in annotation.split("|")]
        if not all(kind in PLAIN_TYPES for kind in kinds):
            continue
        if not any(PLAIN_TYPES[kind][0](value) for kind in kinds):
            allowed = " or ".join(PLAIN_TYPES[kind][1] for kind in kinds)
            raise ConfigError(f"{KEY}.{name}={typed(value)} is invalid; allowed: {allowed} ({cls.__name__}'s {name}: "
                              f"{annotation})")
