"""``StackedClassifier``: the LightningModule that trains the K members of a stack as one model.

It is :class:`~trainlab.models.classifier.MLPClassifier` with a member dimension: the same loss, the same
metrics under the same names, logged at the same steps, but every value is a (K,) tensor - member k's value at
index k - written to member k's own loggers by :class:`~trainlab.stacked.member_outputs.MemberOutputs`.

Loss: member k's data loss is its mean softmax cross-entropy over the shared batch, ``L_k``; the stack
back-propagates ``Σ_k L_k``. Members share no parameter, so ``∂(Σ_j L_j)/∂θ_k = ∂L_k/∂θ_k``: each member gets
the gradient of its lone run. The weight decay λ_k is applied by the optimizer (a decay group per member,
:mod:`~trainlab.stacked.stacked_optimizer`); with λ_k > 0 the penalty ``½·λ_k·Σ‖W_k‖²`` and the total are logged
for member k as ``train/weight_penalty`` and ``train/total_loss``, as a lone run does.

Divergence: where the members' config has the divergence guard, a member whose training loss is NaN/Inf at a
check (every ``check_every_n_steps`` steps and at epoch ends, as
:class:`~trainlab.callbacks.divergence_guard.DivergenceGuard` checks) is *frozen*: its weights and statistics
are kept as they were at that step (a lone run stops there) and it is recorded ``diverged``. What its lone run
logs after stopping is logged for it at that step - validation of the weights it stopped with and the epoch's
training accuracy so far, as Lightning validates and ends the epoch of a run stopped inside it - then nothing more.
The other members go on. Training stops early only when every member has stopped.
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F

from trainlab.callbacks.divergence_guard import stop_diverged_training
from trainlab.models.classifier import MLPClassifier
from trainlab.models.hook_name_attribute import HookNameAsPlainAttribute
from trainlab.models.metric_names import EVAL_METRIC_NAMES
from trainlab.stacked.stacked_mlp import StackedMLP
from trainlab.stacked.stacked_optimizer import StackedOptimizer


def member_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each member's mean cross-entropy over the batch: logits (K, B, C), targets (B,) -> (K,).

    The classes go to dim 1 (cross-entropy's (N, C, d) form), which for the stack's (K, B, C) logits laid out
    (K, C, B) is their memory order: no copy."""
    losses = F.cross_entropy(logits.transpose(1, 2), targets.expand(logits.shape[0], -1), reduction="none")
    return losses.mean(dim=1)


def member_correct(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each member's number of correct predictions: logits (K, B, C), targets (B,) -> (K,).

    ``argmax`` over the classes runs on a (K, B, C)-contiguous copy: on the stack's (K, C, B) layout the reduction
    strides across memory and took 2 ms for 100 members, the copy and the reduction 0.2 ms."""
    return (logits.detach().contiguous().argmax(dim=-1) == targets).sum(dim=1)


class StackedClassifier(HookNameAsPlainAttribute, L.LightningModule):
    """K :class:`MLPClassifier` members trained as one (see the module docstring).

    Args:
        members: the members' lone modules, built and initialised exactly as their lone runs build them; the
            stack copies their weights and keeps them as the templates of the members' checkpoints.
        writer: where member values go (:class:`~trainlab.stacked.member_outputs.MemberOutputs`).
        divergence_check_every: steps between divergence checks (``None``: never freeze a member; its status is
            then decided from its final loss, as a lone run without the guard would).
    """

    def __init__(self, members: list[MLPClassifier], writer: Any, divergence_check_every: int | None) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.net = StackedMLP([member.net for member in members])
        self.num_members = len(members)
        self.optimizer_factories = [member.optimizer_factory for member in members]
        self.weight_decays = [float(member.weight_decay) for member in members]
        self.writer = writer
        self.divergence_check_every = divergence_check_every
        self.register_buffer("train_correct", torch.zeros(self.num_members, dtype=torch.long))
        self.register_buffer("train_seen", torch.zeros((), dtype=torch.long))
        self.register_buffer("val_acc_best", torch.full((self.num_members,), -torch.inf))
        self.active = [True] * self.num_members  # False once a member diverged and was frozen
        self.frozen_state: dict[int, dict[str, torch.Tensor]] = {}
        self._last_losses: torch.Tensor | None = None
        self._eval_sums: dict[str, list[torch.Tensor]] = {}

    # ---- training ---------------------------------------------------------------------------------------------
    def configure_optimizers(self) -> StackedOptimizer:
        decay = self.net.decay_parameters()
        decay_ids = {id(p) for p in decay}
        others = [p for p in self.net.parameters() if id(p) not in decay_ids]
        return StackedOptimizer(decay, others, self.optimizer_factories, self.weight_decays)

    def _logging_step(self) -> bool:
        """As :meth:`MLPClassifier._logging_step`: step values are written every ``log_every_n_steps``."""
        every = self.trainer.log_every_n_steps
        return every > 0 and ((self.global_step + 1) % every == 0 or self.trainer.should_stop)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        step = self.global_step  # the step a lone run logs this batch's values at
        logging_step = self._logging_step()
        logits = self.net(x)
        losses = member_cross_entropy(logits, y)
        optimizer = self.optimizers()
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(losses.sum())
        optimizer.step()
        if self.frozen_state:
            self._restore_frozen()
        self.train_correct.add_(member_correct(logits, y))
        self.train_seen.add_(y.shape[0])
        self._last_losses = losses.detach()
        if logging_step:
            values = {"train/loss": self._last_losses}
            if any(self.weight_decays):
                penalty = self._weight_penalty()
                values["train/weight_penalty"] = penalty
                values["train/total_loss"] = self._last_losses + penalty
            self.writer.write(step, self.current_epoch, values, self._penalised_members(values))
        if self.divergence_check_every and self.global_step % self.divergence_check_every == 0:
            self._check_divergence()

    def _penalised_members(self, values: dict[str, torch.Tensor]) -> dict[str, list[bool]] | None:
        """Which members log the weight-penalty values (those with λ > 0, as a lone run logs them)."""
        if "train/weight_penalty" not in values:
            return None
        decays = [wd > 0 for wd in self.weight_decays]
        return {"train/weight_penalty": decays, "train/total_loss": decays}

    @torch.no_grad()
    def _weight_penalty(self) -> torch.Tensor:
        """``½·λ_k·Σ‖W_k‖²`` per member over the Linear weights (``‖W_k‖`` by ``vector_norm``: one fused pass, where
        ``pow(2).sum()`` wrote a temporary as large as the weights - 4 against 1.2 ms for 100 members)."""
        squares = sum(torch.linalg.vector_norm(weight.flatten(1), dim=1).square()
                      for weight in self.net.decay_parameters())
        # ½·λ_k from the Python numbers in the weights' dtype, as a lone run's ``0.5 * λ * ...`` (a float32 buffer of
        # λ logged float32(λ) under 64-true; a float64 one could not live on an MPS device)
        halves = torch.tensor([0.5 * decay for decay in self.weight_decays], dtype=squares.dtype, device=squares.device)
        return halves * squares

    def _train_accuracy(self) -> torch.Tensor:
        """Each member's training accuracy over the epoch so far."""
        return self.train_correct.double() / self.train_seen.clamp(min=1)

    def on_train_epoch_end(self) -> None:
        self.writer.write(self.global_step - 1, self.current_epoch, {"train/acc": self._train_accuracy()})
        if self.divergence_check_every:
            self._check_divergence(in_epoch=False)
        self.train_correct.zero_()
        self.train_seen.zero_()

    # ---- divergence -------------------------------------------------------------------------------------------
    def _check_divergence(self, in_epoch: bool = True) -> None:
        if self._last_losses is None:
            return
        finite = [math.isfinite(loss) for loss in self._last_losses.tolist()]  # no tensor kernels per check
        newly = [k for k, ok in enumerate(finite) if not ok and self.active[k]]
        if newly and in_epoch:
            self._end_epoch_as_a_stopped_run([k in newly for k in range(self.num_members)])
        for member in newly:
            self.active[member] = False
            self.frozen_state[member] = {name: tensor[member].clone() for name, tensor in self._member_tensors()}
            self.writer.diverged(member, self.trainer, self.global_step, float(self._last_losses[member]))
        if newly and not any(self.active):
            stop_diverged_training(self.trainer)

    def _end_epoch_as_a_stopped_run(self, members: list[bool]) -> None:
        """Record for ``members`` (a mask) what a lone run records when its guard stops it inside an epoch: Lightning
        validates at once (in an epoch that validates at all) and ends the epoch, so its ``val/*`` (and ``eval/*``)
        of the weights it stopped with and the epoch's ``train/acc`` so far, at this step. The stack's later
        validations and epoch ends leave these members out."""
        step, epoch = self.global_step - 1, self.current_epoch
        if self.trainer.fit_loop.epoch_loop._should_check_val_epoch():
            self._validate_now()
            values = self._validation_values(members)
            self.writer.write(step, epoch, values, dict.fromkeys(values, members))
        self.writer.write(step, epoch, {"train/acc": self._train_accuracy()}, {"train/acc": members})

    @torch.no_grad()
    def _validate_now(self) -> None:
        """Accumulate every member's sums over the eval splits now, as Lightning's validation pass does: its loaders
        and batch limits (``limit_val_batches``), the precision's input conversion and context, eval mode."""
        trainer = self.trainer
        trainer.fit_loop.epoch_loop.val_loop.setup_data()  # a no-op once a validation (or the sanity check) ran
        loaders = trainer.val_dataloaders
        loaders = loaders if isinstance(loaders, list | tuple) else [loaders]
        precision = trainer.precision_plugin
        self.net.eval()
        try:
            for index, (loader, limit) in enumerate(zip(loaders, trainer.num_val_batches, strict=True)):
                for batch_index, batch in enumerate(loader):
                    if batch_index >= limit:
                        break
                    batch = trainer.strategy.batch_to_device(precision.convert_input(batch), dataloader_idx=index)
                    with precision.val_step_context():
                        self._accumulate(self._eval_split(index), batch)
        finally:
            self.net.train()

    def _member_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """The stacked tensors that hold one slice per member (parameters, running statistics)."""
        return [(name, tensor) for name, tensor in [*self.net.named_parameters(), *self.net.named_buffers()]
                if tensor.dim() > 0 and tensor.shape[0] == self.num_members]

    @torch.no_grad()
    def _restore_frozen(self) -> None:
        tensors = dict(self._member_tensors())
        for member, saved in self.frozen_state.items():
            for name, value in saved.items():
                tensors[name][member].copy_(value)

    # ---- evaluation -------------------------------------------------------------------------------------------
    def _eval_split(self, dataloader_idx: int) -> str:
        splits = getattr(self.trainer.datamodule, "eval_splits", None) or ["val"]
        return splits[dataloader_idx]

    def _accumulate(self, key: str, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Sum each member's loss (weighted by the batch size) and correct predictions over a split."""
        x, y = batch
        logits = self.net(x)
        loss_sum = member_cross_entropy(logits, y).double() * y.shape[0]
        correct = member_correct(logits, y)
        sums = self._eval_sums.get(key)
        if sums is None:
            self._eval_sums[key] = [loss_sum, correct, torch.tensor(y.shape[0], device=y.device)]
        else:
            sums[0] += loss_sum
            sums[1] += correct
            sums[2] += y.shape[0]

    def _split_values(self, key: str, names: tuple[str, str]) -> dict[str, torch.Tensor]:
        loss_sum, correct, count = self._eval_sums.pop(key)
        return {names[0]: loss_sum / count, names[1]: correct.double() / count}

    def _validation_values(self, members: list[bool] | None = None) -> dict[str, torch.Tensor]:
        """The accumulated eval splits' values (their sums emptied), with ``val/acc_best`` updated for ``members``
        (a mask; None: all)."""
        values: dict[str, torch.Tensor] = {}
        for split in list(self._eval_sums):
            values.update(self._split_values(split, EVAL_METRIC_NAMES[split]))
        if "val/acc" in values:
            best = torch.maximum(self.val_acc_best, values["val/acc"].to(self.val_acc_best.dtype))
            if members is not None:
                best = torch.where(torch.tensor(members, device=best.device), best, self.val_acc_best)
            self.val_acc_best.copy_(best)
            values["val/acc_best"] = self.val_acc_best
        return values

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._accumulate(self._eval_split(dataloader_idx), batch)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            self._eval_sums.clear()
            return
        self.writer.write(self.global_step - 1, self.current_epoch, self._validation_values())

    def test_step(self, batch, batch_idx: int) -> None:
        self._accumulate("test", batch)

    def on_test_epoch_end(self) -> None:
        self.writer.write(self.global_step, self.current_epoch, self._split_values("test", ("test/loss", "test/acc")))

    # ---- a member's view ------------------------------------------------------------------------------------
    def export_member(self, member: int, lone: MLPClassifier) -> None:
        """Load member ``member``'s weights, statistics and counters into its lone module ``lone``."""
        self.net.load_into(member, lone.net)
        with torch.no_grad():
            lone.train_correct.copy_(self.train_correct[member])
            lone.train_seen.copy_(self.train_seen)
            if torch.isfinite(self.val_acc_best[member]):
                lone.val_acc_best.max_value = self.val_acc_best[member].to(lone.val_acc_best.max_value.dtype)
