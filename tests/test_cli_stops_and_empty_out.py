"""The ``trainlab`` command's answers to a Ctrl-C and to an empty ``--out`` (trainlab/cli.py).

A Ctrl-C during ``trainlab report`` or ``trainlab evaluate`` printed the 18-33 frames of a ``KeyboardInterrupt``
traceback (``reproduce`` and ``train.py`` answer it in one line); ``--out ""`` - a script's ``--out "$OUT"`` with
``OUT`` unset - wrote the report into the current directory; ``evaluate .`` headed its table ``., --ckpt last:``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import JOB_PYTHONPATH

import trainlab.evaluate
import trainlab.report.build
from trainlab.cli import main


def interrupted(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(("command", "patched", "line"), [
    (["report", "sweep"], (trainlab.report.build, "build_report"),
     "SIGINT: the report stopped before it finished: the files it had replaced are new, the others as they were; "
     "run the same command again to write it whole"),
    (["evaluate", "run"], (trainlab.evaluate, "evaluate"), "SIGINT: the evaluation stopped; it writes nothing"),
])
def test_a_ctrl_c_is_one_line_and_exit_status_130(tmp_path, monkeypatch, capsys, command, patched, line):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sweep").mkdir()
    monkeypatch.setattr(*patched, interrupted)
    try:
        status = main(command)
    except KeyboardInterrupt:
        pytest.fail("the KeyboardInterrupt went on to the interpreter: a traceback")
    assert status == 130
    assert capsys.readouterr().err.splitlines() == [line]


@pytest.mark.parametrize("command", [["report", "sweep"], ["reproduce", "--only", "A"]])
def test_an_empty_out_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sweep").mkdir()
    assert main([*command, "--out", ""]) == 2
    assert capsys.readouterr().err == (f"error: --out '' names no directory; allowed: --out <a directory>, or no "
                                       f"--out for {command[0]}'s default\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sweep"]
    assert not any((tmp_path / "sweep").iterdir())


def test_evaluate_heads_its_table_with_the_run_directory_absolute(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(trainlab.evaluate, "evaluate",
                        lambda run_dir, ckpt, splits, notes: {"val": {"loss": 1.0, "acc": 0.5}})
    monkeypatch.setattr(trainlab.evaluate, "run_end_note", lambda run_dir, ckpt: None)
    assert main(["evaluate", "."]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{tmp_path}, --ckpt last:"


def ctrl_c_once_marked(code: str, marker: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    """Run ``python -c code``, send it a real SIGINT once it wrote ``marker``; the ended process and its stderr."""
    process = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.communicate(timeout=60)[1][-3000:]
    process.send_signal(signal.SIGINT)
    return process, process.communicate(timeout=60)[1]


@pytest.mark.slow  # ~4 s: a trainlab process of its own, stopped by a real signal while it draws
def test_a_real_ctrl_c_while_a_report_draws_ends_in_one_line_by_the_signal(train_in_process, tmp_path):
    """A real SIGINT, not a patched ``KeyboardInterrupt``: sent while the report imported torch, it came through a C++
    extension's call back into Python (``terminate called after throwing an instance of
    'pybind11::error_already_set'``, exit status 134). The report imports no torch now and takes about a second,
    so the signal is sent once its figures are drawn (a marker file), before it writes them."""
    sweep, marker = tmp_path / "sweep", tmp_path / "drawn"
    assert train_in_process("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={sweep}").returncode == 0
    code = f"""
import pathlib, sys, time
import trainlab.report.build as build
from trainlab.cli import main
drawing = build.draw
def drawn_then_waiting(*args, **kwargs):
    figures = drawing(*args, **kwargs)
    pathlib.Path({str(marker)!r}).write_text("drawn")
    time.sleep(60)  # the signal comes here
    return figures
build.draw = drawn_then_waiting
sys.exit(main(["report", {str(sweep)!r}]))
"""
    process, err = ctrl_c_once_marked(code, marker, tmp_path)
    assert process.returncode == -signal.SIGINT, err[-3000:]  # 130 in a shell
    assert err.splitlines()[-1] == ("SIGINT: the report stopped before it finished: the files it had replaced are "
                                    "new, the others as they were; run the same command again to write it whole")
    assert "Traceback" not in err and "terminate called" not in err


@pytest.mark.slow  # ~8 s: a sweep, a report stopped by a real signal while it writes, the same report again
def test_a_report_stopped_while_it_writes_is_written_whole_by_the_same_command(train_in_process, tmp_path):
    """The stop ended the process before the report's record was saved: its event file, begun, was "not recorded as
    a report's", and every later report of the sweep was refused - though the stop's line says to run it again."""
    sweep, marker = tmp_path / "sweep", tmp_path / "writing"
    assert train_in_process("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={sweep}").returncode == 0
    code = f"""
import pathlib, sys, time
import trainlab.report.build as build
from trainlab.cli import main
encoding = build.image_event
def first_png_written_then_waiting(*args, **kwargs):
    pathlib.Path({str(marker)!r}).write_text("writing")
    time.sleep(60)  # the signal comes here: a figure written, the TensorBoard run begun
    return encoding(*args, **kwargs)
build.image_event = first_png_written_then_waiting
sys.exit(main(["report", {str(sweep)!r}]))
"""
    process, err = ctrl_c_once_marked(code, marker, tmp_path)
    assert process.returncode == -signal.SIGINT, err[-3000:]
    assert list((sweep / "report").glob("*.png")), "a figure was written before the stop"
    again = subprocess.run([sys.executable, "-m", "trainlab.cli", "report", str(sweep)], cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH}, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (sweep / "report" / "summary.md").is_file()
    assert len(list((sweep / "report").glob("events.out.tfevents*"))) == 1  # the stopped report's replaced
