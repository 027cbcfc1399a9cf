"""A finished search re-run without ``resume_sweep=true`` is refused with the search's own words: its study, where it
lives, and how a search goes on (``resume_sweep=true`` continues it until ``n_trials``, a larger ``n_trials`` extends
it) - not the grid sweep's refusal.

Before: ``hydra.sweep.dir=... already holds a run in 0_model.weight_decay=...,optimizer.lr=..., 1_..., 2_... and 5
more; ... Finish that sweep with its own overrides and resume_sweep=true ... (completed and diverged jobs are
skipped)``, which named neither the study nor ``n_trials``.
"""

from __future__ import annotations

import pytest

from trainlab.shell_override import finish_sweep_command

SEARCH = ("hparams_search=random", "hydra.sweeper.n_trials=2", "trainer.max_epochs=1", "data.train_size=100",
          "data.val_size=100")


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.slow  # three searches through train.py (~12 s on 2 cores)
def test_a_finished_search_rerun_without_resume_names_its_study_and_how_it_goes_on(train_in_process, tmp_path):
    sweep = tmp_path / "search"
    assert train_in_process(*SEARCH, f"hydra.sweep.dir={sweep}").returncode == 0
    every_file = {path: path.read_bytes() for path in sweep.rglob("*") if path.is_file()}
    refused = train_in_process(*SEARCH, f"hydra.sweep.dir={sweep}")
    assert refused.returncode == 2
    first = sorted(path.name for path in sweep.iterdir() if path.name.startswith("0_"))[0]
    assert last_line(refused) == (
        f"error: hydra.sweep.dir={sweep} holds a search: the study 'hparams_random' in {sweep / 'optuna.journal'}, 2 "
        f"trial jobs ({first}, ...); nothing was overwritten. allowed: resume_sweep=true continues that study until "
        "it has hydra.sweeper.n_trials=2, and with a larger hydra.sweeper.n_trials extends it: "
        f"{finish_sweep_command(sweep)}; or a new hydra.sweep.dir for a new search")
    assert {path: path.read_bytes() for path in sweep.rglob("*") if path.is_file()} == every_file

    # a study outside the sweep dir (hydra.sweeper.storage) is named by its file, a relative one made absolute
    shared = tmp_path / "shared"
    store = tmp_path / "study.log"
    assert train_in_process(*SEARCH, f"hydra.sweep.dir={shared}", f"hydra.sweeper.storage=journal:{store}"
                            ).returncode == 0
    refused = train_in_process(*SEARCH, f"hydra.sweep.dir={shared}", f"hydra.sweeper.storage=journal:{store}")
    assert refused.returncode == 2
    assert last_line(refused).startswith(f"error: hydra.sweep.dir={shared} holds a search: the study 'hparams_random' "
                                         f"in journal:{store}, 2 trial jobs (0_")


def test_a_grid_sweep_into_a_directory_that_holds_a_study_is_refused_before_any_trial_ran(tmp_path):
    """A search is not locked; a grid started into its directory while it started up (its optuna.journal there, no
    trial yet) was accepted: it rewrote the search's multirun.yaml, topped its ranking with the grid's jobs, and the
    search could no longer be resumed."""
    from trainlab.errors import RunDirInUseError
    from trainlab.sweep.job_dirs import check_sweep_dir_free

    sweep = tmp_path / "search"
    sweep.mkdir()
    (sweep / "optuna.journal").write_bytes(b"")  # as the search's start leaves it
    with pytest.raises(RunDirInUseError) as refused:
        check_sweep_dir_free(sweep, resume_sweep=False, resuming_checkpoints=False, grid=True)
    assert str(refused.value) == (
        f"hydra.sweep.dir={sweep} holds a search (a study in {sweep / 'optuna.journal'}); a grid sweep would write its "
        "jobs, multirun.yaml and summary among the search's trials; nothing was written. allowed: a new "
        "hydra.sweep.dir")
    check_sweep_dir_free(sweep, resume_sweep=True, resuming_checkpoints=False, grid=False)  # the search goes on there
