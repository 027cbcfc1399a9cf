"""When a run's validation metrics were measured, where that is before its last step.

Validation runs at the end of an epoch (every ``trainer.check_val_every_n_epoch``). A budget that ends mid-epoch
(``trainer.max_steps``, as experiments B and D set it) leaves the last validation an epoch's part behind: with
``experiment=compare_optimizers trainer.max_steps=60`` SGD's ``val/acc`` 0.208 - and so the sweep's objective -
were measured at step 31 (TensorBoard's step of the point, the epoch's last batch), while ``test/acc`` 0.382 is of
the weights after step 59. Nothing said so. A run's end now says it::

    completed; final metrics: ..., val/acc=0.208, val/acc_best=0.208, val/loss=2.133; val/* measured at step 31 of 60
    (the last validation, before the run's last step)

and its ``status.json`` records ``validated_at_step`` and ``trained_steps`` (the sweep's ``summary.csv`` shows them,
and its summary line counts such jobs: :func:`trainlab.sweep.summary.lag_note`). Only a completed run that validated
in this session is annotated; one whose last validation followed its last step (every budget that ends at an epoch's
end) is left as it was.

No validation is added at the end of training: it would change what ``val/*`` and the objective of every such
run are (a sweep resumed with ``resume_sweep=true`` would mix both kinds), the curves, ``val/acc_best`` and what
callbacks monitoring ``val/*`` see, in the lone, stacked and DDP paths alike - while the weights it would
measure are the ones ``test/*`` already measures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: the prefixes of the metrics validation computes (:mod:`trainlab.models.metric_names`: val/loss, val/acc,
#: val/acc_best, and eval/<split>_* of data.eval_splits)
VALIDATION_PREFIXES = ("val/", "eval/")


@dataclass(frozen=True)
class ValidationLag:
    """A run whose validation metrics were measured at ``at_step`` of its ``trained_steps`` steps, before its last
    (step ``trained_steps - 1``)."""

    at_step: int
    trained_steps: int

    def status_fields(self) -> dict[str, int]:
        """Its entries of ``status.json`` (and columns of ``summary.csv``)."""
        return {"validated_at_step": self.at_step, "trained_steps": self.trained_steps}

    def where(self) -> str:
        return f"at step {self.at_step} of {self.trained_steps}"

    def clause(self, metrics: Iterable[str]) -> str:
        """What the run's end line adds after its metrics: ``val/* measured at step 31 of 60 (...)``."""
        groups = [f"{prefix}*" for prefix in VALIDATION_PREFIXES if any(name.startswith(prefix) for name in metrics)]
        return (f"{' and '.join(groups)} measured {self.where()} (the last validation, before the run's last "
                "step)")


def validation_lag(status: str, validated_at: int | None, trained_steps: int,
                   metrics: Mapping[str, Any]) -> ValidationLag | None:
    """The lag of a run that ended ``status`` after ``trained_steps`` steps, its last validation logged at step
    ``validated_at`` (:class:`~trainlab.callbacks.last_validation.LastValidation`); None unless it completed with
    validation metrics measured before its last step."""
    if status != "completed" or validated_at is None or validated_at >= trained_steps - 1:
        return None
    if not any(name.startswith(VALIDATION_PREFIXES) for name in metrics):
        return None
    return ValidationLag(validated_at, trained_steps)
