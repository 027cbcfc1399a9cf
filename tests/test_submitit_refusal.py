"""A config error that only a job of submitit's launchers finds (submitit_local, and submitit_slurm through the fake
SLURM of tests/fake_slurm/): one line and exit status 2, as with the basic launcher
(trainlab/sweep/submitit_refusal.py). It was submitit's UncompletedJobError with a traceback and exit status 1,
after ~15 s of waiting for a result file the job's ``sys.exit(2)`` never wrote, and the sweep directory stayed."""

from __future__ import annotations

import csv
import pickle

import pytest
from conftest import JOB_PYTHONPATH
from hydra.core.utils import JobReturn, JobStatus

from trainlab.errors import ConfigError, UserError
from trainlab.preflight import holds_only_hydra_files
from trainlab.sweep.submitit_refusal import JobRefusal, raise_job_refusal

SUBMITIT_LOCAL = "hydra/launcher=submitit_local"
SUBMITIT_SLURM = "hydra/launcher=submitit_slurm"
# the jobs import trainlab from this checkout and the tests' helpers (failing_callback)


def job_return(status: JobStatus, value: object) -> JobReturn:
    result = JobReturn(overrides=["seed=1"])
    result.status, result.return_value = status, value
    return result


def test_a_refusal_pickles_with_its_message_and_the_jobs_traceback():
    """It travels from the job's process to the command as submitit's result."""
    refusal = pickle.loads(pickle.dumps(JobRefusal("optimizer.lr=-1 is invalid; allowed: ...", "Traceback ...")))
    assert isinstance(refusal, UserError)
    assert (str(refusal), refusal.job_traceback) == ("optimizer.lr=-1 is invalid; allowed: ...", "Traceback ...")


def test_the_command_raises_the_refusal_of_the_first_job_that_did_not_complete():
    refusal = JobRefusal("data.train_size=999999 ... do not fit")
    with pytest.raises(JobRefusal) as raised:
        raise_job_refusal([job_return(JobStatus.COMPLETED, 0.9), job_return(JobStatus.FAILED, refusal),
                           job_return(JobStatus.FAILED, JobRefusal("a later job's"))])
    assert raised.value is refusal


def test_a_job_that_failed_otherwise_is_left_to_the_sweeper_which_reports_it():
    """Not turned into a refusal (exit status 2): a bug's exception, first in job order, keeps Hydra's report."""
    raise_job_refusal([job_return(JobStatus.COMPLETED, 0.9), job_return(JobStatus.COMPLETED, None)])
    raise_job_refusal([job_return(JobStatus.FAILED, RuntimeError("a bug")),
                       job_return(JobStatus.FAILED, JobRefusal("a later job's"))])
    raise_job_refusal([job_return(JobStatus.FAILED, ConfigError("not carried as a refusal"))])


def test_submitits_files_in_a_refused_sweep_are_the_launchers_not_the_jobs(tmp_path):
    """A sweep whose jobs refused their config holds Hydra's files and submitit's pickles and logs: removable."""
    job = tmp_path / "0_seed=1"
    for name in ("multirun.yaml", "0_seed=1/.hydra/config.yaml", "0_seed=1/train.log",
                 ".submitit/123/123_submitted.pkl", ".submitit/123/123_0_result.pkl", ".submitit/123/123_0_log.err"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".submitit" / "%j").mkdir()
    # submitit's SLURM executor keeps a link to each batch script it submitted
    (tmp_path / ".submitit" / ".submission_file_0a1b.sh").symlink_to(tmp_path / ".submitit" / "123" / "123_0_log.err")
    assert holds_only_hydra_files(tmp_path)
    (job / "status.json").write_text("{}")  # a job that recorded itself: the sweep's record, kept
    assert not holds_only_hydra_files(tmp_path)
    (job / "status.json").unlink()
    (job / ".submitit").mkdir()  # only the sweep's own .submitit/ is submitit's
    (job / ".submitit" / "file.pkl").write_text("x")
    assert not holds_only_hydra_files(tmp_path)
    (job / ".submitit" / "file.pkl").unlink()
    (job / "link").symlink_to(tmp_path / "multirun.yaml")  # a link elsewhere: not the launcher's
    assert not holds_only_hydra_files(tmp_path)


def assert_one_error_line(result, line_start: str) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "UncompletedJobError" not in result.stderr, result.stderr[-3000:]
    assert "Error executing job" not in result.stderr, result.stderr[-3000:]  # Hydra's line for a failed job
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(line_start), result.stderr[-3000:]


@pytest.fixture(params=[SUBMITIT_LOCAL, SUBMITIT_SLURM])
def submitit_launcher(request) -> str:
    """Each of submitit's launchers; SLURM's submits to the fake SLURM (tests/fake_slurm/)."""
    if request.param == SUBMITIT_SLURM:
        request.getfixturevalue("fake_slurm")
    return request.param


@pytest.mark.slow  # ~6 s on 2 cores, more beside other work: each job is a process that imports Lightning
def test_a_config_error_every_submitit_job_finds_is_one_line_exit_2_and_leaves_nothing(train_subprocess, tmp_path,
                                                                                          submitit_launcher):
    """The command leaves a group's keys to its submitit jobs (it does not import Lightning): each job refuses the
    misspelt key, as a joblib job does, and the refused sweep is removed - nothing stays, as with the basic and
    joblib launchers (no UncompletedJobError: the jobs' results were there at once, not waited for). Under SLURM
    the sweep's .submitit/ holds links to the batch scripts, submitit's too."""
    result = train_subprocess("-m", "seed=1,2", submitit_launcher, "debug=limit", "+trainer.max_epoch=1",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert_one_error_line(result, "error: trainer.max_epoch: unknown key for lightning.pytorch.trainer.Trainer; "
                                  "allowed: accelerator, ")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow  # ~6 s on 2 cores, more beside other work: each job is a process that imports Lightning
def test_a_later_submitit_job_refused_ends_the_sweep_as_the_basic_launcher_does(train_subprocess, tmp_path,
                                                                                 submitit_launcher):
    """A refusal the second job finds once it runs (its data of one's own, say): the job before it trains, the
    refused one records itself failed, and the command ends with the job's line and exit status 2, no summary
    written - what the basic launcher leaves, plus submitit's logs."""
    result = train_subprocess("-m", "seed=1,2", submitit_launcher, "debug=limit",
                              "+callbacks.refuse={_target_:failing_callback.RefuseWhen,value:${seed},refused:2}",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert_one_error_line(result, "error: value=2 is refused by the job's own data; allowed: not 2")
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    statuses = {job.name: job.joinpath("status.json").read_text() for job in sweep_dir.glob("[01]_*")}
    assert [name[:2] + name[-6:] for name in sorted(statuses)] == ["0_seed=1", "1_seed=2"]
    assert ['"status": "completed"' in text for _, text in sorted(statuses.items())] == [True, False]
    assert not (sweep_dir / "summary.csv").exists()
    assert (sweep_dir / ".submitit").is_dir()


@pytest.mark.slow  # ~6 s on 2 cores, more beside other work: each job is a process that imports Lightning
def test_a_submitit_local_job_that_fails_at_run_time_is_recorded_and_the_sweep_goes_on(train_subprocess, tmp_path):
    """Not a refusal: the failed job is in the summary, the other completes, exit status 0."""
    result = train_subprocess("-m", SUBMITIT_LOCAL, "debug=limit",
                              "+callbacks.fail._target_=failing_callback.FailAtStep", "+callbacks.fail.step=1,1000000",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    with (sweep_dir / "summary.csv").open() as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["failed", "completed"]
    assert any("simulated crash at step 1" in path.read_text() for path in sweep_dir.glob("*/status.json"))


@pytest.mark.slow  # ~20 s: submitit waits 15 s for the result file of a job whose process died
def test_a_submitit_local_job_whose_process_died_still_ends_the_sweep_with_submitits_error(train_subprocess,
                                                                                           tmp_path):
    """Killed (SIGKILL, as the out-of-memory killer does): no result, no refusal - submitit's UncompletedJobError,
    exit status 1, as before."""
    result = train_subprocess("-m", "seed=1", SUBMITIT_LOCAL, "debug=limit",
                              "+callbacks.kill={_target_:failing_callback.KilledAtStepOnRank,step:3,rank:0}",
                              env={"PYTHONPATH": JOB_PYTHONPATH})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "UncompletedJobError" in result.stderr and "has not produced any output" in result.stderr
    assert not any(line.startswith("error: ") for line in result.stderr.splitlines())
