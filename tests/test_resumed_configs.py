"""``resume_sweep=true`` of a grid sweep after a config file changed (trainlab/sweep/resumed_configs.py).

The resume used to compare only the command line's overrides: with ``lr`` edited in the optimizer's YAML, the
unfinished jobs trained with the new value beside the completed ones, Hydra rewrote the completed jobs'
``.hydra/config.yaml`` with it (their ``hparams.yaml`` and results were the old one's), and the command exited 0.
The config files here are options of a config dir of the test's own (``--config-dir``): the repository's conf/ is
never edited.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
from pathlib import Path

import pytest
from conftest import CONF_DIR
from tb_events import load_run

from trainlab.run_status import read_status
from trainlab.sweep.job_dirs import sweep_job_dirs


def own_option(tmp_path: Path, group: str, name: str, copied: str) -> Path:
    """``<tmp_path>/my_conf/<group>/<name>.yaml``, a copy of the repository's ``conf/<group>/<copied>.yaml``."""
    path = tmp_path / "my_conf" / group / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONF_DIR / group / f"{copied}.yaml", path)
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


def mark_interrupted(job_dir: Path) -> None:
    """As if the sweep had been stopped while the job trained (it saved its last.ckpt and said so)."""
    status = json.loads((job_dir / "status.json").read_text())
    status["status"] = "interrupted"
    (job_dir / "status.json").write_text(json.dumps(status))


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every path under ``directory`` with its bytes (None for a directory)."""
    return {str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes() for p in directory.rglob("*")}


def refusal(sweep: Path, job: str, changes: str) -> str:
    return (f"error: resume_sweep=true finishes the sweep in hydra.sweep.dir={sweep}: its job {job} ran with other "
            f"settings than this command composes for it (recorded in its .hydra/config.yaml -> now: {changes}) - a "
            "config file or override changed since; the jobs still to run would train otherwise than those that ran, "
            "in one summary.csv; nothing was changed. allowed: the config the sweep ran with (its config files as "
            "they were), or a new hydra.sweep.dir for this configuration")


@pytest.mark.slow  # ~8 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_config_file_edited_since_the_sweep_ran_is_refused_with_every_launcher_and_nothing_is_rewritten(
        train_in_process, tmp_path):
    sgd = own_option(tmp_path, "optimizer", "my_sgd", "sgd")
    sweep = tmp_path / "sweep"
    args = ["-m", "--config-dir", str(tmp_path / "my_conf"), "optimizer=my_sgd,adam", "debug=limit",
            f"hydra.sweep.dir={sweep}"]
    assert train_in_process(*args).returncode == 0
    first, second = sweep_job_dirs(sweep)
    mark_interrupted(second)
    edit(sgd, "lr: 0.01\n", "lr: 0.1\n")
    before = snapshot(sweep)
    for launcher in ("basic", "joblib", "submitit_local", "stacked"):  # refused before any launcher starts a job
        refused = train_in_process(*args, "resume_sweep=true", f"hydra/launcher={launcher}")
        assert refused.returncode == 2, (launcher, refused.stderr[-3000:])
        assert refused.stderr.strip().splitlines()[-1] == refusal(
            sweep, first.name, "optimizer.lr: 0.01 -> 0.1"), launcher
        assert snapshot(sweep) == before, launcher  # multirun.yaml, every job's .hydra/ and log included
    # a key that names no hyper-parameter (how the same step is computed) may change; the lr as it was resumes
    edit(sgd, "lr: 0.1\n", "lr: 0.01\n")
    edit(sgd, "foreach: true\n", "foreach: false\n")
    resumed = train_in_process(*args, "resume_sweep=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert re.search(rf"resume_sweep=true: {re.escape(first.name)} completed before; skipping it", resumed.stdout)
    assert read_status(first)["status"] == read_status(second)["status"] == "completed"
    assert "  lr: 0.01\n" in (first / ".hydra" / "config.yaml").read_text()


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_stacked_sweep_resumes_with_its_own_config_and_refuses_an_override_of_a_key_job_names_leave_out(
        train_in_process, tmp_path):
    """The stacked launcher records its members' .hydra/ itself; the check reads them as Hydra's. A key job names
    leave out (callbacks) that changes what a run trains is a setting too: the overrides' check let it through."""
    sweep = tmp_path / "sweep"
    args = ["-m", "optimizer=sgd,adam", "hydra/launcher=stacked", "debug=limit", f"hydra.sweep.dir={sweep}"]
    assert train_in_process(*args).returncode == 0
    first, second = sweep_job_dirs(sweep)
    (second / "status.json").unlink()  # as if the sweep had stopped before the second member finished
    before = snapshot(sweep)
    refused = train_in_process(*args, "resume_sweep=true", "callbacks=early_stopping")
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert refused.stderr.strip().splitlines()[-1] == refusal(
        sweep, first.name,
        "callbacks.early_stopping._target_: (absent) -> 'lightning.pytorch.callbacks.EarlyStopping'; "
        "callbacks.early_stopping.min_delta: (absent) -> 0.0; callbacks.early_stopping.mode: (absent) -> 'max' and 2 "
        "more")
    assert snapshot(sweep) == before
    # display and location keys may differ, and what the sweep returns
    resumed = train_in_process(*args, "resume_sweep=true", "callbacks.progress_bar.refresh_rate=1", "logger=csv",
                               "optimized_metric=val/loss")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "1 completed before, skipped (resume_sweep=true)" in resumed.stdout + resumed.stderr
    assert read_status(second)["status"] == "completed"


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_resume_from_checkpoints_goes_on_with_the_sweeps_config_and_keeps_its_budget(train_in_process, tmp_path):
    """ckpt_path=last may differ (how the jobs go on), the budget may not: the completed jobs, skipped, keep the one
    they ran to - a larger budget is another sweep (a single run's resume may raise it). The sweep is stopped as a
    user's is: a SIGTERM at job 1's first step (tests/signal_in_job.py)."""
    limit = own_option(tmp_path, "debug", "my_limit", "limit")
    sweep = tmp_path / "sweep"
    args = ["-m", "--config-dir", str(tmp_path / "my_conf"), "seed=0,1", "debug=my_limit",
            "+callbacks.s={_target_:signal_in_job.SignalInJob}", "hydra.sweep.subdir=job${hydra.job.num}",
            f"hydra.sweep.dir={sweep}"]
    stopped = train_in_process(*args, env={"TRAINLAB_TEST_SIGNALS": "1:SIGTERM"})
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    first, second = sweep / "job0", sweep / "job1"
    assert [read_status(first)["status"], read_status(second)["status"]] == ["completed", "interrupted"]
    edit(limit, "max_epochs: 2\n", "max_epochs: 3\n")
    before = snapshot(sweep)
    for resume in ([], ["ckpt_path=last"]):
        refused = train_in_process(*args, "resume_sweep=true", *resume)
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert refused.stderr.strip().splitlines()[-1] == refusal(sweep, "job0", "trainer.max_epochs: 2 -> 3")
        assert snapshot(sweep) == before
    edit(limit, "max_epochs: 3\n", "max_epochs: 2\n")
    resumed = train_in_process(*args, "resume_sweep=true", "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert read_status(first)["status"] == read_status(second)["status"] == "completed"
    steps = [event.step for event in load_run(second).Scalars("train/loss")]
    assert steps == list(range(10)), steps  # step 0 before the stop, the rest from its checkpoint: once each
    assert not (second / "attempts").exists()  # went on, not trained anew (which sets the first attempt aside)
