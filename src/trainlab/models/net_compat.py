"""The book's ``model.net`` as it acts, for comparing a config recorded by an earlier version with today's.

Arguments were added to :class:`~trainlab.models.mlp.MLP` after runs, checkpoints and studies had recorded their
configs: ``batch_norm_eps`` (BatchNorm's ε; the config says the book's 1e-6, the MLP's default - what every earlier run
had - is torch's 1e-5), ``batch_norm_running_stats`` and ``dropout_kind`` (torch's forms, what earlier runs had, are
the defaults of both). A comparison of an earlier record with today's config must not see a change where nothing
differs, nor miss one where something does:

* an argument absent from a record had the value the network had without it (:data:`NET_ARGUMENTS_ADDED`);
* BatchNorm's arguments act on nothing without BatchNorm (``batch_norm: none``), ``dropout_kind`` on nothing
  without dropout (``dropout: 0``): they are left out of the comparison - not where ``batch_norm`` or ``dropout``
  is absent, as a study's searched keys are (its trials draw them).

So a run, checkpoint or study recorded before ``model.net.batch_norm_eps`` existed goes on under today's config
unless its network has BatchNorm - it trained with 1e-5, which the resume must then keep. Used where a resume compares
records: a checkpoint's config (:mod:`trainlab.checkpoint_check`) and a search's study settings
(:mod:`trainlab.search.study_settings`).
"""

from __future__ import annotations

from typing import Any

from trainlab.own_targets import NETWORK

#: MLP arguments added after configs were first recorded -> the value a network recorded without one had
NET_ARGUMENTS_ADDED = {"batch_norm_eps": 1e-5, "batch_norm_running_stats": "torch", "dropout_kind": "inverted"}


def net_in_effect(net: Any) -> Any:
    """``model.net`` (a mapping of the book's MLP) as it acts (see the module docstring); anything else as it is."""
    if not isinstance(net, dict) or net.get("_target_") != NETWORK:
        return net
    net = {**NET_ARGUMENTS_ADDED, **net}
    # a switch that is absent is searched (a study leaves its searched keys out): what it switches stays compared
    if net.get("batch_norm", "absent") == "none":
        del net["batch_norm_eps"], net["batch_norm_running_stats"]
    if "dropout" in net and not net["dropout"]:
        del net["dropout_kind"]
    return net


def flat_settings_in_effect(settings: dict[str, Any], prefix: str = "model.net.") -> dict[str, Any]:
    """The same for a flattened config (``model.net.batch_norm_eps`` -> value), as a study records its settings."""
    net = {key[len(prefix):]: value for key, value in settings.items() if key.startswith(prefix)}
    if "." in "".join(net) or not net:  # a network of nested arguments: not the book's MLP
        return settings
    others = {key: value for key, value in settings.items() if not key.startswith(prefix)}
    return {**others, **{prefix + key: value for key, value in net_in_effect(net).items()}}
