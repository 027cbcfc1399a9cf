"""A sweep's jobs as the report sees them: swept values, status, which experiment, and scalar series."""

from __future__ import annotations

import csv
import io
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from trainlab.errors import RecordedFileError
from trainlab.logger_dirs import CSV_FILE, EVENT_FILES, logger_dirs
from trainlab.printed_trainlab import trainlab_command
from trainlab.recorded_yaml import read_recorded_mapping
from trainlab.report.event_file_damage import event_file_damage
from trainlab.report.output_dir import RECORD, default_report_dir, read_record
from trainlab.run_dir import written_last
from trainlab.run_status import STATUS_FILE
from trainlab.sweep.job_dirs import (
    broken_links,
    is_report_dir,
    link_named,
    linked_job_dirs,
    sweep_holding,
    sweep_job_dirs,
)
from trainlab.sweep.summary import collect_jobs, swept_keys
from trainlab.sweep.summary_callback import recorded_sweep_keys


@dataclass
class JobRun:
    """One job of a sweep: its directory, swept values, status, final metrics and scalar series."""

    name: str
    path: Path
    params: dict[str, str]
    status: str
    metrics: dict[str, float]
    objective: float | None
    scalars: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    logs_note: str | None = None  # what the report says of its logs: a damaged event file, a metrics.csv's cut-off
    # row left out, or an unreadable metrics.csv
    versions: dict[str, str] | None = None  # what its status.json records it ran with (None: written before that)

    @property
    def short_name(self) -> str:
        """The job's number (``3`` of ``3_optimizer=adam``), or its whole name where it has none (a single run's
        ``2026-12-05_06-00-00`` in a folder of single runs)."""
        number = self.name.split("_", 1)[0]
        return number if number.isdigit() else self.name

    def label(self, keys: list[str]) -> str:
        """``init=he, lr=0.01``: the job's values of ``keys``; ``init=normal`` with its std, which defines it (the
        book's legend of experiment D says std=0.01), unless ``init.std`` is a key of its own."""
        def shown(key: str) -> str:
            value = self.params.get(key, "?")
            if key == "init" and value == "normal" and "init.std" not in keys:
                std = recorded_value(self.path, "init.std")
                return f"normal (std={std})" if std is not None else value
            return value

        return ", ".join(f"{legend_name(k, keys)}={shown(k)}" for k in keys) or self.name

    def series(self, tag: str) -> tuple[list[int], list[float]]:
        return self.scalars.get(tag, ([], []))


Series = dict[str, tuple[list[int], list[float]]]

#: a run's top-level keys: a nested key is not shown by its last part where that is one of these (``data.seed`` is
#: not ``seed``, the model's seed)
TOP_LEVEL_NAMES = frozenset({"seed", "optimizer", "init", "scheduler", "model", "data", "trainer", "logger",
                             "callbacks"})


def legend_name(key: str, keys: list[str]) -> str:
    """``key`` as a legend shows it: its shortest ending (``lr`` of ``optimizer.lr``) that no other of ``keys`` ends
    with and that is no top-level key's name (:data:`TOP_LEVEL_NAMES`) unless it is ``key`` itself - ``seed=0,
    data.seed=1``, not ``seed=0, seed=1``."""
    parts = key.split(".")
    for start in range(len(parts) - 1, -1, -1):
        name = ".".join(parts[start:])
        clashes = any(other != key and (other == name or other.endswith(f".{name}")) for other in keys)
        if not clashes and (name == key or name not in TOP_LEVEL_NAMES):
            return name
    return key


def recorded_versions(status: dict) -> dict[str, str] | None:
    """The versions a job's status.json records it ran with (:mod:`trainlab.versions`), as text; None where it
    records none (written before status.json held them) or holds something else there than names and versions."""
    versions = status.get("versions")
    if not isinstance(versions, dict) or not versions:
        return None
    return {str(name): str(version) for name, version in versions.items()}


def read_scalars(job_dir: Path) -> tuple[Series, str | None]:
    """Every scalar tag of the job: tag -> (steps, values), from its TensorBoard events, or from its
    ``metrics.csv`` when it was logged with ``logger=csv`` only - in the job directory or wherever in it a named
    logger wrote them (:func:`trainlab.logger_dirs.logger_dirs`; a tag two of them logged is read from the first) -
    and what the report says of that ``metrics.csv`` (None: nothing): its cut-off last row left out
    (:func:`read_csv_log`), or why it cannot be read - then the job has no series, as one whose event files are
    damaged, and the report names it rather than ending in a traceback without a report."""
    directories = logger_dirs(job_dir)
    series: Series = {}
    damage: list[str] = []  # an event file TensorBoard's reader stopped in: its curves end there, said
    for directory in directories:
        if not any(directory.glob(EVENT_FILES)):
            continue
        accumulator = EventAccumulator(str(directory), size_guidance={"scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags().get("scalars", []):
            if tag not in series:
                events = accumulator.Scalars(tag)
                series[tag] = ([e.step for e in events], [e.value for e in events])
        damage += [note for path in sorted(directory.glob(EVENT_FILES))
                   if path.is_file() and (note := event_file_damage(path))]
    damaged = "; ".join(damage) or None
    csv_files = [directory / CSV_FILE for directory in directories if (directory / CSV_FILE).is_file()]
    if series or not csv_files:
        return series, damaged
    try:
        csv_series, note = read_csv_log(csv_files[0])
    except RecordedFileError as error:
        csv_series, note = {}, str(error)
    return csv_series, "; ".join(filter(None, (damaged, note))) or None


def read_csv_scalars(path: Path) -> Series:
    """The columns of a Lightning ``metrics.csv`` as series (:func:`read_csv_log`), a cut-off last row left out."""
    return read_csv_log(path)[0]


def read_csv_log(path: Path) -> tuple[Series, str | None]:
    """The columns of a Lightning ``metrics.csv`` (one row per logging call, empty cells elsewhere) as series, and
    a note when its last row was cut off (None otherwise). Lightning appends each row whole, line end included: a
    last line without one is a row the writer did not finish - what a run killed while writing leaves, its last
    number possibly cut short (``1.6e-05`` read as ``1.6``) - and is left out, the rows before it kept. A file that
    is not UTF-8 text, or holds a row whose step or value is not a number, or more cells than its header, is
    :class:`~trainlab.errors.RecordedFileError` naming the file and line."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            text = file.read()
    except UnicodeDecodeError as error:
        raise RecordedFileError(f"{path} is not a metrics.csv: byte {error.start} is not UTF-8 text") from error
    except OSError as error:
        raise RecordedFileError(f"{path} cannot be read ({error.strerror or error})") from error
    note = None
    if text and not text.endswith(("\n", "\r")):
        end = max(text.rfind("\n"), text.rfind("\r")) + 1
        line = len(text[:end].splitlines()) + 1
        note = (f"{path}: its last row (line {line}) ends without a line end - cut off, as a run killed "
                "while writing it leaves: left out, the rows before it are drawn")
        text = text[:end]
    series: Series = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if None in row:
                raise RecordedFileError(f"{path} line {reader.line_num} holds {len(row[None])} more cell(s) than "
                                        f"its header ({len(reader.fieldnames or [])} columns): not a metrics.csv")
            for tag, value in row.items():
                if tag != "step" and value not in ("", None):
                    steps, values = series.setdefault(tag, ([], []))
                    steps.append(csv_number(path, reader.line_num, "step", row.get("step"), int))
                    values.append(csv_number(path, reader.line_num, tag, value, float))
    except csv.Error as error:
        raise RecordedFileError(f"{path} line {reader.line_num} is not CSV ({error})") from error
    return series, note


def csv_number(path: Path, line: int, column: str, cell: str | None, kind: type) -> int | float:
    """The number in the ``column`` cell of ``line`` of ``path``; a cell that holds none is
    :class:`~trainlab.errors.RecordedFileError` naming them (``step`` is an integer, a metric any float)."""
    try:
        return kind(cell)
    except (TypeError, ValueError) as error:
        what = "no step column" if cell is None and column == "step" else f"{column} {cell!r} is not " + (
            "an integer" if kind is int else "a number")
        raise RecordedFileError(f"{path} line {line}: {what}") from error


def recorded_value(job_dir: Path, key: str) -> str | None:
    """What ``key`` was in the job without an override of it: its config group option (``init`` -> ``he``, from
    ``.hydra/hydra.yaml``) or its value in ``.hydra/config.yaml`` (``optimizer.lr`` -> ``0.01``); None where the job
    recorded neither. Single runs reported side by side override different keys."""
    choices = job_choices(job_dir)
    if key in choices:
        return None if choices[key] is None else str(choices[key])
    config = job_dir / ".hydra" / "config.yaml"
    value: object = read_recorded_mapping(config) if config.is_file() else None
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None or isinstance(value, dict) else str(value)


def sweeps_below(folder: Path, depth: int = 3) -> list[Path]:
    """The sweep directories (holding ``multirun.yaml``) below ``folder``, ``depth`` levels at most, sorted."""
    found: list[Path] = []
    if depth == 0:
        return found
    for child in sorted(folder.iterdir()):
        if child.is_dir() and not child.is_symlink():
            found += [child] if (child / "multirun.yaml").is_file() else sweeps_below(child, depth - 1)
    return found


def job_choices(job_dir: Path) -> dict[str, str | None]:
    """The config group options the job was composed with (``hydra.runtime.choices`` of its .hydra/hydra.yaml;
    empty without the file)."""
    hydra_yaml = job_dir / ".hydra" / "hydra.yaml"
    if not hydra_yaml.is_file():
        return {}
    hydra = read_recorded_mapping(hydra_yaml).get("hydra")
    runtime = hydra.get("runtime") if isinstance(hydra, dict) else None
    choices = runtime.get("choices") if isinstance(runtime, dict) else None
    return choices if isinstance(choices, dict) else {}


def experiment_choice(job_dir: Path) -> str | None:
    """``experiment`` or ``hparams_search`` option the job was composed with (from its .hydra/hydra.yaml)."""
    choices = job_choices(job_dir)
    if choices.get("hparams_search") not in (None, "null"):
        return f"hparams_search/{choices['hparams_search']}"
    experiment = choices.get("experiment")
    return None if experiment in (None, "null") else experiment


def sampler_choice(jobs: list[JobRun]) -> str | None:
    """The search's ``hydra/sweeper/optuna_sampler`` option (its first job's ``.hydra/hydra.yaml``; None without)."""
    choice = job_choices(jobs[0].path).get("hydra/sweeper/optuna_sampler") if jobs else None
    return choice if isinstance(choice, str) and choice not in ("", "null") else None


def optimized_metric(jobs: list[JobRun]) -> str | None:
    """The metric the sweep's objective is (``optimized_metric`` of its first job's ``.hydra/config.yaml``; None
    when it has none or the file is missing)."""
    config = jobs[0].path / ".hydra" / "config.yaml" if jobs else None
    if config is None or not config.is_file():
        return None
    name = read_recorded_mapping(config).get("optimized_metric")
    return name if isinstance(name, str) and name else None


def search_minimizes(sweep_dir: Path) -> bool:
    """Whether the search of ``sweep_dir`` minimised its objective (``direction`` in its optimization_results.yaml;
    a grid sweep has none: False)."""
    results = sweep_dir / "optimization_results.yaml"
    if not results.is_file():
        return False
    return read_recorded_mapping(results).get("direction") == "minimize"


def jobs_without_status(sweep_dir: str | Path) -> list[Path]:
    """The job directories of ``sweep_dir`` that hold no status.json: jobs still running (a job writes it when it
    ends) or killed before they could. The report has no status or final metrics of theirs; it names them rather
    than comparing fewer jobs than the sweep has without a word."""
    return [job for job in sweep_job_dirs(Path(sweep_dir)) if not (job / STATUS_FILE).is_file()]


def jobs_not_started(sweep_dir: str | Path) -> list[str]:
    """The jobs of a grid sweep (Hydra's basic sweeper) that its ``multirun.yaml`` lists but that have no directory
    yet - the sweep still runs, or was killed or stopped before them -, each as ``<n> (<swept values>)``: the report
    of ``optimizer=sgd,adam,momentum`` killed during job 1 named momentum nowhere. [] where that cannot be told: a
    search (its trials are drawn as it goes), no readable ``multirun.yaml`` (its jobs are all the report has), or job
    directories not named ``<n>_...`` (a ``hydra.sweep.subdir`` without the job's number)."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from trainlab.config_keys import override_key, override_lines
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER, basic_sweep_jobs
    from trainlab.sweep.job_dirs import MULTIRUN_YAML, UNNUMBERED, job_number

    sweep_dir = Path(sweep_dir)
    try:
        recorded = OmegaConf.load(sweep_dir / MULTIRUN_YAML)
        if OmegaConf.select(recorded, "hydra.sweeper._target_", default=None) != BASIC_SWEEPER:
            return []
        listed = basic_sweep_jobs(OmegaConf.select(recorded, "hydra.sweeper.params", default=None),
                                  override_lines(OmegaConf.select(recorded, "hydra.overrides.task", default=None)))
    except (OSError, yaml.YAMLError, OmegaConfBaseException, HydraException, TypeError, ValueError, AttributeError):
        return []  # as recorded_sweep_keys: the report compares the jobs it finds
    numbers = [job_number(job.relative_to(sweep_dir).parts[0])
               for job in [*sweep_job_dirs(sweep_dir), *broken_links(sweep_dir)]]  # a broken link: its own note
    if any(number >= UNNUMBERED for number in numbers):
        return []
    keys = set(recorded_sweep_keys(sweep_dir))
    return [f"{number} ({' '.join(line for line in overrides if override_key(line) in keys) or 'no overrides'})"
            for number, overrides in enumerate(listed) if number not in numbers]


def report_dir_refusal(report_dir: Path) -> str:
    """Why a report's own directory (``<sweep>/report``, tab-completed one name too far, or an ``--out`` directory)
    has no report, and the command that writes it anew: of the sweep its record names, or - that sweep moved - the
    sweep above it; with ``--out`` where it is not the sweep's default. It said "... holds no job with a
    status.json: is it a trainlab multirun directory?"."""
    recorded = Path(str((read_record(report_dir) or {})["sweep"]))  # is_report_dir: a record is there
    sweep = recorded if recorded.is_dir() else sweep_holding(report_dir) or recorded
    out = [] if report_dir == default_report_dir(sweep) else ["--out", report_dir]
    return (f"{report_dir} is a report's directory (its {RECORD} records the report of {recorded}), not a sweep: "
            f"report reads a sweep's jobs; {trainlab_command('report', sweep, *out)} writes that report anew")


def first_named(names: list[str], shown: int = 4) -> str:
    """``a, b, c, d and 3 more``: the first ``shown`` of ``names``, and how many more there are."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def not_started_refusal(sweep_dir: Path) -> str:
    """Why a sweep whose ``multirun.yaml`` is there but no job's directory yet has no report: it is starting (Hydra
    writes the record before the first job), or it was stopped or killed before its first job; the jobs its record
    lists are named where it tells them (:func:`jobs_not_started`). It said "holds no job with a status.json: is it
    a trainlab multirun directory?" of a sweep started a moment before."""
    listed = jobs_not_started(sweep_dir)
    named = first_named(listed)
    return (f"{sweep_dir} is a sweep none of whose jobs has started (no job directory yet"
            + (f"; its multirun.yaml lists job{'s' if len(listed) > 1 else ''} {named}" if listed else "")
            + f"): it is starting - run {trainlab_command('report')} again when it is over - or was stopped or "
            "killed before its first job (finish it with its command and resume_sweep=true)")


def broken_line(links: list[str]) -> str:
    """What the report says of the symbolic links in the sweep whose target does not exist
    (:func:`~trainlab.sweep.job_dirs.broken_links`; ``links``: ``name -> target`` of each): nothing is read through
    them - a job moved out of the sweep, linked back and deleted was left out without a word - and what to do."""
    one = len(links) == 1
    return (f"{', '.join(links)} {'is a symbolic link' if one else 'are symbolic links'} to nothing (the target does "
            f"not exist: deleted or moved); a job whose directory {'it was' if one else 'they were'} is not in the "
            f"report: put {'its target' if one else 'their targets'} back to report {'it' if one else 'them'}, or "
            f"remove the link{'' if one else 's'}")


def only_links_refusal(sweep_dir: Path, links: list[Path]) -> str:
    """Why ``sweep_dir``, whose every job is a symbolic link to a job directory outside it (``links``), has no
    report, and what to do: report the sweep(s) the links lead into, or copy the jobs in. It said "holds no job with
    a status.json: is it a trainlab multirun directory?" of a directory holding linked jobs that had one."""
    one = len(links) == 1
    named = first_named([link_named(sweep_dir, link) for link in links])
    sweeps = list(dict.fromkeys(sweep for link in links if (sweep := sweep_holding(link.resolve())) is not None))
    where = (f"report the sweep{'s' if len(sweeps) > 1 else ''} {'they lead' if not one else 'it leads'} into ("
             + ", ".join(trainlab_command("report", sweep) for sweep in sweeps) + "), or " if sweeps else "")
    link, target = shlex.quote(str(links[0])), shlex.quote(str(links[0].resolve()))
    return (f"{sweep_dir} holds no job of its own, only {'a symbolic link' if one else 'symbolic links'} to "
            f"{'a job directory' if one else 'job directories'} outside it ({named}), which report does not read "
            f"(a sweep's jobs are not read through links: one may lead to another sweep's job); nothing was written. "
            f"allowed: {where}a copy of each job in place of its link to report {'it' if one else 'them'} here "
            f"({'' if one else 'e.g. '}rm {link} && cp -r {target} {link})")


def load_sweep(sweep_dir: str | Path) -> tuple[list[JobRun], list[str], str | None]:
    """(jobs with their scalars, swept keys, recognised experiment) of ``sweep_dir``."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        if not sweep_dir.exists():
            raise FileNotFoundError(f"sweep directory {sweep_dir} does not exist")
        sweep = sweep_holding(sweep_dir)  # multirun.yaml or summary.csv, tab-completed one name too far
        raise FileNotFoundError(f"{sweep_dir} is a file, not a sweep directory" + (
            f" (a file of the sweep {sweep}: {trainlab_command('report', sweep)})" if sweep is not None else ""))
    statuses = collect_jobs(sweep_dir)
    if not statuses and (sweep_dir / "status.json").is_file():
        parent = sweep_dir.parent
        job_of = (f" (it is a job of the sweep {parent}: {trainlab_command('report', parent)})"
                  if (parent / "multirun.yaml").is_file() else "")
        raise FileNotFoundError(
            f"{sweep_dir} is a single run, not a sweep: report compares the jobs of a multirun directory{job_of}; "
            f"view one run with: tensorboard --logdir {shlex.quote(str(sweep_dir))}"
        )
    if not (sweep_dir / "multirun.yaml").is_file() and (sweeps := sweeps_below(sweep_dir)):
        named = ", ".join(sweep.relative_to(sweep_dir).as_posix() for sweep in sweeps[:4])
        raise FileNotFoundError(
            f"{sweep_dir} holds {len(sweeps)} sweep{'s' if len(sweeps) > 1 else ''} ({named}"
            f"{', ...' if len(sweeps) > 4 else ''}), not the jobs of one: report compares the jobs of one sweep, e.g. "
            f"the newest: {trainlab_command('report', written_last(sweeps, 'multirun.yaml'))}")
    if not statuses and is_report_dir(sweep_dir):
        raise FileNotFoundError(report_dir_refusal(sweep_dir))
    if not statuses:
        started = len(sweep_job_dirs(sweep_dir)) if (sweep_dir / "multirun.yaml").is_file() else 0
        if started:
            unstarted = jobs_not_started(sweep_dir)  # the record's others: the count said 2 of a sweep of 4
            named = first_named(unstarted)
            others = (f", and its multirun.yaml's other job{'s' if len(unstarted) > 1 else ''} ({named}) "
                      f"{'have' if len(unstarted) > 1 else 'has'} not started") if unstarted else ""
            raise FileNotFoundError(
                f"{sweep_dir} is a sweep none of whose {started} started job{'s' if started > 1 else ''} wrote a "
                f"status.json (a job writes it when it ends){others}: still running - run "
                f"{trainlab_command('report')} again when the sweep is over, or follow it live with: tensorboard "
                f"--logdir {shlex.quote(str(sweep_dir))} - or "
                "stopped without one (killed): finish it with its command and resume_sweep=true")
        broken = [link_named(sweep_dir, link) for link in broken_links(sweep_dir)]
        also = f"; {broken_line(broken)}" if broken else ""
        if links := linked_job_dirs(sweep_dir):
            raise FileNotFoundError(only_links_refusal(sweep_dir, links) + also)
        if broken:
            raise FileNotFoundError(f"{sweep_dir} holds no job with a status.json: {broken_line(broken)}")
        if (sweep_dir / "multirun.yaml").is_file():
            raise FileNotFoundError(not_started_refusal(sweep_dir))
        if not any(sweep_dir.iterdir()):
            raise FileNotFoundError(
                f"{sweep_dir} holds no job with a status.json: it is empty; report compares the jobs of a sweep, the "
                "hydra.sweep.dir of a `train.py -m` run (outputs/multiruns/<date>_<time> by default)")
        raise FileNotFoundError(f"{sweep_dir} holds no job with a status.json: is it a trainlab multirun directory?")
    keys = swept_keys(statuses, always=recorded_sweep_keys(sweep_dir))  # summary.csv's columns
    jobs = []
    for status in statuses:
        path = sweep_dir / status["job"]
        params = {**{key: value for key in keys if key not in status["params"]
                     and (value := recorded_value(path, key)) is not None}, **status["params"]}
        scalars, logs_note = read_scalars(path)
        jobs.append(JobRun(name=status["job"], path=path, params=params, status=status["status"],
                           metrics=status["metrics"], objective=status.get("objective"), scalars=scalars,
                           logs_note=logs_note, versions=recorded_versions(status)))
    return jobs, keys, experiment_choice(jobs[0].path)
