"""``python -m trainlab.experiments.activations --seed S`` refuses a seed outside 0..2**32-1 in argparse's one line.

``--seed 99999999999999999999`` raised ``ValueError: Overflow when unpacking long long`` from ``torch.manual_seed``
(a traceback, exit 1) after the output directory was made, leaving it empty; ``--seed -1`` drew silently what
``18446744073709551615`` draws. The range is the one a run's ``seed`` takes (config_validation.SEED_RANGE).
"""

from __future__ import annotations

import argparse

import pytest

from trainlab.experiments import activations


@pytest.mark.parametrize("seed", ["99999999999999999999", "-1", "4294967296", "1.5", "abc"])
def test_a_seed_outside_the_range_is_refused_naming_it_before_the_directory_is_made(tmp_path, capsys, seed):
    out = tmp_path / "c2x"
    with pytest.raises(SystemExit) as refused:
        activations.main(["--seed", seed, "--out", str(out)])
    assert refused.value.code == 2
    prog = argparse.ArgumentParser().prog  # argparse's program name in this process (the test runner's)
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{prog}: error: argument --seed: '{seed}' is invalid; allowed: an integer from 0 to 4294967295")
    assert not out.exists()


def test_the_ends_of_the_range_are_seeds():
    assert activations.seed_argument("0") == 0
    assert activations.seed_argument("4294967295") == 4294967295
