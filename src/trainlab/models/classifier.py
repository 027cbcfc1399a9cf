"""``MLPClassifier``: the LightningModule that trains an :class:`~trainlab.models.mlp.MLP` on MNIST.

Loss: softmax cross-entropy on the logits (the *data loss*, logged as ``train/loss``). Weight decay is the book's
L2 penalty ``½·λ·Σ‖W‖²`` over every Linear weight (output layer included) and never over biases or BatchNorm
γ/β: it is applied through the optimizer's per-group ``weight_decay`` (gradient ``+ λ·W``) on a *decay* group that
holds exactly the Linear weights, with a *no-decay* group for everything else. When λ > 0 the penalty value and
the total (data + penalty) are logged as ``train/weight_penalty`` and ``train/total_loss``.

Metrics: ``train/loss`` (every ``trainer.log_every_n_steps`` steps), ``train/acc`` (running accuracy over the
epoch's training batches, from two in-place counters), and with torchmetrics ``val/loss``, ``val/acc``,
``val/acc_best``, ``test/loss``, ``test/acc`` (the losses by :class:`~trainlab.models.weighted_mean.WeightedMean`:
the split's mean over its samples, NaN where a batch's loss is - not the mean of the other batches). When the
datamodule evaluates more splits after every epoch (``data.eval_splits``), the training and test sets appear as
``eval/train_acc``, ``eval/train_loss``, ``eval/test_acc`` and ``eval/test_loss`` (eval mode, whole split - the
book's per-epoch accuracy curves). The metrics are computed in the network's dtype, never below float32
(:mod:`~trainlab.models.metric_dtype`): float64 with ``trainer.precision=64-true``.

Learning-rate schedule (``conf/scheduler/``, optional): any ``torch.optim.lr_scheduler`` class, stepped once per
epoch exactly where Lightning's automatic loop steps it - a plain schedule after the epoch's last training batch
(before validation, so the epoch's checkpoint holds the stepped schedule), ``ReduceLROnPlateau`` after the
validation that computed its metric (``scheduler_monitor``). The learning rate each epoch trained with is logged as
``train/lr``.

Under DDP (``trainer.devices > 1``) each process trains on its share of every global batch (the datamodule shards
it) and DDP averages the gradients, so the update is the single-process one with the global batch. ``train/loss``
and the penalty terms are logged as the mean over the processes (``sync_dist``), ``train/acc`` counts the samples
of every process (a checkpoint holds the counters summed over them), and the torchmetrics of validation and test
sync their states before computing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torchmetrics import MaxMetric, Metric
from torchmetrics.classification import MulticlassAccuracy

from trainlab.checkpoint_epochs import correct_epoch_counts, logged_step, start_next_epoch_afresh
from trainlab.errors import ConfigError
from trainlab.init.linear_layers import weight_layers
from trainlab.loggers.csv_logger import forget_rows_past_checkpoint
from trainlab.models.hook_name_attribute import HookNameAsPlainAttribute
from trainlab.models.initializer_call import initialise
from trainlab.models.metric_dtype import metric_dtype, metrics_follow
from trainlab.models.metric_names import EVAL_METRIC_NAMES
from trainlab.models.weighted_mean import WeightedMean

OptimizerFactory = Callable[[list[dict[str, Any]]], torch.optim.Optimizer]


def split_decay_groups(net: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Parameter groups: every ``nn.Linear`` weight (and convolution kernel, in a network of one's own:
    :func:`~trainlab.init.linear_layers.weight_layers`) decays by λ, every other parameter (biases, BN γ/β) does not.

    With λ = 0 there is nothing to tell apart: one group, so each optimizer operation is one call, not two.
    """
    if weight_decay == 0:
        return [{"params": list(net.parameters()), "weight_decay": 0.0, "name": "all"}]
    decay_ids = {id(m.weight) for m in weight_layers(net)}
    decay = [p for p in net.parameters() if id(p) in decay_ids]
    no_decay = [p for p in net.parameters() if id(p) not in decay_ids]
    groups = [{"params": decay, "weight_decay": weight_decay, "name": "decay"}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0, "name": "no_decay"})
    return groups


class MLPClassifier(HookNameAsPlainAttribute, L.LightningModule):
    """Classifier around ``net``.

    Args:
        net: the network (an ``nn.Module`` mapping (B, 784) to (B, num_classes) logits).
        optimizer: a factory (Hydra partial) called with the parameter groups.
        init: a callable initialising ``net`` in place (``conf/init/``); ``None`` keeps the module's own init.
        weight_decay: λ of the L2 penalty ``½·λ·Σ‖W‖²`` on Linear weights.
        num_classes: number of classes for the accuracy metrics.
        scheduler: optional factory (Hydra partial) of a ``torch.optim.lr_scheduler``, stepped every epoch.
        scheduler_monitor: the validation metric a ``ReduceLROnPlateau`` scheduler watches (``val/loss``,
            ``val/acc``, or an ``eval/...`` metric of a split in ``data.eval_splits``).
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        init: Callable[[nn.Module], None] | None = None,
        weight_decay: float = 0.0,
        num_classes: int = 10,
        scheduler: Callable[[torch.optim.Optimizer], Any] | None = None,
        scheduler_monitor: str = "val/loss",
    ) -> None:
        super().__init__()
        if weight_decay < 0:
            raise ValueError(f"model.weight_decay={weight_decay} must be >= 0")
        self.net = net
        if init is not None:  # in place; a value returned or a parameter reshaped is refused (initializer_call.py)
            initialise(init, self.net)
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.scheduler_monitor = scheduler_monitor
        self._validated_this_epoch = False  # a plateau schedule steps only after a validation of this epoch
        self._counters_from_rank_0 = False  # a DDP process other than 0 that resumed mid-epoch (on_load_checkpoint)
        self._resumed_at_epoch_end = False  # resumed from a checkpoint of an epoch's end (on_load_checkpoint)
        self.weight_decay = weight_decay
        # Running training accuracy: two in-place counters instead of a torchmetrics object, whose update costs
        # ~0.3 ms per step (as much as the MLP's forward pass on a CPU). Buffers, so checkpoints keep them.
        self.register_buffer("train_correct", torch.zeros((), dtype=torch.long))
        self.register_buffer("train_seen", torch.zeros((), dtype=torch.long))
        # one accuracy / loss pair per split that can be evaluated after an epoch, and one for trainer.test()
        # (ModuleDict keys are "<split>_split": a key "train" would clash with nn.Module.train)
        self.eval_acc = nn.ModuleDict({
            f"{s}_split": MulticlassAccuracy(num_classes=num_classes, average="micro", validate_args=False)
            for s in EVAL_METRIC_NAMES})
        self.eval_loss = nn.ModuleDict({f"{s}_split": WeightedMean() for s in EVAL_METRIC_NAMES})
        self.test_acc = MulticlassAccuracy(num_classes=num_classes, average="micro", validate_args=False)
        self.test_loss = WeightedMean()  # a NaN batch loss is kept, not dropped (weighted_mean.py)
        self.val_acc_best = MaxMetric()
        for metric in self.modules():  # metric states go into checkpoints: a resumed run ends with the same values
            if isinstance(metric, Metric):
                metric.persistent(True)

    @property
    def automatic_optimization(self) -> bool:
        """Manual optimization (``training_step`` runs zero_grad / backward / step) unless the Trainer asks for
        gradient clipping (``gradient_clip_val`` > 0: Lightning clips nothing at 0) or accumulation, which Lightning
        implements only in its automatic loop.

        Both compute the same update; the manual path skips Lightning's closure and hook machinery, about 0.5 ms
        per step - a third of a whole step of the book's MLP on a CPU.
        """
        trainer = self._trainer
        clips = trainer is not None and trainer.gradient_clip_val not in (None, 0)  # 0 clips nothing (Lightning)
        return trainer is not None and (clips or trainer.accumulate_grad_batches != 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def weight_penalty(self) -> torch.Tensor:
        """``½·λ·Σ‖W‖²`` over the Linear weights and convolution kernels (the term the optimizer's weight decay
        differentiates)."""
        squares = [m.weight.pow(2).sum() for m in weight_layers(self.net)]
        return 0.5 * self.weight_decay * torch.stack(squares).sum()

    def _logging_step(self) -> bool:
        """Whether Lightning writes step-level logs after this step (every ``trainer.log_every_n_steps``).

        Step values are handed to ``self.log`` only then: each call costs about a millisecond of bookkeeping, as
        much as a whole training step of the book's MLP on a CPU, and values logged in between would never be
        written anyway.
        """
        every = self.trainer.log_every_n_steps
        return every > 0 and ((self.global_step + 1) % every == 0 or self.trainer.should_stop)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Forward, loss and (see :attr:`automatic_optimization`) backward and the optimizer step."""
        x, y = batch
        logging_step = self._logging_step()  # before the step increments global_step
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        if not self.automatic_optimization:
            optimizer = self.optimizers()
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        self.train_correct.add_((logits.detach().argmax(dim=1) == y).sum())
        self.train_seen.add_(y.shape[0])
        if logging_step:
            synced = self.trainer.world_size > 1  # the mean over the DDP processes' shares of the batch
            self.log("train/loss", loss.detach(), on_step=True, on_epoch=False, prog_bar=True, sync_dist=synced)
            if self.weight_decay > 0:
                with torch.no_grad():
                    penalty = self.weight_penalty()
                self.log("train/weight_penalty", penalty, on_step=True, on_epoch=False, sync_dist=synced)
                self.log("train/total_loss", loss.detach() + penalty, on_step=True, on_epoch=False,
                         sync_dist=synced)
        return loss

    def on_train_epoch_start(self) -> None:
        self._log_learning_rate()

    def _log_learning_rate(self) -> None:
        if self.scheduler_factory is not None:  # the learning rate of this epoch (first parameter group)
            self.log("train/lr", float(self.trainer.optimizers[0].param_groups[0]["lr"]), on_step=False,
                     on_epoch=True, sync_dist=self.trainer.world_size > 1)

    def _manual_scheduler(self) -> Any:
        """The schedule this module steps itself: in manual optimization (else Lightning steps it), if any."""
        return None if self.automatic_optimization else self.lr_schedulers()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # A plain schedule steps after the epoch's last training batch, like Lightning's automatic loop. (Runs every
        # step: without a schedule it is one attribute test.)
        if self.scheduler_factory is not None and batch_idx + 1 == self.trainer.num_training_batches:
            scheduler = self._manual_scheduler()
            if scheduler is not None and not isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step()

    def on_train_epoch_end(self) -> None:
        correct, seen = self.train_correct, self.train_seen
        if self.trainer.world_size > 1:  # every process's samples of the epoch
            correct, seen = self.trainer.strategy.reduce(torch.stack([correct, seen]), reduce_op="sum")
        # already the same in every process; sync_dist tells Lightning so (it warns about epoch values without)
        accuracy = correct.to(metric_dtype(self.net)) / seen.clamp(min=1)
        self.log("train/acc", accuracy, prog_bar=True, sync_dist=self.trainer.world_size > 1)
        self.train_correct.zero_()
        self.train_seen.zero_()
        scheduler = self._manual_scheduler()
        if isinstance(scheduler, ReduceLROnPlateau) and self._validated_this_epoch:
            scheduler.step(self._monitored_value())
        self._validated_this_epoch = False

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Under DDP the checkpoint holds the epoch's training counters summed over the processes (each process
        counts its own share; the checkpoint file is rank 0's), so a run resumed mid-epoch ends the epoch with every
        process's samples. Every process saves at the same step (Lightning's checkpoint callbacks and the
        interrupt's save run on all of them), so the sum is one collective call."""
        if self._trainer is not None and self.trainer.world_size > 1:
            counters = torch.stack([self.train_correct, self.train_seen])
            correct, seen = self.trainer.strategy.reduce(counters, reduce_op="sum")
            checkpoint["state_dict"]["train_correct"], checkpoint["state_dict"]["train_seen"] = correct, seen

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """An epoch that ``trainer.max_steps`` stopped part-way resumes at its next batch
        (:func:`~trainlab.checkpoint_epochs.correct_epoch_counts`: Lightning loads the loops after this hook). A
        resume's ``metrics.csv`` drops the rows a killed session logged past the checkpoint
        (:func:`~trainlab.loggers.csv_logger.forget_rows_past_checkpoint`), which this session logs again.

        Under DDP rank 0 resumes with the summed counters (:meth:`on_save_checkpoint`) and the other processes
        from zero: the sum at the epoch's end counts every sample once. Lightning restores the checkpoint before it
        wraps the module in DDP, whose start copies rank 0's buffers into every process - the counters too - so
        the other processes zero theirs again once training starts (:meth:`on_train_start`): a run resumed
        mid-epoch had counted the samples before the interrupt once per process in that epoch's ``train/acc``."""
        self._resumed_at_epoch_end = correct_epoch_counts(checkpoint)
        if self._trainer is not None:  # a resume (not trainlab evaluate's load): a killed session's rows past it go
            forget_rows_past_checkpoint(self.trainer.loggers, logged_step(checkpoint))
        if self._trainer is not None and self.trainer.world_size > 1 and self.trainer.global_rank > 0:
            state = checkpoint["state_dict"]
            for name in ("train_correct", "train_seen"):
                if name in state:
                    state[name] = torch.zeros_like(state[name])
            self._counters_from_rank_0 = True

    def _monitored_value(self) -> float:
        value = self.trainer.callback_metrics.get(self.scheduler_monitor)
        if value is None:
            raise ConfigError(
                f"model.scheduler_monitor={self.scheduler_monitor!r} was not logged by the validation; logged: "
                f"{', '.join(sorted(self.trainer.callback_metrics))}"
            )
        return float(value)

    def _evaluate(self, batch, loss_metric: WeightedMean, acc_metric: MulticlassAccuracy, names: tuple[str, str]):
        x, y = batch
        logits = self.net(x)
        loss_metric.update(F.cross_entropy(logits, y), weight=y.shape[0])
        acc_metric.update(logits, y)
        loss_name, acc_name = names
        self.log(loss_name, loss_metric, on_step=False, on_epoch=True, add_dataloader_idx=False)
        self.log(acc_name, acc_metric, on_step=False, on_epoch=True, prog_bar=True, add_dataloader_idx=False)

    def on_train_start(self) -> None:
        """A run resumed mid-epoch skips that epoch's ``on_train_epoch_start`` (Lightning calls it only for an epoch
        that starts), so the learning rate the epoch trains with is logged here instead.

        ``val_acc_best`` is not reset here: a resumed run restores it from its checkpoint (the best of the epochs
        before the interrupt), and validation sanity checks never update it."""
        if self.trainer.fit_loop.restarted_mid_epoch:
            self._log_learning_rate()
        if self._resumed_at_epoch_end:
            start_next_epoch_afresh(self.trainer)
            self._resumed_at_epoch_end = False
        if self._counters_from_rank_0:  # DDP's start copied rank 0's summed counters here (on_load_checkpoint)
            self.train_correct.zero_()
            self.train_seen.zero_()
            self._counters_from_rank_0 = False

    def on_validation_start(self) -> None:
        # the network has its final dtype and any checkpoint is loaded: the metrics take the network's dtype
        metrics_follow(self, metric_dtype(self.net))

    def on_test_start(self) -> None:
        metrics_follow(self, metric_dtype(self.net))

    def _eval_split(self, dataloader_idx: int) -> str:
        splits = getattr(self.trainer.datamodule, "eval_splits", None) or ["val"]
        return splits[dataloader_idx]

    def validation_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        split = self._eval_split(dataloader_idx)
        key = f"{split}_split"
        self._evaluate(batch, self.eval_loss[key], self.eval_acc[key], EVAL_METRIC_NAMES[split])

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:  # val/acc_best is the best of the epochs trained, never of a sanity check
            return
        self._validated_this_epoch = True
        if "val" in (getattr(self.trainer.datamodule, "eval_splits", None) or ["val"]):
            self.val_acc_best(self.eval_acc["val_split"].compute())
            self.log("val/acc_best", self.val_acc_best.compute(), prog_bar=True,
                     sync_dist=self.trainer.world_size > 1)  # computed from the synced val/acc: the same everywhere

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, self.test_loss, self.test_acc, ("test/loss", "test/acc"))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(split_decay_groups(self.net, self.weight_decay))
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        config = {"scheduler": scheduler, "interval": "epoch"}
        if isinstance(scheduler, ReduceLROnPlateau) and self.automatic_optimization:  # else stepped in this module
            config["monitor"] = self.scheduler_monitor
        return {"optimizer": optimizer, "lr_scheduler": config}
