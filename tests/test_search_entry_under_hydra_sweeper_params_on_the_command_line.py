"""``'hydra.sweeper.params.optimizer.lr=tag(log, interval(1e-6, 1e-2))'`` on the command line is refused by Hydra
(a sweep value under ``hydra`` reads as a sweep of its own config); the line says how the entry is written instead:
``'optimizer.lr=tag(log, interval(1e-6, 1e-2))'``, or in a config file's ``hydra.sweeper.params``.

Before: ``error: Sweeping over Hydra's configuration is not supported : 'hydra.sweeper.params.optimizer.lr=...'``,
which named neither form.
"""

from __future__ import annotations

SEARCHED = "tag(log, interval(1e-6, 1e-2))"


def test_a_search_entry_under_hydra_sweeper_params_is_refused_with_the_override_that_searches_it(train_in_process,
                                                                                                  tmp_path):
    refused = train_in_process("hparams_search=tpe", f"hydra.sweeper.params.optimizer.lr={SEARCHED}",
                               f"hydra.sweep.dir={tmp_path / 'search'}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: hydra.sweeper.params.optimizer.lr={SEARCHED}: Hydra takes a sweep value under hydra for a sweep of "
        f"its own config and sweeps none; allowed: the entry as a sweep override of its key, 'optimizer.lr={SEARCHED}'"
        " (a search adds it to its space, in place of hydra.sweeper.params' entry for optimizer.lr), or "
        f"hydra.sweeper.params in a config file (hydra: {{sweeper: {{params: {{optimizer.lr: '{SEARCHED}'}}}}}})")
    assert not (tmp_path / "search").exists()


def test_a_grid_entry_under_hydra_sweeper_params_is_refused_with_the_sweep_override(train_in_process, tmp_path):
    refused = train_in_process("-m", "hydra.sweeper.params.optimizer.lr=0.1,0.2", f"hydra.sweep.dir={tmp_path / 's'}")
    assert refused.returncode == 2
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("error: hydra.sweeper.params.optimizer.lr=0.1,0.2: Hydra takes a sweep value under hydra")
    assert "allowed: the entry as a sweep override of its key, optimizer.lr=0.1,0.2 (the multirun sweeps it)" in last
    # any other key of Hydra's keeps Hydra's line
    other = train_in_process("-m", "hydra.verbose=true,false", f"hydra.sweep.dir={tmp_path / 's'}")
    assert other.returncode == 2 and other.stderr.strip().splitlines()[-1] == (
        "error: Sweeping over Hydra's configuration is not supported : 'hydra.verbose=true,false'")


def test_a_search_entry_under_hydra_sweeper_params_without_a_search_says_it_needs_one(train_in_process, tmp_path):
    """Without hparams_search the line said ``'optimizer.lr=tag(log, interval(1e-6, 1e-2))' (the multirun sweeps
    it)``, and that override then failed with the basic sweeper's refusal of interval(): it needs a search."""
    refused = train_in_process("-m", f"hydra.sweeper.params.optimizer.lr={SEARCHED}",
                               f"hydra.sweep.dir={tmp_path / 's'}")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: hydra.sweeper.params.optimizer.lr={SEARCHED}: Hydra takes a sweep value under hydra for a sweep of "
        f"its own config and sweeps none; allowed: the entry as a sweep override of its key in a search, "
        f"'optimizer.lr={SEARCHED}' with hparams_search=random or hparams_search=tpe (interval() needs a sweeper that "
        "samples; the basic sweeper takes lists (a,b,c), range() and glob()), or hydra.sweeper.params in a config "
        f"file (hydra: {{sweeper: {{params: {{optimizer.lr: '{SEARCHED}'}}}}}}) with such a search")
    assert not (tmp_path / "s").exists()
    # tag() around a list the basic sweeper sweeps: no search needed
    tagged = train_in_process("-m", "hydra.sweeper.params.optimizer.lr=tag(log, choice(0.1, 0.2))",
                              f"hydra.sweep.dir={tmp_path / 's'}")
    assert tagged.returncode == 2
    assert "optimizer.lr=tag(log, choice(0.1, 0.2))' (the multirun sweeps it)" in tagged.stderr
