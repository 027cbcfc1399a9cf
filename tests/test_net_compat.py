"""trainlab.models.net_compat: a model.net recorded before an argument existed, compared as it acts."""

from __future__ import annotations

from trainlab.models.net_compat import flat_settings_in_effect, net_in_effect

MLP = "trainlab.models.mlp.MLP"


def test_a_record_without_the_added_arguments_had_torchs_forms():
    assert net_in_effect({"_target_": MLP, "batch_norm": "custom", "dropout": 0.2}) == {
        "_target_": MLP, "batch_norm": "custom", "dropout": 0.2, "batch_norm_eps": 1e-5,
        "batch_norm_running_stats": "torch", "dropout_kind": "inverted"}


def test_what_a_switched_off_layer_would_take_is_not_compared():
    assert net_in_effect({"_target_": MLP, "batch_norm": "none", "dropout": 0.0}) == {
        "_target_": MLP, "batch_norm": "none", "dropout": 0.0}


def test_a_searched_switch_keeps_what_it_switches_compared():
    """A study leaves its searched keys out of the settings it compares: with model.net.dropout searched, a changed
    dropout_kind was dropped from both sides, and inverted and book trials were ranked in one study."""
    recorded = flat_settings_in_effect({"model.net._target_": MLP, "model.net.batch_norm": "none"})
    now = flat_settings_in_effect({"model.net._target_": MLP, "model.net.batch_norm": "none",
                                   "model.net.dropout_kind": "book"})
    assert recorded["model.net.dropout_kind"] == "inverted" and now["model.net.dropout_kind"] == "book"
    searched_batch_norm = flat_settings_in_effect({"model.net._target_": MLP, "model.net.dropout": 0.0})
    assert searched_batch_norm["model.net.batch_norm_running_stats"] == "torch"
    assert "model.net.dropout_kind" not in searched_batch_norm


def test_a_difference_of_a_switch_names_the_switch_alone():
    """A study recorded before dropout_kind existed, with dropout 0.5, against dropout 0.0 here: the refusal named
    "model.net.dropout_kind: 'inverted' in the study, (absent) here" beside the dropout's own difference."""
    from trainlab.run_settings import differing_settings

    recorded = {"model.net._target_": MLP, "model.net.batch_norm": "custom", "model.net.dropout": 0.5}
    here = {"model.net._target_": MLP, "model.net.batch_norm": "none", "model.net.dropout": 0.0,
            "model.net.dropout_kind": "inverted", "model.net.batch_norm_eps": 1e-6}
    assert differing_settings(recorded, here) == [("model.net.batch_norm", "'custom'", "'none'"),
                                                  ("model.net.dropout", "0.5", "0.0")]
