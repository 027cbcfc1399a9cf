"""The values of the callbacks' arguments and the ``mode`` of what watches a metric, checked before anything is
written (trainlab.config_validation: check_callback_values, check_monitor_directions)."""

from __future__ import annotations

import pytest

from trainlab.config_validation import validate_config
from trainlab.errors import ConfigError

ES = "callbacks=early_stopping"

WRONG_DIRECTIONS = [
    # early stopping on a loss kept as the highest: stopped after `patience` epochs while the loss kept falling
    (f"{ES} callbacks.early_stopping.monitor=val/loss",
     "callbacks.early_stopping.mode=max counts a higher val/loss as better, and val/loss is a loss (lower is better); "
     "allowed: callbacks.early_stopping.mode=min, or callbacks.early_stopping.monitor=val/acc to maximise with "
     "callbacks.early_stopping.mode=max"),
    # the best checkpoint of a loss with the default mode max: the worst epoch kept
    ("callbacks.model_checkpoint.monitor=val/loss callbacks.model_checkpoint.save_top_k=1",
     "callbacks.model_checkpoint.mode=max counts a higher val/loss as better, and val/loss is a loss (lower is "
     "better); allowed: callbacks.model_checkpoint.mode=min, or callbacks.model_checkpoint.monitor=val/acc to "
     "maximise with callbacks.model_checkpoint.mode=max"),
    (f"{ES} callbacks.early_stopping.mode=min",
     "callbacks.early_stopping.mode=min counts a lower val/acc as better, and val/acc is an accuracy (higher is "
     "better); allowed: callbacks.early_stopping.mode=max, or callbacks.early_stopping.monitor=val/loss to minimise "
     "with callbacks.early_stopping.mode=min"),
    # a plateau schedule on an accuracy with plateau.yaml's mode: min cut the lr while the accuracy rose
    ("scheduler=plateau model.scheduler_monitor=val/acc",
     "scheduler.mode=min counts a lower val/acc as better, and val/acc is an accuracy (higher is better); allowed: "
     "scheduler.mode=max, or model.scheduler_monitor=val/loss to minimise with scheduler.mode=min"),
    ("scheduler=plateau model.scheduler_monitor=val/acc ~scheduler.mode",
     "scheduler.mode=min (ReduceLROnPlateau's default) counts a lower val/acc as better"),
    (f"{ES} ~callbacks.early_stopping.mode",
     "callbacks.early_stopping.mode=min (EarlyStopping's default) counts a lower val/acc as better"),
    (f"{ES} data.eval_splits=[val,train] callbacks.early_stopping.monitor=eval/train_loss",
     "callbacks.early_stopping.mode=max counts a higher eval/train_loss as better, and eval/train_loss is a loss "
     "(lower is better); allowed: callbacks.early_stopping.mode=min, or "
     "callbacks.early_stopping.monitor=eval/train_acc to maximise"),
    (f"{ES} model.weight_decay=0.1 callbacks.early_stopping.monitor=train/total_loss",
     "callbacks.early_stopping.mode=max counts a higher train/total_loss as better, and train/total_loss is a loss "
     "(lower is better); allowed: callbacks.early_stopping.mode=min, or a metric to maximise as "
     "callbacks.early_stopping.monitor"),
    # an entry of one's own, under another import path of Lightning's class
    ("+callbacks.stop={_target_:lightning.pytorch.callbacks.early_stopping.EarlyStopping,monitor:val/loss,mode:max}",
     "callbacks.stop.mode=max counts a higher val/loss as better"),
]

BAD_ARGUMENTS = [
    # a TypeError at the first validation (exit 0 while val/acc kept improving), a traceback from rich_progress,
    # and -1 taken silently
    (f"{ES} callbacks.early_stopping.patience=abc",
     "callbacks.early_stopping.patience='abc' is invalid; allowed: an integer >= 0"),
    (f"{ES} callbacks.early_stopping.patience=-1",
     "callbacks.early_stopping.patience=-1 is invalid; allowed: an integer >= 0"),
    (f"{ES} callbacks.early_stopping.patience=2.5",
     "callbacks.early_stopping.patience=2.5 is invalid; allowed: an integer >= 0"),
    (f"{ES} callbacks.early_stopping.min_delta=abc",
     "callbacks.early_stopping.min_delta='abc' is invalid; allowed: a finite number >= 0.0"),
    (f"{ES} callbacks.early_stopping.min_delta=-0.1",
     "callbacks.early_stopping.min_delta=-0.1 is invalid; allowed: a finite number >= 0.0"),
    ("callbacks.progress_bar.refresh_rate=abc",
     "callbacks.progress_bar.refresh_rate='abc' is invalid; allowed: an integer >= 0"),
    ("callbacks.progress_bar.refresh_rate=-1",
     "callbacks.progress_bar.refresh_rate=-1 is invalid; allowed: an integer >= 0"),
    ("callbacks.model_checkpoint.save_top_k=abc",
     "callbacks.model_checkpoint.save_top_k='abc' is invalid; allowed: an integer >= -1"),
    ("callbacks.divergence_guard.check_every_n_steps=abc",
     "callbacks.divergence_guard.check_every_n_steps='abc' is invalid; allowed: an integer >= 1 or null"),
    ("callbacks.divergence_guard.check_every_n_steps=0",  # was the constructor's, after Lightning's import
     "callbacks.divergence_guard.check_every_n_steps=0 is invalid; allowed: an integer >= 1 or null"),
    ("callbacks=histograms callbacks.activation_histograms.every_n_steps=abc",
     "callbacks.activation_histograms.every_n_steps='abc' is invalid; allowed: an integer >= 1"),
]


@pytest.mark.parametrize("overrides,message", WRONG_DIRECTIONS + BAD_ARGUMENTS,
                         ids=[o for o, _ in WRONG_DIRECTIONS + BAD_ARGUMENTS])
def test_a_callback_value_or_mode_that_cannot_work_is_refused_naming_the_key(overrides, message, make_cfg):
    with pytest.raises(ConfigError) as error:
        validate_config(make_cfg(*overrides.split()))
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("overrides", [
    ES,  # val/acc, mode max
    f"{ES} callbacks.early_stopping.monitor=val/loss callbacks.early_stopping.mode=min",
    f"{ES} callbacks.early_stopping.patience=0 callbacks.early_stopping.min_delta=0.01",
    f"{ES} callbacks.early_stopping.monitor=val/acc_best",
    "callbacks.model_checkpoint.monitor=val/acc callbacks.model_checkpoint.save_top_k=1",
    "callbacks.model_checkpoint.monitor=val/loss callbacks.model_checkpoint.mode=min",
    "scheduler=plateau",  # val/loss, mode min
    "scheduler=plateau model.scheduler_monitor=val/acc scheduler.mode=max",
    "scheduler=step callbacks.model_checkpoint.monitor=train/lr",  # a name of unknown direction: the user's call
    "scheduler=step callbacks.model_checkpoint.monitor=train/lr callbacks.model_checkpoint.mode=min",
    "callbacks.progress_bar.refresh_rate=0",  # Lightning's way to hide the bar
    "callbacks.divergence_guard.check_every_n_steps=null",
], ids=lambda overrides: overrides)
def test_callback_values_and_modes_that_fit_pass(overrides, make_cfg):
    validate_config(make_cfg(*overrides.split()))


def test_a_wrongly_typed_callback_argument_exits_2_before_anything_is_written(train_in_process, tmp_path):
    """It was a TypeError at the first validation: a traceback, exit status 1, a run directory left behind."""
    result = train_in_process("debug=limit", ES, "callbacks.early_stopping.patience=abc")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: callbacks.early_stopping.patience='abc' is invalid; allowed: an integer >= 0"], result.stderr
    assert not (tmp_path / "outputs").exists()


def test_a_loss_kept_as_the_highest_exits_2_before_anything_is_written(train_in_process, tmp_path):
    result = train_in_process("debug=limit", ES, "callbacks.early_stopping.monitor=val/loss")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: callbacks.early_stopping.mode=max counts a higher val/loss as better")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(("overrides", "message"), [
    ([ES, "callbacks.early_stopping.patience=3,abc"],
     "error: callbacks.early_stopping.patience='abc' is invalid; allowed: an integer >= 0"),
    (["callbacks.progress_bar.refresh_rate=4,-1"],
     "error: callbacks.progress_bar.refresh_rate=-1 is invalid; allowed: an integer >= 0"),
], ids=["patience", "refresh-rate"])
def test_a_swept_callback_value_is_checked_before_the_sweep_starts(train_in_process, tmp_path, overrides, message):
    """Each swept value of a callback's argument, as of the keys with a rule, before any job's directory is made."""
    result = train_in_process("-m", "debug=limit", *overrides)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message], result.stderr
    assert not (tmp_path / "outputs").exists()
