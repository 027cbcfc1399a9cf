"""The job directories of a sweep: where they are, and whether a new multirun may write into the sweep.

A sweep names each job's directory ``<sweep>/<n>_<overrides>/`` (``hydra.sweep.subdir``); an override whose value
holds a ``/`` (``callbacks.early_stopping.monitor=val/loss``) nests it deeper, as Hydra joins the overrides as they
are. :func:`sweep_job_dirs` finds them at any depth (the summary, the report, HPARAMS and the check below read
them); :func:`check_sweep_dir_free` refuses a sweep directory that holds runs before Hydra writes into it, and
:func:`check_resumed_sweep` a ``resume_sweep=true`` whose jobs are not the sweep's it would finish.
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import Any

import yaml
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.config_keys import override_lines
from trainlab.errors import ConfigError, RunDirInUseError
from trainlab.logger_dirs import HPARAMS_EXPERIMENT_FILES  # the HPARAMS experiment: writing it removes an earlier one
from trainlab.run_dir import FINISHED_STATUSES, artifacts, failed_without_checkpoint, naming_overrides, newest_beside
from trainlab.run_status import STATUS_FILE, read_status
from trainlab.shell_override import shell_override
from trainlab.sweep.basic_sweep import BASIC_SWEEPER, basic_sweep_jobs

log = logging.getLogger(__name__)

# Folders a job or a sweep writes for itself: never a job directory, not searched for one.
NOT_JOB_DIRS = frozenset({".hydra", "checkpoints", "attempts", "report", ".submitit"})


def sweep_job_dirs(sweep_dir: Path) -> list[Path]:
    """The job directories of a sweep, in job order: ``<sweep>/<n>_<overrides>/``, or deeper when an override's
    value holds a ``/`` (``callbacks.early_stopping.monitor=val/loss`` names the directory ``0_...monitor=val/loss``,
    as Hydra joins the overrides as they are). A job directory holds ``.hydra/`` or a run's artifacts; a report's
    directory (:func:`is_report_dir`) is none, whatever its name. A symbolic link is never followed: one back into
    the sweep (``latest`` -> the sweep) would loop, one to a job (``best`` -> ``3_...``) count it twice, one to
    another sweep's job add that job to this sweep's summary and resume; :func:`linked_job_dirs` names them, and
    :func:`broken_links` those whose target does not exist."""
    return visit_sweep(sweep_dir)[0]


def linked_job_dirs(sweep_dir: Path) -> list[Path]:
    """The symbolic links in ``sweep_dir`` (where :func:`sweep_job_dirs` looks) to a job directory outside the sweep,
    which it leaves out: a job moved elsewhere and linked back (``1_optimizer=adam -> /data/x``), or another sweep's
    job. The report names them rather than comparing fewer jobs without a word; a link to a directory inside the
    sweep (``best`` -> one of its jobs, ``latest`` -> the sweep) is no job of its own."""
    inside = sweep_dir.resolve()
    return [link for link in visit_sweep(sweep_dir)[1] if link.exists()
            and (target := link.resolve()) != inside and inside not in target.parents and is_job_dir(target)]


def broken_links(sweep_dir: Path) -> list[Path]:
    """The symbolic links in ``sweep_dir`` (where :func:`sweep_job_dirs` looks) whose target does not exist (or
    loops): a job moved out of the sweep, linked back, then deleted. No job is read through them - the summary, the
    report and a resume left such a job out without a word, and the job a new or resumed sweep would write there
    could not make its directory (Hydra's ``FileExistsError``)."""
    return [link for link in visit_sweep(sweep_dir)[1] if not link.exists()]


def link_named(sweep_dir: Path, link: Path) -> str:
    """``1_optimizer=adam -> /data/x``: a symbolic link of ``sweep_dir`` as the commands name it, the link relative to
    the sweep, its target absolute (also where it does not exist, or loops)."""
    return f"{link.relative_to(sweep_dir).as_posix()} -> {os.path.realpath(link)}"


def sweep_holding(job_dir: Path) -> Path | None:
    """The sweep directory ``job_dir`` is a job of: its nearest folder above holding ``multirun.yaml`` (a job's
    directory may lie deeper than the sweep's top, see :func:`sweep_job_dirs`); None where no folder above holds
    one (a single run's directory, or a job moved out of its sweep)."""
    return next((folder for folder in job_dir.parents if (folder / MULTIRUN_YAML).is_file()), None)


def visit_sweep(sweep_dir: Path) -> tuple[list[Path], list[Path]]:
    """(the job directories of ``sweep_dir`` in job order, the symbolic links met on the way that lead to a directory
    or to nothing - a link to a file is no job's)."""
    found: list[Path] = []
    links: list[Path] = []

    def visit(directory: Path) -> None:
        for child in sorted(directory.iterdir()):
            if child.is_symlink():
                if child.is_dir() or not child.exists():
                    links.append(child)
                continue
            if not child.is_dir() or child.name in NOT_JOB_DIRS or is_report_dir(child):
                continue
            if is_job_dir(child):
                found.append(child)
            else:
                visit(child)

    if sweep_dir.is_dir():
        visit(sweep_dir)
    return sorted(found, key=lambda job: (job_number(job.relative_to(sweep_dir).parts[0]), str(job))), links


def is_job_dir(directory: Path) -> bool:
    """Whether ``directory`` is a job's: it holds ``.hydra/`` or a run's artifacts."""
    return (directory / ".hydra").is_dir() or bool(artifacts(directory))


def is_report_dir(directory: Path) -> bool:
    """Whether ``directory`` is a report's (``trainlab report <sweep> --out <sweep>/figs``): it holds the report's
    record (:data:`trainlab.report.output_dir.RECORD`) and nothing a job writes for itself (``.hydra/``,
    status.json). Its TensorBoard event file made it a job of the sweep that had not ended; a job's directory a
    report was written into stays a job."""
    from trainlab.report.output_dir import RECORD  # the report's module, not imported by a sweep that reads no report

    return (directory / RECORD).is_file() and not any((directory / name).exists() for name in (".hydra", STATUS_FILE))


#: the :func:`job_number` of a directory not named ``<n>_...`` (it sorts after every job)
UNNUMBERED = 1 << 30


def job_number(name: str) -> int:
    """The ``<n>`` of a job directory named ``<n>_<overrides>`` (others: :data:`UNNUMBERED`, sorted last)."""
    digits = len(name) - len(name.lstrip("0123456789"))
    return int(name[:digits]) if digits else UNNUMBERED


#: what a single run's directory holds and a sweep's never does (its jobs hold them, one level down)
SINGLE_RUN_MARKS = (STATUS_FILE, "hparams.yaml", "checkpoints", ".hydra")

DEFAULT_SUBDIR = "the default ${hydra.job.num}_${hydra.job.override_dirname}"


def check_sweep_dir_free(sweep_dir: Path, resume_sweep: bool, resuming_checkpoints: bool, grid: bool = False) -> None:
    """Refuse a multirun into ``sweep_dir`` when ``sweep_dir`` is a single run's directory (always: its jobs,
    ``multirun.yaml``, summary and HPARAMS experiment would land inside that run and its TensorBoard run), or when a
    job directory in it holds a run's artifacts, unless the multirun is ``resume_sweep=true`` (which skips the
    completed and diverged jobs and keeps the others' earlier attempts) or resumes its jobs from their checkpoints
    (``ckpt_path``; each job checks its own). A ``grid`` sweep (Hydra's basic sweeper) is refused a directory that
    holds a search (:func:`check_no_search_for_a_grid`)."""
    single = [name for name in SINGLE_RUN_MARKS if (sweep_dir / name).exists()]
    if single:
        raise RunDirInUseError(
            f"hydra.sweep.dir={sweep_dir} is a single run's directory ({', '.join(single)}), not a sweep's; a "
            "multirun would write its jobs, multirun.yaml, summary and HPARAMS experiment into that run; nothing was "
            "written. allowed: a new hydra.sweep.dir, or, to go on training that run, ckpt_path=last hydra.mode=RUN "
            f"{shell_override('hydra.run.dir', sweep_dir)} with that run's overrides (its .hydra/overrides.yaml)")
    check_not_a_report_dir(sweep_dir)
    if grid:
        check_no_search_for_a_grid(sweep_dir)
    check_no_broken_job_links(sweep_dir)
    if not (resume_sweep or resuming_checkpoints):
        check_no_runs_in_jobs(sweep_dir)
    check_no_files_overwritten(sweep_dir, resumed=resume_sweep or resuming_checkpoints)


def sweep_marks(directory: Path) -> list[str]:
    """What ``directory`` holds at its top that marks it as a sweep's and a single run's never holds: Hydra's
    ``multirun.yaml``, the HPARAMS experiment's event file, a search's study file of the default storage."""
    from trainlab.search.sweep_dir_search import DEFAULT_FILES

    named = [name for name in (MULTIRUN_YAML, *DEFAULT_FILES) if (directory / name).exists()]
    return named + sorted(path.name for path in directory.glob(HPARAMS_EXPERIMENT_FILES))


def check_run_dir_not_a_sweep(run_dir: Path) -> None:
    """Refuse a single run into ``run_dir`` when ``run_dir`` is a sweep's directory (:func:`sweep_marks`), whatever
    the run: the mirror of :func:`check_sweep_dir_free`'s refusal of a single run's directory. The run took the
    sweep's top for a run killed before its first checkpoint (its HPARAMS event file), moved every job and that file
    to ``attempts/0`` and trained there, exit status 0 - after which neither ``resume_sweep=true`` nor ``trainlab
    report`` took the directory for a sweep."""
    marks = sweep_marks(run_dir)
    if not marks:
        return
    from trainlab.shell_override import finish_sweep_command

    raise RunDirInUseError(
        f"hydra.run.dir={run_dir} is a sweep's directory ({', '.join(marks)}), not a single run's; a single run would "
        "write its files among the sweep's jobs, or move them aside; nothing was written. allowed: a new "
        f"hydra.run.dir, or, to finish that sweep: {finish_sweep_command(run_dir)}")


def check_no_search_for_a_grid(sweep_dir: Path) -> None:
    """Refuse a grid sweep into a directory that holds a search - its study file, or a ``multirun.yaml`` naming the
    search sweeper - even before the search's first trial wrote anything else: a search is not locked (its workers
    share the directory), and a grid started there while the search started up was accepted, overwrote its
    ``multirun.yaml`` and put its jobs at the top of the search's ranking, and the search could no longer be
    resumed ("it ran with hydra/sweeper=basic")."""
    from trainlab.search.sweep_dir_search import held_search

    search = held_search(sweep_dir)
    if search is None:
        return
    study = f"the study {search.study_name!r}" if search.study_name else "a study"
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} holds a search ({study} in {search.storage}); a grid sweep would write its "
        "jobs, multirun.yaml and summary among the search's trials; nothing was written. allowed: a new "
        "hydra.sweep.dir")


def check_not_a_report_dir(sweep_dir: Path) -> None:
    """Refuse a multirun into a report's directory (``<sweep>/report``, tab-completed one name too far): its jobs,
    study and summary landed beside the report's figures, and the report of the sweep above could no longer be
    written there (``it already holds events.out.tfevents....hparams (not recorded as a report's)``). A report
    written into its own sweep (``--out <sweep>``) records that sweep: the sweep goes on there."""
    from trainlab.report.output_dir import RECORD, read_record

    try:
        record = read_record(sweep_dir)
    except RunDirInUseError as error:  # its advice is the report's (--out DIR): a multirun's instead
        raise RunDirInUseError(
            f"hydra.sweep.dir={sweep_dir} holds a report's record that cannot be read ({sweep_dir / RECORD}: "
            f"{error.__cause__}), so it is taken for a report's directory; nothing was written. allowed: a new "
            "hydra.sweep.dir") from error
    if record is None:
        return
    reported = Path(str(record["sweep"]))
    if reported.absolute() == sweep_dir.absolute():  # trainlab report <sweep> --out <sweep>: the sweep's own report
        return
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} is a report's directory (its {RECORD} records the report of {reported}), not a "
        "sweep's; a multirun would write its jobs, multirun.yaml and summary beside the report's files; nothing was "
        f"written. allowed: a new hydra.sweep.dir, or {shell_override('hydra.sweep.dir', reported)} for the sweep "
        "it reports on (with resume_sweep=true to go on with it)")


def check_no_broken_job_links(sweep_dir: Path) -> None:
    """Refuse a multirun into ``sweep_dir`` where a job's directory (``<n>_...``, as Hydra's default subdir names
    them) is a symbolic link whose target does not exist (:func:`broken_links`): a resumed sweep's job ``n`` ended in
    a ``FileExistsError`` traceback from Hydra's mkdir, after the jobs before it had run. Other broken links
    (``latest`` -> a deleted sweep) are no job's and left alone."""
    broken = [link for link in broken_links(sweep_dir)
              if job_number(link.relative_to(sweep_dir).parts[0]) < UNNUMBERED]
    if not broken:
        return
    one = len(broken) == 1
    named = ", ".join(link_named(sweep_dir, link) for link in broken[:3])
    named += f" and {len(broken) - 3} more" if len(broken) > 3 else ""
    removed = " ".join(shlex.quote(str(link)) for link in broken)
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} holds {'a job directory' if one else 'job directories'} that "
        f"{'is a symbolic link' if one else 'are symbolic links'} to nothing ({named}: deleted or moved); the "
        f"sweep's job there could not make its directory, and its summary and report leave "
        f"{'that job' if one else 'those jobs'} out; nothing was written. allowed: the "
        f"target{'' if one else 's'} put back, or the link{'' if one else 's'} removed to run "
        f"{'that job' if one else 'those jobs'} anew (rm {removed}), or a new hydra.sweep.dir")


def check_no_runs_in_jobs(sweep_dir: Path) -> None:
    """Refuse a new sweep into ``sweep_dir`` when a job directory in it holds a run's artifacts."""
    used = [job for job in sweep_job_dirs(sweep_dir) if artifacts(job)]
    if not used:
        return
    names = ", ".join(job.relative_to(sweep_dir).as_posix() for job in used[:3])
    names += f" and {len(used) - 3} more" if len(used) > 3 else ""
    from trainlab.search.sweep_dir_search import held_search, search_refusal

    if (search := held_search(sweep_dir)) is not None:  # a search goes on with its study, not by finishing jobs
        raise RunDirInUseError(search_refusal(sweep_dir, search, used))
    if all(failed_without_checkpoint(job) for job in used):  # a sweep that failed at its start: corrected elsewhere
        raise RunDirInUseError(
            f"hydra.sweep.dir={sweep_dir} holds jobs that failed without a checkpoint ({names}); nothing was "
            "overwritten. Give the corrected sweep a new hydra.sweep.dir, or re-run those jobs with the sweep's own "
            f"overrides and resume_sweep=true {shell_override('hydra.sweep.dir', sweep_dir)}.")
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} already holds a run in {names}; nothing was overwritten. Finish that sweep "
        f"with its own overrides and resume_sweep=true {shell_override('hydra.sweep.dir', sweep_dir)} (completed "
        "and diverged jobs are skipped), or give this sweep a new hydra.sweep.dir."
    )


#: the sweep's own record, which a resumed sweep finishes and a new one would overwrite
MULTIRUN_YAML = "multirun.yaml"


def sweep_files(sweep_dir: Path) -> list[str]:
    """The files at the top of ``sweep_dir`` that a sweep writes there, replacing any file of that name:
    ``multirun.yaml`` (Hydra's sweeper), ``summary.csv`` and ``ranking.csv`` (:mod:`trainlab.sweep.summary`) and
    the HPARAMS experiment's event file."""
    from trainlab.sweep.summary import RANKING_FILE, SUMMARY_FILE  # it imports this module

    named = [name for name in (MULTIRUN_YAML, SUMMARY_FILE, RANKING_FILE)
             if (sweep_dir / name).exists() or (sweep_dir / name).is_symlink()]
    return named + sorted(path.name for path in sweep_dir.glob(HPARAMS_EXPERIMENT_FILES))


def trained_nothing(sweep_dir: Path) -> bool:
    """Whether the sweep that wrote ``sweep_dir``'s ``multirun.yaml`` trained nothing: no job directory holds a run's
    artifacts (only Hydra's ``.hydra/`` and ``train.log``). Its jobs refused their config in joblib's or submitit's
    workers, where the refusal cannot put back the directory's earlier ``multirun.yaml`` as it does for an
    in-process launcher (:data:`trainlab.preflight.EARLIER_MULTIRUN_YAML`): its record describes no run, and
    resuming it (what the refusal of an earlier sweep's record asks for) would run the refused config again."""
    return not any(artifacts(job) for job in sweep_job_dirs(sweep_dir))


def check_no_files_overwritten(sweep_dir: Path, resumed: bool) -> None:
    """Refuse a multirun into ``sweep_dir`` when it holds files the sweep would replace (:func:`sweep_files`) that
    are not this sweep's own earlier output being finished: a user's ``summary.csv`` was overwritten by the sweep's
    with exit status 0. A sweep resumed there (``resume_sweep=true``, or its jobs' ``ckpt_path``) rewrites its own
    summary, ranking and HPARAMS where its ``multirun.yaml`` says a sweep ran; without it, they are no sweep's. Any
    other file (``notes.txt``) is left alone: the sweep writes beside it. A ``multirun.yaml`` alone, where no job
    directory holds a run's artifacts, is replaced too (:func:`trained_nothing`). A resume where job directories hold
    runs finishes their sweep even without its ``multirun.yaml`` (deleted, or never copied): the summary is theirs,
    and each job's recorded overrides say whether this command's jobs are those (:func:`check_resumed_sweep`)."""
    found = sweep_files(sweep_dir) if sweep_dir.is_dir() else []
    earlier_sweep = (sweep_dir / MULTIRUN_YAML).is_file()
    if not found or (found == [MULTIRUN_YAML] and trained_nothing(sweep_dir)):
        return
    if resumed and (earlier_sweep or not trained_nothing(sweep_dir)):  # its own output, finished
        return
    if earlier_sweep:
        whose = "an earlier sweep's"
        ways = ("resume_sweep=true with that sweep's own overrides, to finish it and rewrite its summary, or a new "
                "hydra.sweep.dir")
    else:
        whose = f"which no sweep wrote there (no {MULTIRUN_YAML})"
        ways = "a new hydra.sweep.dir, or those files moved out of it"
    raise RunDirInUseError(
        f"hydra.sweep.dir={sweep_dir} holds {', '.join(found)}, {whose}: a sweep writes its multirun.yaml, "
        "summary.csv, ranking.csv and HPARAMS event file there and would replace them; nothing was written. "
        f"allowed: {ways}")


def job_output_dir(job_config: Any) -> Path:
    """The directory a launcher gives a job of a sweep: Hydra's ``hydra.sweep.dir``/``hydra.sweep.subdir`` of the
    job's config (its ``hydra.job.num`` set), absolute, as ``run_job`` makes it."""
    return Path(os.path.abspath(os.path.join(str(job_config.hydra.sweep.dir), str(job_config.hydra.sweep.subdir))))


class DistinctJobDirs:
    """The directories of a sweep's jobs so far, each checked as it is added (:func:`check_distinct_job_dirs`'s
    rules) against those before it in constant time: a search adds each trial's as it asks for the trial (a
    1,000-trial search checked every earlier trial's directory again at each ask: ~7 s in all)."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep = Path(os.path.abspath(sweep_dir))
        self.numbers: dict[Path, int] = {}  # a job's directory -> its number
        self.added: set[int] = set()

    def add(self, number: int, job_dir: Path) -> None:
        """Job ``number``'s directory; refused (nothing added) where it is not inside the sweep directory or where
        an earlier job has it."""
        job_dir = Path(os.path.abspath(job_dir))
        if self.sweep not in job_dir.parents:
            where = ("the sweep directory itself" if job_dir == self.sweep else
                     f"the directory {job_dir}, which is not inside hydra.sweep.dir={self.sweep}")
            raise ConfigError(
                f"hydra.sweep.subdir gives job #{number} {where}; allowed: a subdir naming a directory inside the "
                f"sweep's, one for each job ({DEFAULT_SUBDIR})")
        if job_dir in self.numbers:
            raise ConfigError(
                f"hydra.sweep.subdir gives jobs #{self.numbers[job_dir]} and #{number} the same directory {job_dir}; "
                "they would overwrite each other's status, checkpoints and logs; allowed: a subdir that differs "
                f"between jobs ({DEFAULT_SUBDIR})")
        self.numbers[job_dir] = number
        self.added.add(number)


def check_distinct_job_dirs(sweep_dir: Path, job_dirs: list[tuple[int, Path]]) -> None:
    """Each job of a sweep writes into a directory of its own inside the sweep directory. ``job_dirs``: (job number,
    its output directory). A ``hydra.sweep.subdir`` that is the same for several jobs (``hydra.sweep.subdir=same``)
    made them overwrite each other's status, checkpoints and logs - silently in a stack, after the first job had
    trained with the basic launcher -, and one that is empty or leads out of the sweep directory (``../x``) put a
    job where the sweep's summary, report and HPARAMS do not look. Refused before anything is written."""
    known = DistinctJobDirs(sweep_dir)
    for number, job_dir in job_dirs:
        known.add(number, job_dir)


def check_resume_names_its_sweep(sweep_dir: Path, hydra_overrides: list[str], configured: str = "") -> None:
    """``resume_sweep=true`` without ``hydra.sweep.dir`` on the command line, where the configured sweep dir (the
    default ``outputs/multiruns/<date>_<time>``) does not exist: there is nothing to resume, and the command would
    start a new sweep there with exit status 0 - a search said so only in a log line. Refused, with the newest sweep
    beside that directory as the example. A named directory that does not exist starts the sweep there (the same
    command starts or finishes a sweep: a requeued cluster job), with the warning of :func:`check_resumed_sweep`."""
    named = any(line.lstrip("+").startswith("hydra.sweep.dir=") for line in hydra_overrides) or (
        "${now:" not in configured)  # ``configured``: hydra.sweep.dir unresolved - a config of one's own may fix it
    if named or sweep_dir.exists():
        return
    newest = newest_beside(sweep_dir, "multirun.yaml")
    example = "" if newest is None else f" (the newest sweep in {sweep_dir.parent}: hydra.sweep.dir={newest})"
    raise ConfigError(f"resume_sweep=true: no hydra.sweep.dir names the sweep to resume, and this command's sweep dir "
                      f"{sweep_dir} does not exist - there is nothing to resume there, the sweep would start anew; "
                      f"nothing was written. allowed: resume_sweep=true hydra.sweep.dir=<the sweep's directory>"
                      f"{example}")


def check_resumed_nets(sweep_dir: Path, eps_now: Any) -> None:
    """A sweep whose jobs trained before ``model.net.batch_norm_eps`` existed: a finished job (completed or
    diverged: kept by the resume, :data:`~trainlab.run_dir.FINISHED_STATUSES`) with BatchNorm had ε 1e-5
    (:mod:`trainlab.models.net_compat`); its unfinished jobs, resumed under today's config (1e-6), would train with
    another ε than the ones that finished - the jobs of experiment F would not be comparable."""
    from trainlab.models.net_compat import net_in_effect
    from trainlab.recorded_yaml import read_recorded_mapping

    for job_dir in sweep_job_dirs(sweep_dir):
        config, status = job_dir / ".hydra" / "config.yaml", read_status(job_dir)
        if status is None or status.get("status") not in FINISHED_STATUSES or not config.is_file():
            continue
        net = (read_recorded_mapping(config).get("model") or {}).get("net")
        if not isinstance(net, dict) or "batch_norm_eps" in net:
            continue
        before = net_in_effect(net).get("batch_norm_eps")
        if before is not None and eps_now is not None and before != eps_now:
            raise RunDirInUseError(
                f"resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: its job {job_dir.name} trained "
                f"its BatchNorm with ε {before} (recorded before model.net.batch_norm_eps existed), this command's "
                f"jobs would use {eps_now}; nothing was changed. allowed: batch_norm_eps: {before} in the model's "
                "config file (conf/model/mlp.yaml) while the sweep finishes as it began - an override on the command "
                "line would rename every job, and all would train anew beside the old ones -, or a new "
                "hydra.sweep.dir")


def check_resumed_sweep(sweep_dir: Path, task_overrides: list[str], exclude_keys: list[str],
                        sweeper_target: str | None, sweeper_params: Any = None,
                        sweeper_choice: str | None = None) -> str | None:
    """``resume_sweep=true`` finishes the sweep in ``sweep_dir``: it must have run with the same sweeper (a search
    resumed into a grid sweep's directory, or a grid into a search's, mixed the two sweeps' jobs in one
    ``summary.csv``), and with Hydra's basic sweeper each of its jobs must be that sweep's job of the same number
    (its ``multirun.yaml``: the command line's overrides and ``hydra.sweeper.params``), the keys job names leave
    out and ``resume_sweep`` aside - other values made jobs that landed beside that sweep's and shared its
    ``summary.csv``. Jobs after the sweep's own may be added (``seed=1,2,3`` then ``seed=1,2,3,4``), and the fixed
    overrides may come in another order. A search's fixed overrides are checked against its study
    (:mod:`trainlab.search.study_settings`). Returns a warning when the directory holds no sweep to resume (a
    mistyped path starts a new sweep); a ``multirun.yaml`` that cannot be read is left to each job's own check
    (:func:`~trainlab.run_dir.job_to_skip`). ``sweeper_choice``: this command's ``hydra/sweeper``
    option, for the message. A job's damaged ``status.json`` is refused here, before Hydra rewrites the sweep's
    files (:class:`~trainlab.errors.RecordedFileError`): the job that reads it would stop the sweep after that."""
    for job_dir in sweep_job_dirs(sweep_dir):
        read_status(job_dir)
    recorded_file = sweep_dir / "multirun.yaml"
    if not recorded_file.is_file():
        if sweeper_target == BASIC_SWEEPER and not sweep_job_dirs(sweep_dir):
            return f"resume_sweep=true: hydra.sweep.dir={sweep_dir} holds no sweep to resume; every job runs"
        return None
    try:
        recorded_config = OmegaConf.load(recorded_file)
    except (OSError, yaml.YAMLError, OmegaConfBaseException) as error:
        log.info("resume_sweep=true: the jobs are compared one by one as they run (%s: %s)", recorded_file, error)
        return None
    if not isinstance(recorded_config, DictConfig):
        log.info("resume_sweep=true: the jobs are compared one by one as they run (%s holds no mapping)",
                 recorded_file)
        return None
    recorded_target = OmegaConf.select(recorded_config, "hydra.sweeper._target_", default=None)
    if recorded_target and sweeper_target and recorded_target != sweeper_target:
        recorded_choice = OmegaConf.select(recorded_config, "hydra.runtime.choices", default={}).get("hydra/sweeper")
        raise RunDirInUseError(
            f"resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: it ran with "
            f"hydra/sweeper={recorded_choice or recorded_target}, this command runs with "
            f"hydra/sweeper={sweeper_choice or sweeper_target}; its jobs would land beside that sweep's and share "
            "its summary.csv; nothing was changed. allowed: that sweep's own sweeper and overrides, or a new "
            "hydra.sweep.dir for this sweep")
    if sweeper_target != BASIC_SWEEPER:
        return None
    try:
        recorded_task = override_lines(OmegaConf.select(recorded_config, "hydra.overrides.task", default=None))
        recorded = basic_sweep_jobs(OmegaConf.select(recorded_config, "hydra.sweeper.params"), recorded_task)
        wanted = basic_sweep_jobs(sweeper_params, task_overrides)
    except (OmegaConfBaseException, HydraException, TypeError, ValueError, AttributeError) as error:
        # a record that is not a config of mappings, or a glob() where no Hydra's config loader expands it
        log.info("resume_sweep=true: the jobs are compared one by one as they run (%s: %s)", recorded_file, error)
        return None
    for number, (before, now) in enumerate(zip(recorded, wanted, strict=False)):
        before, now = naming_overrides(before, exclude_keys), naming_overrides(now, exclude_keys)
        if before != now:
            raise RunDirInUseError(
                f"resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep_dir}: its job {number} ran with "
                f"{' '.join(before) or 'no overrides'}, this command's job {number} would run with "
                f"{' '.join(now) or 'no overrides'} and land beside it, sharing its summary.csv; nothing was "
                "changed. allowed: that sweep's overrides and values (jobs may be added after its own; display and "
                "location keys may differ), or a new hydra.sweep.dir for this sweep")
    return None
