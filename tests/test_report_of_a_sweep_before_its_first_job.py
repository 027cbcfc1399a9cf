"""``trainlab report`` of a sweep that has no job directory yet - its multirun.yaml written, its first job not
started: a sweep started a moment ago, or stopped before its first job - says so and names the jobs its record lists;
of an empty directory, that it is empty and what report reads. Both said "... holds no job with a status.json: is it
a trainlab multirun directory?" (trainlab/report/sweep_runs.py load_sweep, not_started_refusal)."""

from __future__ import annotations

from tests.test_report_names_jobs_not_started import MULTIRUN_YAML
from trainlab.cli import main
from trainlab.printed_trainlab import trainlab_command


def test_report_of_a_sweep_whose_first_job_has_not_started_names_the_jobs_it_lists(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text(MULTIRUN_YAML.format(params="null"))
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err == (
        f"error: {sweep} is a sweep none of whose jobs has started (no job directory yet; its multirun.yaml lists "
        "jobs 0 (optimizer=sgd), 1 (optimizer=adam), 2 (optimizer=momentum)): it is starting - run "
        f"{trainlab_command('report')} again when it is over - or was stopped or killed before its first job (finish "
        "it with its command and resume_sweep=true)\n")
    assert sorted(path.name for path in sweep.iterdir()) == ["multirun.yaml"]  # nothing written

    (sweep / "multirun.yaml").write_text("hydra: {}\n")  # a record that lists no jobs (a search's): none named
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {sweep} is a sweep none of whose jobs has started (no job "
                                              "directory yet): it is starting - run ")


def test_report_of_an_empty_directory_says_it_is_empty(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"error: {empty} holds no job with a status.json: it is empty; report compares the jobs of a sweep, the "
        "hydra.sweep.dir of a `train.py -m` run (outputs/multiruns/<date>_<time> by default)\n")
    assert list(empty.iterdir()) == []


def test_report_of_a_sweep_whose_started_jobs_all_run_still_names_the_jobs_not_started(tmp_path, capsys):
    """A sweep of 3 jobs killed in its first: the refusal counted "1 job" and named none of the others."""
    sweep = tmp_path / "sweep"
    (sweep / "0_optimizer=sgd" / ".hydra").mkdir(parents=True)  # started, no status.json: running or killed
    (sweep / "multirun.yaml").write_text(MULTIRUN_YAML.format(params="null"))
    assert main(["report", str(sweep)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {sweep} is a sweep none of whose 1 started job wrote a status.json (a job writes it when it ends), "
        "and its multirun.yaml's other jobs (1 (optimizer=adam), 2 (optimizer=momentum)) have not started: still "
        "running - run ")
