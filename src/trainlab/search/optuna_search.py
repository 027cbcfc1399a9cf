"""A hyper-parameter search on Optuna: ask for a batch of trials, run the batch on the launcher, tell the results.

:class:`OptunaSearch` is the logic of the ``hydra/sweeper=trainlab_optuna`` plugin; its settings are the keys of
``hydra.sweeper``:

* ``sampler`` - ``{_target_: optuna.samplers.<class>, ...}`` (:mod:`trainlab.search.sampler_factory`);
* ``direction`` - ``maximize`` or ``minimize`` the value the task returns;
* ``storage`` / ``study_name`` - where the study lives (:mod:`trainlab.search.storage`); processes that name the same
  storage and study share it;
* ``n_trials`` - trials that run to their end, in all (:mod:`trainlab.search.trial_budget`);
* ``n_jobs`` - trials per batch, or ``auto``: batches that let the sampler's model work
  (:mod:`trainlab.search.batch_size`); each batch goes to ``launcher.launch`` in one call (basic, joblib, submitit,
  ...);
* ``params`` - the search space (:mod:`trainlab.search.search_space`); sweep overrides on the command line add to it.
  A search that opens the study again must compose the same config besides them
  (:mod:`trainlab.search.study_settings`).

The loop, until ``n_trials`` trials count: ask a batch of at most the trials left (each with its parameters, and
its job directory, worker and sweep directory as user attributes), drop the surplus ones, launch the batch with
job number = trial number (so resumed and shared studies never reuse a job directory), then tell each trial what
its job's ``status.json`` and return value say (:mod:`trainlab.search.trial_outcome`). In a shared study a batch's
numbers jump where other workers asked trials in between: the stacked launcher takes the numbers and trains the
batch in one call; a launcher that numbers a call's jobs itself (basic, joblib, submitit) gets one call per run of
consecutive numbers, and each run is told as soon as its call returns. A stop (Ctrl-C, SIGTERM, a
config error in a job) tells the whole batch before the process exits; ``resume_sweep=true`` closes the trials a
killed run left RUNNING (:mod:`trainlab.search.stale_trials`). At the end ``optimization_results.yaml`` holds the
best trial (:mod:`trainlab.search.results`). A second stop signal ends the search at once: its running trials are
closed, and a fresh program the process becomes on the way out writes the results of those that finished
(:mod:`trainlab.search.results_at_once`).

Every check of the settings runs before the first trial, each failing with a one-line
:class:`~trainlab.errors.ConfigError`; the warnings of what the search goes on with (another sampler, a changed
range, a direction against the metric) come after the last check, so a refused command prints its refusal alone.
A sweep in a new directory that names a stored study other sweep dirs ran (``hydra.sweeper.storage``) says at its
start that it adds to that study, and where its trials are; one that finds the study at ``n_trials`` runs nothing
and makes no sweep dir.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig, OmegaConf, open_dict
from optuna.trial import TrialState

from trainlab.atomic_files import write_atomically
from trainlab.config_keys import override_key
from trainlab.errors import ConfigError, UserError, print_error_line
from trainlab.job_view import job_view
from trainlab.models.metric_names import natural_direction
from trainlab.run_status import STATUS_FILE
from trainlab.search import results_at_once
from trainlab.search.batch_size import AUTO, BatchSize, batch_size, parse_n_jobs
from trainlab.search.objective_name import name_objective
from trainlab.search.results import RESULTS_FILE, best_trial, unstarted_note, unstarted_trials, write_results
from trainlab.search.results import results as study_results
from trainlab.search.sampler_factory import SamplerSpec, sampler_spec
from trainlab.search.search_space import SearchSpace, parse_search_space
from trainlab.search.stale_trials import close_stale_trials, close_trials_at_once, record_killed_job
from trainlab.search.stop_signals import SearchInterrupted, StopSignals
from trainlab.search.storage import JOURNAL_PREFIX, StudyStorage, meant_storage, open_storage
from trainlab.search.study_sampler import (
    SAMPLER_ATTR,
    SAMPLER_GROUP,
    another_sampler_warning,
    option_text,
    record_sampler,
    sampler_option_naming,
    sampler_record,
)
from trainlab.search.study_settings import check_study_settings, left_out_keys, searched_group_fixes, study_settings
from trainlab.search.trial_budget import counts_toward_budget, is_surplus, trials_left
from trainlab.search.trial_outcome import (
    JOB_DIR_ATTR,
    SWEEP_DIR_ATTR,
    TrialOutcome,
    outcome_of_job,
    tell_outcome,
)
from trainlab.search.worker_identity import WORKER_ATTR, this_worker
from trainlab.shell_override import continue_search_line, python_train_py, shell_override
from trainlab.signal_exit import last_words, way_out
from trainlab.sweep.composed_configs import TemplateComposer
from trainlab.sweep.first_job import check_checkpoint_path
from trainlab.sweep.job_dirs import MULTIRUN_YAML, DistinctJobDirs, job_output_dir, sweep_job_dirs
from trainlab.sweep.joblib_stop import EXIT_STATUS as JOBLIB_STOP_STATUS
from trainlab.sweep.joblib_stop import joblib_stop_message
from trainlab.sweep.stop_at_once import stop_sweep_at_once
from trainlab.sweep.worker_stop import clear_stop_mark, jobs_train_in_workers, mark_stop
from trainlab.typed_values import typed

DIRECTIONS = ("maximize", "minimize")


def search_example() -> str:
    """How a search space is given, as the refusals of a space suggest it: on the command line (started as every
    printed command starts ``train.py``: :func:`~trainlab.shell_override.python_train_py`), or as
    hydra.sweeper.params in a config (one override value per key; a dotted key on the command line under
    hydra.sweeper.params would be read as nested keys)."""
    return (f"e.g. on the command line: {python_train_py()} hparams_search=tpe 'optimizer.lr=tag(log, interval(1e-4, "
            "1e-1))', or in an hparams_search config: hydra: {sweeper: {params: {optimizer.lr: 'tag(log, "
            "interval(1e-4, 1e-1))'}}}")


log = logging.getLogger(__name__)


@dataclass
class TrialJob:
    """One trial of a batch and the job that runs it."""

    trial: optuna.Trial
    overrides: list[str]
    job_dir: Path

    @property
    def number(self) -> int:
        return self.trial.number


def consecutive_runs(jobs: Sequence[TrialJob]) -> list[list[TrialJob]]:
    """``jobs`` split where trial numbers jump (another worker took the numbers between): one launch call per run,
    since a launcher numbers the jobs of a call consecutively from its ``initial_job_idx`` - for launchers that take
    no ``job_numbers`` (:func:`takes_job_numbers`)."""
    runs: list[list[TrialJob]] = []
    for job in jobs:
        if runs and job.number == runs[-1][-1].number + 1:
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs


def takes_job_numbers(launcher: Any) -> bool:
    """Whether ``launcher.launch`` takes ``job_numbers``, the number of each job it is handed (the stacked launcher,
    ``hydra_plugins/trainlab_stacked_launcher``): then a batch whose trial numbers jump - a study shared with other
    workers - is one launch call, which the stacked launcher trains as one stack. Hydra's launchers (basic, joblib,
    submitit) number a call's jobs from ``initial_job_idx`` on, and get one call per run of consecutive numbers."""
    return getattr(launcher, "takes_job_numbers", False) is True


def completed_trials(study: optuna.Study) -> int:
    """The study's COMPLETE trials: those a sampler's model learns from."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"hydra.sweeper.{key}={value} is invalid; allowed: an integer >= 1")
    return value


def quiet_independent_sampling(spec: SamplerSpec, space: SearchSpace) -> SamplerSpec:
    """CMA-ES models numbers only: it draws a ``choice`` at random, and Optuna warns of that at every trial (100
    lines in experiment I). Said once here instead, unless the config sets ``warn_independent_sampling`` itself."""
    choices = [key for key, distribution in space.distributions.items()
               if isinstance(distribution, optuna.distributions.CategoricalDistribution)]
    if not (choices and issubclass(spec.cls, optuna.samplers.CmaEsSampler)
            and "warn_independent_sampling" not in spec.arguments):
        return spec
    others = "; the other keys by CMA-ES" if len(choices) < len(space.distributions) else ""
    log.info("%s draws %s at random, each trial on its own (CMA-ES models numbers, not choices)%s", spec.name,
             ", ".join(choices), others)
    return dataclasses.replace(spec, arguments={**spec.arguments, "warn_independent_sampling": False})


def warn_of_a_direction_against_the_metric(metric: str | None, direction: str, on_failure: Any = None) -> None:
    """A loss maximised or an accuracy minimised is almost always a forgotten ``hydra.sweeper.direction``; and a
    minimising search whose failed trials return ``objective_on_failure=0.0`` shows them with the best value a loss
    can take in the objective column of ``summary.csv`` / ``ranking.csv`` (the study records them as failed all the
    same)."""
    leaf = (metric or "").rpartition("/")[2]
    wanted = natural_direction(metric)
    if wanted is not None and wanted != direction:
        log.warning("optimized_metric=%s with hydra.sweeper.direction=%s: the search looks for the %s %s; "
                    "hydra.sweeper.direction=%s looks for the %s", metric, direction,
                    "highest" if direction == "maximize" else "lowest", leaf,
                    wanted, "lowest" if wanted == "minimize" else "highest")
    if direction == "minimize" and on_failure == 0:
        log.warning("objective_on_failure=0.0 in a search that minimizes %s: a diverged or failed trial returns 0.0, "
                    "which reads as the best value in the objective column of summary.csv and ranking.csv (ranking.csv "
                    "lists such trials last; the study records them as failed); objective_on_failure=1e9 reads as "
                    "the worst", metric)


def recorded_search_settings(sweep_dir: Path) -> str:
    """The storage and study of the search that ran in ``sweep_dir`` as its ``optimization_results.yaml`` records
    them (``hydra.sweeper.storage=null hydra.sweeper.study_name=hparams_tpe, as ... records them``: null for a
    study file in the sweep dir itself, which the default storage finds); without that record, the words alone."""
    import yaml

    try:
        recorded = yaml.safe_load((sweep_dir / RESULTS_FILE).read_text(encoding="utf-8"))
        name, storage = recorded["study_name"], recorded["storage"]
    except (OSError, yaml.YAMLError, TypeError, KeyError):
        return "the storage and study_name of the search that ran there"
    if not isinstance(name, str) or not isinstance(storage, str):
        return "the storage and study_name of the search that ran there"
    if "***" in storage:  # a database URL recorded without its password: not a value to paste
        return (f"the storage {storage} (with its password) and hydra.sweeper.study_name={name}, the search that "
                f"ran there as its {RESULTS_FILE} records it")
    bare = "://" not in storage and not storage.startswith(JOURNAL_PREFIX)  # the default file of the sweep dir
    if bare and (Path(storage).parent == sweep_dir or (sweep_dir / Path(storage).name).is_file()):
        spec = "null"  # the sweep dir's own study file (moved with it, if the sweep dir was)
    elif bare:  # a study file outside it (the sweep dir moved): as storage.meant_storage writes a file's name
        spec = meant_storage(storage)
    else:
        spec = storage
    return (f"hydra.sweeper.storage={spec} hydra.sweeper.study_name={name}, the search that ran there as its "
            f"{RESULTS_FILE} records it")


def refuse_resuming_trials(ckpt_path: Any, callbacks: Any) -> None:
    """``ckpt_path=last`` names each trial's own ``checkpoints/last.ckpt``; but every trial trains in a directory made
    for it, which holds none, and a search resumed with ``resume_sweep=true`` replaces its stopped trials rather than
    resuming them - each trial refused it, once the study and its first trials' directories existed. Training one
    trial on alone is offered only where the trials keep a ``last.ckpt`` (``callbacks.last_checkpoint``: the
    ``hparams_search`` presets set it null)."""
    if ckpt_path != "last":
        return
    never = ("ckpt_path=last: a search's trials never resume - each trains in a new directory, which holds no "
             "checkpoint; allowed: resume_sweep=true hydra.sweep.dir=<the search's directory> to finish a stopped "
             "search, ")
    start_from = "ckpt_path=<a checkpoint file> to start every trial from it"
    if callbacks is not None and callbacks.get("last_checkpoint") is not None:
        raise ConfigError(f"{never}{start_from}, or {python_train_py()} ckpt_path=last hydra.run.dir=<a trial's "
                          "directory> to train one trial on alone")
    raise ConfigError(f"{never}or {start_from} (this search's trials keep no checkpoint to train one on alone: "
                      "callbacks.last_checkpoint is null)")


class OptunaSearch:
    """See the module docstring. ``config`` is the composed config; ``launcher`` runs the batches."""

    def __init__(self, *, config: DictConfig, config_loader: Any, launcher: Any, sampler: Any, direction: Any,
                 storage: Any, study_name: Any, n_trials: Any, n_jobs: Any, params: Any) -> None:
        self.config, self.config_loader, self.launcher = config, config_loader, launcher
        self.sampler_node, self.storage_spec, self.params = sampler, storage, params
        if direction not in DIRECTIONS:
            raise ConfigError(f"hydra.sweeper.direction={direction} is invalid; allowed: {', '.join(DIRECTIONS)}")
        if not isinstance(study_name, str) or not study_name:
            raise ConfigError(f"hydra.sweeper.study_name={study_name} is invalid; allowed: a non-empty string")
        self.direction, self.study_name = direction, study_name
        self.n_trials = positive_int("n_trials", n_trials)
        parse_n_jobs(n_jobs)  # refused here, before anything; its meaning depends on the sampler (batch_size)
        self.n_jobs = n_jobs
        self.batches: BatchSize | None = None
        self.end_configs: list[tuple[list[str], DictConfig]] = []  # the trials at the space's ends (search_space)
        self.created_study = False  # whether this process created the study (open_study): it records the settings
        self.sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))
        self.resume = bool(config.get("resume_sweep", False))
        self.job_dirs = DistinctJobDirs(self.sweep_dir)  # the sweep's trials' directories known so far (ask)
        self.interrupted_here = 0  # trials this command told interrupted (report_stop)
        self.unstarted_here: list[int] = []  # of those, the trials whose job never trained (report_stop)
        # warnings of what the search goes on with, logged once every check has passed (run): a refused command
        # prints its refusal alone, not a warning of a change it then does not make
        self.warnings: list[str] = []
        # jobs in worker processes save and return on a stop signal themselves: the stop waits for them, and no
        # queued job starts after it (trainlab/sweep/worker_stop.py)
        self.in_workers = jobs_train_in_workers(OmegaConf.select(config, "hydra.launcher"))

    # ---- before any trial -----------------------------------------------------------------------------------------
    def check_objective(self) -> None:
        if "optimized_metric" in self.config and self.config.optimized_metric is None:
            raise ConfigError("optimized_metric=null: a search needs the value each trial returns; allowed: a metric "
                              "the runs log, e.g. optimized_metric=val/acc")

    def search_space(self, arguments: list[str]) -> SearchSpace:
        params = OmegaConf.to_container(self.params, resolve=True) if isinstance(self.params, DictConfig) else (
            self.params)
        if params is not None and not isinstance(params, dict):  # hydra.sweeper.params=abc
            raise ConfigError(f"hydra.sweeper.params={typed(params)} is not a mapping of keys to search; allowed: "
                              f"{search_example()}")
        space = parse_search_space(params, arguments)
        if not space.distributions:
            raise ConfigError("hydra.sweeper.params: no entry to search (interval, choice, range or a,b,...); "
                              f"allowed: {search_example()}")
        # an unknown key or option fails here, as Hydra's one-line composition error, and a range that reaches a
        # value its key does not take (optimizer.lr=interval(-1, 1)) as trainlab's - not in the first trial that
        # samples it, once the study exists
        from trainlab.config_validation import check_values

        self.end_configs = []  # composed once: checked in full by check_trials_at_the_ends once the rest passed
        for overrides in space.composition_checks():
            job_config = self.config_loader.load_sweep_config(self.config, overrides)
            self.end_configs.append((overrides, job_config))
            try:
                check_values(job_config, keys=set(space.distributions))
            except ConfigError as error:
                hint = next((f"; for whole numbers: {key}=tag(int, interval({int(d.low)}, {int(d.high)}))"
                             for key, d in space.distributions.items()
                             if str(error).startswith(f"{key}=") and "an integer" in str(error)
                             and isinstance(d, optuna.distributions.FloatDistribution)
                             and float(d.low).is_integer() and float(d.high).is_integer()), "")
                raise ConfigError(f"the search space reaches a value its key does not take: {error}{hint}") from None
        return space

    def check_data_once(self, task: DictConfig, checked: set[str]) -> None:
        """:func:`~trainlab.data.data_refusals.check_data_fits_once` of ``task``, where the trials train on this
        machine (``checked``: the data configs checked so far)."""
        from trainlab.data.data_refusals import check_data_fits_once
        from trainlab.preflight import LOCAL_LAUNCHERS

        if OmegaConf.select(self.config, "hydra.launcher._target_") in LOCAL_LAUNCHERS:
            check_data_fits_once(task, checked)

    def check_trials_at_the_ends(self, space: SearchSpace, data_checked: set[str]) -> None:
        """Refuse a search one of whose trials at the ends of its ranges (and at each of its choices:
        :meth:`~trainlab.search.search_space.SearchSpace.composition_checks`) would be refused by the checks a
        trial's config gets - its keys against its classes (an optimizer of one's own that refuses ``beta=1.5``), a
        budget that ends before the first validation, splits that do not fit the data where the trials train on this
        machine (``data_checked``: the data configs checked already) - before the study exists. Found only by the
        first trial that drew such a value, they left a new study of refused trials, told "interrupted", which the
        corrected command was then refused for (``already holds the study ... with 2 trials``)."""
        from trainlab.config_validation import validate_config
        from trainlab.objective_budget import check_objective_reached

        for overrides, job_config in self.end_configs:  # composed by search_space
            try:
                with job_view(job_config, str(self.sweep_dir / "trial")) as task:
                    validate_config(task, machine=False, searched=space.distributions)
                    check_objective_reached(task, may_be_null=False)  # the searched budget at its ends
                    self.check_data_once(task, data_checked)  # a searched data key's ends
            except UserError as error:  # a ConfigError, or the DataError of a damaged data file
                keys = {override_key(key) for key in space.distributions}  # +optimizer.beta: optimizer.beta
                searched = " ".join(line for line in overrides if override_key(line) in keys)
                raise ConfigError(f"the search space reaches a trial its checks refuse ({searched}): {error}") from None

    def new_search_hint(self, storage: StudyStorage) -> str:
        """Where a search of another configuration goes: its own sweep dir (and, in a storage outside the sweep
        dir, its own study name) - a second study in this sweep dir would mix its jobs with this one's."""
        if storage.in_sweep_dir:
            return "a new hydra.sweep.dir"
        return "a new hydra.sweep.dir with a new hydra.sweeper.study_name"

    def other_study_here(self, storage: StudyStorage) -> optuna.study.StudySummary | None:
        """Another study whose trials ran in this sweep dir: every study of a storage in the sweep dir, or one whose
        trials recorded this sweep dir."""
        for summary in optuna.study.get_all_study_summaries(storage.storage, include_best_trial=False):
            if summary.study_name == self.study_name or summary.n_trials == 0:
                continue
            if storage.in_sweep_dir:
                return summary
            other = optuna.load_study(study_name=summary.study_name, storage=storage.storage)
            if any(trial.user_attrs.get(SWEEP_DIR_ATTR) == str(self.sweep_dir)
                   for trial in other.get_trials(deepcopy=False)):
                return summary
        return None

    def continue_other_study(self, other: optuna.study.StudySummary, sampler_used: dict[str, Any]) -> str:
        """How to continue ``other``: by the sampler option its name follows, or by its name - which continues it
        with this search's sampler (``sampler_used``)."""
        name = other.study_name
        template = OmegaConf.to_container(self.config.hydra.sweeper, resolve=False).get("study_name")
        option = sampler_option_naming(name, template, self.config_loader.get_group_options(SAMPLER_GROUP))
        if option is not None:
            return (f"{SAMPLER_GROUP}={option} (resume_sweep=true continues that study with the sampler it is named "
                    f"after), hydra.sweeper.study_name={name} (continues it with this search's sampler, "
                    f"{option_text(sampler_used)})")
        recorded = other.user_attrs.get(SAMPLER_ATTR)
        drawn_by = f"; it was drawn by {option_text(recorded)}" if isinstance(recorded, dict) else ""
        return f"hydra.sweeper.study_name={name} (resume_sweep=true continues it{drawn_by})"

    def open_study(self, storage: StudyStorage, sampler: optuna.samplers.BaseSampler,
                   sampler_used: dict[str, Any]) -> optuna.Study:
        """Load or create the study (refused where it would mix with another one's jobs); ``sampler_used``: the
        record of the sampler (:mod:`trainlab.search.study_sampler`)."""
        names = optuna.study.get_all_study_names(storage.storage)
        exists = self.study_name in names
        if not exists and not storage.in_sweep_dir and names:
            # a shared storage: a misspelt study name started a new study beside the one meant, without a word; the
            # studies it holds are named (not guessed at: hparams_random and hparams_tpe, mnist_v1 and mnist_v2 are
            # as close as a typo)
            held = ", ".join(sorted(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            log.info("study %r is new in %s, which holds %d other stud%s: %s", self.study_name, storage.description,
                     len(names), "y" if len(names) == 1 else "ies", held)
        if not exists and (other := self.other_study_here(storage)) is not None:
            raise ConfigError(
                f"hydra.sweep.dir={self.sweep_dir} holds the study {other.study_name!r} ({other.n_trials} trials, "
                f"{storage.description}); a second study there (hydra.sweeper.study_name={self.study_name}) would "
                f"mix its jobs, summary.csv and optimization_results.yaml with that one's - a trial drawing the same "
                f"values would even be skipped as completed; nothing was changed. allowed: "
                f"{self.continue_other_study(other, sampler_used)}, or {self.new_search_hint(storage)} for the study "
                f"{self.study_name!r}")
        if not exists and (jobs := sweep_job_dirs(self.sweep_dir)):
            opened = Path(storage.description)
            if storage.in_sweep_dir and opened.is_file() and opened.stat().st_size == 0:
                opened.unlink()  # the journal file opened for this search: nothing is left behind
            raise ConfigError(
                f"hydra.sweep.dir={self.sweep_dir} holds {len(jobs)} job{'s' if len(jobs) > 1 else ''} of another "
                f"sweep ({jobs[0].relative_to(self.sweep_dir).as_posix()}, ...) but no study {self.study_name!r} in "
                f"{storage.description}: this search's trials would land beside them and share their summary.csv; "
                f"nothing was changed. allowed: {recorded_search_settings(self.sweep_dir)} (resume_sweep=true "
                "continues it), or a new hydra.sweep.dir for this search")
        if exists:  # loaded, not re-created: a journal would log a (refused) creation each time
            study = optuna.load_study(storage=storage.storage, study_name=self.study_name, sampler=sampler)
        else:
            try:
                study = optuna.create_study(storage=storage.storage, study_name=self.study_name, sampler=sampler,
                                            direction=self.direction)
                self.created_study = True
            except optuna.exceptions.DuplicatedStudyError:  # another worker created it meanwhile: joined
                log.info("study %r in %s: created by another worker a moment ago; joining it", self.study_name,
                         storage.description)
                study = optuna.load_study(storage=storage.storage, study_name=self.study_name, sampler=sampler)
        if self.created_study:
            record_sampler(study, sampler_used)
            name_objective(study, self.config.get("optimized_metric"))
        elif (warning := another_sampler_warning(study, sampler_used, storage.description)) is not None:
            self.warnings.append(warning)
        if study.direction.name.lower() != self.direction:
            raise ConfigError(f"hydra.sweeper.direction={self.direction}: the study {self.study_name!r} in "
                              f"{storage.description} was created to {study.direction.name.lower()}; allowed: "
                              f"{study.direction.name.lower()}, or {self.new_search_hint(storage)} for a search "
                              f"that {self.direction}s")
        earlier = len(study.get_trials(deepcopy=False))
        if exists and earlier and storage.in_sweep_dir and not self.resume:
            raise ConfigError(
                f"hydra.sweep.dir={self.sweep_dir} already holds the study {self.study_name!r} with {earlier} "
                f"trials ({storage.description}); nothing was changed. Continue it with resume_sweep=true "
                f"{shell_override('hydra.sweep.dir', self.sweep_dir)} (until it has hydra.sweeper.n_trials; a larger "
                "n_trials extends it), or start the search in a new hydra.sweep.dir")
        if self.resume and not exists:
            self.warnings.append(f"resume_sweep=true: no study {self.study_name!r} in {storage.description} yet; "
                                 "starting it")
        return study

    def sweeps_of(self, study: optuna.Study) -> dict[str, int]:
        """The sweep dirs whose trials the study holds, each with its number of trials, in the order of their first
        trial (a trial that recorded none is not counted)."""
        sweeps: dict[str, int] = {}
        for trial in study.get_trials(deepcopy=False):
            if (place := trial.user_attrs.get(SWEEP_DIR_ATTR)) is not None:
                sweeps[place] = sweeps.get(place, 0) + 1
        return sweeps

    def named_sweeps(self, sweeps: dict[str, int]) -> str:
        """``/a (4), /b (2, this hydra.sweep.dir)``: the first three of ``sweeps`` (:meth:`sweeps_of`)."""
        named = [f"{place} ({count}{', this hydra.sweep.dir' if place == str(self.sweep_dir) else ''})"
                 for place, count in list(sweeps.items())[:3]]
        return ", ".join(named) + (f" and {len(sweeps) - 3} more sweep dirs" if len(sweeps) > 3 else "")

    def log_joining(self, study: optuna.Study, storage: StudyStorage) -> None:
        """Say that this sweep adds to a study of a storage outside it whose trials other sweep dirs ran (a shared
        study, docs/hyper-parameter-search.md, "Shared study"): the same storage and study_name join the study by
        design, so a sweep in a new hydra.sweep.dir that names an earlier search's storage extends it - said here, with
        where its trials are."""
        sweeps = self.sweeps_of(study)
        if storage.in_sweep_dir or not set(sweeps) - {str(self.sweep_dir)}:
            return
        log.info("study %r in %s holds %d trials, run in %s: this sweep (hydra.sweep.dir=%s) adds its trials to that "
                 "study (a study of its own: another hydra.sweeper.study_name or storage)", self.study_name,
                 storage.description, len(study.get_trials(deepcopy=False)), self.named_sweeps(sweeps),
                 self.sweep_dir)

    def nothing_to_run_elsewhere(self, study: optuna.Study, storage: StudyStorage) -> dict[str, Any] | None:
        """A study outside this sweep dir that holds its ``n_trials`` already, none of them this sweep dir's: nothing
        runs, and nothing is written here - no sweep dir of an empty summary whose optimization_results.yaml names
        another sweep's best job. Says where the study's trials are and returns its results (None: trials to run, or
        trials of this sweep dir, whose results it rewrites)."""
        sweeps = self.sweeps_of(study)
        if storage.in_sweep_dir or str(self.sweep_dir) in sweeps or trials_left(study, self.n_trials) > 0:
            return None
        counted = sum(counts_toward_budget(trial) for trial in study.get_trials(deepcopy=False))
        payload = study_results(study, storage.description)
        best = "no trial completed" if payload["best_trial"] is None else (
            f"best trial {payload['best_trial']} with value {payload['best_value']} ({payload['best_job']})")
        here = "is not made" if not self.sweep_dir.exists() else "is left as it was"
        log.warning("study %r in %s: %d trials so far, hydra.sweeper.n_trials=%d reached: nothing to run, and "
                    "hydra.sweep.dir=%s %s; the study's trials and results are in %s; %s (a larger n_trials adds "
                    "trials to it)", self.study_name, storage.description, counted, self.n_trials, self.sweep_dir,
                    here, self.named_sweeps(sweeps) or "no sweep dir it recorded", best)
        return payload

    def log_start(self, study: optuna.Study, storage: StudyStorage) -> None:
        """Where the study stands (after a resume has closed its stale trials): the trials that count toward
        ``n_trials`` so far, and what this search runs - with a warning when ``n_jobs`` leaves the sampler's model
        nothing to draw."""
        self.log_joining(study, storage)
        trials = study.get_trials(deepcopy=False)
        counted = sum(counts_toward_budget(trial) for trial in trials)
        others = f" (and {len(trials) - counted} that do not count: interrupted or surplus)" if counted < len(trials) \
            else ""
        if counted >= self.n_trials:
            log.warning("study %r in %s: %d trials so far%s, hydra.sweeper.n_trials=%d reached: nothing to run (a "
                        "larger n_trials continues it)", self.study_name, storage.description, counted, others,
                        self.n_trials)
        else:
            left, completed = self.n_trials - counted, completed_trials(study)
            auto = f" by hydra.sweeper.n_jobs={AUTO}" if self.batches.n_jobs is None else ""
            log.info("study %r in %s: %d trials so far%s, %s %s until %d trials have run (%s%s)",
                     self.study_name, storage.description, counted, others, str(study.sampler), self.direction,
                     self.n_trials, self.batches.describe(left, completed), auto)
            if (warning := self.batches.warning(left, completed)) is not None:
                log.warning(warning)

    # ---- the loop -------------------------------------------------------------------------------------------------
    def run(self, arguments: list[str]) -> dict[str, Any]:
        self.check_objective()
        space = self.search_space(arguments)
        spec = quiet_independent_sampling(sampler_spec(self.sampler_node), space)
        sampler = spec.build()  # a bad sampler is refused before the storage file is made
        self.batches = batch_size(self.n_jobs, spec, space.distributions)
        from trainlab.config_validation import check_optimized_metric, validate_config
        from trainlab.objective_budget import check_objective_reached

        trial_config = self.config_loader.load_sweep_config(self.config, list(space.fixed))
        # what every trial's config would be refused for, before the study exists: keys, values, the metrics that
        # callbacks watch (the searched keys at their configured values, checked above; this machine's GPU and data
        # are the preflight's, where the trials train here)
        with job_view(trial_config, str(self.sweep_dir / "trial")) as task:  # a sweeper runs before any job
            validate_config(task, machine=False, searched=space.distributions)
            # a checkpoint file every trial would resume from (ckpt_path=last: see refuse_resuming_trials)
            refuse_resuming_trials(task.get("ckpt_path"), task.get("callbacks"))
            check_checkpoint_path(task.get("ckpt_path"), trial_config, self.sweep_dir / "trial")
            check_objective_reached(task, searched=space.distributions, may_be_null=False)  # budget < validation
            data_checked: set[str] = set()
            self.check_data_once(task, data_checked)  # not blamed on the space when it is not searched
        check_optimized_metric(trial_config, searched=space.distributions, may_be_null=False)
        self.check_trials_at_the_ends(space, data_checked)
        if self.storage_spec in (None, ""):
            self.sweep_dir.mkdir(parents=True, exist_ok=True)
        # closed on every way out: an SQLite file in WAL mode is put back in the default mode (sqlite_wal)
        with open_storage(self.storage_spec, self.sweep_dir) as storage:
            option = OmegaConf.select(self.config, f"hydra.runtime.choices.{SAMPLER_GROUP}", default=None)
            study = self.open_study(storage, sampler, sampler_record(spec.target, option))
            recorded = {key: value for trial in study.get_trials(deepcopy=False)
                        for key, value in trial.distributions.items()}
            self.warnings.extend(space.check_against(recorded, storage.description))
            exclude_keys = self.config.hydra.job.config.override_dirname.exclude_keys
            check_study_settings(study, study_settings(trial_config, space.distributions, exclude_keys),
                                 storage.description, self.new_search_hint(storage),
                                 left_out_keys(space.distributions, exclude_keys), created=self.created_study,
                                 searched=space.distributions,
                                 group_fixes=searched_group_fixes(trial_config, space.distributions, space.fixed,
                                                                  exclude_keys))
            # every check has passed: what the search goes on with is said now, and nothing before a refusal
            warn_of_a_direction_against_the_metric(trial_config.get("optimized_metric"), self.direction,
                                                   trial_config.get("objective_on_failure"))
            for warning in self.warnings:
                log.warning(warning)
            if (payload := self.nothing_to_run_elsewhere(study, storage)) is not None:
                return payload
            self.sweep_dir.mkdir(parents=True, exist_ok=True)
            record = self.sweep_dir / MULTIRUN_YAML
            earlier = record.read_bytes() if self.resume and record.is_file() else None
            OmegaConf.save(self.config, record)  # as Hydra's basic sweeper does
            if self.in_workers:
                clear_stop_mark(self.sweep_dir)
            marks = (lambda signum: mark_stop(self.sweep_dir, signum)) if self.in_workers else None
            # a second signal while the workers' trials save: the command ends at once (sweep/stop_at_once.py)
            at_once = (lambda signum: stop_sweep_at_once(signum, self.sweep_dir, search=True)) if self.in_workers \
                else None
            # ended at once (a second signal): a fresh program writes the results of the trials that finished, then
            # the command that continues the search, the last line (search/results_at_once.py)
            with StopSignals(on_deferred=marks, on_again=at_once) as stop, way_out(
                    self.results_at_once_program(storage),
                    otherwise=lambda: print(continue_search_line(self.sweep_dir), file=sys.stderr, flush=True)):
                try:
                    if self.resume:
                        close_stale_trials(study, self.sweep_dir)
                    self.log_start(study, storage)
                    if earlier is not None and trials_left(study, self.n_trials) == 0:  # a resume that runs
                        # nothing puts back the record of the command that ran the trials (a sampler seed changed
                        # here drew none of them)
                        write_atomically(record, lambda file: file.write(earlier))
                    while (left := trials_left(study, self.n_trials)) > 0:
                        self.run_batch(study, space, self.batches.next_batch(left, completed_trials(study)), stop)
                except SearchInterrupted as interrupted:
                    self.record_stop(study, storage.description)
                    self.report_stop(study)
                    raise SystemExit(128 + interrupted.signum) from None
                except (BrokenExecutor, multiprocessing.TimeoutError) as error:  # joblib stopped the batch: a dead
                    # worker, a job past hydra.launcher.timeout (sweep/joblib_stop.py); its trials are told already
                    if (message := joblib_stop_message(error)) is None:
                        raise
                    print_error_line(message, error)
                    self.record_stop(study, storage.description)
                    self.report_stop(study)
                    raise SystemExit(JOBLIB_STOP_STATUS) from error
                except SystemExit as exit_:
                    if isinstance(exit_.code, int) and exit_.code > 128:  # a job stopped on a signal
                        self.record_stop(study, storage.description)
                        self.report_stop(study)
                    raise
            payload = write_results(self.sweep_dir, study, storage.description)
            unstarted = unstarted_trials(study, self.sweep_dir) if payload["trials"]["interrupted"] else []
        if unstarted:  # why the yaml counts more interrupted trials than summary.csv has interrupted rows
            log.info("%s counts %d interrupted trials: %s", self.sweep_dir / RESULTS_FILE,
                     payload["trials"]["interrupted"], unstarted_note(unstarted))
        if payload["best_trial"] is None:
            log.info("best trial: none - no trial completed (%s)", self.sweep_dir / "optimization_results.yaml")
        else:
            log.info("best trial: %s with value %s, params %s (%s)", payload["best_trial"], payload["best_value"],
                     payload["best_params"], self.sweep_dir / "optimization_results.yaml")
        if payload["trials"]["running"]:  # a shared study's other workers still train: this file is not its end
            log.info("%d trial%s of the study still running (%s): optimization_results.yaml holds the study as it "
                     "stood when this worker ended; the worker that ends last writes the final counts in its sweep "
                     "dir", payload["trials"]["running"], "s" if payload["trials"]["running"] > 1 else "",
                     ", ".join(f"{count} in {place}" for place, count in payload["running_in"].items()))
        return payload

    def results_at_once_program(self, storage: StudyStorage) -> list[str]:
        """The program that writes this search's results if it is stopped at once (:mod:`~trainlab.search.
        results_at_once`), with every setting it needs as plain values: read here, not in the signal handler."""
        from trainlab.sweep.summary_callback import summary_settings

        return results_at_once.program({
            "sweep_dir": str(self.sweep_dir), "storage": self.storage_spec, "study_name": self.study_name,
            "summary": summary_settings(self.config.hydra, self.config.get("optimized_metric")),
            "continue_line": continue_search_line(self.sweep_dir)})

    def run_batch(self, study: optuna.Study, space: SearchSpace, size: int, stop: StopSignals) -> None:
        jobs: list[TrialJob] = []
        told: list[TrialJob] = []
        returns: dict[int, JobReturn] = {}
        try:
            with stop.deferred():
                for _ in range(size):
                    jobs.append(self.ask(study, space))
                asked = study.get_trials(deepcopy=False)
                for job in list(jobs):
                    if is_surplus(study, job.number, self.n_trials, asked):
                        tell_outcome(study, job.trial._trial_id, TrialOutcome("surplus"))
                        log.info("trial %d: surplus (the study has its %d trials), not run", job.number,
                                 self.n_trials)
                        jobs.remove(job)
            runs = ([jobs] if jobs else []) if takes_job_numbers(self.launcher) else consecutive_runs(jobs)
            for run in runs:  # ended at once meanwhile: the trials still running are closed first (stale_trials)
                with stop.deferred() if self.in_workers else contextlib.nullcontext(), last_words(
                        lambda: close_trials_at_once(study, [(j.trial._trial_id, j.number, j.job_dir) for j in jobs])):
                    results = self.launch(run)
                    returns.update({job.number: result for job, result in zip(run, results, strict=True)})
                # each run's results reach the study as soon as its launch returns: the sampler of this worker's
                # next batch and other workers' samplers learn from them, not only after the batch's last run
                with stop.deferred():  # told and noted together: a stop at the block's end tells no trial twice
                    self.tell(study, run, returns)
                    told.extend(run)
        except BaseException as error:  # nothing stays RUNNING after a stop
            self.tell(study, [job for job in jobs if job not in told], returns,
                      killed=joblib_stop_message(error))
            raise
        for job in jobs:
            if returns[job.number].status != JobStatus.COMPLETED:
                returns[job.number].return_value  # noqa: B018 - raises the job's exception: the search stops

    def launch(self, run: list[TrialJob]) -> list[JobReturn]:
        """One launch call for ``run``: with each job's trial number where the launcher takes them
        (:func:`takes_job_numbers`), else numbered from the first trial's (``run``'s numbers are consecutive)."""
        overrides = [job.overrides for job in run]
        try:
            if takes_job_numbers(self.launcher):
                return self.launcher.launch(overrides, initial_job_idx=run[0].number,
                                            job_numbers=[job.number for job in run])
            return self.launcher.launch(overrides, initial_job_idx=run[0].number)
        finally:  # the configs job_dir handed over that no composition in this process took (joblib, submitit)
            if isinstance(self.config_loader.load_sweep_config, TemplateComposer):
                self.config_loader.load_sweep_config.forget_handed_over()

    def ask(self, study: optuna.Study, space: SearchSpace) -> TrialJob:
        trial = study.ask(fixed_distributions=space.distributions)
        overrides = space.trial_overrides(trial.params)
        try:
            job_dir = self.job_dir(overrides, trial.number)
            for earlier in study.get_trials(deepcopy=False):  # this command's and other workers' trials of the sweep
                if earlier.number not in self.job_dirs.added and JOB_DIR_ATTR in earlier.user_attrs \
                        and earlier.user_attrs.get(SWEEP_DIR_ATTR) == str(self.sweep_dir):
                    self.job_dirs.add(earlier.number, Path(earlier.user_attrs[JOB_DIR_ATTR]))
            self.job_dirs.add(trial.number, job_dir)  # hydra.sweep.subdir=same: refused
        except BaseException:
            tell_outcome(study, trial._trial_id, TrialOutcome("failed"))
            raise
        trial.set_user_attr(JOB_DIR_ATTR, str(job_dir))
        trial.set_user_attr(SWEEP_DIR_ATTR, str(self.sweep_dir))
        trial.set_user_attr(WORKER_ATTR, this_worker())
        return TrialJob(trial, overrides, job_dir)

    def job_dir(self, overrides: list[str], number: int) -> Path:
        """The directory the launcher will give job ``number`` (Hydra's ``hydra.sweep.dir``/``hydra.sweep.subdir``)."""
        job_config = self.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(job_config):
            job_config.hydra.job.num = number
        job_dir = job_output_dir(job_config)
        if isinstance(self.config_loader.load_sweep_config, TemplateComposer):  # the launcher runs it as composed
            self.config_loader.load_sweep_config.hand_over(self.config, overrides, job_config)
        return job_dir

    def tell(self, study: optuna.Study, jobs: list[TrialJob], returns: dict[int, JobReturn],
             killed: str | None = None) -> None:
        """Tell each of ``jobs`` what its job's ``status.json`` and return say. ``killed``: joblib stopped the
        batch (why, :func:`~trainlab.sweep.joblib_stop.joblib_stop_message`), so the jobs that had started (their
        ``.hydra/``) and recorded no end were killed while they trained: each gets the ``interrupted`` records a
        resume gives a killed job (:func:`~trainlab.search.stale_trials.record_killed_job`), not counted among the
        trials that never trained."""
        for job in jobs:
            outcome = outcome_of_job(job.job_dir, returns.get(job.number))
            tell_outcome(study, job.trial._trial_id, outcome)
            self.interrupted_here += outcome.label == "interrupted"
            if outcome.label == "interrupted" and not (job.job_dir / STATUS_FILE).is_file():
                if killed is not None and (job.job_dir / ".hydra").is_dir():
                    record_killed_job(job.job_dir, job.number,
                                      f"joblib stopped the batch while this job trained: {killed.split(',')[0]}")
                else:
                    self.unstarted_here.append(job.number)
            log.info("trial %d %s%s", job.number, outcome.label,
                     f" with value {outcome.value}" if outcome.value is not None else "")
        if jobs:  # once per call (a batch, or a run of it): each read of the study's trials queries them all
            best = best_trial(study)
            log.info("best so far: %s", "none" if best is None else f"trial {best.number} with {best.value}")

    def record_stop(self, study: optuna.Study, where: str) -> None:
        """A stopped search's records of what ran so far, as a finished one's: ``optimization_results.yaml`` (the
        best trial so far, the trials per outcome), ``summary.csv`` / ``ranking.csv`` and the HPARAMS experiment
        (Hydra ends the multirun without its end callbacks); a resume rewrites them. A failure to write them is
        said, and the stop goes on."""
        from trainlab.sweep.hparams_experiment import write_sweep_experiment
        from trainlab.sweep.summary_callback import write_sweep_summary

        clear_stop_mark(self.sweep_dir)  # the workers have all returned: the mark told queued jobs not to start
        try:
            write_results(self.sweep_dir, study, where)
            write_sweep_summary(self.config.hydra, self.config.get("optimized_metric"))
            write_sweep_experiment(self.sweep_dir, self.config.get("optimized_metric"))
        except (OSError, ValueError) as error:
            log.warning("the stopped search's optimization_results.yaml / summary.csv / HPARAMS experiment were not "
                        "written: %s", error)

    def report_stop(self, study: optuna.Study) -> None:
        counted = self.n_trials - trials_left(study, self.n_trials)
        interrupted = self.interrupted_here  # this command's: earlier stops' trials were replaced already
        plural = interrupted > 1
        unstarted = len(self.unstarted_here)
        never = (f"; {unstarted} of them never trained, so summary.csv has no row for "
                 f"{'them' if unstarted > 1 else 'it'}") if unstarted else ""
        lost = (f" ({interrupted} interrupted trial{'s' if plural else ''} do{'' if plural else 'es'} not count: the "
                "search asks new trials in their place, which train from the start - a search resumes no trial"
                f"{never})") if interrupted else ""
        print(f"the search stopped with {counted} of {self.n_trials} trials run{lost}.\n"
              f"{continue_search_line(self.sweep_dir)}", file=sys.stderr)
