"""The search space of ``hydra.sweeper.params`` (and of sweep overrides on the command line) as Optuna distributions.

Each entry is a Hydra override value, parsed with Hydra's own override grammar:

==================================  =====================================================================
``interval(a, b)``                  ``FloatDistribution(a, b)``: uniform on [a, b]
``tag(log, interval(a, b))``        ``FloatDistribution(a, b, log=True)``: log10 uniform (a > 0)
``tag(int, interval(a, b))``        ``IntDistribution(a, b)`` (``tag(int, log, ...)`` for a log scale)
``range(start, stop[, step])``      ``IntDistribution`` / ``FloatDistribution`` over start, start + step, ... < stop
``choice(x, y, ...)`` or ``x,y,...``  ``CategoricalDistribution``: single values (str, int, float, bool, null)
``glob(pattern, ...)``              ``CategoricalDistribution`` over the options of the key's config group that
                                    it matches, as Hydra expands it (one matching none is refused)
anything else                       a fixed override, the same for every trial
==================================  =====================================================================

Sweep overrides on the command line (``'optimizer.lr=tag(log, interval(1e-3, 1))'``) come after the config's entries
and replace an entry with the same key; so does a plain override (``optimizer.lr=0.01`` fixes it). A malformed entry
is a :class:`~trainlab.errors.ConfigError` naming it (``hydra.sweeper.params.<key>=...`` or the override) and the
forms above.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.types import ChoiceSweep, Glob, IntervalSweep, Override, RangeSweep
from hydra.errors import OverrideParseException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)

from trainlab.config_keys import override_key
from trainlab.errors import ConfigError
from trainlab.sweep.basic_sweep import sweep_parser
from trainlab.sweep.group_sweeps import glob_note, group_choices

ALLOWED_FORMS = ("interval(a, b), tag(log, interval(a, b)), tag(int, interval(a, b)), range(start, stop[, step]), "
                 "choice(x, y, ...) or x,y,... of single values, glob(pattern) of a config group's options, or one "
                 "value (fixed)")
INTERVAL_TAGS = {"log", "int"}
CATEGORICAL_TYPES = (str, int, float, bool, type(None))
# strings written without quotes in an override: Hydra reads them back as the same string
PLAIN_STRING = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")
WORDS_HYDRA_READS_AS_VALUES = {"null", "true", "false", "nan", "inf"}


@dataclass
class SearchSpace:
    """``distributions``: key -> the distribution Optuna samples; ``fixed``: overrides every trial gets as they are."""

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)

    def trial_overrides(self, params: Mapping[str, Any]) -> list[str]:
        """The overrides of one trial: the fixed ones, then ``key=value`` for each sampled parameter."""
        return [*self.fixed, *(f"{key}={override_value(value)}" for key, value in params.items())]

    def check_against(self, recorded: Mapping[str, BaseDistribution], where: str) -> list[str]:
        """Refuse a space that the study in ``where`` cannot go on with: a key it searched (``recorded``, from its
        trials) with a distribution Optuna cannot mix with this one (another kind, another ``log``, another set of
        choices) - Optuna would fail at the next ask, leaving that trial RUNNING. Returns the warnings of a change
        Optuna goes on with (a wider or narrower range), for the caller to log once every other check has passed:
        a command refused later prints its refusal alone, not a warning of what it would have drawn."""
        changes = []
        for key, distribution in self.distributions.items():
            if key not in recorded:
                continue
            try:
                check_distribution_compatibility(recorded[key], distribution)
            except ValueError as error:
                raise ConfigError(
                    f"{key}: the study in {where} searched it as {recorded[key]}, this search as {distribution} "
                    f"({error}); allowed: the study's own search space, or a new hydra.sweep.dir for another one"
                ) from None
            if recorded[key] != distribution:  # Optuna goes on; the ranking then mixes trials of two spaces
                changes.append(f"{key}: the study in {where} searched it as {recorded[key]}, this search as "
                               f"{distribution}: the trials from here on are drawn from the new space, beside the "
                               "earlier ones")
        return changes

    def composition_checks(self) -> list[list[str]]:
        """Trial overrides that together use every choice and both ends of every range, to check they compose."""
        ends = {key: (list(d.choices) if isinstance(d, CategoricalDistribution) else [d.low, d.high])
                for key, d in self.distributions.items()}
        return [self.trial_overrides({key: values[min(i, len(values) - 1)] for key, values in ends.items()})
                for i in range(max(map(len, ends.values()), default=1))]


def searched_as(key: str, distribution: BaseDistribution) -> str:
    """The sweep override that searches ``key`` over ``distribution`` (the table of the module docstring read
    backwards): ``optimizer=choice(sgd,adam)``, ``optimizer.lr=tag(log, interval(1e-05, 0.1))``."""
    if isinstance(distribution, CategoricalDistribution):
        return f"{key}=choice({','.join(map(override_value, distribution.choices))})"
    low, high = distribution.low, distribution.high
    step = getattr(distribution, "step", None)
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            return f"{key}=tag(int, log, interval({low}, {high}))"
        return f"{key}=range({low}, {high + step}, {step})" if step != 1 else f"{key}=tag(int, interval({low}, {high}))"
    if step is not None:
        return f"{key}=range({low!r}, {high + step!r}, {step!r})"
    return f"{key}=tag(log, interval({low!r}, {high!r}))" if distribution.log else f"{key}=interval({low!r}, {high!r})"


def override_value(value: Any) -> str:
    """``value`` written so that Hydra's override parser reads back the same value (and type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if PLAIN_STRING.fullmatch(text) and text.lower() not in WORDS_HYDRA_READS_AS_VALUES:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_search_space(params: Mapping[str, Any] | None, arguments: Iterable[str] = ()) -> SearchSpace:
    """The space of ``params`` (config entries, ``key -> override value``) and ``arguments`` (``key=value``)."""
    # key -> (the override line, how an error names the entry)
    lines = {str(key): (f"{key}={value}", f"hydra.sweeper.params.{key}={value}") for key, value in
             (params or {}).items()}
    for argument in arguments:
        lines[override_key(argument)] = (argument, argument)
    space = SearchSpace()
    parser = sweep_parser()  # with the config loader: a glob() over a group's options is expanded
    for line, named in lines.values():
        try:
            (override,) = parser.parse_overrides([line])
        except OverrideParseException as error:
            raise entry_error(named, parse_problem(error.message)) from None
        if override.is_sweep_override():
            space.distributions[override.get_key_element()] = distribution_of(override, named)
        else:
            space.fixed.append(line)
    return space


def parse_problem(message: str) -> str:
    """The line of Hydra's parse error that says what is wrong (not 'Error parsing override ...' or its link)."""
    lines = [line for line in message.splitlines()
             if line.strip() and not line.startswith(("Error parsing override", "See https://"))]
    return lines[0] if lines else message.splitlines()[0]


def entry_error(named: str, problem: str) -> ConfigError:
    return ConfigError(f"{named}: {problem}; allowed: {ALLOWED_FORMS}")


def distribution_of(override: Override, named: str) -> BaseDistribution:
    sweep = override.value()
    try:
        if isinstance(sweep, IntervalSweep):
            return interval_distribution(sweep)
        if isinstance(sweep, RangeSweep):
            return range_distribution(sweep)
        if isinstance(sweep, ChoiceSweep):
            return choice_distribution(sweep.list)
        if isinstance(sweep, Glob):
            return glob_distribution(override)
    except ValueError as error:  # ours, or Optuna's check of the bounds
        raise entry_error(named, str(error)) from None
    raise entry_error(named, f"{type(sweep).__name__} is not a search-space form")


def glob_distribution(override: Override) -> CategoricalDistribution:
    """The options of the override's config group its ``glob()`` matches, as Hydra's sweepers expand it (none where
    its key is no group, or no Hydra is initialized to list them)."""
    options = list(override.sweep_string_iterator()) if group_choices(override.key_or_group) is not None else []
    if not options:
        raise ValueError(glob_note(override))
    return choice_distribution(options)


def interval_distribution(sweep: IntervalSweep) -> BaseDistribution:
    unknown = sorted(set(sweep.tags) - INTERVAL_TAGS)
    if unknown:
        raise ValueError(f"unknown tag {', '.join(unknown)} (interval tags: log, int)")
    low, high, log = sweep.start, sweep.end, "log" in sweep.tags
    if not low < high:
        raise ValueError(f"the interval's start {low} is not below its end {high}")
    if log and low <= 0:
        raise ValueError(f"a log interval needs a start > 0, got {low}")
    if "int" in sweep.tags:
        if not (float(low).is_integer() and float(high).is_integer()):
            raise ValueError(f"tag(int, ...) needs whole-number bounds, got {low} and {high}")
        return IntDistribution(int(low), int(high), log=log)
    return FloatDistribution(float(low), float(high), log=log)


def range_distribution(sweep: RangeSweep) -> BaseDistribution:
    if set(sweep.tags) - {"log"}:
        raise ValueError(f"unknown tag {', '.join(sorted(set(sweep.tags) - {'log'}))} (range tags: log)")
    start, stop, step = sweep.start, sweep.stop, sweep.step
    if step == 0:
        raise ValueError("the range's step is 0")
    count = math.ceil((stop - start) / step)
    if count <= 0:
        raise ValueError(f"range({start}, {stop}, {step}) is empty")
    if count == 1:  # range(0.001, 0.01): Hydra's step is 1 - a float range with it holds its start alone
        raise ValueError(f"range({start}, {stop}, {step}) holds one value ({start}): nothing to search; every value "
                         f"between them is interval({start}, {stop}), and a range needs a step that fits (range("
                         f"{start}, {stop}, <step>))")
    first, last = start, start + (count - 1) * step
    low, high, step = min(first, last), max(first, last), abs(step)
    log = "log" in sweep.tags
    if all(isinstance(v, int) for v in (start, stop, step)):
        if log and step != 1:
            raise ValueError("tag(log, range(...)) needs step 1")
        return IntDistribution(low, high, log=log, step=1 if log else step)
    if log:
        raise ValueError("tag(log, range(...)) needs whole numbers")
    return FloatDistribution(float(low), float(high), step=float(step))


def choice_distribution(values: list[Any]) -> CategoricalDistribution:
    bad = [value for value in values if not isinstance(value, CATEGORICAL_TYPES)]
    if bad:
        raise ValueError(f"choice elements must be single values (str, int, float, bool, null), not {bad[0]!r}")
    if len(set(map(repr, values))) != len(values):
        raise ValueError("choice has repeated elements")
    return CategoricalDistribution(values)
