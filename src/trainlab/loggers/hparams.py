"""What TensorBoard's HPARAMS tab shows of a run: its columns and metrics as pure functions of explicit inputs,
and, at the end of the file, the writers that put them in the run's event file and ``hparams.yaml``.

A run's *columns* (:func:`run_hparams`) are what defines it:

1. the chosen option of every config group, from Hydra's choices (``optimizer`` = ``adam``, ``init`` = ``he``,
   ``scheduler`` = ``null``, ``experiment``, ``hparams_search``, ...), except the groups that only say where
   things go and what is logged (:data:`GROUPS_THAT_ARE_NOT_HYPERPARAMETERS`);
2. every setting of the resolved config that affects training, flattened to ``/``-joined names
   (``optimizer/lr``, ``model/net/hidden_sizes``, ``trainer/max_steps``, ``seed``, ``data/seed``), without
   Hydra's ``_target_`` / ``_partial_`` strings and without the paths, logging and display settings, bookkeeping
   and speed-only switches listed in :data:`NOT_HYPERPARAMETERS`;
3. every key the run's own overrides name, even one of that list (an override that names no hyper-parameter is
   declared in ``hydra.job.config.override_dirname.exclude_keys``, which also keeps it out of the run's name);
4. ``data/resolved_source``, the data the run actually trained on.

Numbers stay numbers, booleans booleans, strings strings; a list becomes a readable string (``[100, 100]``);
a null setting is left out (an empty cell), a null option reads ``null``.

The final metrics become ``~hparams/<metric>`` scalars (``val/acc`` -> ``~hparams/val/acc``) plus
``~hparams/status`` (:data:`STATUS_CODES`), the HPARAMS metrics, which the HPARAMS table heads with the metric's own
name (``val/acc``, ``status``). TensorBoard orders the scalar dashboards' tag groups by code point and opens the
first two: ``~`` puts these single points after ``train/`` and ``val/`` (as ``hp/`` they came first and pushed the
learning curves out of view). The protobuf summaries are built with TensorBoard's hparams plugin
API: a session start (the columns) when the run starts, a session end (its status) when it ends, and, for a whole
sweep, one experiment (:func:`experiment_summary`) that declares every column with its type and domain, marks the
ones that differ between the runs (TensorBoard lists those first and shows the first five) and declares the
metrics in the order the table shows them, five at first (:func:`declared_metrics`: the optimised metric, the
status, validation, training, test last). Nothing here reads Hydra's global state: a launcher that trains several
runs in one process calls the same functions with each run's own values.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf
from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

from trainlab.atomic_files import write_text_atomically
from trainlab.config_keys import INSTANTIATION_KEYS, flatten, is_under, override_key
from trainlab.config_yaml import config_yaml
from trainlab.run_settings import NOT_HYPERPARAMETERS  # shared with the resume checks of searches and sweeps
from trainlab.typed_values import typed

if TYPE_CHECKING:  # the writers below get Lightning's loggers; the rest (a sweep's or a search's checks) runs
    # before Lightning is imported
    from lightning.pytorch.loggers import Logger, TensorBoardLogger

HParamValue = bool | float | int | str

# Config groups whose option says where things go or what is logged (``hydra/*`` included).
GROUPS_THAT_ARE_NOT_HYPERPARAMETERS = frozenset({"hydra", "logger", "paths"})

STATUS_CODES = {"completed": 0, "diverged": 1, "failed": 2, "interrupted": 3}
HP_GROUP = "~hparams"  # the tag group of the HPARAMS metrics (see the module docstring)
STATUS_METRIC = f"{HP_GROUP}/status"
STATUS_DESCRIPTION = "status of the run: " + ", ".join(f"{code} {name}" for name, code in STATUS_CODES.items())
# TensorBoard's session status (its hparams API has Unknown, Success, Failure and Running). An interrupted run gets no
# session end, which TensorBoard shows as Unknown, the one that fits a run stopped before its end: TensorBoard keeps
# the first session end a run writes, so that of an interrupted session would stand for its resumption's.
SESSION_STATUS = {"completed": api_pb2.STATUS_SUCCESS, "diverged": api_pb2.STATUS_FAILURE,
                  "failed": api_pb2.STATUS_FAILURE}
# Final metrics that are bookkeeping of the training task rather than results; the status metric says the same.
NOT_HP_METRICS = frozenset({"status/diverged"})


# ---- the values: config -> columns --------------------------------------------------------------------------------


def logged_config(cfg: DictConfig, resolved_source: str | None) -> dict[str, Any]:
    """The complete resolved config (no ``${...}`` left) minus paths / loggers / callbacks, plus
    ``data.resolved_source``: what ``hparams.yaml`` holds."""
    params = OmegaConf.to_container(cfg, resolve=True)
    for key in ("paths", "logger", "callbacks", "hydra"):
        params.pop(key, None)
    if resolved_source is not None:
        params.setdefault("data", {})["resolved_source"] = resolved_source
    return params


def readable(value: Any) -> str:
    """A list / dict as the string a reader expects: ``[100, 100]``, ``[val, train]``, ``{a: 1}`` (Hydra's
    instantiation keys left out)."""
    return typed(value, quote_strings=False, skip_keys=INSTANTIATION_KEYS)


def column_value(value: Any) -> HParamValue | None:
    """A TensorBoard hparam value: bool / number / str kept, list or dict -> readable string, None (or NaN) ->
    None, which leaves the cell empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return readable(value)


def run_hparams(
    cfg: DictConfig,
    choices: Mapping[str, str | None],
    overrides: Sequence[str] = (),
    ignored_override_keys: Iterable[str] = (),
    resolved_source: str | None = None,
) -> dict[str, HParamValue]:
    """The HPARAMS columns of one run (see the module docstring), in display order: options, then settings.

    ``cfg`` is the run's composed config, ``choices`` Hydra's ``runtime.choices`` ({group: option}),
    ``overrides`` the run's own overrides (``hydra.overrides.task``), ``ignored_override_keys`` the overrides that
    name no hyper-parameter (``hydra.job.config.override_dirname.exclude_keys``), ``resolved_source`` the data
    source ``data.source=auto`` resolved to.
    """
    columns: dict[str, HParamValue] = {}
    for group, option in sorted(choices.items()):
        if group.split("/")[0] not in GROUPS_THAT_ARE_NOT_HYPERPARAMETERS:
            columns[group] = "null" if option is None else str(option)
    ignored = set(ignored_override_keys)
    named = {key for key in map(override_key, overrides) if key not in ignored and key not in choices}
    for key, value in flatten(OmegaConf.to_container(cfg, resolve=True), drop=INSTANTIATION_KEYS):
        if is_under(key, NOT_HYPERPARAMETERS) and not is_under(key, named):
            continue
        value = column_value(value)
        if value is not None:
            columns[key.replace(".", "/")] = value
    if resolved_source is not None:
        columns["data/resolved_source"] = resolved_source
    return columns


def column_of_override(key: str) -> str:
    """The column an override key sets: ``optimizer`` (an option) -> ``optimizer``, ``optimizer.lr`` ->
    ``optimizer/lr``."""
    return override_key(key).replace(".", "/")


def hp_metric_name(metric: str) -> str:
    """``val/acc`` -> ``~hparams/val/acc``: the scalar tag of a final metric in the HPARAMS tab."""
    return f"{HP_GROUP}/{metric}"


def shown_metric_name(tag: str) -> str:
    """``~hparams/val/acc`` -> ``val/acc``: what the HPARAMS table heads a metric's column with."""
    return tag.removeprefix(f"{HP_GROUP}/")


def hp_metrics(metrics: Mapping[str, float], status: str) -> dict[str, float]:
    """The HPARAMS metric scalars of a run that ended with ``status``: every final metric and the status."""
    scalars = {hp_metric_name(name): float(value) for name, value in metrics.items() if name not in NOT_HP_METRICS}
    scalars[STATUS_METRIC] = float(STATUS_CODES[status])
    return scalars


# ---- the summaries: TensorBoard's hparams plugin protobufs ---------------------------------------------------------


def hparams_summary(tag: str, plugin_data: plugin_data_pb2.HParamsPluginData) -> summary_pb2.Summary:
    """A ``Summary`` holding ``plugin_data`` under ``tag``, as the hparams plugin reads it."""
    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, metadata=metadata.create_summary_metadata(plugin_data), tensor=metadata.NULL_TENSOR)
    return summary


def session_start_summary(columns: Mapping[str, HParamValue], start_time_secs: float | None = None):
    """The run's session start: its columns. No group name: every run is its own row, named by its directory."""
    start = plugin_data_pb2.SessionStartInfo(start_time_secs=start_time_secs or time.time())
    for name, value in columns.items():
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
        elif isinstance(value, int | float):
            start.hparams[name].number_value = value
        elif isinstance(value, str):
            start.hparams[name].string_value = value
        else:
            raise TypeError(f"hparam {name}={value!r}: only bool, int, float and str go to TensorBoard")
    return hparams_summary(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=start))


def session_end_summary(status: str, end_time_secs: float | None = None) -> summary_pb2.Summary | None:
    """The run's session end with TensorBoard's status for ``status``; None for an interrupted run."""
    if status not in SESSION_STATUS:
        return None
    end = plugin_data_pb2.SessionEndInfo(status=SESSION_STATUS[status],
                                         end_time_secs=end_time_secs or time.time())
    return hparams_summary(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=end))


def hparam_info(name: str, values: Sequence[HParamValue], differs: bool) -> api_pb2.HParamInfo:
    """One column: type and domain from the values all runs logged (numbers: interval; strings, booleans: the
    distinct values)."""
    info = api_pb2.HParamInfo(name=name, differs=differs)
    if all(isinstance(v, bool) for v in values):
        info.type = api_pb2.DATA_TYPE_BOOL
        info.domain_discrete.extend(sorted(set(values)))
    elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        info.type = api_pb2.DATA_TYPE_FLOAT64
        info.domain_interval.min_value = float(min(values))
        info.domain_interval.max_value = float(max(values))
    else:
        info.type = api_pb2.DATA_TYPE_STRING
        info.domain_discrete.extend(sorted({v if isinstance(v, str) else readable(v) for v in values}))
    return info


def experiment_summary(
    sessions: Sequence[Mapping[str, HParamValue]],
    swept_columns: Iterable[str],
    metric_names: Sequence[str],
    time_created_secs: float | None = None,
) -> summary_pb2.Summary:
    """The HPARAMS experiment of a sweep: every column any of its runs (``sessions``) logged, typed; the swept ones
    and those whose values differ marked ``differs`` (TensorBoard lists them first, sorted by name, then the rest);
    ``metric_names`` (``~hparams/...`` tags, in this order) declared as its metrics, each headed by its own name.
    Where more than :data:`SHOWN_COLUMNS` columns differ, the swept ones are marked first (:func:`marked_differing`):
    by name alone, a swept ``seed`` came sixth, behind the columns its sweep's other keys change, and was hidden."""
    swept = set(swept_columns)
    names = sorted({name for session in sessions for name in session})
    columns = {name: [session[name] for session in sessions if name in session] for name in names}
    differing = [name for name, values in columns.items()
                 if name in swept or len({(type(v), v) for v in values}) > 1 or len(values) < len(sessions)]
    marked = marked_differing(differing, swept)
    infos = [hparam_info(name, values, name in marked) for name, values in columns.items()]
    metric_infos = [
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag), display_name=shown_metric_name(tag),
                           description=STATUS_DESCRIPTION if tag == STATUS_METRIC else
                           f"the final value of {shown_metric_name(tag)} (tag {tag})")
        for tag in metric_names
    ]
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metric_infos,
                                    time_created_secs=time_created_secs or time.time())
    return hparams_summary(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment))


def marked_differing(differing: Sequence[str], swept: set[str]) -> set[str]:
    """The columns marked ``differs`` of ``differing`` (those whose values differ, the swept ones included):
    TensorBoard shows the first :data:`SHOWN_COLUMNS` of the marked ones by name. Where more differ, the swept
    columns are marked, and the others fill what is left of the five - learning rates first (what an optimizer sweep
    changes most), then by name; the rest stay unmarked, listed after them."""
    if len(differing) <= SHOWN_COLUMNS:
        return set(differing)
    marked = [name for name in differing if name in swept]
    changed = sorted((name for name in differing if name not in swept),
                     key=lambda name: (name.rsplit("/", 1)[-1] != "lr", name))
    return {*marked, *changed[:max(0, SHOWN_COLUMNS - len(marked))]}


#: the order of the HPARAMS metrics after the optimised one and the status, by the metric's first part: validation,
#: training, anything else a callback logs (``lr-SGD``), then the test split's - a test metric is the final estimate
#: of the chosen model, never what a choice is made by (chapter 6.5), so it is no default column
METRIC_GROUP_ORDER = ("val", "train", None, "test")
#: how many HPARAMS metric columns TensorBoard's table shows before any is ticked: the first five the experiment
#: declares (its HPARAMS dashboard, ``_computeMetrics``); the hparam columns likewise show the first five of its
#: order (the differing ones first)
SHOWN_COLUMNS = 5


def declared_metrics(final_metric_names: Iterable[str], optimized_metric: str | None) -> list[str]:
    """The HPARAMS metric tags of a sweep, in the order TensorBoard's table shows them (the first
    :data:`SHOWN_COLUMNS`): the optimised metric - what the sweep's runs are chosen by - then the status, which tells
    an interrupted, diverged or failed row from a completed one, then the other final metrics by
    :data:`METRIC_GROUP_ORDER` and name: validation, training, others, test last."""
    names = {m for m in final_metric_names if m not in NOT_HP_METRICS}
    first = [optimized_metric] if optimized_metric in names else []

    def place(name: str) -> tuple[int, str]:
        group = name.split("/", 1)[0] if "/" in name else None
        return METRIC_GROUP_ORDER.index(group if group in METRIC_GROUP_ORDER else None), name

    rest = sorted(names - set(first), key=place)
    return [*map(hp_metric_name, first), STATUS_METRIC, *map(hp_metric_name, rest)]


def session_hparams(start: plugin_data_pb2.SessionStartInfo) -> dict[str, HParamValue]:
    """The columns a session start holds, back as Python values."""
    columns: dict[str, HParamValue] = {}
    for name, value in start.hparams.items():
        kind = value.WhichOneof("kind")
        if kind in ("bool_value", "number_value", "string_value"):
            columns[name] = getattr(value, kind)
    return columns


# ---- writing: a run's Lightning loggers --------------------------------------------------------------------------


def write_summary(logger: TensorBoardLogger, summary: summary_pb2.Summary, step: int = 0) -> None:
    """Append ``summary`` to the run's event file (the writer Lightning logs the scalars with)."""
    logger.experiment._get_file_writer().add_summary(summary, step)  # as Lightning's log_hyperparams does


def record_run_start(loggers: Sequence[Logger], config: Mapping[str, Any], columns: Mapping[str, HParamValue]) -> None:
    """Before training: TensorBoard gets the session start (``columns``) and keeps ``config`` for hparams.yaml;
    any other logger is handed ``config`` as its hyper-parameters."""
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.hparams.update(config)
            write_summary(logger, session_start_summary(columns))
        else:
            logger.log_hyperparams(config)


def record_run_end(loggers: Sequence[Logger], metrics: Mapping[str, float], status: str, step: int) -> None:
    """After training: TensorBoard gets the HPARAMS metric scalars at the last ``step`` and the session end;
    every logger is finalised."""
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_metrics(hp_metrics(metrics, status), step=step)
            end = session_end_summary(status)
            if end is not None:
                write_summary(logger, end, step)
            write_hparams_yaml(logger)
        logger.finalize("success")


def record_end_for_run(log_dir: os.PathLike | str, metrics: Mapping[str, float], status: str, step: int,
                       wall_time: float | None = None) -> None:
    """The end :func:`record_run_end` writes - the HPARAMS metric scalars at ``step``, and the session end where
    ``status`` has one - written for a run whose process could not write it (killed outright), into a new event file
    of its TensorBoard run ``log_dir``, stamped ``wall_time`` (its last event's; default now)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    wall_time = wall_time or time.time()
    scalars = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)
                                         for tag, value in hp_metrics(metrics, status).items()])
    writer = EventFileWriter(str(log_dir))
    writer.add_event(event_pb2.Event(wall_time=wall_time, step=step, summary=scalars))
    end = session_end_summary(status, wall_time)
    if end is not None:
        writer.add_event(event_pb2.Event(wall_time=wall_time, step=step, summary=end))
    writer.close()


def write_hparams_yaml(logger: TensorBoardLogger) -> None:
    """The run's ``hparams.yaml``, as Lightning's ``finalize`` would write it where the log directory exists, through
    :func:`~trainlab.config_yaml.config_yaml`: Lightning's own writer re-creates the config as an OmegaConf object
    and dumps it in pure Python (~50 ms a run). Lightning then finds the file and leaves it. Each session of the run
    writes it, as Hydra rewrites ``.hydra/config.yaml``: Lightning keeps the first session's, so a resume with
    ``trainer.max_epochs=2`` left ``max_epochs: 1`` there."""
    path = os.path.join(logger.log_dir, logger.NAME_HPARAMS_FILE)
    if os.path.isdir(logger.log_dir):
        write_text_atomically(path, config_yaml(dict(logger.hparams)))
