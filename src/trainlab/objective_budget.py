"""Whether a sweep's job validates before its budget ends: the count, and the refusal when it does not.

A job of a multirun returns ``optimized_metric`` to the sweeper. When that is a validation metric (``val/acc``,
``eval/test_acc``) and the job's budget ends before Lightning first validates, the job trains to its end for
nothing: ``experiment=compare_optimizers trainer.max_steps=20`` trains four optimizers for 20 steps, and an epoch of
the bundled split at batch 128 is 32 steps. Counted in training batches, from 1:

* the first validation comes after batch ``(check_val_every_n_epoch - 1) * batches_per_epoch + val_check_batch``
  (``val_check_batch``: the epoch's length, or ``trainer.val_check_interval`` - a fraction of it, or a number of
  batches);
* the run stops after ``max_steps`` steps, or ``max_epochs`` epochs of ``batches_per_epoch``, whichever is first.

:func:`check_objective_reached` counts them on a job's config, before anything is written - the preflight for a
basic sweep's jobs (:func:`~trainlab.sweep.first_job.check_first_job`), the stacked launcher for its batch, a search
for its trials -, where the batches per epoch follow from the config: the project's MNIST module
(:func:`~trainlab.data.mnist_splits.training_batches_per_epoch`) and a Trainer whose other settings leave the
count as it is. :class:`~trainlab.callbacks.objective_reach.ObjectiveReachCheck` counts them on the Trainer at the
start of training, for every other job (another data module, DDP, accumulated gradients...): both refuse in the
words of :func:`unreached_objective`.

A search's trials are checked on the config every trial shares (the searched keys at their configured values),
unless the search changes what the count reads (a searched key under ``trainer`` or ``data``): each trial is
checked on its own config then, by the stacked launcher (the search's default) before its batch writes anything, or
by its Trainer at the start of training under another launcher.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.config_keys import override_key
from trainlab.errors import ConfigError
from trainlab.models.metric_names import EVAL_METRIC_NAMES, validation_metric_names
from trainlab.own_targets import MNIST_DATAMODULE
from trainlab.typed_values import typed


def computed_by_validation(name: str | None) -> bool:
    """Whether the metric ``name`` comes out of the validation loop (``val/*``, ``eval/*``, ``val/acc_best``)."""
    return name in (*validation_metric_names(list(EVAL_METRIC_NAMES)), "val/acc_best")


def first_validation_and_last_batch(per_epoch: int, every: int | None, val_check_batch: float,
                                    max_steps: int | None, max_epochs: int | None) -> tuple[float, float]:
    """(the batch after which Lightning first validates, the batch after which the run stops), counted from 1, for
    ``per_epoch`` training batches an epoch, ``check_val_every_n_epoch`` = ``every`` and Lightning's
    ``val_check_batch``, ``max_steps`` and ``max_epochs`` (as the Trainer holds them: < 0 or None for no bound)."""
    first = val_check_batch if every is None else (every - 1) * per_epoch + val_check_batch
    last = math.inf
    if max_steps is not None and max_steps >= 0:
        last = max_steps
    if max_epochs is not None and max_epochs >= 0:
        last = min(last, max_epochs * per_epoch)
    return first, last


def unreached_objective(metric: str, per_epoch: int, every: int | None, val_check_batch: float,
                        max_steps: int | None, max_epochs: int | None, may_be_null: bool = True) -> ConfigError | None:
    """The refusal of a job whose ``metric`` (a validation metric) is never computed before its budget ends (see
    :func:`first_validation_and_last_batch` for the arguments), or None where it is - or where the run never
    validates at all (its end says what is missing). ``may_be_null=False`` for a search, which needs an objective:
    the way out is then the budget alone."""
    first, last = first_validation_and_last_batch(per_epoch, every, val_check_batch, max_steps, max_epochs)
    if first <= last or not math.isfinite(first):
        return None
    when = f"after {first} steps"
    if every is not None and first % per_epoch == 0:
        when += f" (the end of epoch {every} of {per_epoch} steps: trainer.check_val_every_n_epoch={every})"
    steps_bound = max_steps is not None and max_steps == last
    budget = f"trainer.max_steps={max_steps}" if steps_bound else f"trainer.max_epochs={max_epochs}"
    enough = f"trainer.max_steps={first}" if steps_bound else f"trainer.max_epochs={math.ceil(first / per_epoch)}"
    return ConfigError(
        f"optimized_metric={typed(metric)} is computed by validation, which first runs {when}, and {budget} "
        f"stops the run after {int(last)} steps: the sweep would get no objective from it; nothing was trained. "
        f"allowed: a budget of at least {first} steps ({enough})"
        + (", or optimized_metric=null for jobs that return no objective" if may_be_null else ""))


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def val_check_batch(interval: Any, per_epoch: int, every: int | None) -> int | None:
    """Lightning's ``val_check_batch`` for ``trainer.val_check_interval`` (None: 1.0, the epoch's end; a fraction of
    the epoch; a number of batches), or None for a value whose count this module does not follow (a duration)."""
    if interval is None:
        interval = 1.0
    if is_integer(interval):
        return interval if interval >= 1 and (every is None or interval <= per_epoch) else None
    if isinstance(interval, float) and 0 < interval <= 1 and every is not None:
        return max(1, int(per_epoch * interval))
    return None


def overfit_batches_per_epoch(overfit: Any, per_epoch: int) -> int | None:
    """The training batches an epoch has under ``trainer.overfit_batches`` = ``overfit``, as Lightning counts them
    (it sets ``limit_train_batches`` to it): 0 or None all ``per_epoch``, an integer n the first n (at most all), a
    fraction f of (0, 1] ``int(f * per_epoch)``; None for a value this module does not follow (Lightning says what
    is wrong with it). ``debug=overfit`` (one batch an epoch) is counted so before anything is written."""
    if overfit is None or (isinstance(overfit, int | float) and not isinstance(overfit, bool) and overfit == 0):
        return per_epoch
    if is_integer(overfit) and overfit >= 1:
        return min(per_epoch, overfit)
    if isinstance(overfit, float) and 0 < overfit <= 1 and int(per_epoch * overfit) >= 1:
        return int(per_epoch * overfit)
    return None


#: Trainer keys under which an epoch is ``batches_per_epoch`` steps in one process, by the values that keep it so (a
#: config without the key keeps Lightning's default, which does): ``limit_train_batches=1`` is one batch, 1.0 all
#: (``overfit_batches`` changes the count as overfit_batches_per_epoch says: every value passes here)
COUNTED_AS_IS = {
    "accumulate_grad_batches": lambda value: value is None or (is_integer(value) and value == 1),
    "limit_train_batches": lambda value: value is None or (isinstance(value, float) and value == 1.0),
    "overfit_batches": lambda value: True,  # counted by overfit_batches_per_epoch, which gives up where it must
    "fast_dev_run": lambda value: value is None or value is False or (is_integer(value) and value == 0),
    "max_time": lambda value: value is None,
    "devices": lambda value: is_integer(value) and value == 1,
    "num_nodes": lambda value: value is None or (is_integer(value) and value == 1),
}


def trainer_counts_as_is(trainer: DictConfig) -> bool:
    """Whether ``trainer`` (a job's ``trainer`` config) leaves the count of this module as it is: one process, every
    training batch a step, validation not switched off (``limit_val_batches`` > 0)."""
    if not all(keeps(trainer.get(key)) for key, keeps in COUNTED_AS_IS.items() if key in trainer):
        return False
    limit_val = trainer.get("limit_val_batches", 1.0)
    return limit_val is None or (isinstance(limit_val, int | float) and not isinstance(limit_val, bool)
                                 and limit_val > 0)


#: the top-level keys whose values the count reads: a search over one of them gives each trial its own count
COUNTED_GROUPS = ("trainer", "data", "optimized_metric", "ckpt_path", "paths")


def check_objective_reached(task: DictConfig, searched: Collection[str] = (),
                            may_be_null: bool = True) -> None:
    """Refuse (:class:`ConfigError`, see :func:`unreached_objective`) a job's config - its task keys, resolved -
    whose ``optimized_metric`` is a validation metric its budget ends before, where the config tells the count: the
    project's MNIST module, a Trainer that counts as is (:func:`trainer_counts_as_is`), no ``ckpt_path`` (a resumed
    job's objective may come from an earlier session). ``data.source=auto`` without full MNIST where a download may
    fetch it is refused only when neither source would validate in time, in the bundled sample's numbers (the
    source of a machine offline). ``searched``: the keys a search gives each trial - one that the count reads (its
    ``+``/``++``/``~`` prefix aside) leaves the trials to the checks that see each trial's values: the stacked
    launcher (the search's default) checks each batch's trials on their configs before they write anything, the
    Trainer's check at the start of training any other; ``may_be_null=False`` for a search
    (:func:`unreached_objective`)."""
    if any(override_key(key).split(".")[0] in COUNTED_GROUPS for key in searched):
        return
    metric = task.get("optimized_metric")
    trainer, data = task.get("trainer"), task.get("data")
    if (not computed_by_validation(metric) or task.get("ckpt_path") is not None
            or not isinstance(trainer, DictConfig) or not isinstance(data, DictConfig)
            or OmegaConf.select(task, "data._target_") != MNIST_DATAMODULE or not trainer_counts_as_is(trainer)):
        return
    from trainlab.data.mnist_splits import training_batches_per_epoch

    per_source = training_batches_per_epoch(data)
    if not per_source:
        return
    every = trainer.get("check_val_every_n_epoch", 1)
    max_steps, max_epochs = trainer.get("max_steps", -1), trainer.get("max_epochs")
    if not (every is None or is_integer(every)) or not is_integer(max_steps) or not (
            max_epochs is None or is_integer(max_epochs)):
        return
    if max_epochs is None:  # Lightning's default (no Timer callback here: max_time is None)
        max_epochs = 1000 if max_steps == -1 else -1
    refusals = []
    for all_batches in per_source.values():
        per_epoch = overfit_batches_per_epoch(trainer.get("overfit_batches"), all_batches)
        if per_epoch is None:
            return
        check_batch = val_check_batch(trainer.get("val_check_interval"), per_epoch, every)
        if per_epoch < 1 or check_batch is None:
            return
        refusal = unreached_objective(metric, per_epoch, every, check_batch, max_steps, max_epochs, may_be_null)
        if refusal is None:
            return  # a source that validates in time: the job may get its objective
        refusals.append(refusal)
    raise refusals[0]
