"""How many epochs a checkpoint has trained, read from Lightning's loop state, and the two checkpoints whose count
Lightning reads wrongly on resume.

Lightning's fit loop counts an epoch as *processed* once its batch loop returns, whether the loop ran every batch
or stopped at ``trainer.max_steps`` part-way, and ``last.ckpt`` is saved in ``on_train_epoch_end``, after that count
and before the epoch is counted *completed*. Resumed with a larger budget, Lightning took such an epoch for finished:
it set the data loader to the next epoch's permutation, so the rest of the stopped epoch was never trained and
every later epoch ran one permutation ahead - ``max_steps=150`` extended to ``250`` ended with other weights than
``max_steps=250`` in one go (val/acc 0.738 against 0.776, 100 batches an epoch). :func:`correct_epoch_counts` takes
the count back in a checkpoint being loaded, so the run goes on with the stopped epoch's next batch, as it does after
an interrupt mid-epoch; :func:`trained_epochs` reads the same count for the budget checks. (The epoch's
``train/acc``, logged at the stop, counts in the resumed session only the batches after it.)

An epoch that ran to its last batch is saved the same way (processed, not completed). Lightning's epoch-based loop
counts it completed on resume; its step-based loop (any ``trainer.max_steps`` other than -1) re-entered it instead
and ran its end once more as an empty epoch: an epoch more on the count, ``train/acc`` 0 logged, and the data
loader one permutation ahead - a run of ``max_steps=2000, max_epochs=2`` resumed with ``max_epochs=3`` trained
nothing and returned no objective, and ``max_steps=80`` extended to ``120`` (40 batches an epoch) ended with other
weights than one run of 120. :func:`correct_epoch_counts` records such an epoch completed and the next one not
begun, the state the epoch-based loop resumes from.

A checkpoint taken mid-epoch by an interrupt has ``processed == completed`` and the epoch's batches partly done
(``is_last_batch`` false): a resume with ``trainer.max_epochs`` equal to its whole epochs would train nothing and
record the run completed with weights past that budget, which :func:`trained_epochs` lets the checks refuse.
"""

from __future__ import annotations

from typing import Any


def fit_loop_state(checkpoint: dict[str, Any]) -> dict[str, Any] | None:
    """The fit loop's state of a Lightning checkpoint (None for one without it)."""
    try:
        state = checkpoint["loops"]["fit_loop"]
    except (KeyError, TypeError):
        return None
    return state if isinstance(state, dict) else None


def epoch_partly_trained(state: dict[str, Any]) -> bool:
    """Whether the epoch the fit loop was in had trained some of its batches but not its last."""
    batches = state.get("epoch_loop.batch_progress", {})
    return not batches.get("is_last_batch", True) and batches.get("current", {}).get("completed", 0) > 0


def stopped_at_epoch_end_hooks(state: dict[str, Any]) -> bool:
    """Whether the checkpoint was saved in ``on_train_epoch_end`` of an epoch that stopped before its last batch
    (``trainer.max_steps``): counted processed, not completed, its batches partly done."""
    progress = state.get("epoch_progress", {}).get("current", {})
    return progress.get("processed") == progress.get("completed", -2) + 1 and epoch_partly_trained(state)


def saved_after_whole_epoch(state: dict[str, Any]) -> bool:
    """Whether the checkpoint was saved in ``on_train_epoch_end`` of an epoch that ran to its last batch: counted
    processed, not yet completed."""
    progress = state.get("epoch_progress", {}).get("current", {})
    batches = state.get("epoch_loop.batch_progress", {})
    return (progress.get("processed") == progress.get("completed", -2) + 1 and batches.get("is_last_batch", False)
            and batches.get("current", {}).get("completed", 0) > 0)


def correct_epoch_counts(checkpoint: dict[str, Any]) -> bool:
    """Record, in place, an epoch that ``max_steps`` stopped part-way as not processed - Lightning then resumes it
    at its next batch -, and an epoch saved after its last batch as completed with the next epoch's batches not
    begun (see the module docstring). True for the latter: the batch loop must then start its epoch as a new one
    (:func:`start_next_epoch_afresh`)."""
    state = fit_loop_state(checkpoint)
    if state is None:
        return False
    if saved_after_whole_epoch(state):
        for part in ("current", "total"):
            state["epoch_progress"][part]["completed"] += 1
        batches = state["epoch_loop.batch_progress"]
        batches["current"] = dict.fromkeys(batches["current"], 0)
        batches["is_last_batch"] = False
        return True
    if stopped_at_epoch_end_hooks(state):
        for part in ("current", "total"):
            state["epoch_progress"][part]["processed"] -= 1
    return False


def start_next_epoch_afresh(trainer: Any) -> None:
    """For a run resumed from an epoch's end (:func:`correct_epoch_counts` returned True), called before its first
    batch (``on_train_start``): the batch loop starts the next epoch as Lightning's epoch-based loop starts it, not as
    a restart. The step-based loop keeps it restarting, and a restart at batch 0 took the batch for the one
    validation had ended at: it trained nothing there and counted a step for it - every point the resumed session
    logged one step late (``val/acc`` at step 60 for 59), some ``train/loss`` points lost."""
    trainer.fit_loop.epoch_loop.restarting = False


def trained_epochs(checkpoint: dict[str, Any]) -> tuple[int | None, int]:
    """``(whole epochs trained, batches of the next one trained)``; ``(None, 0)`` without the fit loop's state."""
    state = fit_loop_state(checkpoint)
    processed = (state or {}).get("epoch_progress", {}).get("current", {}).get("processed")
    if not isinstance(processed, int):
        return None, 0
    batches = state.get("epoch_loop.batch_progress", {}).get("current", {}).get("completed", 0)
    if stopped_at_epoch_end_hooks(state):
        return processed - 1, batches
    completed = state["epoch_progress"]["current"].get("completed")
    return processed, batches if processed == completed and epoch_partly_trained(state) else 0


def logged_step(checkpoint: dict[str, Any]) -> int:
    """The step the loggers of the run resumed from ``checkpoint`` log next: Lightning's count of the batches that
    stepped an optimizer (the ``step`` of its logged rows), else the checkpoint's ``global_step`` - one more where
    the checkpoint was saved after a batch's step and before Lightning counted it (a stop's, saved in
    ``on_train_batch_end``: the batch processed, not completed), whose logs the stop wrote and the resumed run goes
    on after."""
    state = fit_loop_state(checkpoint) or {}
    stepped = state.get("epoch_loop.state_dict", {}).get("_batches_that_stepped")
    if not isinstance(stepped, int):
        return int(checkpoint.get("global_step", 0))
    total = state.get("epoch_loop.batch_progress", {}).get("total", {})
    processed, completed = total.get("processed"), total.get("completed")
    in_its_step = isinstance(processed, int) and isinstance(completed, int) and processed == completed + 1
    return stepped + in_its_step
