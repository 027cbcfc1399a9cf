"""The benchmark scripts in ``bench/`` still run and print well-formed, self-consistent tables.

Nothing here checks a speed (that is what the scripts measure, BENCHMARKS.md records it); these runs are a few
steps long so that a script broken by a change elsewhere fails here instead of on the day someone needs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def script_process_state():
    """What a benchmark script sets for its own process, put back for the tests after it: its command line, the
    module path it extends (bench/), logging it silences (step_rate.py, stacked_sweep.py's Lightning logger)."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    lightning = logging.getLogger("lightning.pytorch")
    saved_level = lightning.level
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        logging.disable(logging.NOTSET)
        lightning.setLevel(saved_level)


@pytest.fixture(autouse=True)
def _script_process_state_restored():
    with script_process_state():
        yield


@pytest.fixture
def run_bench(capsys):
    """Run ``python bench/<script> <args>`` in this process (the script as ``__main__``, its own command line);
    return the cells of its table's data rows. Fails if stdout holds anything else."""
    def run(script: str, *args: str) -> list[list[str]]:
        with script_process_state():
            sys.argv = [str(ROOT / "bench" / script), *args]
            runpy.run_path(sys.argv[0], run_name="__main__")
        return table_rows(script, capsys.readouterr().out)

    return run


def table_rows(script: str, stdout: str) -> list[list[str]]:
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("# ") and " GFLOP/s" in lines[0], lines[0]  # the machine line (bench_machine.py)
    assert lines[1].startswith("| ") and set(lines[2]) <= set("|-"), lines[:3]
    stray = [line for line in lines[3:] if not line.startswith("| ")]
    assert not stray, f"{script} printed non-table lines on stdout: {stray[:3]}"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[3:]]


def assert_ratio_of_printed(ratio: str, numerator: str, denominator: str, half_unit: float) -> None:
    """``ratio`` is numerator / denominator as far as the printed rounding (± ``half_unit`` on each value, ± 0.005 on
    the ratio) allows: on a slow host the values are small and their rounding moves the ratio by more than 0.02."""
    a, b = float(numerator), float(denominator)
    low, high = (a - half_unit) / (b + half_unit), (a + half_unit) / max(b - half_unit, 1e-9)
    assert low - 0.005 <= float(ratio) <= high + 0.005, (numerator, denominator, ratio)


@pytest.mark.slow  # ~16 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_step_rate_prints_one_row_per_batch_size_and_stack_configuration(run_bench):
    rows = run_bench("step_rate.py", "--steps", "12", "--rounds", "1", "--batch-sizes", "64", "256",
                     "--variant", "trainer.enable_progress_bar=false")
    assert [(row[0], row[1]) for row in rows] == [
        ("64", "default"), ("64", "`trainer.enable_progress_bar=false`"),
        ("256", "default"), ("256", "`trainer.enable_progress_bar=false`"),
    ]
    for _batch, _, stack, hand, ratio in rows:
        assert float(stack) > 0 and float(hand) > 0
        assert_ratio_of_printed(ratio, stack, hand, half_unit=0.5)  # rates printed in whole steps/s


def test_optimizer_bench_compares_each_custom_optimizer_with_a_torch_variant(run_bench):
    rows = run_bench("optimizers.py", "--steps", "3", "--rounds", "1")
    assert [row[0] for row in rows] == ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]
    for name, variant, custom, reference, ratio in rows:
        assert variant in ("fused", "foreach"), (name, variant)
        assert_ratio_of_printed(ratio, custom, reference, half_unit=0.05)  # µs printed with one decimal


def test_batch_norm_bench_times_both_input_shapes(run_bench):
    rows = run_bench("batch_norm.py", "--iters", "3", "--rounds", "1")
    assert [row[0] for row in rows] == ["(128, 100)", "(1024, 100)"]
    for _shape, custom, reference, ratio in rows:
        assert_ratio_of_printed(ratio, custom, reference, half_unit=0.05)


@pytest.mark.parametrize("script, args, message", [
    ("optimizers.py", ["--rounds", "0"], "argument --rounds: 0: allowed whole numbers of at least 1"),
    ("batch_norm.py", ["--iters", "-3"], "argument --iters: -3: allowed whole numbers of at least 1"),
    ("step_rate.py", ["--steps", "0"], "argument --steps: 0: allowed whole numbers of at least 1"),
    ("study_storage.py", ["--trials", "x"], "argument --trials: 'x' is not a whole number"),
    ("stacked_sweep.py", ["--experiments", "--members", "0"], "argument --members: 0: allowed whole numbers of at "
                                                              "least 1"),
    ("step_rate.py", ["--variant", "optimizer=adamm"], "--variant 'optimizer=adamm': optimizer=adamm: no option "
                                                       "'adamm' in config group optimizer; allowed: "),
    ("step_rate.py", ["--override", "optimizer.lr=-1"], "--override: optimizer.lr=-1 is invalid; allowed: a finite "
                                                        "number >= 0.0"),
])
def test_a_benchmarks_bad_option_is_one_usage_error_before_anything_runs(script, args, message, capsys):
    """A count of 0 or less ended in a StatisticsError or ZeroDivisionError, a negative one printed negative
    timings with exit status 0, and a mistyped override a Hydra traceback after the first timings."""
    sys.argv = [str(ROOT / "bench" / script), *args]
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(sys.argv[0], run_name="__main__")
    assert logging.root.manager.disable == logging.NOTSET  # step_rate.py silenced logging before refusing
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert f"{script}: error: {message}" in captured.err, captured.err[-2000:]
    assert "# " not in captured.out and "| " not in captured.out  # no machine line, no table


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal where torch sees no GPU")
def test_a_benchmark_on_cuda_without_a_gpu_is_refused_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / "batch_norm.py"), "--device", "cuda"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(sys.argv[0], run_name="__main__")
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "batch_norm.py: error: argument --device: cuda: torch sees no CUDA device on this machine "
        "(torch.cuda.is_available() is false); allowed here: cpu")


@pytest.mark.slow  # ~3-5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_stacked_sweep_bench_prints_a_row_per_stack_and_leaves_no_folder_behind(tmp_path, capsys, monkeypatch):
    """Its runs' folder (32 MB after a full run) stayed in /tmp after every run."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sys.argv = [str(ROOT / "bench" / "stacked_sweep.py"), "--experiments", "--members", "2", "--steps", "4",
                "--rounds", "1", "--batch-size", "50"]
    runpy.run_path(sys.argv[0], run_name="__main__")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("# device=cpu (") and " GFLOP/s; part 1 (experiments): " in lines[0], lines[0]
    assert lines[2] == "| K | stack member-steps/s | hand-written steps/s | stack / hand |"
    (row,) = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[4:]]
    members, stack, hand, ratio = row
    assert members == "2"
    assert_ratio_of_printed(ratio.strip("*"), stack, hand, half_unit=0.5)
    assert not list(tmp_path.glob("stacked-bench-*"))  # torch may keep a cache of its own there (torchinductor_*)


def test_study_storage_bench_times_the_three_stores(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / "study_storage.py"), "--trials", "3", "--rounds", "1"])
    runpy.run_path(sys.argv[0], run_name="__main__")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "3 trials, median of 1 round:"
    assert [line.split("  ")[1] for line in lines[1:]] == [
        "journal file (trainlab's default)", "SQLite, rollback journal (its default)",
        "SQLite, WAL (trainlab, local disk)"]


def test_make_bench_runs_every_cpu_benchmark():
    """``make bench`` (dry run) calls each script of bench/ that BENCHMARKS.md reports on the CPU."""
    result = subprocess.run(["make", "-n", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    shared = ("bench_cli.py", "bench_machine.py")  # their options, their first line
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py") if p.name not in shared)
    assert scripts == ["batch_norm.py", "book_scripts.py", "optimizers.py", "stacked_sweep.py", "step_rate.py",
                       "study_storage.py"]
    for script in set(scripts) - {"book_scripts.py"}:  # needs a checkout of the book's code: make bench-book
        assert f"bench/{script}" in result.stdout


def test_make_bench_book_needs_the_books_checkout():
    book = subprocess.run(["make", "-n", "bench-book", "BOOK=/somewhere/dlfs"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert book.returncode == 0 and "bench/book_scripts.py --book /somewhere/dlfs" in book.stdout, book.stderr
    missing = subprocess.run(["make", "bench-book", "BOOK="], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "BOOK=<path> is required" in missing.stderr


# A stand-in for the book's ch06 scripts: imports the book's way (``dataset`` from the parent directory) and checks
# what the benchmark's stand-in ``dataset.mnist`` serves: the bundled split in the book's format.
FAKE_BOOK_SCRIPT = """
import os, sys
sys.path.append(os.pardir)
import numpy as np
from dataset.mnist import load_mnist
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)
assert x_train.shape == (4000, 784) and x_test.shape == (500, 784), (x_train.shape, x_test.shape)
assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0, (x_train.dtype, x_train.max())
assert sorted(np.unique(t_train)) == list(range(10)) and t_test.shape == (500,)
(x_raw, _), _ = load_mnist(normalize=False, flatten=False, one_hot_label=True)
assert x_raw.shape == (4000, 1, 28, 28) and x_raw.dtype == np.uint8 and x_raw.max() == 255
assert load_mnist(one_hot_label=True)[0][1].shape == (4000, 10)
weight_decay_lambda = 0.1
use_dropout = True  # the book's comment: False for the curve without Dropout
with open(os.environ["FAKE_BOOK_RUNS"], "a") as runs:
    runs.write(f"{os.path.basename(__file__)} {weight_decay_lambda} {use_dropout}\\n")
"""


def fake_book(root: Path) -> Path:
    from book_scripts import EXPERIMENTS

    (root / "common").mkdir(parents=True)
    (root / "ch06").mkdir()
    (root / "dataset").mkdir()  # the book's own loader downloads MNIST: the stand-in must come first
    (root / "dataset" / "mnist.py").write_text("raise ImportError('the book\\'s dataset.mnist was imported')\n")
    for script, _ in EXPERIMENTS.values():
        (root / "ch06" / script).write_text(FAKE_BOOK_SCRIPT)
    return root


@pytest.mark.slow  # ~18 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_book_scripts_serve_the_bundled_split_to_the_books_imports_and_time_both_sides(run_bench, tmp_path,
                                                                                     data_dir, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    book = fake_book(tmp_path / "book")
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("FAKE_BOOK_RUNS", str(runs))
    rows = run_bench("book_scripts.py", "--book", str(book), "--data-dir", str(data_dir), "--experiments", "G",
                     "--experiment-overrides", "trainer.max_epochs=1")
    assert [row[:2] for row in rows] == [["G", "overfit_weight_decay.py"]]
    _, _, book_seconds, every_curve_seconds, trainlab_seconds, ratio, every_curve_ratio = rows[0]
    assert float(book_seconds) > 0 and float(trainlab_seconds) > 0
    assert float(every_curve_seconds) >= float(book_seconds)  # the script as shipped, then the figure's other curve
    assert_ratio_of_printed(ratio.strip("*"), book_seconds, trainlab_seconds, half_unit=0.05)
    assert_ratio_of_printed(every_curve_ratio.strip("*"), every_curve_seconds, trainlab_seconds, half_unit=0.05)
    # the other curve ran from a copy with the book's one-line edit; the checkout is unchanged
    assert runs.read_text().splitlines() == ["overfit_weight_decay.py 0.1 True",
                                             "overfit_weight_decay_other_curve.py 0 True"]
    assert (book / "ch06" / "overfit_weight_decay.py").read_text() == FAKE_BOOK_SCRIPT


def test_book_scripts_refuse_a_script_without_the_line_of_its_other_curve(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    book = fake_book(tmp_path / "book")
    (book / "ch06" / "overfit_dropout.py").write_text("use_dropout = False\n")
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / "book_scripts.py"), "--book", str(book),
                                      "--experiments", "B", "H"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(sys.argv[0], run_name="__main__")
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert "overfit_dropout.py: expected one line `use_dropout = True`" in captured.err and "found 0" in captured.err
    assert captured.out == ""  # refused before anything was timed


def test_book_scripts_refuse_a_folder_that_is_not_the_books_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / "book_scripts.py"), "--book", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(sys.argv[0], run_name="__main__")
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert f"--book {tmp_path}" in error and "ch06/optimizer_compare_mnist.py" in error
    assert "oreilly-japan/deep-learning-from-scratch" in error


@pytest.fixture
def bench_machine():
    """``bench/bench_machine.py`` as a module (bench/ is no package: the scripts put their folder on the path)."""
    spec = importlib.util.spec_from_file_location("bench_machine", ROOT / "bench" / "bench_machine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_machine_line_names_the_processor_cpus_torch_and_the_measured_product_rate(bench_machine, monkeypatch,
                                                                                      tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n")
    monkeypatch.setattr(bench_machine, "CPUINFO", cpuinfo)
    monkeypatch.setattr(bench_machine, "product_rate", lambda device: 136.4)
    assert bench_machine.machine_line("cpu") == (
        f"device=cpu (AMD EPYC 7B13 64-Core Processor, {os.cpu_count()} CPUs), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, a 1024³ float32 product at 136 GFLOP/s")
    monkeypatch.setattr(bench_machine, "CPUINFO", tmp_path / "none")  # not Linux: what platform knows
    monkeypatch.setattr(bench_machine.platform, "processor", lambda: "")
    monkeypatch.setattr(bench_machine.platform, "machine", lambda: "arm64")
    assert bench_machine.processor_name() == "arm64"


def test_the_product_rate_is_two_n_cubed_operations_over_the_median_time(bench_machine, monkeypatch):
    ticks = iter([0.0, 9.0,  # the untimed first product
                  10.0, 10.5, 20.0, 20.25, 30.0, 31.0])  # 0.5, 0.25 and 1.0 s: median 0.5 s
    monkeypatch.setattr(bench_machine.time, "perf_counter", lambda: next(ticks))
    rate = bench_machine.product_rate("cpu", size=8, repeats=3)
    assert rate == pytest.approx(2 * 8**3 / 0.5 / 1e9)
