"""Ctrl-C while ``python train.py`` starts: one line saying what was written, and the signal's exit status.

It printed a KeyboardInterrupt traceback from inside whatever import was running (or, caught in a half-imported
module, a RecursionError that Hydra reported as a failed run). The subprocess tests send SIGINT at two moments of a
real start-up, found by markers rather than by delays: while the interpreter loads torch's library (its memory map
names ``libtorch``: Hydra has not made the run directory yet) and once Hydra has written its files (``train.log``,
``.hydra/``). A machine
that stalls the test long enough for the child to get further is a retry, not a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONF_DIR, ROOT, TRAIN_PY, train_command
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from trainlab import startup_interrupt
from trainlab.models.classifier import MLPClassifier
from trainlab.preflight import Preflight
from trainlab.search.stop_signals import StopSignals
from trainlab.startup_interrupt import StartupInterrupt
from trainlab.sweep import worker_stop
from trainlab.sweep.blocked_stop_signals import let_stop_signals_in
from trainlab.train import train

LINE = "SIGINT during start-up: stopped before training; "
ATTEMPTS = 3
linux_proc = pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc/<pid>/maps (Linux)")


def torch_loading(process: subprocess.Popen) -> bool:
    """Whether the process has begun to load torch (its native library is mapped)."""
    try:
        return "libtorch" in Path(f"/proc/{process.pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError):  # it ended
        return False


def interrupt_when(ready, run_dir: Path, tmp_path: Path, data_dir: Path, signum: int = signal.SIGINT,
                   sigint_ignored: bool = False) -> subprocess.CompletedProcess:
    """Start ``python train.py`` for ``run_dir`` (``sigint_ignored``: as a background job of a script starts it),
    send it ``signum`` as soon as ``ready(process)``; its outcome."""
    command = [sys.executable, str(TRAIN_PY), *train_command([f"hydra.run.dir={run_dir}"], tmp_path, data_dir)]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=ignore)
    deadline = time.monotonic() + 240
    while not ready(process):
        assert process.poll() is None, "train.py ended before the marker: " + process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no marker within 240 s"
        time.sleep(0.002)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=240)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def listing(directory: Path) -> str:
    return ", ".join(p.name + ("/" if p.is_dir() else "") for p in sorted(directory.iterdir()))


@linux_proc
def test_ctrl_c_while_torch_is_imported_says_nothing_was_written_and_exits_as_the_signal(tmp_path, data_dir):
    for attempt in range(ATTEMPTS):
        run_dir = tmp_path / f"run{attempt}"
        result = interrupt_when(torch_loading, run_dir, tmp_path, data_dir)
        if not run_dir.exists():
            break  # else this machine let the child get as far as Hydra's files before the signal: again
    else:
        pytest.fail(f"the child got past the marker before the signal {ATTEMPTS} times")
    assert result.returncode == -signal.SIGINT, result.stderr[-3000:]  # 130 in a shell
    assert result.stderr == LINE + "nothing was trained or written\n"  # the whole of it: no traceback
    assert result.stdout == ""


@linux_proc
@pytest.mark.slow  # ~9 s on 2 cores each (make test-slow; the default run stays ~4 min)
@pytest.mark.parametrize(("signum", "sigint_ignored"), [
    (signal.SIGINT, False), (signal.SIGTERM, False),  # SIGTERM: it ended without a word (exit 143)
    (signal.SIGTERM, True)])  # a background job of a script (SIGINT ignored), as kill or a scheduler stops it
def test_ctrl_c_once_hydra_made_the_run_directory_names_what_is_there(tmp_path, data_dir, signum, sigint_ignored):
    for attempt in range(ATTEMPTS):
        run_dir = tmp_path / f"run{attempt}"
        written = run_dir / ".hydra" / "overrides.yaml"  # the last of Hydra's files (after train.log, config.yaml, ...)
        result = interrupt_when(lambda process, last=written: last.exists(), run_dir, tmp_path, data_dir, signum,
                                sigint_ignored)
        if result.returncode != 128 + signum:
            break  # else training had begun (the interrupt handler of training answered): again
    else:
        pytest.fail(f"training began before the signal {ATTEMPTS} times")
    assert result.returncode == -signum, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (LINE.replace("SIGINT", signal.Signals(signum).name)
                                              + f"nothing was trained; written in {run_dir}: {listing(run_dir)}")
    names = listing(run_dir).split(", ")
    assert ".hydra/" in names and "train.log" in names and "status.json" not in names and "checkpoints/" not in names


def test_the_line_names_only_what_the_process_wrote(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "attempts" / "0").mkdir(parents=True)
    (run_dir / "attempts" / "0" / "status.json").write_text("{}")
    for path in (run_dir / "attempts" / "0" / "status.json", run_dir / "attempts" / "0", run_dir / "attempts"):
        os.utime(path, ns=(time.time_ns() - 10**10,) * 2)  # an earlier run's, 10 s old
    handler = StartupInterrupt()
    handler.output_dirs.append(run_dir)
    assert handler.written() == "nothing was trained or written"
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "config.yaml").write_text("seed: 0\n")
    (run_dir / "train.log").write_text("")
    assert handler.written() == f"nothing was trained; written in {run_dir}: .hydra/, train.log"
    for number in range(9):
        (run_dir / f"job{number}").mkdir()
    assert handler.written().endswith(": .hydra/, job0/, job1/, job2/, job3/, job4/, job5/, job6/ and 3 more")


@pytest.fixture
def startup_handler():
    """The start-up's handler installed as ``python train.py`` installs it (this process runs no train.py)."""
    handler = StartupInterrupt()
    startup_interrupt.HANDLER = handler
    previous = signal.signal(signal.SIGINT, handler)
    yield handler
    startup_interrupt.HANDLER = None
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("callbacks", ["default", "none"])
def test_start_up_ends_where_fit_starts(make_cfg, monkeypatch, startup_handler, callbacks):
    """The interrupt handler of training takes over from the start-up's (which it does not put back when training
    ends); with callbacks=none, where none is installed, a Ctrl-C while training said it came before training."""
    seen = []
    monkeypatch.setattr(MLPClassifier, "on_train_start",
                        lambda self: seen.append(signal.getsignal(signal.SIGINT)), raising=True)
    train(make_cfg(f"callbacks={callbacks}", "debug=limit", "logger=none", "test=false"))
    if callbacks == "none":
        assert seen == [signal.default_int_handler]
    else:
        assert [handler.__qualname__ for handler in seen] == ["GracefulShutdown._handle"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert startup_handler.over and startup_interrupt.HANDLER is None


def test_a_search_takes_over_from_the_start_up(startup_handler):
    with StopSignals() as stop:
        assert signal.getsignal(signal.SIGINT) == stop.handle
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler and startup_handler.over


def test_train_py_run_within_another_process_keeps_its_handler(train_in_process):
    result = train_in_process("--cfg", "job")
    assert result.returncode == 0, result.stderr[-3000:]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler and startup_interrupt.HANDLER is None


@pytest.mark.parametrize(("launcher", "ends"), [("basic", False), ("stacked", False), ("joblib", True)])
def test_a_multirun_whose_jobs_train_in_other_processes_ends_the_start_up_at_its_start(
        tmp_path, data_dir, startup_handler, launcher, ends):
    """The joblib and submitit launchers train in worker processes: this one waits, and never said "nothing was
    trained" to a Ctrl-C while they trained."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        config = compose(config_name="train", return_hydra_config=True,
                         overrides=[f"hydra/launcher={launcher}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                                    f"paths.data_dir={data_dir}"])
    environment = dict(os.environ)  # the start hands its process id and warning filters to the workers through it
    try:
        Preflight().on_multirun_start(config)
        assert startup_handler.over is ends
        assert startup_handler.output_dirs == [tmp_path / "sweep"]
    finally:  # as the multirun's end would: it blocked the stop signals for joblib's workers, which never started,
        let_stop_signals_in()  # and deferred the first stop signal (WaitForWorkers.on_multirun_end)
        if worker_stop.DEFERRED is not None:
            worker_stop.DEFERRED.restore()
            worker_stop.DEFERRED = None
        os.environ.clear()
        os.environ.update(environment)
