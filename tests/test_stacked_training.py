"""A stack's members end as their lone runs end: weights, optimizer state, metrics, TensorBoard tags and status.

Each test trains a few members as one stack (:func:`trainlab.stacked.train_stack.train_stack`, in-process) and
the same configs one by one with :func:`trainlab.train.train`, then compares what each wrote.
"""

from __future__ import annotations

import math
import os
import signal
import warnings

import numpy as np
import pytest
import torch
from tb_events import load_run

from trainlab.callbacks.divergence_guard import RunDiverged
from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
from trainlab.errors import ConfigError
from trainlab.run_status import read_status
from trainlab.stacked.stacked_classifier import StackedClassifier
from trainlab.stacked.train_stack import StackJob, train_stack
from trainlab.train import train

# 400 training images in batches of 50: 8 steps an epoch, 3 epochs; a narrow net keeps it quick
BASE = ["trainer.max_steps=24", "trainer.max_epochs=-1", "data.train_size=400", "data.val_size=100",
        "data.batch_size=50", "model.net.hidden_sizes=[32,32]", "trainer.log_every_n_steps=4"]


def train_stack_and_alone(make_cfg, tmp_path, members: list[list[str]], shared: list[str] = ()):
    """Train ``members`` (overrides each) as one stack and one by one; returns their job dirs (stack, lone)."""
    stack_dirs = [tmp_path / "stack" / str(i) for i in range(len(members))]
    lone_dirs = [tmp_path / "lone" / str(i) for i in range(len(members))]
    jobs = [StackJob(make_cfg(*BASE, *shared, *member, output_dir=d), list(member))
            for member, d in zip(members, stack_dirs, strict=True)]
    stack_objectives = train_stack(jobs)
    lone_objectives = [train_alone(make_cfg(*BASE, *shared, *member, output_dir=d))
                       for member, d in zip(members, lone_dirs, strict=True)]
    return stack_dirs, lone_dirs, stack_objectives, lone_objectives


def train_alone(cfg):
    """A lone run's objective; a diverged single run raises (exit status 3), a sweep job gets objective_on_failure."""
    try:
        return train(cfg)
    except RunDiverged:
        return cfg.objective_on_failure


def status(job_dir):
    return read_status(job_dir)


def assert_same_run(stack_dir, lone_dir, atol=2e-5, weights_atol=1e-4, epoch_state=True):
    """Same status, metrics, TensorBoard scalars (tags, steps, values) and checkpoint as the lone run;
    ``epoch_state=False`` leaves out the checkpoint's loop progress and epoch counters (a diverged member saves inside
    the step that diverged, its lone run after the epoch it ended; each checkpoint agrees with itself)."""
    got, expected = status(stack_dir), status(lone_dir)
    assert got["status"] == expected["status"]
    assert got["metrics"].keys() == expected["metrics"].keys()
    for name, value in expected["metrics"].items():
        assert math.isclose(got["metrics"][name], value, rel_tol=1e-4, abs_tol=atol) or (
            math.isnan(value) and math.isnan(got["metrics"][name])), name
    stacked_run, lone_run = load_run(stack_dir), load_run(lone_dir)
    assert stacked_run.Tags()["scalars"] and set(stacked_run.Tags()["scalars"]) == set(lone_run.Tags()["scalars"])
    for tag in lone_run.Tags()["scalars"]:
        got_events, expected_events = stacked_run.Scalars(tag), lone_run.Scalars(tag)
        if tag == "epoch":  # Lightning writes the epoch once per logging call; the set of (step, epoch) matters
            assert {(e.step, e.value) for e in got_events} == {(e.step, e.value) for e in expected_events}
            continue
        assert [e.step for e in got_events] == [e.step for e in expected_events], tag
        for a, b in zip(got_events, expected_events, strict=True):
            assert math.isclose(a.value, b.value, rel_tol=1e-4, abs_tol=atol) or math.isnan(b.value), (tag, a, b)
    got_ckpt, expected_ckpt = (torch.load(d / "checkpoints" / "last.ckpt", weights_only=False)
                               for d in (stack_dir, lone_dir))
    assert got_ckpt.keys() == expected_ckpt.keys()
    assert got_ckpt["trainlab"]["data_source"] == expected_ckpt["trainlab"]["data_source"] == "bundled"
    # the whole provenance entry as the lone run's (its processes too: a resume on 2 DDP processes is refused)
    assert got_ckpt["trainlab"]["processes"] == 1
    assert ({key: value for key, value in got_ckpt["trainlab"].items() if key not in ("run_dir", "overrides")}
            == {key: value for key, value in expected_ckpt["trainlab"].items() if key not in ("run_dir", "overrides")})
    assert (got_ckpt["epoch"], got_ckpt["global_step"]) == (expected_ckpt["epoch"], expected_ckpt["global_step"])
    assert got_ckpt["loops"] == expected_ckpt["loops"] or not epoch_state
    assert got_ckpt["state_dict"].keys() == expected_ckpt["state_dict"].keys()
    for name, tensor in expected_ckpt["state_dict"].items():
        if not epoch_state and name in ("train_correct", "train_seen"):
            continue
        # The stack's batched matmuls round differently from the lone run's; after 24 steps a few of the 25k
        # first-layer weights differ by up to ~5e-5 on some CPUs' kernels (AMD EPYC, MKL), far below what a wrong
        # per-member hyper-parameter moves (> 1e-2)
        torch.testing.assert_close(got_ckpt["state_dict"][name], tensor, rtol=1e-4, atol=max(atol, weights_atol),
                                   equal_nan=True, msg=lambda m, name=name: f"{name}: {m}")  # NaN: a diverged run
    got_opt, expected_opt = got_ckpt["optimizer_states"][0], expected_ckpt["optimizer_states"][0]
    assert got_opt["param_groups"] == expected_opt["param_groups"]
    for index, state in expected_opt["state"].items():
        for name, value in state.items():
            torch.testing.assert_close(torch.as_tensor(got_opt["state"][index][name]), torch.as_tensor(value),
                                       rtol=1e-4, atol=atol, equal_nan=True)


def test_every_optimizer_and_initializer_trains_in_a_stack_as_alone(make_cfg, tmp_path):
    members = [["optimizer=sgd", "init=he"],
               ["optimizer=momentum", "init=xavier", "seed=1", "model.weight_decay=0.01"],
               ["optimizer=nesterov", "init=glorot"],
               ["optimizer=adagrad", "init=normal", "init.std=0.1"],
               # lr 0.001, not RMSProp's 0.01: with v starting at 0 its steps are ~10·lr·sign(g) for a while, and at
               # 0.01 (0.1 a step on weights of ~0.04) the run is chaotic - on an AMD EPYC the stack's 1e-9 gradient
               # rounding differences (bmm against mm) ended it at val/acc 0.54 against the lone 0.46
               ["optimizer=rmsprop", "init=default", "optimizer.foreach=false", "optimizer.lr=0.001"],
               ["optimizer=adam", "optimizer.lr=0.003", "model.weight_decay=0.1", "seed=5"],
               ["optimizer=sgd", "optimizer.lr=0.1", "init=zeros"],
               ["optimizer=torch_adam", "init=he"]]
    stack_dirs, lone_dirs, stacked, alone = train_stack_and_alone(make_cfg, tmp_path, members)
    assert stacked == pytest.approx(alone, abs=1e-6)  # the objectives returned to the sweeper (val/acc)
    for member, stack_dir, lone_dir in zip(members, stack_dirs, lone_dirs, strict=True):
        # RMSProp's first steps are sign-like (v starts at 0: lr·g/√(0.01·g²) = 10·lr·sign(g)), so a weight whose
        # gradient is rounding noise takes a full step either way; on some CPUs one such weight ends 3e-4 apart
        assert_same_run(stack_dir, lone_dir, weights_atol=1e-3 if "optimizer=rmsprop" in member else 1e-4)
    assert status(stack_dirs[5])["metrics"]["train/weight_penalty"] > 0  # λ > 0 members log the penalty
    for job_dir in [*stack_dirs, *lone_dirs]:  # float32 metrics without the digits widening them to float64 adds
        metrics = status(job_dir)["metrics"]
        assert all(float(str(np.float32(value))) == value for value in metrics.values()), metrics


@pytest.mark.parametrize("batch_norm", ["custom", "torch"])
@pytest.mark.slow  # ~4 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_batch_norm_members_keep_their_own_statistics(make_cfg, tmp_path, batch_norm):
    members = [["init.std=1.0"], ["init.std=0.1"], ["init.std=0.01", "model.net.dropout=0.0"]]
    shared = ["init=normal", f"model.net.batch_norm={batch_norm}", "data.eval_splits=[val,train]"]
    stack_dirs, lone_dirs, _, _ = train_stack_and_alone(make_cfg, tmp_path, members, shared)
    for stack_dir, lone_dir in zip(stack_dirs, lone_dirs, strict=True):
        assert_same_run(stack_dir, lone_dir)
    assert "eval/train_acc" in status(stack_dirs[0])["metrics"]


@pytest.mark.parametrize("members", [
    [["optimizer=adam"], ["optimizer=adam", "optimizer.lr=0.01", "model.weight_decay=0.05"]],
    # AdaGrad at lr 0.1 and its default 0.01 with the default He init: its first steps are lr·g/(|g| + ε), so a
    # weight whose gradient nearly cancels (|g| ~ 1e-7, 2-10 % float32 rounding) moves by up to ~2 % of lr more or
    # less than alone, and some runs grow that into other curves in float32 (docs/stacked-sweeps.md, "Same numbers as
    # alone"); in float64 the members' own lr, h = Σg² and λ must give the lone numbers
    [["optimizer=adagrad", "optimizer.lr=0.1"], ["optimizer=adagrad", "model.weight_decay=0.05"]],
], ids=["adam", "adagrad"])
def test_float64_members_match_their_lone_runs_tightly(make_cfg, tmp_path, members):
    stack_dirs, lone_dirs, _, _ = train_stack_and_alone(make_cfg, tmp_path, members, ["trainer.precision=64-true"])
    for stack_dir, lone_dir in zip(stack_dirs, lone_dirs, strict=True):
        got = torch.load(stack_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        expected = torch.load(lone_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        assert got["net.0.weight"].dtype == torch.float64
        for name, tensor in expected.items():
            torch.testing.assert_close(got[name], tensor, rtol=0, atol=1e-12, msg=name)
        # and the metrics they log, the weight penalty's λ included (it was float32(λ): 2e-8 off)
        got_metrics, expected_metrics = status(stack_dir)["metrics"], status(lone_dir)["metrics"]
        assert got_metrics.keys() == expected_metrics.keys()
        for name, value in expected_metrics.items():
            assert math.isclose(got_metrics[name], value, rel_tol=1e-11, abs_tol=1e-13), (name, got_metrics[name],
                                                                                          value)
    assert "train/weight_penalty" in status(stack_dirs[1])["metrics"]


@pytest.mark.gpu
def test_a_stack_on_the_gpu_trains_as_its_members_alone_on_the_gpu(make_cfg, tmp_path):
    # Mixed optimizers and the custom BatchNorm, every member's tensors on the GPU (trainer=gpu); cuBLAS's batched
    # and single matmuls round differently, hence the looser tolerances than on the CPU
    members = [["optimizer=sgd"], ["optimizer=adam", "optimizer.lr=0.003"],
               ["optimizer=momentum", "init=xavier", "seed=1", "model.weight_decay=0.01"]]
    shared = ["trainer=gpu", "model.net.batch_norm=custom"]
    stack_dirs, lone_dirs, stacked, alone = train_stack_and_alone(make_cfg, tmp_path, members, shared)
    assert stacked == pytest.approx(alone, abs=0.011)  # val/acc on 100 images: one image apart at most
    for stack_dir, lone_dir in zip(stack_dirs, lone_dirs, strict=True):
        assert_same_run(stack_dir, lone_dir, atol=1e-3, weights_atol=1e-3)
        assert torch.load(stack_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"][
            "net.0.weight"].shape == (32, 784)


@pytest.mark.parametrize("shared", [
    pytest.param([], id="in_epoch"),  # ~3 s on 2 cores: the fast suite keeps one case, make test-slow the others
    pytest.param(["callbacks.divergence_guard.check_every_n_steps=100"], id="at_epoch_end", marks=pytest.mark.slow),
    pytest.param(["data.eval_splits=[train,val,test]"], id="eval_splits", marks=pytest.mark.slow),
    pytest.param(["trainer.check_val_every_n_epoch=2", "data.eval_splits=[val,test]"], id="no_validation_that_epoch",
                 marks=pytest.mark.slow),
])
def test_a_diverging_member_is_frozen_and_recorded_while_the_others_go_on(make_cfg, tmp_path, shared):
    members = [["optimizer.lr=0.01"], ["optimizer.lr=1e12"], ["optimizer.lr=0.05"]]
    stack_dirs, lone_dirs, stacked, alone = train_stack_and_alone(make_cfg, tmp_path, members, shared)
    assert [status(d)["status"] for d in stack_dirs] == ["completed", "diverged", "completed"]
    assert stacked[1] == 0.0 == alone[1]  # objective_on_failure
    assert math.isnan(status(stack_dirs[1])["metrics"]["train/loss"])
    assert "test/acc" not in status(stack_dirs[1])["metrics"]  # a diverged run is not tested
    for index in (0, 2):
        assert_same_run(stack_dirs[index], lone_dirs[index])
    # frozen at the first check that saw the NaN - where the lone run's guard saw it and stopped - with what the
    # lone run recorded after stopping: its validation then and the epoch's train/acc (they were missing), and its
    # HPARAMS metric scalars at that step, not at the stack's last one
    assert_same_run(stack_dirs[1], lone_dirs[1], epoch_state=False)
    recorded = status(stack_dirs[1])["metrics"].keys()
    assert "train/acc" in recorded and ("val/acc" in recorded) == ("trainer.check_val_every_n_epoch=2" not in shared)
    assert load_run(stack_dirs[0]).Scalars("~hparams/status")[0].step > \
        load_run(stack_dirs[1]).Scalars("~hparams/status")[0].step


def test_a_stack_whose_members_all_diverge_stops_at_that_step_as_a_lone_run_does(make_cfg, tmp_path, monkeypatch):
    """trainer.min_epochs=1 kept the stack training its frozen members to the end of the first epoch (8 steps)."""
    stopped_at = []
    on_train_end = StackedClassifier.on_train_end
    monkeypatch.setattr(StackedClassifier, "on_train_end",
                        lambda self: (stopped_at.append(self.global_step), on_train_end(self))[1])
    dirs = [tmp_path / "0", tmp_path / "1"]
    jobs = [StackJob(make_cfg(*BASE, f"optimizer.lr={lr}", "trainer.min_epochs=1", output_dir=d), [])
            for lr, d in zip((1e12, 2e12), dirs, strict=True)]
    train_stack(jobs)
    assert [status(d)["status"] for d in dirs] == ["diverged", "diverged"]
    diverged_at = max(load_run(d).Scalars("~hparams/status")[0].step for d in dirs)  # the step the check saw the NaN
    assert stopped_at == [diverged_at] and diverged_at < 8  # the stack's steps: within the first epoch


def test_a_member_that_completed_before_is_skipped_on_resume_sweep(make_cfg, tmp_path):
    dirs = [tmp_path / "0", tmp_path / "1"]
    jobs = [StackJob(make_cfg(*BASE, f"optimizer.lr={lr}", "resume_sweep=true", output_dir=d), [])
            for lr, d in zip((0.01, 0.02), dirs, strict=True)]
    first = train_stack(jobs)
    before = (dirs[0] / "status.json").read_bytes()
    (dirs[1] / "status.json").unlink()  # as if the second member had been stopped
    again = train_stack(jobs)
    assert again == pytest.approx(first)
    assert (dirs[0] / "status.json").read_bytes() == before
    assert (dirs[1] / "attempts" / "0" / "checkpoints" / "last.ckpt").is_file()  # the earlier attempt is kept


def test_without_the_divergence_guard_a_member_whose_loss_is_nan_is_diverged_and_not_tested(make_cfg, tmp_path):
    members = [["optimizer.lr=0.01"], ["optimizer.lr=1e12"]]
    stack_dirs, lone_dirs, _, _ = train_stack_and_alone(make_cfg, tmp_path, members,
                                                        shared=["callbacks.divergence_guard=null"])
    for stack_dir, lone_dir in zip(stack_dirs, lone_dirs, strict=True):
        assert status(stack_dir)["status"] == status(lone_dir)["status"]
    assert status(stack_dirs[1])["status"] == "diverged"
    assert "test/acc" not in status(stack_dirs[1])["metrics"]  # the lone run skips test after a NaN loss too
    assert "test/acc" in status(stack_dirs[0])["metrics"]


def test_an_interrupt_keeps_a_diverged_members_checkpoint_of_its_divergence(make_cfg, tmp_path, monkeypatch):
    dirs = [tmp_path / str(i) for i in range(2)]
    jobs = [StackJob(make_cfg(*BASE, f"optimizer.lr={lr}", output_dir=d), []) for lr, d in
            zip((0.01, 1e12), dirs, strict=True)]

    def sigterm_at_step_20(self, batch, batch_idx):
        if self.global_step == 20:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(StackedClassifier, "on_train_batch_start", sigterm_at_step_20, raising=False)
    with pytest.raises(TrainingInterrupted):
        train_stack(jobs)
    assert [status(d)["status"] for d in dirs] == ["interrupted", "diverged"]
    steps = [torch.load(d / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] for d in dirs]
    assert steps[0] == 21  # saved at the interrupt
    assert steps[1] < 20  # still the checkpoint taken where it diverged


def test_an_optimizer_argument_its_class_rejects_stops_the_stack_with_a_config_error(make_cfg, tmp_path):
    jobs = [StackJob(make_cfg(*BASE, "optimizer=torch_sgd", "optimizer.nesterov=true", f"optimizer.lr={lr}",
                              output_dir=tmp_path / str(lr)), []) for lr in (0.1, 0.2)]
    with pytest.raises(ConfigError, match=r"^optimizer is invalid; torch.optim.SGD raised ValueError: Nesterov"):
        train_stack(jobs)


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_stack_with_dropout_is_reproducible_and_leaves_a_member_without_dropout_as_alone(make_cfg, tmp_path):
    members = [["model.net.dropout=0.0"], ["model.net.dropout=0.2"]]
    stack_dirs, lone_dirs, stacked, _ = train_stack_and_alone(make_cfg, tmp_path, members)
    assert_same_run(stack_dirs[0], lone_dirs[0])  # masks of ones: exactly the lone run's arithmetic
    assert status(stack_dirs[1])["status"] == "completed" and 0 < stacked[1] <= 1
    again = [tmp_path / "again" / str(i) for i in range(2)]
    objectives = train_stack([StackJob(make_cfg(*BASE, *member, output_dir=d), list(member))
                              for member, d in zip(members, again, strict=True)])
    assert objectives == stacked  # the same masks run to run
    losses = [[e.value for e in load_run(d).Scalars("train/loss")] for d in (stack_dirs[1], again[1])]
    assert losses[0] == losses[1]
    lone_losses = [e.value for e in load_run(lone_dirs[1]).Scalars("train/loss")]
    assert losses[0] != lone_losses  # other masks than the lone run's (documented)


def test_a_stack_warns_of_a_logging_interval_longer_than_an_epoch_as_its_lone_runs_do(make_cfg, tmp_path):
    """Lightning warns a lone run whose epoch has fewer batches than trainer.log_every_n_steps (its train/loss curve
    has no point inside an epoch); it asks the Trainer's loggers, and the stack's Trainer has none of its own."""
    shared = ["trainer.log_every_n_steps=10"]  # 8 batches an epoch
    with pytest.warns(UserWarning) as lone:
        train(make_cfg(*BASE, *shared, output_dir=tmp_path / "lone"))
    with pytest.warns(UserWarning) as stacked:
        train_stack([StackJob(make_cfg(*BASE, *shared, f"seed={seed}", output_dir=tmp_path / str(seed)),
                              [f"seed={seed}"]) for seed in (1, 2)])
    said = "The number of training batches (8) is smaller than the logging interval Trainer(log_every_n_steps=10)"
    assert [str(w.message) for w in lone if said in str(w.message)]
    assert len([w for w in stacked if said in str(w.message)]) == 1  # once for the stack
    with pytest.warns(UserWarning) as shorter:  # none where the interval fits in an epoch (BASE: every 4 steps)
        train_stack([StackJob(make_cfg(*BASE, f"seed={seed}", output_dir=tmp_path / f"s{seed}"), [f"seed={seed}"])
                     for seed in (1, 2)])
        warnings.warn("a warning to catch", UserWarning, stacklevel=1)
    assert not [w for w in shorter if "logging interval" in str(w.message)]
