"""`trainlab reproduce --quick`: every experiment A-I runs offline and lands in index.md (slow: ~2 minutes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
from conftest import JOB_PYTHONPATH

from trainlab.cli import main


@pytest.fixture(autouse=True)
def no_trainlab_root(monkeypatch):
    """No ``TRAINLAB_ROOT`` in effect, whatever the environment exported: the printed commands repeat the one in effect
    (``TRAINLAB_ROOT=... trainlab reproduce ...``), and the expected lines are those of a command run without it.
    Afterwards the environment's own is back, and none that a ``train.py`` run in this process set for the rest of
    it (the slow test's reproduction) is left for the next test."""
    monkeypatch.setenv("TRAINLAB_ROOT", "")  # records the environment's value, or its absence, to restore
    monkeypatch.delenv("TRAINLAB_ROOT")


@pytest.mark.slow
def test_quick_reproduce_writes_every_figure_into_the_index(tmp_path, capsys):
    out = tmp_path / "reproduce"
    assert main(["reproduce", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for number, experiment in enumerate("ABCDEFGHI", start=1):
        assert re.search(rf"\[{number}/9\] {experiment} done in \d+\.\d s", printed), experiment  # 0.1 s
    index = (out / "index.md").read_text()
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", index)
    assert len(linked) == 1 + 1 + 13 + 1 + 1 + 1 + 1 + 1  # A, B, C (12 + overview), D, F, G, H, I
    assert all((out / path).is_file() for path in linked)
    for figure in ("B_compare_optimizers/sweep/report/optimizers_loss.png", "F_compare_batchnorm/sweep/report/"
                   "batchnorm_grid.png", "I_hparams_search/sweep/report/top20_trials.png"):
        assert figure in linked
    assert "E_batchnorm_gradcheck/output.txt" in index


@pytest.mark.parametrize("source", ["bundled", "full"])
def test_the_quick_sweeps_validate_before_their_budget_ends_whatever_the_source(make_cfg, tmp_path, source):
    """``--quick`` B and D with full MNIST on disk (``data.source=auto``: torchvision, 430 steps an epoch at batch
    128). Before: ``trainer.max_steps=40`` ended before the first validation there, and both were refused by the
    objective budget check (it held for the bundled sample's 32 steps an epoch only)."""
    from test_objective_budget import write_full_size_mnist

    from trainlab.objective_budget import check_objective_reached
    from trainlab.reproduce import EXPERIMENTS

    data = ["data.source=auto", "data.download=false"]
    if source == "full":
        write_full_size_mnist(tmp_path / "data")
        data.append(f"paths.data_dir={tmp_path / 'data'}")
    quick_sweeps = [e for e in EXPERIMENTS if e.id in ("B", "D")]
    assert [e.name for e in quick_sweeps] == ["compare_optimizers", "compare_init"]
    for experiment in quick_sweeps:
        check_objective_reached(make_cfg(*experiment.overrides, *experiment.quick, *data))  # no error


def test_reproduce_refuses_a_non_empty_directory(tmp_path, capsys):
    (tmp_path / "something").write_text("x")
    assert main(["reproduce", "--out", str(tmp_path)]) == 2
    assert "is not empty; choose a new --out" in capsys.readouterr().err


def test_reproduce_rejects_unknown_ids(tmp_path, capsys):
    assert main(["reproduce", "--only", "Z", "--out", str(tmp_path / "r")]) == 2
    assert "unknown experiment id; allowed: A, B, C, D, E, F, G, H, I" in capsys.readouterr().err


def test_reproduce_never_downloads_and_trains_each_experiment_in_its_own_sweep_dir(tmp_path, monkeypatch):
    from trainlab import reproduce
    from trainlab.report import build

    commands = []
    monkeypatch.setattr(reproduce, "run_train_script", lambda overrides, log: commands.append(overrides) or 0)
    monkeypatch.setattr(build, "build_report", lambda sweep_dir: {})
    experiment = next(e for e in reproduce.EXPERIMENTS if e.id == "B")
    reproduce.run_sweep(experiment, tmp_path, quick=False)
    (overrides,) = commands
    assert "data.download=false" in overrides  # full MNIST if on disk, else the bundled sample: never the network
    assert f"hydra.sweep.dir={tmp_path / 'sweep'}" in overrides and overrides[0] == "experiment=compare_optimizers"


def test_the_index_links_a_search_s_ranking_csv(tmp_path, monkeypatch):
    """I's index entry linked summary.csv only: the search's trials ranked by objective, ranking.csv, were not there."""
    from trainlab import reproduce
    from trainlab.report import build

    def train_script(overrides, log):  # the sweep's tables, as the search's end writes them
        sweep = tmp_path / "sweep"
        sweep.mkdir()
        (sweep / "summary.csv").write_text("job\n")
        (sweep / "ranking.csv").write_text("job\n")
        return 0

    monkeypatch.setattr(reproduce, "run_train_script", train_script)
    monkeypatch.setattr(build, "build_report", lambda sweep_dir: {})
    experiment = next(e for e in reproduce.EXPERIMENTS if e.id == "I")
    files = reproduce.run_sweep(experiment, tmp_path, quick=True)
    index = reproduce.index_markdown([(experiment, 1.0, files)], tmp_path, "trainlab reproduce")
    assert "- [sweep/summary.csv](sweep/summary.csv)\n- [sweep/ranking.csv](sweep/ranking.csv)" in index


@pytest.mark.parametrize("command", [["report", "{sweep}", "--out", "{file}"], ["reproduce", "--out", "{file}/sub"],
                                     ["report", "{file}"]])
def test_an_output_or_sweep_path_that_is_a_file_is_one_line_and_the_file_is_left(tmp_path, capsys, command):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    (tmp_path / "sweep").mkdir()
    argv = [part.format(file=a_file, sweep=tmp_path / "sweep") for part in command]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().endswith(f"{a_file} is a file, not a directory" if "--out" in argv
                                                    else f"{a_file} is a file, not a sweep directory")
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize(("status", "first_words", "exit_status"), [
    (130, "SIGINT: stopped during D compare_init", 130),  # its train.py answered a Ctrl-C
    (143, "SIGTERM: stopped during D compare_init", 143),
    (2, "error: D compare_init: train.py experiment=compare_init", 2),  # a config error of its own
])
def test_a_reproduction_stopped_in_an_experiment_names_what_is_done_and_the_command_for_the_rest(
        tmp_path, monkeypatch, capsys, status, first_words, exit_status):
    """A Ctrl-C was a KeyboardInterrupt traceback, a SIGTERM a RuntimeError one, and the same --out was then refused
    as not empty, with no word of how to go on."""
    from trainlab import reproduce
    from trainlab.report import build

    monkeypatch.setattr(reproduce, "run_train_script", lambda overrides, log: 0 if "compare_optimizers" in
                        overrides[0] else status)
    monkeypatch.setattr(build, "build_report", lambda sweep_dir: {})
    out = tmp_path / "reproduce"
    assert main(["reproduce", "--only", "B", "D", "H", "--out", str(out)]) == exit_status
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(first_words)
    assert line.endswith(f"; the experiments before it are in {out / 'index.md'}; run the rest with: trainlab "
                         "reproduce --only D H --out <a new dir>")
    assert "## B" in (out / "index.md").read_text()


def test_the_index_and_the_line_for_the_rest_say_the_command_as_it_was_run(tmp_path, monkeypatch, capsys):
    """The index said `trainlab reproduce --quick` of a run with --only, and the line for the rest dropped the
    TRAINLAB_ROOT in effect (the rest then ran in the checkout's outputs/, or found no checkout)."""
    import os

    from trainlab import reproduce
    from trainlab.report import build

    root = tmp_path / "my root"
    monkeypatch.setenv("TRAINLAB_ROOT", str(root))

    def train_script(overrides, log):  # as train.py does in this process: TRAINLAB_ROOT stays, or is set
        os.environ["TRAINLAB_ROOT"] = "/somewhere/else"
        return 0 if "compare_optimizers" in overrides[0] else 130

    monkeypatch.setattr(reproduce, "run_train_script", train_script)
    monkeypatch.setattr(build, "build_report", lambda sweep_dir: {})
    out = tmp_path / "reproduce"
    assert main(["reproduce", "--quick", "--only", "b", "D", "--out", str(out)]) == 130
    given_root = f"TRAINLAB_ROOT='{root}'"
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"SIGINT: stopped during D compare_init; the experiments before it are in {out / 'index.md'}; run the rest "
        f"with: {given_root} trainlab reproduce --quick --only D --out <a new dir>")
    made = (out / "index.md").read_text().splitlines()[2]
    command = f"{given_root} trainlab reproduce --quick --only b D --out {out}"
    assert re.fullmatch(rf"Made \d{{4}}-\d\d-\d\d \d\d:\d\d by `{re.escape(command)}`\.", made)


def test_a_ctrl_c_in_the_reproduce_process_itself_is_one_line(tmp_path, monkeypatch, capsys):
    from trainlab import reproduce

    def interrupted(experiment, out):
        raise KeyboardInterrupt

    monkeypatch.setattr(reproduce, "run_standalone", interrupted)  # A, E: run in this process (a figure, a check)
    assert main(["reproduce", "--only", "A", "--out", str(tmp_path / "r")]) == 130
    assert capsys.readouterr().err.strip().splitlines() == [
        "SIGINT: stopped during A optimizer_paths; no experiment finished; run the rest with: trainlab "
        "reproduce --only A --out <a new dir>"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_outside_a_runs_own_handling_ends_the_reproduction_in_its_line(tmp_path, signum):
    """Sent while an experiment's train.py started (before its run's handler), SIGTERM ended `trainlab reproduce`
    without a word (exit 143), and a Ctrl-C went to Lightning as a KeyboardInterrupt ("train.py ... exited with 1")
    or raised inside omegaconf. The line goes to the terminal, not to the experiment's log its output is redirected
    into."""
    out = tmp_path / "reproduce"
    code = f"""
import contextlib, os, signal, sys, time
from trainlab import reproduce
from trainlab.report import build
from trainlab.cli import main
def train_script(overrides, log):
    if "compare_optimizers" in overrides[0]:
        return 0
    with open(log, "w") as handle, contextlib.redirect_stderr(handle):
        os.kill(os.getpid(), {int(signum)})  # the experiment's start-up: no handler of its run yet
        time.sleep(30)
    return 0
reproduce.run_train_script = train_script
build.build_report = lambda sweep_dir: {{}}
sys.exit(main(["reproduce", "--only", "B", "D", "H", "--out", {str(out)!r}]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == -signum, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"{signal.Signals(signum).name}: stopped during D compare_init; the experiments before it are in "
        f"{out / 'index.md'}; run the rest with: trainlab reproduce --only D H --out <a new dir>")
    assert "Traceback" not in result.stderr
