"""The refusal of a new multirun into a search's sweep dir reads that search's ``multirun.yaml`` without failing on
it, and names its storage where the search opened it.

``held_search`` resolved ``hydra.sweeper.storage`` and ``n_trials`` unguarded: a storage written
``journal:${hydra:runtime.cwd}/s.journal`` raised ``InterpolationResolutionError ... HydraConfig was not set`` from
``Preflight.on_multirun_start``, which Hydra turned into a warning - and the whole sweep-dir check was skipped. A
relative ``journal:``/``sqlite:`` storage was made absolute against today's directory, not the one the search ran
from (``hydra.runtime.cwd`` of its ``multirun.yaml``), so another directory named another file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trainlab.errors import RunDirInUseError
from trainlab.search.sweep_dir_search import SEARCH_SWEEPER, held_search
from trainlab.sweep.job_dirs import check_no_runs_in_jobs

JOB = "0_optimizer.lr=0.01"


def search_dir(tmp_path: Path, storage: str, n_trials: str = "2", cwd: str | None = "/original/checkout") -> Path:
    """A sweep dir of a search whose ``multirun.yaml`` writes ``storage`` and ``n_trials`` as given, with one trial
    job holding a run (its ``hparams.yaml``)."""
    sweep = tmp_path / "search"
    (sweep / JOB).mkdir(parents=True)
    (sweep / JOB / "hparams.yaml").write_text("lr: 0.01\n")
    runtime = f"  runtime:\n    cwd: {cwd}\n" if cwd else ""
    (sweep / "multirun.yaml").write_text(
        f"hydra:\n{runtime}  sweeper:\n    _target_: {SEARCH_SWEEPER}\n    study_name: hparams_random\n"
        f"    storage: '{storage}'\n    n_trials: {n_trials}\n")
    return sweep


def test_a_storage_that_will_not_resolve_is_refused_naming_it_as_written(tmp_path):
    sweep = search_dir(tmp_path, "journal:${hydra:runtime.cwd}/s.journal", n_trials="${oc.env:TRAINLAB_NO_SUCH_VAR}")
    written = (sweep / "multirun.yaml").read_bytes()
    with pytest.raises(RunDirInUseError) as refused:  # not InterpolationResolutionError, which skipped the check
        check_no_runs_in_jobs(sweep)
    message = str(refused.value)
    assert message.startswith(f"hydra.sweep.dir={sweep} holds a search: the study 'hparams_random' in "
                              f"journal:${{hydra:runtime.cwd}}/s.journal, 1 trial job ({JOB}); nothing was "
                              "overwritten. allowed: resume_sweep=true continues that study, and with a larger "
                              "hydra.sweeper.n_trials extends it: "), message
    assert (sweep / "multirun.yaml").read_bytes() == written


@pytest.mark.parametrize(("storage", "named"), [
    ("journal:rel/s.journal", "journal:/original/checkout/rel/s.journal"),
    ("sqlite:///rel/s.db", "sqlite:////original/checkout/rel/s.db"),
    ("sqlite:////abs/s.db", "sqlite:////abs/s.db"),
    ("journal:${hydra.runtime.cwd}/s.journal", "journal:/original/checkout/s.journal")])
def test_a_relative_study_file_is_named_against_the_directory_the_search_ran_from(tmp_path, monkeypatch, storage,
                                                                                  named):
    sweep = search_dir(tmp_path, storage)
    monkeypatch.chdir(tmp_path)  # today's directory is not the search's
    search = held_search(sweep)
    assert (search.study_name, search.storage, search.n_trials) == ("hparams_random", named, 2)


def test_a_relative_study_file_without_a_recorded_directory_is_named_as_written(tmp_path, monkeypatch):
    sweep = search_dir(tmp_path, "journal:rel/s.journal", cwd=None)
    monkeypatch.chdir(tmp_path)
    assert held_search(sweep).storage == "journal:rel/s.journal"
