"""A search in a new sweep dir that names an earlier search's storage (``hydra.sweeper.storage``) joins that study - the
shared-study design (docs/hyper-parameter-search.md, "Shared study") - and says so; one that finds the study already at
``n_trials`` runs nothing and leaves no sweep dir behind, naming where the study's trials are.

Before: ``hydra.sweeper.storage=sqlite:///st.db hydra.sweep.dir=q3`` after a search in ``q1`` ran trials 4 and 5 of
the old study and exited 0, its start line no different from a new study's; with ``n_trials=4`` it said "4 trials so
far ... nothing to run" and wrote ``q3`` with an empty summary and an ``optimization_results.yaml`` whose best job was
in ``q1``.
"""

from __future__ import annotations

import logging

import pytest
from test_optuna_search import make_search, run_search


@pytest.mark.slow  # three searches (~15 s on 2 cores)
@pytest.mark.parametrize("form", ["journal", "sqlite"])
def test_a_new_sweep_dir_on_an_earlier_searchs_storage_says_it_joins_that_study(tmp_path, caplog, form):
    store = f"journal:{tmp_path / 'st.log'}" if form == "journal" else f"sqlite:///{tmp_path / 'st.db'}"
    first, second, full = tmp_path / "q1", tmp_path / "q3", tmp_path / "q4"
    run_search(make_search(first, "hydra.sweeper.n_trials=2", f"hydra.sweeper.storage={store}"))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        run_search(make_search(second, "hydra.sweeper.n_trials=3", f"hydra.sweeper.storage={store}"))
    assert (f"study 'hparams_random' in {store} holds 2 trials, run in {first} (2): this sweep (hydra.sweep.dir="
            f"{second}) adds its trials to that study (a study of its own: another hydra.sweeper.study_name or "
            "storage)") in caplog.messages
    assert sorted(path.name[:2] for path in second.iterdir() if path.is_dir()) == ["2_"]  # trial 2 ran here

    caplog.clear()
    with caplog.at_level(logging.INFO):
        payload = run_search(make_search(full, "hydra.sweeper.n_trials=2", f"hydra.sweeper.storage={store}"))
    assert not full.exists()  # nothing ran: no sweep dir of an empty summary
    best = payload["best_job"]
    assert best.startswith((f"{first}/", f"{second}/")) and payload["trials"]["completed"] == 3
    assert (f"study 'hparams_random' in {store}: 3 trials so far, hydra.sweeper.n_trials=2 reached: nothing to run, "
            f"and hydra.sweep.dir={full} is not made; the study's trials and results are in {first} (2), {second} "
            f"(1); best trial {payload['best_trial']} with value {payload['best_value']} ({best}) (a larger n_trials "
            "adds trials to it)") in caplog.messages
