"""The experiments' integer options are refused outside their range in argparse's one line, before the output
directory is made (``trainlab.experiments.integer_option``):

* ``activations --seed S``: 0..2**32-1, the seeds a run's ``seed`` takes (config_validation.SEED_RANGE).
  ``--seed 99999999999999999999`` raised ``ValueError: Overflow when unpacking long long`` from ``torch.manual_seed``
  (a traceback, exit 1) after the output directory was made, leaving it empty; ``--seed -1`` drew silently what
  ``18446744073709551615`` draws.
* ``optimizer_paths --steps N``: 1..1000. ``--steps 1000000000`` was taken: the output directory was made, then the
  four paths ran for days (about 1 ms per update) towards one unreadable figure. By 1000 updates every path has
  settled at the minimum (optimizer_paths.MAX_STEPS); the book's figure has 30.
"""

from __future__ import annotations

import argparse

import pytest

from trainlab.experiments import activations, optimizer_paths

SEED_RANGE = "an integer from 0 to 4294967295"
STEPS_RANGE = "an integer from 1 to 1000 (the book's figure: 30; by 1000 every path has settled at the minimum)"


# --steps 1001, not 1000000000: were the bound lost again, this test would fail in a second, not run for days
@pytest.mark.parametrize("command, option, value, allowed", [
    *[(activations, "--seed", seed, SEED_RANGE) for seed in ["99999999999999999999", "-1", "4294967296", "1.5", "abc"]],
    *[(optimizer_paths, "--steps", steps, STEPS_RANGE) for steps in ["1001", "0", "-3", "1.5", "abc"]],
])
def test_a_value_outside_the_range_is_refused_naming_the_option_before_the_directory_is_made(
        tmp_path, capsys, command, option, value, allowed):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as refused:
        command.main([option, value, "--out", str(out)])
    assert refused.value.code == 2
    prog = argparse.ArgumentParser().prog  # argparse's program name in this process (the test runner's)
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{prog}: error: argument {option}: '{value}' is invalid; allowed: {allowed}")
    assert not out.exists()


def test_the_ends_of_the_ranges_are_taken():
    assert activations.seed_argument("0") == 0
    assert activations.seed_argument("4294967295") == 4294967295
    assert optimizer_paths.steps_argument("1") == 1 and optimizer_paths.steps_argument("1000") == 1000


@pytest.mark.slow  # 4 x 1000 updates: ~4 s
def test_every_path_has_settled_at_the_minimum_by_the_largest_steps():
    """The reason for the bound: the paths end within 1e-20 of (0, 0) - more updates draw nothing new."""
    for name, path in optimizer_paths.all_paths(optimizer_paths.MAX_STEPS).items():
        x, y = path[-1]
        assert abs(x) + abs(y) < 1e-20, name
