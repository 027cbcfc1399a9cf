"""Hyper-parameter search on Optuna: the logic of the Hydra sweeper ``hydra/sweeper=trainlab_optuna``.

``optuna_search`` runs the ask -> launch batch -> tell loop; ``search_space`` parses ``hydra.sweeper.params``;
``sampler_factory`` / ``worker_seeded_sampler`` build the sampler; ``storage`` opens the study's storage;
``trial_outcome`` maps a job's end to Optuna; ``trial_budget`` counts trials toward ``n_trials``; ``stale_trials``
closes what a killed run left; ``batch_size`` chooses how many trials are asked at a time (``n_jobs: auto``);
``study_settings`` records what every trial of a study trains and refuses a resume that changes it; ``journal_file``
and ``sqlite_wal`` keep the study's file safe and its commits cheap; ``stop_signals`` handles Ctrl-C / SIGTERM;
``worker_identity`` names the process; ``results`` writes ``optimization_results.yaml``. The plugin in
``src/hydra_plugins/trainlab_optuna_sweeper/`` only adapts Hydra's Sweeper interface to
:class:`~trainlab.search.optuna_search.OptunaSearch`.
"""
