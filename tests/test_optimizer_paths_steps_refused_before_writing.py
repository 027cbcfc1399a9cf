"""``python -m trainlab.experiments.optimizer_paths --steps N`` refuses an N outside 1..1000 in argparse's one line.

``--steps 1000000000`` was taken: the output directory was made, then the four paths ran for days (about 1 ms per
update) towards one unreadable figure. By 1000 updates every path has settled at the minimum
(optimizer_paths.MAX_STEPS); the book's figure has 30.
"""

from __future__ import annotations

import argparse

import pytest

from trainlab.experiments import optimizer_paths


# 1001, not 1000000000: were the bound lost again, this test would fail in a second, not run for days
@pytest.mark.parametrize("steps", ["1001", "0", "-3", "1.5", "abc"])
def test_steps_outside_the_range_are_refused_naming_the_option_before_the_directory_is_made(tmp_path, capsys, steps):
    out = tmp_path / "paths"
    with pytest.raises(SystemExit) as refused:
        optimizer_paths.main(["--steps", steps, "--out", str(out)])
    assert refused.value.code == 2
    prog = argparse.ArgumentParser().prog  # argparse's program name in this process (the test runner's)
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{prog}: error: argument --steps: '{steps}' is invalid; allowed: an integer from 1 to 1000 (the book's "
        "figure: 30; by 1000 every path has settled at the minimum)")
    assert not out.exists()


@pytest.mark.slow  # 4 x 1000 updates: ~4 s
def test_every_path_has_settled_at_the_minimum_by_the_largest_steps():
    """The reason for the bound: the paths end within 1e-20 of (0, 0) - more updates draw nothing new."""
    for name, path in optimizer_paths.all_paths(optimizer_paths.MAX_STEPS).items():
        x, y = path[-1]
        assert abs(x) + abs(y) < 1e-20, name
    assert optimizer_paths.steps_argument("1") == 1 and optimizer_paths.steps_argument("1000") == 1000
