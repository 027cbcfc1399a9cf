"""The benchmark scripts in ``bench/`` still run and print well-formed, self-consistent tables.

Nothing here checks a speed (that is what the scripts measure, BENCHMARKS.md records it); these runs are a few
steps long so that a script broken by a change elsewhere fails here instead of on the day someone needs it.
"""

from __future__ import annotations

import logging
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_bench(capsys):
    """Run ``python bench/<script> <args>`` in this process (the script as ``__main__``, its own command line);
    return the cells of its table's data rows. Fails if stdout holds anything else."""
    def run(script: str, *args: str) -> list[list[str]]:
        saved_argv = sys.argv
        sys.argv = [str(ROOT / "bench" / script), *args]
        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
        finally:
            sys.argv = saved_argv
            logging.disable(logging.NOTSET)  # step_rate.py silences logging below errors for its table
        return table_rows(script, capsys.readouterr().out)

    return run


def table_rows(script: str, stdout: str) -> list[list[str]]:
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("# "), lines[0]  # the machine line
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


def test_make_bench_runs_every_cpu_benchmark():
    """``make bench`` (dry run) calls each script of bench/ that BENCHMARKS.md reports on the CPU."""
    result = subprocess.run(["make", "-n", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    assert scripts == ["batch_norm.py", "optimizers.py", "stacked_sweep.py", "step_rate.py"]
    for script in scripts:
        assert f"bench/{script}" in result.stdout
