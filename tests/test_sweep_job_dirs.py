"""A sweep's job directories are found at any depth, once each (trainlab.sweep.job_dirs)."""

from __future__ import annotations

from trainlab.sweep.job_dirs import sweep_job_dirs


def make_job(directory):
    directory.mkdir(parents=True)
    (directory / "status.json").write_text("{}")
    return directory


def test_job_dirs_in_job_order_nested_ones_included_links_and_own_folders_skipped(tmp_path):
    second = make_job(tmp_path / "10_optimizer=adam")
    first = make_job(tmp_path / "2_monitor=val" / "acc,optimizer=sgd")  # a value with a '/'
    hydra_only = tmp_path / "3_optimizer=momentum"
    (hydra_only / ".hydra").mkdir(parents=True)  # made by Hydra, not run yet
    make_job(second / "attempts" / "0")  # an earlier attempt inside a job: not a job of the sweep
    (tmp_path / "report").mkdir()
    (tmp_path / "latest").symlink_to(tmp_path)  # a link back into the sweep: no loop, no copies
    (tmp_path / "best").symlink_to(second)
    assert sweep_job_dirs(tmp_path) == [first, hydra_only, second]
    assert sweep_job_dirs(tmp_path / "missing") == []
