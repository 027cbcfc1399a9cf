"""What the classifier's training step needs of an optimizer (``optimizer._target_`` any ``torch.optim.Optimizer``).

**A step without a closure.** The classifier runs forward, backward and ``optimizer.step()`` itself. An optimizer
whose ``step`` requires a closure that evaluates the loss again (``torch.optim.LBFGS``'s line search) failed at the
first step with ``float() argument must be ... not 'NoneType'``; :func:`check_step_without_closure` refuses it.

**The book's weight decay reaches the optimizer, and the optimizer applies it.** The classifier turns
``model.weight_decay`` (λ) into its parameter groups: ``weight_decay = λ`` for the Linear weights, ``0`` for biases
and BatchNorm's γ/β (:func:`~trainlab.models.classifier.split_decay_groups`). A group's value overrides the
optimizer's own argument, so:

* ``optimizer.weight_decay`` (``+optimizer.weight_decay=0.5``, or a key of an optimizer's yaml) was silently
  replaced by λ - and recorded in ``hparams.yaml`` as if applied. :func:`check_optimizer_key` refuses a non-zero one
  and names ``model.weight_decay``.
* an optimizer of one's own that never reads ``group["weight_decay"]`` trained without decay while the run logged
  ``train/weight_penalty`` as if it had. :func:`check_decay_applied` builds the optimizer on one weight with λ and a
  zero gradient and takes a step: with a zero gradient, only the decay term (``λ·w`` in the gradient, or a
  decoupled ``w ← w - lr·λ·w``) can move the weight, so a weight that stays put means the decay is ignored.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError


def check_step_without_closure(cfg: DictConfig) -> None:
    """Refuse an optimizer class whose ``step`` has a ``closure`` argument without a default (imports the class)."""
    import inspect

    from hydra.utils import get_class

    target = OmegaConf.select(cfg, "optimizer._target_", default=None)
    try:
        cls = get_class(str(target))
        closure = inspect.signature(cls.step).parameters.get("closure")
    except Exception:  # noqa: BLE001 - an unknown class or step is reported where the run builds it
        return
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise ConfigError(f"optimizer._target_={target}: its step needs a closure that evaluates the loss again (a "
                          "line search), which the classifier's training step - one forward, one backward, one "
                          "step - does not pass; allowed: an optimizer whose step(closure=None) updates from the "
                          "gradients alone (trainlab's, torch.optim's SGD, Adam, ...)")


def check_optimizer_key(cfg: DictConfig) -> None:
    """Refuse a non-zero ``optimizer.weight_decay``: the parameter groups' λ (``model.weight_decay``) replaces it."""
    value = OmegaConf.select(cfg, "optimizer.weight_decay", default=None)
    if value in (None, 0) or isinstance(value, bool) or not isinstance(value, int | float):
        return
    raise ConfigError(f"optimizer.weight_decay={value} would not be applied: the classifier gives the optimizer "
                      "model.weight_decay as its parameter groups' weight_decay (on Linear weights, not on biases), "
                      f"which replaces the optimizer's own; allowed: model.weight_decay={value} with "
                      "optimizer.weight_decay unset or 0")


def check_decay_applied(cfg: DictConfig) -> None:
    """Refuse λ > 0 with an optimizer that leaves a weight with a zero gradient where it was (see the module
    docstring). Imports the optimizer's module (and torch); an optimizer that cannot be built or stepped is left to
    the run, which reports it."""
    weight_decay = OmegaConf.select(cfg, "model.weight_decay", default=None)
    if not isinstance(weight_decay, int | float) or isinstance(weight_decay, bool) or weight_decay <= 0 \
            or not isinstance(cfg.get("optimizer"), DictConfig):
        return
    import torch
    from hydra.utils import instantiate

    target = cfg.optimizer.get("_target_")
    try:
        factory = instantiate(cfg.optimizer)
    except Exception:  # noqa: BLE001 - reported as the run builds it
        return
    weight = torch.nn.Parameter(torch.ones(4))
    weight.grad = torch.zeros(4)
    try:
        factory([{"params": [weight], "weight_decay": weight_decay}]).step()
    except Exception:  # noqa: BLE001 - an optimizer failing on this probe is reported when the run builds it
        return
    if torch.equal(weight.detach(), torch.ones(4)):
        raise ConfigError(f"model.weight_decay={weight_decay}: optimizer {target} does not apply the weight decay of "
                          "its parameter groups (a weight with a zero gradient stays where it was after a step), so "
                          "the run would train without it while logging train/weight_penalty; allowed: "
                          "model.weight_decay=0 with this optimizer, or one whose step applies "
                          "group['weight_decay'] (trainlab's optimizers, torch.optim's)")
