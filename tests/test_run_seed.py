"""``seed=null``: a seed drawn from the OS per job, logged and recorded, so the run is new each time and repeatable
(trainlab/run_seed.py).

Before, an unseeded job of a multirun continued the generators the job before it left: after a seeded job
(``-m seed=0,null``) the "unseeded" one started from the same weights in every sweep.
"""

from __future__ import annotations

import logging
import math

import pytest
import torch

from trainlab.config_validation import SEED_RANGE
from trainlab.run_seed import seed_generators
from trainlab.run_status import read_status

QUICK = ("debug=limit", "test=false")


def test_a_configured_seed_is_the_one_used_and_nothing_is_drawn(caplog):
    with caplog.at_level(logging.INFO, logger="trainlab.run_seed"):
        assert seed_generators(7, resuming=False) == 7
        first = torch.rand(3)
        assert seed_generators(7, resuming=True) == 7  # a resumed run seeds as before; its checkpoint's state follows
    torch.manual_seed(7)
    assert torch.equal(first, torch.rand(3))
    assert "drew" not in caplog.text


def test_seed_null_draws_a_new_seed_each_time_says_it_and_seeds_with_it(caplog):
    with caplog.at_level(logging.INFO, logger="trainlab.run_seed"):
        drawn = seed_generators(None, resuming=False, job="3_seed=null")
        after_draw = torch.rand(3)
        other = seed_generators(None, resuming=False)
    assert SEED_RANGE[0] <= drawn <= SEED_RANGE[1] and drawn != other  # equal once in 2**32
    torch.manual_seed(drawn)
    assert torch.equal(after_draw, torch.rand(3))
    assert f"3_seed=null: seed=null drew seed {drawn} from the OS (seed={drawn} repeats the run)" in caplog.text
    assert f"seed=null drew seed {other} from the OS" in caplog.text


def test_seed_null_takes_the_seed_its_ddp_job_drew_and_a_quiet_rank_says_nothing(caplog):
    with caplog.at_level(logging.INFO, logger="trainlab.run_seed"):
        assert seed_generators(None, resuming=False, drawn=123, says=False) == 123
    assert caplog.text == ""
    after = torch.rand(2)
    torch.manual_seed(123)
    assert torch.equal(after, torch.rand(2))


def test_a_resumed_seed_null_run_draws_nothing_and_leaves_the_generators_alone():
    state = torch.get_rng_state()
    assert seed_generators(None, resuming=True) is None
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_an_unseeded_job_after_a_seeded_one_differs_sweep_to_sweep_and_its_drawn_seed_repeats_it(
        train_in_process, tmp_path, launcher):
    sweeps = [tmp_path / "first", tmp_path / "second"]
    for sweep in sweeps:
        result = train_in_process("-m", *QUICK, "seed=0,null", f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}")
        assert result.returncode == 0, result.stderr[-3000:]
    seeded = [read_status(next(sweep.glob("0_*"))) for sweep in sweeps]
    unseeded = [read_status(next(sweep.glob("1_*"))) for sweep in sweeps]
    assert seeded[0]["metrics"]["train/loss"] == seeded[1]["metrics"]["train/loss"]
    assert unseeded[0]["metrics"]["train/loss"] != unseeded[1]["metrics"]["train/loss"]  # were equal
    assert "drawn_seed" not in seeded[0]
    drawn = [status["drawn_seed"] for status in unseeded]
    assert drawn[0] != drawn[1]
    lone = tmp_path / "lone"
    result = train_in_process(*QUICK, f"seed={drawn[0]}", f"hydra.run.dir={lone}")
    assert result.returncode == 0, result.stderr[-3000:]
    for metric in ("train/loss", "val/loss"):
        assert math.isclose(read_status(lone)["metrics"][metric], unseeded[0]["metrics"][metric], rel_tol=1e-5)


def test_a_resumed_seed_null_run_keeps_the_seed_its_first_session_drew(train_in_process, tmp_path):
    run = tmp_path / "run"
    first = train_in_process(*QUICK, "seed=null", "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert first.returncode == 0, first.stderr[-3000:]
    drawn = read_status(run)["drawn_seed"]
    resumed = train_in_process(*QUICK, "seed=null", "ckpt_path=last", f"hydra.run.dir={run}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "drew seed" not in resumed.stdout + resumed.stderr
    status = read_status(run)
    assert status["drawn_seed"] == drawn and status["status"] == "completed"


@pytest.mark.slow  # two 2-process DDP runs, ~20 s on 2 cores (make test-slow)
def test_a_ddp_run_draws_one_seed_for_its_ranks_and_that_seed_repeats_it(train_in_process, tmp_path):
    ddp = ("trainer=ddp", "trainer.max_epochs=1", "data.train_size=400", "data.val_size=100", "model.net.dropout=0.5",
           "test=false")
    unseeded, seeded = tmp_path / "unseeded", tmp_path / "seeded"
    result = train_in_process(*ddp, "seed=null", f"hydra.run.dir={unseeded}")
    assert result.returncode == 0, result.stderr[-3000:]
    drawn = read_status(unseeded)["drawn_seed"]
    result = train_in_process(*ddp, f"seed={drawn}", f"hydra.run.dir={seeded}")
    assert result.returncode == 0, result.stderr[-3000:]
    # every rank started from the one seed (the same initial weights, each rank's dropout masks from it)
    assert read_status(seeded)["metrics"] == read_status(unseeded)["metrics"]
