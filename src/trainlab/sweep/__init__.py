"""What every multirun shares, whatever its launcher: how its jobs are composed and checked, and what is written
about the sweep as a whole.

* :mod:`~trainlab.sweep.composed_configs` - the jobs composed from templates instead of re-reading the YAML files.
* :mod:`~trainlab.sweep.basic_sweep` - the jobs Hydra's basic sweeper makes of a command.
* :mod:`~trainlab.sweep.group_sweeps` - a sweep over a config group's options: ``glob()`` expanded, ``range()`` and
  ``interval()`` refused.
* :mod:`~trainlab.sweep.first_job` - a basic sweep's first job checked before Hydra writes the sweep.
* :mod:`~trainlab.sweep.job_dirs` - where the jobs' directories are, and whether a new multirun may write there.
* :mod:`~trainlab.sweep.single_run_of_a_sweep` - a sweep config (``experiment=...``) run as a single run: refused
  unless the command gives every swept key its value (one job alone).
* :mod:`~trainlab.sweep.resumed_configs` - ``resume_sweep=true``: each job that ran with the settings composed now.
* :mod:`~trainlab.sweep.summary` / :mod:`~trainlab.sweep.summary_callback` - ``summary.csv`` and
  ``ranking.csv``, written when the multirun ends.
* :mod:`~trainlab.sweep.hparams_experiment` / :mod:`~trainlab.sweep.hparams_callback` - the sweep's HPARAMS
  experiment (TensorBoard's table of runs), written when the multirun ends.
* :mod:`~trainlab.sweep.stopped_sweep` - both written when a sweep in the command's process is stopped by a signal.
"""
