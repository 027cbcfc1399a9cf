"""A SIGTERM that arrives while Lightning validates still ends in a checkpoint and an ``interrupted`` status.

Lightning's own SIGTERM handler makes its loops leave between validation batches or right after an epoch, with an
exit of status 0 and nothing saved; the project's interrupt handler stops the run at the next training step instead.
"""

from __future__ import annotations

import os
import signal

import pytest
import torch
from tb_events import load_run

from trainlab.callbacks.graceful_shutdown import TrainingInterrupted, fit_stopped_early
from trainlab.metric_values import metric_number
from trainlab.models.classifier import MLPClassifier
from trainlab.run_status import read_status
from trainlab.stacked.stacked_classifier import StackedClassifier
from trainlab.stacked.train_stack import StackJob, train_stack
from trainlab.train import train

# 8 training steps an epoch, two validation batches (the eval loop checks Lightning's flag between them)
RUN = ["data.train_size=400", "data.val_size=100", "data.eval_batch_size=50", "data.batch_size=50",
       "model.net.hidden_sizes=[32,32]", "trainer.max_epochs=3"]


def sigterm_in_first_validation(module_class, monkeypatch) -> list[int]:
    """Patch ``module_class.validation_step`` to send this process a SIGTERM during the first validation."""
    sent: list[int] = []
    original = module_class.validation_step

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        if not sent:
            sent.append(self.global_step)
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, batch, batch_idx, dataloader_idx)

    monkeypatch.setattr(module_class, "validation_step", validation_step)
    return sent


def test_sigterm_during_validation_saves_at_the_next_training_step(make_cfg, tmp_path, monkeypatch):
    sent = sigterm_in_first_validation(MLPClassifier, monkeypatch)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*RUN))
    assert sent == [8] and stop.value.step == 9  # validation after epoch 0; saved after the next step
    # the process's handlers are the ones before the run (Lightning's teardown put the project's back)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert read_status(tmp_path / "run")["status"] == "interrupted"
    assert torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 9


def test_sigterm_during_a_stacks_validation_saves_every_member(make_cfg, tmp_path, monkeypatch):
    sent = sigterm_in_first_validation(StackedClassifier, monkeypatch)
    dirs = [tmp_path / str(i) for i in range(2)]
    jobs = [StackJob(make_cfg(*RUN, f"seed={i}", output_dir=d), []) for i, d in enumerate(dirs)]
    with pytest.raises(TrainingInterrupted) as stop:
        train_stack(jobs)
    assert sent == [8] and stop.value.step == 9
    for job_dir in dirs:
        assert read_status(job_dir)["status"] == "interrupted"
        assert torch.load(job_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 9


@pytest.mark.parametrize("stacked", [False, True])
def test_ctrl_c_during_the_test_after_training_stops_with_a_checkpoint_and_an_interrupted_status(
        make_cfg, tmp_path, monkeypatch, stacked):
    """Lightning's own handler took Ctrl-C there: exit status 1, no status.json, no resume command."""
    module_class = StackedClassifier if stacked else MLPClassifier
    sent: list[int] = []
    original = module_class.test_step

    def test_step(self, batch, batch_idx, *args):
        if not sent:
            sent.append(self.global_step)
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, batch, batch_idx, *args)

    monkeypatch.setattr(module_class, "test_step", test_step)
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as stop:
        if stacked:
            train_stack([StackJob(make_cfg(*RUN, output_dir=run_dir), [])])
        else:
            train(make_cfg(*RUN))
    assert sent == [24] and stop.value.signum == signal.SIGINT and stop.value.step == 24  # 3 epochs of 8 steps
    assert read_status(run_dir)["status"] == "interrupted"
    assert read_status(run_dir)["error"] == f"SIGINT at step 24; saved {run_dir / 'checkpoints' / 'last.ckpt'}"
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 24
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are put back


def test_a_signal_during_the_last_validation_stops_the_run_before_its_test(make_cfg, tmp_path, monkeypatch):
    """After the last training step no step boundary follows: the flag was dropped at the end of fit and the run
    went on to test and complete, the sweep to its next job."""
    sent: list[int] = []
    original = MLPClassifier.validation_step

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        if self.global_step == 24 and not sent:  # the validation after the third and last epoch
            sent.append(self.global_step)
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, batch, batch_idx, dataloader_idx)

    monkeypatch.setattr(MLPClassifier, "validation_step", validation_step)
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*RUN))
    assert sent == [24] and stop.value.step == 24
    status = read_status(tmp_path / "run")
    assert status["status"] == "interrupted" and "test/acc" not in status["metrics"]


# 8 training steps an epoch, train/loss logged after steps 3, 7, 11 and 15 (every 4th)
LOGGED_EVERY_4 = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[32,32]",
                  "trainer.max_epochs=2", "trainer.log_every_n_steps=4", "model.weight_decay=0.001"]


def step_points(run_dir, tag: str) -> list[tuple[int, float]]:
    """``(step, value)`` of every point of ``tag`` in the run's event files; none when it was never written."""
    run = load_run(run_dir)
    return [(event.step, event.value) for event in run.Scalars(tag)] if tag in run.Tags()["scalars"] else []


@pytest.mark.parametrize("stopped_step", [3, 7, 5])  # a logging step mid-epoch, one that ends the epoch, and not
def test_a_run_stopped_by_a_signal_and_resumed_logs_the_steps_of_an_uninterrupted_run(make_cfg, tmp_path,
                                                                                        stopped_step):
    """The stopped step's logged values (train/loss, and the weight penalty terms) reach the event file and
    status.json before the run stops: its resume does not train that step again, so they were lost - a hole in the
    resumed curve, and ``"metrics": {}`` in an interrupted run's status.json when no step before had logged."""
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    train(make_cfg(*LOGGED_EVERY_4, output_dir=reference_dir))
    killer = f"+callbacks.sigterm={{_target_:sigterm_at_step.SigtermAtStep,step:{stopped_step}}}"
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*LOGGED_EVERY_4, killer, output_dir=run_dir))
    # after the epoch's last batch (step 7) the stop waits for the epoch's end, and saves after the next step
    assert stop.value.step == (stopped_step + 2 if stopped_step == 7 else stopped_step + 1)
    reference_loss = step_points(reference_dir, "train/loss")
    assert [step for step, _ in reference_loss] == [3, 7, 11, 15]
    logged_before_stop = [(step, value) for step, value in reference_loss if step < stop.value.step]
    assert step_points(run_dir, "train/loss") == logged_before_stop
    assert read_status(run_dir)["metrics"]["train/loss"] == metric_number(logged_before_stop[-1][1])

    train(make_cfg(*LOGGED_EVERY_4, "ckpt_path=last", output_dir=run_dir))
    for tag in ("train/loss", "train/weight_penalty", "train/total_loss", "train/acc", "val/acc"):
        assert step_points(run_dir, tag) == step_points(reference_dir, tag), tag
    # a stop saved after the epoch's last batch resumed at the next epoch, skipping the epoch's end: no val/acc of
    # epoch 0, and its train/acc counts ran on into epoch 1's
    assert read_status(run_dir)["metrics"] == read_status(reference_dir)["metrics"]


ACCUMULATING = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[32,32]",
                "trainer.max_epochs=2", "trainer.accumulate_grad_batches=3", "trainer.log_every_n_steps=1"]


@pytest.mark.parametrize("stopped_step", [1, 2])  # mid-epoch; and where the epoch's last, shorter window begins
def test_a_run_stopped_while_it_accumulates_gradients_resumes_to_the_weights_of_a_run_never_stopped(
        make_cfg, tmp_path, stopped_step):
    """A signal at the first batch of an accumulation window stopped the run after that batch: the checkpoint holds
    no gradients, so the resumed run's next optimizer step summed one batch fewer - other weights and metrics than
    the uninterrupted run's. The stop now waits for the batch that steps (8 batches an epoch, 3 per step: steps
    after batches 3, 6 and the epoch's last, 8)."""
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    train(make_cfg(*ACCUMULATING, output_dir=reference_dir))
    # one signal: global_step stays at the step for the window's three batches
    killer = (f"+callbacks.sigterm={{_target_:sigterm_at_step.SigtermOnceAtStep,step:{stopped_step},"
              f"marker:{tmp_path / 'signalled'}}}")
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*ACCUMULATING, killer, output_dir=run_dir))
    # the window the signal came in was finished, then saved; at the epoch's last window, after the epoch's end and
    # the next step
    assert stop.value.step == (stopped_step + 1 if stopped_step == 1 else stopped_step + 2)
    train(make_cfg(*ACCUMULATING, "ckpt_path=last", output_dir=run_dir))
    reference = torch.load(reference_dir / "checkpoints" / "last.ckpt", weights_only=False)
    resumed = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert reference["global_step"] == resumed["global_step"] == 6
    differing = [name for name, tensor in reference["state_dict"].items()
                 if not torch.equal(tensor, resumed["state_dict"][name])]
    assert differing == []
    assert read_status(run_dir)["metrics"] == read_status(reference_dir)["metrics"]
    assert step_points(run_dir, "train/loss") == step_points(reference_dir, "train/loss")


def test_a_stop_before_a_mid_epoch_validation_waits_for_it_and_resumes_with_its_points(make_cfg, tmp_path):
    """``trainer.val_check_interval=4`` (two validations an epoch of 8 batches): a stop saved after batch 4 resumed
    past its validation - no val/acc point at step 3 - as one after the epoch's last batch did."""
    every_4 = [*LOGGED_EVERY_4, "+trainer.val_check_interval=4"]
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    train(make_cfg(*every_4, output_dir=reference_dir))
    killer = "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:3}"
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*every_4, killer, output_dir=run_dir))
    assert stop.value.step == 5  # after the validation that followed step 4, and the next step
    train(make_cfg(*every_4, "ckpt_path=last", output_dir=run_dir))
    assert [step for step, _ in step_points(reference_dir, "val/acc")] == [3, 7, 11, 15]
    for tag in ("val/acc", "val/loss", "train/loss", "train/acc"):
        assert step_points(run_dir, tag) == step_points(reference_dir, tag), tag
    assert read_status(run_dir)["metrics"] == read_status(reference_dir)["metrics"]


def test_a_stop_after_early_stopping_ended_training_resumes_to_the_test_not_to_more_epochs(make_cfg, tmp_path):
    """A signal on the epoch's last batch waits for its validation, where early stopping ends training: the stop is
    saved at fit's end, and the resume trained on (Lightning does not save the stop request) until early stopping
    asked again - 24 steps, where the run never stopped ended at 16."""
    stopping = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[32,32]",
                "trainer.max_epochs=5", "callbacks=early_stopping", "callbacks.early_stopping.patience=1",
                "callbacks.early_stopping.min_delta=1.0"]
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    train(make_cfg(*stopping, output_dir=reference_dir))
    reference = torch.load(reference_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert reference["global_step"] == 16  # stopped early after epoch 2 (the run's budget: 5 epochs)
    killer = "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:15}"
    with pytest.raises(TrainingInterrupted):
        train(make_cfg(*stopping, killer, output_dir=run_dir))
    train(make_cfg(*stopping, "ckpt_path=last", output_dir=run_dir))
    resumed = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert resumed["global_step"] == 16
    assert read_status(run_dir)["status"] == "completed"
    assert read_status(run_dir)["metrics"] == read_status(reference_dir)["metrics"]
    # the record is the stop's checkpoint's alone (an epoch's checkpoint keeps none), and holds for the budget the
    # run had: resumed with a larger one, the run trains on (as Lightning resumes a completed run)
    assert not fit_stopped_early(reference, (5, -1))
    assert fit_stopped_early(resumed, (5, -1)) and not fit_stopped_early(resumed, (8, -1))
    train(make_cfg(*stopping[:-4], "trainer.max_epochs=8", *stopping[-3:], "ckpt_path=last", output_dir=run_dir))
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] > 16


def test_a_resumed_run_whose_last_session_logs_no_step_reports_the_values_of_a_run_never_stopped(make_cfg, tmp_path):
    """train/loss is logged at steps 4, 9 and 14 of 16; stopped after step 14, the resumed session trains step 15
    alone and logs no train/loss: its status.json lacked it (and summary.md a cell), and its wall time was the
    last session's alone."""
    every_5 = [*LOGGED_EVERY_4[:-2], "trainer.log_every_n_steps=5", LOGGED_EVERY_4[-1]]
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    train(make_cfg(*every_5, output_dir=reference_dir))
    killer = "+callbacks.sigterm={_target_:sigterm_at_step.SigtermAtStep,step:14}"
    with pytest.raises(TrainingInterrupted):
        train(make_cfg(*every_5, killer, output_dir=run_dir))
    first_session = read_status(run_dir)["wall_time_s"]
    train(make_cfg(*every_5, "ckpt_path=last", output_dir=run_dir))
    resumed, reference = read_status(run_dir), read_status(reference_dir)
    assert resumed["status"] == "completed"
    assert resumed["metrics"] == reference["metrics"]
    assert resumed["wall_time_s"] > first_session


def test_a_completed_run_resumed_with_a_larger_budget_reports_no_earlier_test_metrics(make_cfg, tmp_path):
    """The earlier session's test/acc, of the model 10 steps before, stood beside this session's val/acc and became
    the objective (optimized_metric=test/acc) of a resumed run with test=false."""
    run_dir = tmp_path / "run"
    train(make_cfg("debug=limit", "trainer.max_steps=5", output_dir=run_dir))
    assert "test/acc" in read_status(run_dir)["metrics"]
    train(make_cfg("debug=limit", "trainer.max_steps=10", "test=false", "ckpt_path=last", "optimized_metric=null",
                   output_dir=run_dir))
    assert "test/acc" not in read_status(run_dir)["metrics"]


def sigint_in_hook(module_class, hook: str, monkeypatch, at_batch: int | None = None) -> list[int]:
    """Patch ``module_class``'s ``hook`` (``test_step``: at test batch ``at_batch``) to send this process a SIGINT
    once. The module's ``on_fit_end`` / ``on_test_end`` run after the callbacks' - after the interrupt callback's
    last check of fit or of the test, where its handlers were put back (Python's own answered: a
    KeyboardInterrupt that Lightning turned into exit status 1, no status.json, no resume command)."""
    sent: list[int] = []
    original = getattr(module_class, hook)

    def patched(self, *args, **kwargs):
        if not sent and (at_batch is None or args[1] == at_batch):
            sent.append(self.global_step)
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(module_class, hook, patched)
    return sent


@pytest.mark.parametrize("hook", ["on_fit_end", "on_test_end"])
def test_a_signal_after_fit_or_after_the_test_stops_the_run_with_a_checkpoint_and_an_interrupted_status(
        make_cfg, tmp_path, monkeypatch, hook):
    """Between fit's end and the test's start, and after the test's last batch, until status.json is written."""
    sent = sigint_in_hook(MLPClassifier, hook, monkeypatch)
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as stop:
        train(make_cfg(*RUN))
    assert sent == [24] and stop.value.signum == signal.SIGINT and stop.value.step == 24
    status = read_status(run_dir)
    assert status["status"] == "interrupted" and status["objective"] is None
    assert status["error"] == f"SIGINT at step 24; saved {run_dir / 'checkpoints' / 'last.ckpt'}"
    assert "val/acc" in status["metrics"]
    assert ("test/acc" in status["metrics"]) == (hook == "on_test_end")  # a test that ran to its end is recorded
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 24
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are put back


# 10 test batches of 10 images: a stop after the 4th (batch_idx 3)
TESTED_IN_10 = [*RUN, "+trainer.limit_test_batches=10", "data.eval_batch_size=10"]


@pytest.mark.parametrize("hook, at_batch", [("on_fit_end", None), ("test_step", 3)])
def test_a_run_interrupted_after_its_budget_and_resumed_records_the_metrics_of_an_uninterrupted_run(
        make_cfg, tmp_path, monkeypatch, hook, at_batch):
    """The checkpoint saved during the test held the test metrics' partial states (they are persistent): the resume
    tested again from the first batch on top of them (test/acc=0.4721 of 500 images). And it trained nothing, so
    it logged no val/*: its status.json had no val/acc and objective null (a sweep's resume exited 2)."""
    reference_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    reference_objective = train(make_cfg(*TESTED_IN_10, output_dir=reference_dir))
    sent = sigint_in_hook(MLPClassifier, hook, monkeypatch, at_batch)
    with pytest.raises(TrainingInterrupted):
        train(make_cfg(*TESTED_IN_10, output_dir=run_dir))
    assert sent == [24]
    resumed_objective = train(make_cfg(*TESTED_IN_10, "ckpt_path=last", output_dir=run_dir))
    resumed, reference = read_status(run_dir), read_status(reference_dir)
    assert resumed["status"] == "completed"
    assert resumed["metrics"] == reference["metrics"]
    assert round(resumed["metrics"]["test/acc"] * 100, 4) == round(resumed["metrics"]["test/acc"] * 100)  # of 100
    assert resumed["objective"] == reference["objective"] == resumed["metrics"]["val/acc"]
    assert resumed_objective == reference_objective
