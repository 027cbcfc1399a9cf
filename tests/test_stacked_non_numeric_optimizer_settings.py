"""A project optimizer's settings that are not numbers (a bool flag, a mode name, None) split a stack's blocks.

A :class:`~trainlab.optim.book_optimizer.BookOptimizer` of one's own may branch on such a setting in Python
(``if use_sign:``), so it cannot be a per-member tensor: members whose flag differs step in blocks of their own, and
each ends as its lone run. The walkthrough's ``-m optimizer=flagsgd optimizer.use_sign=true,false
optimizer.lr=0.001,0.01 hydra/launcher=stacked`` put all four members in one block and failed every job with
``ValueError: cannot stack the per-member values [True, True, False, False]`` (and so did every trial of a search
over ``choice(true,false)``).
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from own_optimizers import FlagSGD, ModeSGD
from test_stacked_numerics import assert_members_equal_lone, stack_and_lone, train_both

from trainlab.stacked.grouping import plan_stacks

# interleaved, as a sweep's job order gives them: equal settings are not neighbours
MEMBERS = [
    (FlagSGD, {"lr": 0.05, "use_sign": True}, 0.0), (FlagSGD, {"lr": 0.1, "use_sign": False}, 0.1),
    (FlagSGD, {"lr": 0.02, "use_sign": True}, 0.2), (FlagSGD, {"lr": 0.2, "use_sign": False}, 0.0),
    (ModeSGD, {"lr": 0.05, "mode": "sign"}, 0.0), (ModeSGD, {"lr": 0.1, "mode": "plain", "scale": 0.5}, 0.0),
    (ModeSGD, {"lr": 0.1, "mode": "plain", "scale": 2.0}, 0.1), (ModeSGD, {"lr": 0.1, "mode": "plain"}, 0.0),
]


def test_members_whose_flag_mode_or_none_differs_step_apart_each_as_its_lone_optimizer():
    stacked, optimizer, lone, lone_optimizers = stack_and_lone(MEMBERS)
    # FlagSGD's four alternate: four blocks; ModeSGD's sign / plain with two scales (one block: numbers stack
    # per member) / plain without a scale (None)
    assert [(block.start, block.stop) for block in optimizer.blocks] == [
        (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 7), (7, 8)]
    train_both(stacked, optimizer, lone, lone_optimizers)
    assert_members_equal_lone(stacked, lone, atol=1e-12)


def flag_cfgs(make_cfg, settings: list[tuple[bool, float]]):
    """One composed FlagSGD job per (use_sign, lr), as a sweep's jobs differ in these two values alone."""
    composed = make_cfg("optimizer._target_=own_optimizers.FlagSGD", "+optimizer.use_sign=false")
    cfgs = []
    for flag, lr in settings:
        cfg = copy.deepcopy(composed)
        cfg.optimizer.use_sign, cfg.optimizer.lr = flag, lr
        cfgs.append(cfg)
    return cfgs


def test_a_stack_puts_members_with_equal_flags_next_to_each_other(make_cfg):
    """One block per flag value, not one per member: the jobs of ``optimizer.lr=a,b optimizer.use_sign=true,false``
    arrive alternating."""
    cfgs = flag_cfgs(make_cfg, [(True, 0.01), (False, 0.01), (True, 0.1), (False, 0.1)])
    stacks, alone = plan_stacks(cfgs, max_members=128)
    assert alone == {}
    assert stacks == [[1, 3, 0, 2]]  # use_sign False (written 'False' < 'True'), then True, each in job order


@pytest.mark.slow  # ~25 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_stacked_sweep_over_a_flag_ends_each_job_as_its_lone_run(train_in_process, tmp_path):
    """The walkthrough's sweep, stacked and with the basic launcher: in float64 (sign-SGD at lr 0.01 turns float32
    rounding into other signs, docs/stacked-sweeps.md, "Same numbers as alone"), every job's metrics agree."""
    common = ["-m", "debug=limit", "trainer.precision=64-true", "optimizer=null",
              "+optimizer._target_=own_optimizers.FlagSGD", "+optimizer._partial_=true",
              "+optimizer.lr=0.001,0.01", "+optimizer.use_sign=true,false"]
    stacked = train_in_process(*common, "hydra/launcher=stacked", f"hydra.sweep.dir={tmp_path / 'stacked'}")
    assert stacked.returncode == 0, stacked.stderr[-3000:]
    assert "Launching 4 jobs as 1 run: 1 stacked, 0 alone" in stacked.stdout
    basic = train_in_process(*common, f"hydra.sweep.dir={tmp_path / 'basic'}")
    assert basic.returncode == 0, basic.stderr[-3000:]
    jobs = sorted(path.name for path in (tmp_path / "basic").iterdir() if (path / "status.json").exists())
    assert len(jobs) == 4
    for job in jobs:
        got, expected = (json.loads((tmp_path / launcher / job / "status.json").read_text())
                         for launcher in ("stacked", "basic"))
        assert got["status"] == expected["status"] == "completed", job
        assert got["metrics"].keys() == expected["metrics"].keys()
        for name, value in expected["metrics"].items():
            assert math.isclose(got["metrics"][name], value, rel_tol=1e-9, abs_tol=1e-12), (job, name)
