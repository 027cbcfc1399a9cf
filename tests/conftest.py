"""Shared fixtures: the config directory, a session-wide MNIST cache, and three ways to run the training task.

Pick the cheapest one that still exercises what the test is about:

* ``make_cfg`` + ``trainlab.train.train(cfg)``: the training task on a composed config. The default.
* ``train_in_process``: ``train.py``'s own command line (Hydra's argument parsing, run or multirun, sweepers,
  the launchers that train in this process - basic, stacked -, callbacks such as the sweep summary, ``.hydra/``
  files, the one-line ``error: ...`` handling and its exit status) in this process. For multiruns,
  ``resume_sweep``, Optuna searches, console output and the exit status of errors raised inside the task.
* ``train_subprocess``: ``python train.py`` in a new interpreter (4-6 s of imports each, ~10 s beside a busy
  core). Only for what needs a process of its own: signals, launchers that start processes (joblib, submitit),
  what a fresh interpreter imports or prints (warnings, Lightning's log lines), and one real exit status per kind
  of error.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import runpy
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import config_file_cache
import hydra._internal.utils as hydra_internal
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.singleton import Singleton
from omegaconf import DictConfig, open_dict


def pytest_collection_modifyitems(config, items):
    """The ``gpu`` marker (pyproject.toml) skips its tests where torch sees no CUDA device: one marker for
    ``-m gpu`` to select them (bench/gpu_checks.sh) and for CI's CPU machine to skip them."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="gpu: needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"
TRAIN_PY = ROOT / "train.py"
#: PYTHONPATH for a train.py process a test starts: this checkout's src first (the environment's editable install
#: may be another checkout's), then tests/ (the tests' callbacks: sigterm_at_step, ...), then the environment's own
JOB_PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT / "src"), str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))

# The tests train tiny models: one intra-op thread per process is faster than several threads competing for a few
# cores with subprocesses and other work (a waiting OpenMP thread spins). Set before torch is imported; train.py
# subprocesses inherit it, so in-process and subprocess runs of the same config compute identically.
# OMP_NUM_THREADS=2 make test undoes it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Each YAML text Hydra reads in this process is parsed once (tests/config_file_cache.py): composing conf/ is most of
# an in-process test's time, and most files are the same in every composition.
config_file_cache.install()

# HYDRA_FULL_ERROR=1 exported in the shell (to debug one's own runs) makes every error the tests expect as one line
# Hydra's traceback instead, in this process and in the train.py processes the tests start: the tests of that mode
# set it themselves (``env={"HYDRA_FULL_ERROR": "1"}``).
os.environ.pop("HYDRA_FULL_ERROR", None)

# The printed commands name the interpreter `python` where `python` on PATH is the one that runs them
# (trainlab/printed_python.py): the tests run as in an activated venv, this interpreter's directory first on PATH,
# whatever PATH started them (`.venv/bin/python -m pytest`, `make test`). Their train.py processes inherit it.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

# A shell without job control starts a background command (`make test &`, `nohup make test &`) with SIGINT
# ignored, and every process it starts inherits that: the tests of Ctrl-C (in this process and in the train.py
# processes they start) would see a Ctrl-C do nothing. Python's own handler is put back, as an interactive shell
# would have it; exec gives the train.py processes the default action, on which Python installs the same handler.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def stop_signals_as_the_test_found_them():
    """The main thread's blocked signals and the stop signals' handlers put back as the test found them. A multirun
    blocks SIGINT and SIGTERM in the command's main thread while its launcher starts processes
    (trainlab/sweep/blocked_stop_signals.py) and unblocks them at its end; an in-process multirun a test ended
    otherwise would leave them blocked in this pytest process, and a later test's in-process SIGTERM would wait for
    the next unblock (a stop at step 9 instead of 8). A run, a search or a multirun's start installs its own
    handlers and puts the earlier ones back at its end; a test that stops one midway would leave a later test's
    SIGTERM to a handler of a command long gone. Such a leak is warned of, naming the test, so that it is found
    rather than hidden."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    yield
    after = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    if after != before:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        warnings.warn(f"the test left signals {sorted(s.name for s in after - before)} blocked; put back", stacklevel=1)
    left = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS if signal.getsignal(signum) != handlers[signum]}
    for signum in left:
        signal.signal(signum, handlers[signum])
    if left:
        warnings.warn("the test left another handler of " + ", ".join(
            f"{signal.Signals(signum).name} ({handler!r})" for signum, handler in left.items()) + "; put back",
            stacklevel=1)


@pytest.fixture(autouse=True)
def hydra_config_as_the_test_found_it():
    """Hydra's current job config (``HydraConfig``) put back as the test found it. A job run in this process sets it
    (Hydra's ``run_job``) and leaves it set; code that runs ``train.py`` in-process must put it back, or a later
    test in the same worker meets another job's ``HydraConfig`` (which decides, e.g., where a failed run's files go).
    Such a leak is warned of, naming the test, so that it is found rather than hidden."""
    from hydra.core.hydra_config import HydraConfig

    before = HydraConfig.instance().cfg
    yield
    if HydraConfig.instance().cfg is not before:
        HydraConfig.instance().cfg = before
        warnings.warn("the test left Hydra's HydraConfig changed (a job's config set in this process); put back",
                      stacklevel=1)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One bundled-MNIST cache for the whole run, built here once (shared by pytest-xdist workers: the cache is
    written atomically and checked on every load, so workers that build it at the same time cannot corrupt it)."""
    from trainlab.data.bundled_mnist import load_bundled_mnist

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # gw0, gw1, ...: their base dirs share one parent
        base = base.parent
    path = base / "data"
    path.mkdir(exist_ok=True)
    load_bundled_mnist(path)
    return path


#: the configs :func:`compose_config` composed (pickled), keyed by what the composition reads: the overrides and the
#: state of every file under conf/ (a composed config without its ``hydra`` node depends on nothing else)
COMPOSED: dict[tuple, bytes] = {}


def conf_files_state() -> tuple[tuple[str, int, int], ...]:
    """Each file under conf/ with its size and time of change (~2 ms): a key that an edited option invalidates."""
    return tuple(sorted((str(path), stat.st_mtime_ns, stat.st_size)
                        for path in CONF_DIR.rglob("*") if path.is_file() and (stat := path.stat())))


def compose_config(overrides: list[str], output_dir: Path, data_dir: Path) -> DictConfig:
    """Compose conf/train.yaml with ``overrides`` for an in-process run writing into ``output_dir``.

    A composition takes ~0.15-0.3 s (most of an in-process test's set-up, ~20 % of the suite's time) and the suite
    composes the same overrides again and again: each composition is kept, and a later call with the same overrides
    (and conf/ unchanged) gets its own copy of it (~1.5 ms). A composition that fails is never kept."""
    # the bundled sample, where the data module has that choice and the test does not make it (a data module of
    # one's own, conf/data/<mine>.yaml, may have no data.source: an override of it failed the composition)
    bundled = not any(override.lstrip("+").startswith("data.source=") for override in overrides)
    overrides = [f"paths.data_dir={data_dir}", *overrides]
    GlobalHydra.instance().clear()
    key = (tuple(overrides), conf_files_state())
    if key in COMPOSED:
        cfg = pickle.loads(COMPOSED[key])
    else:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(config_name="train", overrides=overrides)
        COMPOSED[key] = pickle.dumps(cfg)
    with open_dict(cfg):
        if bundled and "source" in cfg.data:
            cfg.data.source = "bundled"
        cfg.paths.output_dir = str(output_dir)
        cfg.paths.log_dir = str(output_dir)
        cfg.trainer.enable_progress_bar = False
    return cfg


@pytest.fixture
def make_cfg(tmp_path, data_dir):
    """``make_cfg(*overrides, output_dir=None)``: a composed config for ``train(cfg)``, writing into
    ``tmp_path/run`` unless ``output_dir`` is given (see the module docstring)."""
    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_config(list(overrides), output_dir or tmp_path / "run", data_dir)

    return make


# train.py's (Hydra's) options that take a value: the value stays with its flag
FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn", "--config-dir",
                    "-cd", "--experimental-rerun"}


def train_command(args: list[str], tmp_path: Path, data_dir: Path) -> list[str]:
    """``train.py``'s arguments for a test: bundled data, outputs under ``tmp_path/outputs``, no progress bar."""
    flags, overrides = [], []
    pending_value = False
    for arg in args:  # argparse wants -m (and every other flag) before the overrides
        if arg.startswith("-") or pending_value:
            flags.append(arg)
            pending_value = arg in FLAGS_WITH_VALUE
        else:
            overrides.append(arg)
    return [*flags, "data.source=bundled", f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path / 'outputs'}",
            "trainer.enable_progress_bar=false", *overrides]


def run_train(args: list[str], tmp_path: Path, data_dir: Path, timeout: int = 300, **kwargs):
    """Run ``python train.py`` in a subprocess with outputs under ``tmp_path``; returns CompletedProcess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}
    command = [sys.executable, str(TRAIN_PY), *train_command(args, tmp_path, data_dir)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Undo what Hydra's logging set-up does to this process: it replaces the root logger's handlers (pytest's
    capture included) with a console handler and the job's ``train.log``, and train.py detaches Lightning's console
    handler. Afterwards every logger that existed has its handlers, level and switches back; handlers added in
    between are closed (releasing ``train.log``)."""
    def all_loggers() -> list[logging.Logger]:
        named = [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
        return [logging.getLogger(), *named]

    saved = {lg: (list(lg.handlers), list(lg.filters), lg.level, lg.propagate, lg.disabled) for lg in all_loggers()}
    kept = {id(handler) for handlers, *_ in saved.values() for handler in handlers}
    try:
        yield
    finally:
        for lg in all_loggers():
            for handler in lg.handlers:
                if id(handler) not in kept:
                    handler.close()
            if lg in saved:
                handlers, filters, level, propagate, disabled = saved[lg]
                lg.handlers[:], lg.filters[:] = handlers, filters
                lg.setLevel(level)
                lg.propagate, lg.disabled = propagate, disabled
            else:  # a logger first used during the run (e.g. optuna's): drop handlers bound to the captured streams
                lg.handlers[:] = [handler for handler in lg.handlers if id(handler) in kept]


def run_train_in_process(args: list[str], tmp_path: Path, data_dir: Path,
                         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``train.py`` as ``python train.py <args>`` would, but in this process; returns a CompletedProcess.

    ``train.py`` is executed as ``__main__`` (``runpy``) with ``sys.argv`` set, so Hydra parses the command line,
    composes, sweeps and launches exactly as from a shell. ``returncode`` is the status the interpreter would exit
    with (``sys.exit(n)`` -> n, a normal end -> 0); an exception that would end the interpreter with a traceback
    (e.g. under ``HYDRA_FULL_ERROR=1``) propagates to the test. ``stdout`` / ``stderr`` hold what Python code
    printed (Hydra's console log included); output of C extensions is not captured. Everything the run changes in
    this process is restored afterwards: ``sys.argv``, ``env``, Hydra's singletons (``HydraConfig``,
    ``GlobalHydra``), the error reporting train.py installs, and logging.
    """
    env = {"TRAINLAB_ROOT": str(ROOT), "TRAINLAB_TRAIN_SCRIPT": str(TRAIN_PY), "TRAINLAB_PYTHON": sys.executable,
           **(env or {})}
    saved_env = {name: os.environ.get(name) for name in env}
    saved_argv, saved_report = sys.argv, hydra_internal.run_and_report
    saved_singletons = Singleton.get_state()
    stdout, stderr = io.StringIO(), io.StringIO()
    returncode = 0
    os.environ.update(env)
    command = [str(TRAIN_PY), *train_command(args, tmp_path, data_dir)]
    sys.argv = list(command)
    try:
        with restored_logging(), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            runpy.run_path(str(TRAIN_PY), run_name="__main__")
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            returncode = stop.code or 0
        else:  # sys.exit("message") prints the message and exits with 1
            stderr.write(f"{stop.code}\n")
            returncode = 1
    finally:
        sys.argv, hydra_internal.run_and_report = saved_argv, saved_report
        Singleton.set_state(saved_singletons)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(command, returncode, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def train_subprocess(tmp_path, data_dir):
    """``python train.py <args>`` in a subprocess (see the module docstring for when it is worth ~10 s)."""
    def run(*args: str, **kwargs):
        return run_train(list(args), tmp_path, data_dir, **kwargs)

    return run


@pytest.fixture
def train_in_process(tmp_path, data_dir):
    """``train.py <args>`` in this process (:func:`run_train_in_process`); same arguments and result as
    ``train_subprocess``, outputs under ``tmp_path/outputs``."""
    def run(*args: str, env: dict[str, str] | None = None):
        return run_train_in_process(list(args), tmp_path, data_dir, env=env)

    return run


FAKE_SLURM = ROOT / "tests" / "fake_slurm"


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch) -> Iterator[Path]:
    """SLURM's commands first on PATH for the processes a test starts (``hydra/launcher=submitit_slurm`` submits
    to them), emulated on this machine by tests/fake_slurm/fake_slurm.py; yields its state directory. What is
    still running at the end (a failed test's jobs) is ended."""
    state = tmp_path / "fake_slurm"
    monkeypatch.setenv("PATH", f"{FAKE_SLURM / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_SLURM_DIR", str(state))
    monkeypatch.setenv("FAKE_SLURM_PYTHON", sys.executable)
    yield state
    subprocess.run([sys.executable, str(FAKE_SLURM / "fake_slurm.py"), "_cleanup"], check=False, timeout=60)
