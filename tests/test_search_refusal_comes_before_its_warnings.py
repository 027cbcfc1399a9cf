"""A search that is refused prints its refusal alone: the warnings of what it would go on with come after every check.

``resume_sweep=true hydra.sweeper.n_trials=11 model.weight_decay=0`` on a study that searched ``optimizer.lr`` over
another range warned ``optimizer.lr: ... the trials from here on are drawn from the new space`` and then refused the
command for fixing ``model.weight_decay`` (exit 2): the warning promised trials that never ran. The same held for the
warning of another sampler and of a direction against the metric.
"""

from __future__ import annotations

import logging

import pytest
from test_optuna_search import load, make_search, run_search

from trainlab.errors import ConfigError

WIDER_LR = "optimizer.lr=tag(log, interval(1e-5, 1e-1))"  # the preset searches interval(1e-6, 1e-2)


def warnings_of(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.slow  # three searches (~25 s on 2 cores)
def test_a_refused_resume_warns_of_no_change_it_would_have_made(tmp_path, caplog):
    sweep = tmp_path / "s"
    run_search(make_search(sweep, "hydra/sweeper/optuna_sampler=tpe", "hydra.sweeper.n_trials=2",
                           "optimized_metric=val/loss"))
    before = (sweep / "optuna.journal").read_bytes()
    caplog.clear()
    # a wider lr range (Optuna goes on, with a warning), another sampler (a warning), a loss maximised (a warning)
    # and a searched key fixed (refused): the refusal alone
    refused = make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true",
                          "hydra.sweeper.study_name=hparams_tpe", "optimized_metric=val/loss", "model.weight_decay=0")
    with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match="this search fixes it"):
        refused.run([*refused.config.hydra.overrides.task, WIDER_LR])
    assert warnings_of(caplog) == []
    assert (sweep / "optuna.journal").read_bytes() == before  # nothing asked
    # the same command without the fixed key goes on, and says each change before its first trial
    accepted = make_search(sweep, "hydra.sweeper.n_trials=3", "resume_sweep=true",
                           "hydra.sweeper.study_name=hparams_tpe", "optimized_metric=val/loss")
    with caplog.at_level(logging.WARNING):
        accepted.run([*accepted.config.hydra.overrides.task, WIDER_LR])
    warned = warnings_of(caplog)
    assert [text.split(":")[0].split(" ")[0] for text in warned] == ["optimized_metric=val/loss", "study",
                                                                      "optimizer.lr"]
    assert warned[1].startswith(f"study 'hparams_tpe' in {sweep / 'optuna.journal'} was drawn by TPESampler")
    assert warned[2].endswith("this search as FloatDistribution(high=0.1, log=True, low=1e-05, step=None): the "
                              "trials from here on are drawn from the new space, beside the earlier ones")
    assert len(load(sweep, "hparams_tpe").trials) == 3
