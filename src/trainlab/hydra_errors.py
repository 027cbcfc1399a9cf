"""Hydra's own config errors as one line and exit status 2, like trainlab's other config errors.

Hydra composes the config before ``train.py``'s task runs, so an unknown option (``optimizer=adamm``), an unknown key
(``model.net.widht=3``, ``optimzer=adam``) or an override that does not parse never reaches the task's ``UserError``
handler. Hydra reports them itself, over several lines, with its config search path and advice such as "To append
to your config use +optimzer=adam" (for a misspelt key, the wrong fix), and exits with status 1.

:func:`report_config_errors_in_one_line` wraps Hydra's reporting so that these errors print as::

    error: optimizer=adamm: no option 'adamm' in config group optimizer; allowed: adagrad, adam, ...; did you mean adam?
    error: optimzer: unknown key; allowed top-level keys and config groups: callbacks, ...; did you mean optimizer?

and exit with status 2 (a search's value whose sweep function Hydra cannot call, ``'optimizer.lr=interval(0.1)'``, names
the forms a search takes, as a malformed search-space entry does); so do the basic sweeper's refusal of a sweep it
cannot enumerate (``interval()``), a dotted ``hydra.sweeper.params`` entry set on the command line (the override of its
key instead: :mod:`trainlab.dotted_sweeper_params`), a config group swept over ``null`` (``-m scheduler=null,step``:
Hydra's defaults list raises a ValueError), a run or job directory whose name the file system refuses (``ENAMETOOLONG``:
a job is named from its overrides), a config file that is not valid YAML (the file, the line and the column, where yaml
printed a ~100-line traceback), a config file of the wrong shape - a single value, a list, a ``defaults`` that is no
list, a header without its package (the file and the shape it takes: :mod:`trainlab.config_file_shapes`, where Hydra
printed a traceback) - and a :class:`~trainlab.errors.UserError` raised outside the task (a sweeper's settings, checked
before any job). Every other exception still goes to Hydra's report. ``HYDRA_FULL_ERROR=1`` prints the full traceback
before each of these lines; the exit status stays 2.

Hydra offers no public hook for this: the wrapper replaces ``hydra._internal.utils.run_and_report``, the function
through which ``hydra.main`` runs composition and the task (``tests/test_hydra_errors.py`` pins the messages, so a
Hydra release that moves it fails there, not silently).
"""

from __future__ import annotations

import dataclasses
import difflib
import errno
import multiprocessing
import re
import sys
import traceback
import typing
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import Any

import hydra._internal.utils as hydra_internal
import yaml
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import (
    ConfigCompositionException,
    HydraException,
    MissingConfigException,
    OverrideParseException,
    SearchPathException,
)
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

from trainlab.config_file_shapes import composition_shape_message, read_error_message
from trainlab.dotted_sweeper_params import dotted_entry_message
from trainlab.errors import UserError, exit_for_user_error, exit_with_error_line
from trainlab.group_options import command_line_override, option_lacks_key_message
from trainlab.option_source import chosen_in, misplaced_option_file, plain_choices, search_path_dirs
from trainlab.output_locations import NAME_MAX, PATH_MAX
from trainlab.override_separator import separator_advice
from trainlab.recorded_config_dirs import recorded_config_dir_hint
from trainlab.sweep.joblib_stop import end_joblib_stopped_sweep, forget_sweep_config, joblib_stop_message
from trainlab.sweep.sweep_end_failures import exit_if_the_sweep_end_failed, forget_earlier_failures
from trainlab.sweep.worker_refusal import RefusedInWorker


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a misspelt ``word`` most likely meant, or None: the one that is ``word`` but for upper and lower
    case first (``Adamw`` -> ``AdamW``, not the closer-spelt ``Adam``), then the closest by difflib's ratio (>= 0.6)."""
    candidates = list(candidates)
    same_letters = [candidate for candidate in candidates if candidate.lower() == word.lower()]
    close = same_letters or difflib.get_close_matches(word, candidates, n=1)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str], quoted: bool = False) -> str:
    """``"; did you mean X?"`` for the :func:`closest` candidate, else ``""``; ``quoted``: ``'X'``."""
    close = closest(word, candidates)
    if close is None:
        return ""
    return f"; did you mean {repr(close) if quoted else close}?"


def top_level_groups() -> set[str]:
    """Config groups at the root of the search path (``optimizer``, ``experiment``, ``hydra``, ...), if known."""
    if not GlobalHydra.instance().is_initialized():
        return set()
    return set(GlobalHydra.instance().config_loader().list_groups(""))


def groups_under(parent: str) -> list[str]:
    """The config groups inside group ``parent`` (``hydra/sweeper`` -> ``optuna_sampler``), if known."""
    if not GlobalHydra.instance().is_initialized():
        return []
    return sorted(GlobalHydra.instance().config_loader().list_groups(parent))


def squashed(text: str) -> str:
    """Hydra's multi-line message on one line, without the config search path it appends."""
    text = text.split("Config search path:")[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


BASIC_SWEEPER_REFUSAL = "BasicSweeper does not support sweep type"


def is_config_error(error: Exception) -> bool:
    """Composition and override-parsing errors, a ``--config-dir`` that is no directory, and the basic sweeper
    refusing a sweep it cannot enumerate."""
    if isinstance(error, ConfigCompositionException | OverrideParseException | SearchPathException):
        return True
    return isinstance(error, HydraException) and str(error).startswith(BASIC_SWEEPER_REFUSAL)


FIELD_TYPE_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def typed_field_message(cause: BaseException | None) -> str | None:
    """``key=value is invalid; allowed: an integer`` for a value a plugin's structured config (a dataclass such as
    ``hydra.launcher``'s) cannot convert to its field's type; None for any other error.

    A field whose metadata holds a ``minimum`` (``hydra.sweeper.n_trials``, ``hydra.launcher.max_members``) names it
    too - ``allowed: an integer >= 1`` - as the plugin's own check of a value below it does, so ``n_trials=abc`` and
    ``n_trials=0`` state the same rule. The value is the command line's, as typed (``max_members=true``, ``1e3``),
    where the command line gives it; one a config file gives is shown as parsed (``null`` for None)."""
    if not (isinstance(cause, ValidationError) and cause.full_key and dataclasses.is_dataclass(cause.object_type)):
        return None
    field = next((f for f in dataclasses.fields(cause.object_type) if f.name == str(cause.key)), None)
    if field is None:
        return None
    kind = field.type
    inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    if typing.get_origin(kind) is typing.Union and len(inner) == 1:  # Optional[int]: submitit's cpus_per_task
        kind = inner[0]
    words = {**FIELD_TYPE_WORDS, **{known.__name__: word for known, word in FIELD_TYPE_WORDS.items()}}.get(kind)
    if words is None:
        return None
    from trainlab.hydra_plugin_keys import plugin_value_rule  # imports this module: here, not at its top
    words = plugin_value_rule(cause.object_type, field.name) or words  # hydra.launcher.n_jobs: not 0 either
    if "minimum" in field.metadata:
        words += f" >= {field.metadata['minimum']}"
    typed = command_line_override(str(cause.full_key))  # the last one: Hydra applies it
    shown = typed.partition("=")[2] if typed else "null" if cause.value is None else cause.value
    return f"{cause.full_key}={shown} is invalid; allowed: {words}"


APPEND_ADVICE = re.compile(r"^To append to your config use (.+)$", re.MULTILINE)
# +group=option where the defaults list already holds the group (experiment: null in conf/train.yaml)
ADDED_GROUP = re.compile(r"^Multiple values for (\S+)\. To override a value use 'override \1: (.+)'")
# an experiment config without `# @package _global_`: its `override /optimizer: adam` reads optimizer@experiment...
UNPACKAGED_OVERRIDE = re.compile(r"^In '([^']+)': Could not override '([^'@]+)@([^']+)'")
# a config file's list merged where the config holds a mapping (a file of a list, an experiment's optimizer: [1, 2])
MERGED_LIST = re.compile(r"^In '([^']+)': ConfigTypeError raised while composing config:\s*Cannot merge DictConfig "
                         r"with ListConfig")

# a config file's `- /init: he` (no `override`) where conf/train.yaml chooses init already
DUPLICATE_CHOICE = re.compile(r"^(?P<group>[\w/]+)(?:@\S*)? appears more than once in the final defaults list$")


def second_choice_message(group: str, option: str | None = None) -> str | None:
    """``- /init: he`` in an experiment's defaults list, without ``override``: the file and the entry that fixes it
    (conf/experiment/README.md's checklist names the mistake). Hydra says it as "init appears more than once in the
    final defaults list" or "Multiple values for optimizer" (where the file lists ``_self_`` too), naming no file.
    ``option``: the one Hydra's message names; None where neither it nor a file of the search path names one
    (Hydra's own line stays)."""
    choices = plain_choices(group, search_path_dirs(), sys.argv[1:])
    option = option or (choices[0][1] if choices else None)
    if option is None:
        return None
    files = [str(path) for path, chosen in choices if chosen == option]
    where = f"the defaults list of {', '.join(files)}" if files else "a config's defaults list"
    return (f"{group}: {where} chooses {group}={option} where conf/train.yaml chooses from that group already; "
            f"allowed: '- override /{group}: {option}' in that defaults list")


# Hydra refuses a sweep value of a key under hydra (its own config) in a multirun, naming the override as typed
HYDRA_KEY_SWEPT = re.compile(r"^Sweeping over Hydra's configuration is not supported : '(?P<override>.*)'$", re.DOTALL)
SWEEPER_PARAMS = "hydra.sweeper.params."
# a value only a sampling sweeper takes (tag(log, interval(1e-6, 1e-2)) too); tag() alone the basic sweeper takes
SAMPLED = re.compile(r"\binterval\s*\(")


def swept_sweeper_params_message(override: str) -> str | None:
    """``'hydra.sweeper.params.optimizer.lr=tag(log, interval(1e-6, 1e-2))'`` on the command line: Hydra reads a
    sweep value under ``hydra`` as a sweep of its own config and refuses it ("Sweeping over Hydra's configuration is
    not supported"), which does not say that the entry is written as a sweep override of its key - which a search
    adds to its space and the basic sweeper sweeps - or in a config file's ``hydra.sweeper.params``. None for
    another key under hydra."""
    import shlex

    key, equals, value = override.partition("=")
    entry = key.lstrip("+~")
    if not equals or not entry.startswith(SWEEPER_PARAMS) or entry == SWEEPER_PARAMS:
        return None
    entry = entry[len(SWEEPER_PARAMS):]
    config_file = f"hydra.sweeper.params in a config file (hydra: {{sweeper: {{params: {{{entry}: '{value}'}}}}}})"
    if searching(sys.argv[1:]):
        taken = f"a search adds it to its space, in place of hydra.sweeper.params' entry for {entry}"
    elif SAMPLED.search(value):  # the basic sweeper refuses interval(): the override alone would fail next
        return (f"{override}: Hydra takes a sweep value under hydra for a sweep of its own config and sweeps none; "
                f"allowed: the entry as a sweep override of its key in a search, "
                f"{shlex.quote(f'{entry}={value}')} with hparams_search=random or hparams_search=tpe (interval() "
                "needs a sweeper that samples; the basic sweeper takes lists (a,b,c), range() and glob()), or "
                f"{config_file} with such a search")
    else:
        taken = "the multirun sweeps it"
    return (f"{override}: Hydra takes a sweep value under hydra for a sweep of its own config and sweeps none; "
            f"allowed: the entry as a sweep override of its key, {shlex.quote(f'{entry}={value}')} ({taken}), or "
            f"{config_file}")


def one_line_message(error: HydraException) -> str:
    """The message printed after ``error: `` for an error :func:`is_config_error` accepts."""
    if (swept := HYDRA_KEY_SWEPT.match(str(error))) is not None and (
            message := swept_sweeper_params_message(swept.group("override"))) is not None:
        return message
    if str(error).startswith(BASIC_SWEEPER_REFUSAL):  # e.g. -m 'optimizer.lr=interval(1e-4,1e-1)'
        return (f"{squashed(str(error))}: interval() and tag(log, ...) need a sweeper that samples, e.g. "
                "hparams_search=random or hparams_search=tpe (Optuna); the basic sweeper takes lists (a,b,c), "
                "range() and glob()")
    if isinstance(error, OverrideParseException):
        if SWEEP_FUNCTION_ERROR.search(error.message) and searching(sys.argv[1:]):
            return search_value_message(error)
        return f"cannot parse the override {error.override!r}: {squashed(error.message)}" + quoting_advice(
            error.override) + separator_advice(error.override)  # optimizer:adam -> optimizer=adam
    if isinstance(error, MissingConfigException) and error.options is not None and error.missing_cfg_file:
        group, _, option = error.missing_cfg_file.rpartition("/")
        options = sorted(error.options)
        return (f"{group}={option}{chosen_in(group, option)}: no option {option!r} in config group {group}; allowed: "
                f"{', '.join(options)}" + did_you_mean(option, options) + misplaced_option_file(group, option)
                + recorded_config_dir_hint(group, option, sys.argv[1:], search_path_dirs()))
    cause = error.__cause__
    unknown_key = isinstance(cause, (ConfigKeyError, ConfigAttributeError)) and cause.full_key
    if unknown_key and isinstance(cause.parent_node, DictConfig):
        parent_key, _, key = str(cause.full_key).rpartition(".")
        allowed = {str(name) for name in cause.parent_node.keys()}
        if not parent_key:  # the root: its keys, and the groups that choose a config without being a key yet
            allowed |= top_level_groups()
        where = f"keys of {parent_key}" if parent_key else "top-level keys and config groups"
        group_parent, _, group_name = str(cause.full_key).rpartition("/")
        if not parent_key and group_parent and (siblings := groups_under(group_parent)):
            # hydra/sweeper/sampler=tpe (Hydra's own Optuna plugin's group): a group path, not a key
            return (f"{cause.full_key}: no config group {cause.full_key}; allowed groups in {group_parent}: "
                    + ", ".join(f"{group_parent}/{name}" for name in siblings)
                    + did_you_mean(group_name, siblings).replace("did you mean ", f"did you mean {group_parent}/"))
        if parent_key and not allowed:  # e.g. callbacks.model_checkpoint: null in an experiment config
            return (f"{cause.full_key}: {parent_key} is switched off (null) in this config, so it has no keys to set; "
                    f"allowed: leave {parent_key} off, or give it a whole config ({parent_key}={{...}})")
        given = APPEND_ADVICE.search(str(error))  # Hydra's advice holds the override as typed
        dotted = dotted_entry_message(str(cause.full_key), allowed, given.group(1) if given else None)
        if dotted is not None:  # hydra.sweeper.params.model.net.batch_norm=custom: the entry's own override
            return dotted
        if not parent_key and key in top_level_groups() - GLOBAL_GROUPS and cause.parent_node.get(key) is None:
            # scheduler.gamma=0.5 with no scheduler chosen: "scheduler: unknown key; ... did you mean scheduler?"
            return unchosen_group_key_message(key, given.group(1).lstrip("+") if given else None)
        other_options = option_lacks_key_message(str(cause.full_key), cause.parent_node,
                                                 given.group(1) if given else None)
        if other_options is not None:  # init=he init.std=0.1: another option of the group has the key
            return other_options
        return f"{cause.full_key}: unknown key; allowed {where}: {', '.join(sorted(allowed))}" + did_you_mean(
            key, allowed)
    typed = typed_field_message(cause)
    if typed is not None:
        return typed
    added = ADDED_GROUP.match(str(error))  # Hydra's advice is for a defaults list, not a command line
    if added is not None:
        group, option = added.groups()
        if not any(word.startswith(f"+{group}=") for word in sys.argv[1:]):  # a config file's defaults list
            return second_choice_message(group, option)
        return (f"+{group}={option}: the config already chooses from config group {group} (its default may be null), "
                f"so it takes no +; allowed: {group}={option}")
    duplicate = DUPLICATE_CHOICE.match(str(error))
    if duplicate is not None and (message := second_choice_message(duplicate["group"])) is not None:
        return message
    unpackaged = UNPACKAGED_OVERRIDE.match(str(error))
    if unpackaged is not None and unpackaged.group(3).startswith(f"{unpackaged.group(1).partition('/')[0]}."):
        # an experiment config's defaults, read under the package of its group: no `# @package _global_`
        config, group = unpackaged.group(1), unpackaged.group(2)
        return (f"the config {config}: its defaults list overrides {group} under the package of its own group, "
                f"where that group is no key; allowed: '# @package _global_' as the file's first line (the keys of "
                f"an experiment config are those of the whole config)")
    merged = MERGED_LIST.match(str(error))
    if merged is not None and (shape := composition_shape_message(merged.group(1))) is not None:
        return shape  # a config file holding a list, or an experiment's optimizer: [1, 2]
    message = squashed(str(error))
    if isinstance(cause, OmegaConfBaseException):
        message += f" ({str(cause).splitlines()[0]})"
    return message


# Hydra's grammar calling one of its sweep functions with arguments it does not take (interval(0.1)), or a function
# it does not know (intervall(1, 2)); a cast that fails (int(a)) is no search value: its line stays Hydra's
SWEEP_FUNCTION_ERROR = re.compile(r"^\w+ while evaluating '(?:(?:interval|range|choice|tag|glob|shuffle|sort)\(|"
                                  r".*': Unknown function ')", re.MULTILINE)
# the command line's choice of a sampling sweeper: hparams_search=random|tpe|..., hydra/sweeper=trainlab_optuna
SEARCH_CHOICE = re.compile(r"\+{0,2}(hparams_search=(?!null$).+|hydra/sweeper=.*optuna.*)")


def searching(argv: list[str]) -> bool:
    """Whether the command line chooses a search (Optuna samples its values), as far as the words tell: Hydra
    parses every override before it composes the config that names the sweeper."""
    return any(SEARCH_CHOICE.fullmatch(word) for word in argv)


def search_value_message(error: OverrideParseException) -> str:
    """A search value whose sweep function Hydra could not call (``optimizer.lr=interval(0.1)``: no end): the
    override, what is wrong and the forms a search takes - the line a malformed ``hydra.sweeper.params`` entry
    gets (:func:`trainlab.search.search_space.entry_error`), where Hydra's said neither the allowed forms nor
    the override alone."""
    from trainlab.search.search_space import entry_error, parse_problem

    return str(entry_error(error.override, parse_problem(error.message)))


#: config groups whose options put their keys at the top level (``# @package _global_``): no key of their own
GLOBAL_GROUPS = frozenset({"experiment", "hparams_search", "debug", "hydra"})


def unchosen_group_key_message(group: str, given: str | None) -> str:
    """A key of config group ``group`` set where no option of the group is chosen (``scheduler.gamma=0.5``: the
    default ``scheduler: null``; ``logger=null logger.name=x``): the options that have the key, else all of them.
    ``given``: the override as typed (``scheduler.gamma=0.5``)."""
    from trainlab.group_options import group_options, settable_keys

    full_key, _, value = (given or group).partition("=")
    key = full_key.partition(".")[2].partition(".")[0]
    options = group_options(group)
    takers = [name for name, config in options.items() if key and key in settable_keys(config)]
    choices = "|".join(takers or sorted(options))
    if takers:
        example = f" (e.g. {group}={takers[0]} {given})" if given and value else ""
        way_out = f"{group}={choices} with it{example}"
    else:
        way_out = f"one of {group}={choices}, then its keys" if options else f"{group}=<an option> first"
    return f"{full_key}: no {group} is chosen ({group}=null), so it has no keys to set; allowed: {way_out}"


def quoting_advice(override: str) -> str:
    """For an override whose value Hydra's grammar reads only inside quotes - non-ASCII characters (a path such as
    ``/data/résumé``), an ``=`` (a job's directory, ``.../0_optimizer.lr=0.1``) - the override quoted for Hydra and
    the shell (:func:`~trainlab.shell_override.shell_override`); empty for any other, for one that quoting does not
    mend, and for a value that is a sweep, a list or a dict, or already quoted, which quoting as a whole would
    change."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from trainlab.shell_override import shell_override

    key, equals, value = override.partition("=")
    if not equals or value[:1] in "[{\"'":
        return ""
    if "=" in value and '"' not in value and "\\" not in value:
        try:  # a path with '=' in it (a job's directory, 0_optimizer.lr=0.1,seed=1)
            OverridesParser.create().parse_override(f'{key}="{value}"')
        except Exception:  # noqa: BLE001 - quoting does not make it a value either: no advice
            return ""
        return f"; Hydra reads a value with '=' only when quoted: {shell_override(key, value)}"
    if value.isascii() or "," in value:
        return ""
    return f"; Hydra reads a value with non-ASCII characters only when quoted: {shell_override(key, value)}"


GROUP_SWEPT_OVER_NULL = "Config group override must be a string or a list. Got NoneType"


def null_group_sweep_message(argv: list[str]) -> str:
    """Hydra cannot sweep a config group over ``null`` (``-m scheduler=null,step`` fails while composing a job). The
    line gives the two commands to run instead: the command line as typed (``argv``), the swept override split into
    its null choice and the others - every other word kept, as the other refusals' commands keep them."""
    import shlex

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep

    from trainlab.shell_override import python_train_py

    parser = OverridesParser.create()

    def parsed(word: str) -> Any:
        try:
            return parser.parse_override(word)
        except Exception:  # noqa: BLE001 - not an override (-m, --flags): nothing to name
            return None

    for place, word in enumerate(argv):
        override = parsed(word)
        if override is None or not isinstance(override.value(), ChoiceSweep):  # interval(), glob(), a plain value
            continue
        values = list(override.sweep_string_iterator())
        if "null" not in values:
            continue
        others = ",".join(value for value in values if value != "null")
        key = override.get_key_element()
        rest = [other for at, other in enumerate(argv) if at != place and other not in ("-m", "--multirun")]
        options = [shlex.quote(other) for other in rest if parsed(other) is None]  # --config-dir DIR, ...
        command = " ".join([python_train_py(), "-m", *options,
                            *(shlex.quote(other) for other in rest if parsed(other) is not None)])
        return (f"{override.input_line}: a config group cannot be swept over null (Hydra composes null as no option "
                f"only from a single choice); run the two as separate commands: {command} {key}=null, and "
                f"{command} {shlex.quote(f'{key}={others}')}")
    return ("a config group cannot be swept over null (Hydra composes null as no option only from a single "
            "choice); run the null choice and the others as separate commands")


def sweeper_params_override_message(error: Exception, argv: list[str]) -> str | None:
    """``-m 'hydra.sweeper.params={trainer.limit_train_batches:"2,3"}'`` (or ``hydra.sweeper.params.<key>=...``):
    the basic sweeper's ``params`` is null in Hydra's schema, and OmegaConf cannot set a value in it
    (``AttributeError: 'NoneType' object has no attribute 'get'``, or ``AssertionError: Unexpected type: None``: a
    traceback and exit status 1). The line says so and gives the swept values as the overrides the basic sweeper
    reads; None for any other error, or a command that sets no ``hydra.sweeper.params``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    words = [word for word in argv if word.lstrip("+").startswith("hydra.sweeper.params")]
    # a key below the root, or at the root of the null node (hydra.sweeper.params.optimizer=...: "for root")
    raised_there = (isinstance(error, AttributeError) and "full_key: hydra.sweeper.params" in str(error)) or (
        isinstance(error, AssertionError) and str(error).startswith("Unexpected type"))
    if not words or not raised_there:
        return None
    swept = []
    for word in words:
        try:
            override = OverridesParser.create().parse_override(word)
        except Exception:  # noqa: BLE001, S112 - not parsed: no suggestion from it
            continue
        swept += swept_overrides(override.key_or_group.removeprefix("hydra.sweeper.params").lstrip("."),
                                 override.value())
    given = " ".join(words)
    suggestion = f" (-m {' '.join(swept)})" if swept else ""
    return (f"{given}: hydra.sweeper.params is null in the basic sweeper's schema and cannot be set on the command "
            f"line; allowed: the swept values as overrides{suggestion}, or hydra.sweeper.params in a config file "
            "(an experiment config, conf/experiment/README.md)")


def swept_overrides(key: str, value: Any) -> list[str]:
    """The basic sweeper's overrides for a ``hydra.sweeper.params`` entry: ``{trainer: {max_epochs: '1,2'}}`` ->
    ``trainer.max_epochs=1,2``, ``{optimizer: [sgd, adam]}`` -> ``optimizer=sgd,adam``."""
    if isinstance(value, dict):
        return [word for name, item in value.items()
                for word in swept_overrides(".".join(part for part in (key, str(name)) if part), item)]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return [f"{key}={value}"] if key else []


def name_too_long_message(error: OSError, multirun: bool) -> str:
    """A run or job directory whose name the file system refuses (a sweep's job is named from its overrides)."""
    path = str(error.filename)
    longest = max(Path(path).parts, key=lambda part: len(part.encode()))
    if len(longest.encode()) > NAME_MAX:
        what = f"a directory name is too long ({len(longest.encode())} bytes; the file system allows {NAME_MAX}): "
        what += f"{longest[:80]}..."
    else:
        what = f"the path is too long ({len(path.encode())} bytes; the file system allows {PATH_MAX}): {path[:80]}..."
    if multirun:
        return (f"{what}; shorten it with 'hydra.sweep.subdir=${{hydra.job.num}}' (jobs named by number: their "
                "overrides stay in .hydra/overrides.yaml, status.json and HPARAMS), leave keys out of the name with "
                "hydra.job.config.override_dirname.exclude_keys, or choose a shorter hydra.sweep.dir")
    return f"{what}; choose a shorter hydra.run.dir"


def read_by_hydras_config_repository(error: BaseException) -> bool:
    """Whether ``error`` was raised while Hydra read a config file (composition), not by the task."""
    return any(frame.filename.endswith(("config_repository.py", "file_config_source.py"))
               for frame in traceback.extract_tb(error.__traceback__))


def yaml_error_message(error: yaml.YAMLError) -> str:
    """A config file that is not valid YAML, on one line: the file, what the parser found, and where (1-based)."""
    if not isinstance(error, yaml.MarkedYAMLError) or error.problem_mark is None:
        return f"a config file is not valid YAML: {squashed(str(error))}"
    mark = error.problem_mark
    context = ""
    if error.context and error.context_mark is not None:
        context = f"; {error.context} at line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
    return (f"{mark.name}: not valid YAML: {error.problem} (line {mark.line + 1}, column {mark.column + 1}{context})")


def exit_if_options_split_the_overrides(argv: list[str]) -> None:
    """Hydra's command line reads its overrides as one run of words: in ``optimizer=adam -m optimizer.lr=0.1,0.01``
    the words after ``-m`` are "unrecognized arguments" (argparse's usage text and a line that does not say why).
    Said here in one line with the command in an order Hydra reads, and exit status 2; any other problem of the
    command line is left to Hydra's parser. The command starts ``train.py`` as every printed command does
    (:func:`~trainlab.shell_override.python_train_py`: its path outside the checkout, a ``TRAINLAB_ROOT``)."""
    import shlex

    from trainlab.shell_override import python_train_py

    parser = hydra_internal.get_args_parser()
    parser.exit_on_error = False
    try:
        known, unknown = parser.parse_known_args(argv)
    except Exception:  # noqa: BLE001 - Hydra's own parse reports it, as it always has
        return
    if not unknown or any(word.startswith("-") for word in unknown):
        return
    overrides = [*known.overrides, *unknown]  # in the order typed: the first run, then the words left over
    options, between, matched = [], [], 0
    for word in argv:  # by position, not by value: an option's value may equal an override
        if matched < len(overrides) and word == overrides[matched]:
            matched += 1
        else:
            options.append(word)
            if len(known.overrides) <= matched:  # after the first run of overrides, before the rest
                between.append(word)
    command = " ".join([python_train_py(), *(shlex.quote(word) for word in [*options, *overrides])])
    print(f"error: {' '.join(unknown)}: an override after {' '.join(between)}, which stands between overrides; "
          f"Hydra reads its options before or after all the overrides: {command}", file=sys.stderr)
    raise SystemExit(2)


def group_set_as_key_message(argv: list[str]) -> str | None:
    """``hydra.launcher=stacked``: a dot where the slash of a config group belongs (``hydra/launcher=stacked``).
    Hydra sets the key ``hydra.launcher`` to the string, and a multirun then stopped with "Input config does not
    have a `_target_` field" (exit 1) while a single run ignored it; the same for ``hydra.sweeper=optuna`` and any
    config group inside another. None for every other override, and before Hydra's config loader is set up.

    It runs before every command, so it asks the loader's repository whether a group exists (~0.15 ms) rather than
    the loader's ``list_groups``, which deep-copies the whole repository on each call (~12 ms a dotted override)."""
    if not GlobalHydra.instance().is_initialized():
        return None
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType

    repository = GlobalHydra.instance().config_loader().repository
    parser = OverridesParser.create()
    try:
        known, _ = hydra_internal.get_args_parser().parse_known_args(argv)
    except BaseException:  # noqa: BLE001 - argparse's own exit: Hydra's parse reports it
        return None
    for word in known.overrides:
        try:
            override = parser.parse_override(word)
        except Exception:  # noqa: BLE001, S112 - Hydra's parse reports it
            continue
        key = override.key_or_group
        if override.is_delete() or override.package is not None or "." not in key or "/" in key:
            continue
        group = key.replace(".", "/")
        if not repository.group_exists(group):
            continue
        if override.value_type == ValueType.GLOB_CHOICE_SWEEP:  # picks among the options of the key, no group: its
            values = []  # names are the slash form's own (expanding it here raised "ConfigLoader is not set")
        else:
            values = list(override.sweep_string_iterator()) if override.is_sweep_override() else [override.value()]
        if not all(isinstance(value, str) for value in values):  # hydra.launcher={...}: a whole config, a key's
            continue
        typed_value = word.partition("=")[2]
        options = sorted(repository.get_group_options(group))
        unknown = [str(value) for value in values if value not in options]
        if not unknown:
            allowed = f"{group}={typed_value} (a slash: the config group's option)"
        else:
            allowed = (f"{group}={'|'.join(options)} (a slash: the config group's option)"
                       + did_you_mean(unknown[0], options).replace("mean ", f"mean {group}="))
        return (f"{override.input_line}: a dot sets the key {key} to a string, where {group} is a config group; "
                f"allowed: {allowed}")
    return None


def report_config_errors_in_one_line() -> None:
    """Make ``hydra.main`` print its composition errors as one ``error: ...`` line and exit with status 2."""
    hydra_report = hydra_internal.run_and_report
    if getattr(hydra_report, "reports_config_errors_in_one_line", False):
        return  # already installed

    def run_and_report(func: Callable[[], Any]) -> Any:
        def run() -> Any:
            try:
                return report(func)
            except SystemExit as stop:
                if isinstance(stop, RefusedInWorker):  # a joblib worker's job refused its config: said once, here
                    print(f"error: {stop.message}", file=sys.stderr)
                if stop.code == 2:  # refused: a sweep or run dir made for nothing is not left behind
                    from trainlab.preflight import remove_refused_output_dir

                    remove_refused_output_dir()
                raise
            finally:  # a sweep's end that did not reach its last callback: its held signals let go
                from trainlab.sweep.worker_stop import let_go_of_the_end

                let_go_of_the_end()

        def report(func: Callable[[], Any]) -> Any:
            try:
                group_set_as_key = group_set_as_key_message(sys.argv[1:])
                if group_set_as_key is not None:  # hydra.launcher=stacked: before Hydra makes any directory
                    print(f"error: {group_set_as_key}", file=sys.stderr)
                    raise SystemExit(2)
                forget_earlier_failures()
                forget_sweep_config()
                result = func()
                exit_if_the_sweep_end_failed()  # each failure was said; the command's status says it too
                return result
            except HydraException as error:
                if not is_config_error(error):
                    raise
                exit_with_error_line(one_line_message(error), error)
            except UserError as error:  # raised outside the task, e.g. by a sweeper checking its settings
                exit_for_user_error(error)
            except yaml.YAMLError as error:  # a config file that is no YAML (a missing colon, a tab)
                if not read_by_hydras_config_repository(error):  # raised while training: the task's own error
                    raise
                exit_with_error_line(yaml_error_message(error), error)
            except ValueError as error:  # Hydra's defaults list, composing a job of a sweep
                if str(error).startswith(GROUP_SWEPT_OVER_NULL):
                    exit_with_error_line(null_group_sweep_message(sys.argv[1:]), error)
                shape = read_error_message(error)  # a config file's defaults or header of the wrong shape
                if shape is None:
                    raise
                exit_with_error_line(shape, error)
            except (AttributeError, AssertionError) as error:  # OmegaConf setting a key in a null schema node
                message = sweeper_params_override_message(error, sys.argv[1:])
                if message is None:
                    raise
                exit_with_error_line(message, error)
            except (multiprocessing.TimeoutError, BrokenExecutor) as error:  # joblib stopped the sweep: a job ran
                # past hydra.launcher.timeout, or a worker process died (loky's TerminatedWorkerError)
                message = joblib_stop_message(error)
                if message is None:
                    raise
                end_joblib_stopped_sweep(message, error)  # the tables of what ran, how to finish; exit status 1
            except OSError as error:  # Hydra making a run or job directory, or reading a config file
                if error.errno != errno.ENAMETOOLONG:
                    shape = read_error_message(error)  # a config file holding a single value (0.1)
                    if shape is None:
                        raise
                    exit_with_error_line(shape, error)
                multirun = any(word in ("-m", "--multirun") for word in sys.argv[1:])
                exit_with_error_line(name_too_long_message(error, multirun), error)

        return hydra_report(run)

    run_and_report.reports_config_errors_in_one_line = True
    hydra_internal.run_and_report = run_and_report
