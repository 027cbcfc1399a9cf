"""A joblib sweep refused at its jobs' config ends as a basic one does: one ``error:`` line, exit status 2, nothing
left that the command made (trainlab/sweep/worker_refusal.py, trainlab/sweep/first_job.py).

Before: each worker that reached the refusal printed its own copy of the line (two to four under four workers),
and a sweep whose jobs a key refused only in part (``-m optimizer=momentum,nesterov,adam ++optimizer.momentum=0.9``)
trained the others to their end in their workers, then stopped with an error that named no job, their directories
and the refused job's ``.hydra/`` left in the sweep directory - where the basic launcher refuses it before anything
is written, naming the job.
"""

from __future__ import annotations

import pickle

import hydra._internal.utils as hydra_internal
import joblib
import pytest
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.hydra_errors import report_config_errors_in_one_line
from trainlab.sweep.first_job import key_checks_alike
from trainlab.sweep.worker_refusal import RefusedInWorker, refuse_from_worker

UNKNOWN_KEY = (
    "model.net.foo: unknown key for trainlab.models.mlp.MLP; allowed: activation, batch_norm, "
    "batch_norm_eps, batch_norm_running_stats, dropout, dropout_kind, hidden_sizes, input_size, num_classes"
)


def refuse(message: str) -> None:
    refuse_from_worker(ConfigError(message))


def test_a_workers_refusal_reaches_the_command_with_its_message_and_is_printed_there_once(capsys, monkeypatch):
    with pytest.raises(RefusedInWorker) as refused:
        refuse("x.y: unknown key")
    assert refused.value.code == 2 and capsys.readouterr().err == ""  # nothing printed in the worker
    assert pickle.loads(pickle.dumps(refused.value)).message == "x.y: unknown key"
    with pytest.raises(RefusedInWorker) as handed:  # raised again in this process by joblib, as from a worker
        joblib.Parallel(n_jobs=2)(joblib.delayed(refuse)("x.y: unknown key") for _ in range(2))
    assert handed.value.message == "x.y: unknown key"

    monkeypatch.setattr(hydra_internal, "run_and_report", lambda func: func())  # Hydra's reporting, put back after
    report_config_errors_in_one_line()
    with pytest.raises(SystemExit) as stop:
        hydra_internal.run_and_report(lambda: refuse("x.y: unknown key"))
    assert stop.value.code == 2
    assert capsys.readouterr().err == "error: x.y: unknown key\n"


def job(optimizer: dict, weight_decay: float = 0.0) -> DictConfig:
    return OmegaConf.create(
        {
            "optimizer": optimizer,
            "model": {"_target_": "M", "weight_decay": weight_decay},
            "trainer": {"_target_": "T", "max_steps": 5},
        }
    )


def test_jobs_differing_only_in_values_are_alike_for_the_key_checks():
    sgd = {"_target_": "trainlab.optim.sgd.SGD", "lr": 0.1}
    assert key_checks_alike([job(sgd), job({**sgd, "lr": 0.01}), job(sgd, weight_decay=0.0)])
    assert key_checks_alike([job(sgd, weight_decay=0.1), job(sgd, weight_decay=0.2)])


@pytest.mark.parametrize(
    "other",
    [
        job({"_target_": "trainlab.optim.adam.Adam", "lr": 0.1}),  # another option of the group: another target
        job({"_target_": "trainlab.optim.sgd.SGD", "lr": 0.1, "momentum": 0.9}),  # a key the other lacks
        job({"_target_": "trainlab.optim.sgd.SGD", "lr": 0.1}, weight_decay=0.1),  # the optimizer must apply a decay
    ],
    ids=["target", "key", "weight-decay"],
)
def test_jobs_a_key_check_may_answer_differently_are_not_alike(other):
    assert not key_checks_alike([job({"_target_": "trainlab.optim.sgd.SGD", "lr": 0.1}), other])


def test_a_joblib_sweep_whose_later_job_would_be_refused_names_it_and_runs_none(
    train_in_process, tmp_path, monkeypatch
):
    """Adam takes no momentum: the command's process checks the keys, as the jobs' optimizers differ."""
    monkeypatch.setattr(joblib.Parallel, "__call__", lambda self, jobs: pytest.fail("a job was launched"))
    result = train_in_process(
        "-m",
        "optimizer=momentum,nesterov,adam",
        "++optimizer.momentum=0.9",
        "debug=limit",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: optimizer.momentum: optimizer=adam takes no momentum (its keys: lr, betas, eps, foreach, compile); "
        "allowed: one of its keys, or an option that takes momentum - optimizer=momentum, optimizer=nesterov, "
        "optimizer=torch_sgd (e.g. optimizer=momentum optimizer.momentum=0.9) (in job "
        "2_++optimizer.momentum=0.9,data.source=bundled,optimizer=adam of the sweep; no job was run)"
    ], result.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow  # ~20 s on 2 cores: four worker processes import torch and Lightning (make test-slow)
def test_a_joblib_sweep_refused_in_every_worker_says_it_once_and_leaves_nothing(train_subprocess, tmp_path):
    """Every job refuses a key that the command's process leaves to the jobs (they are alike): each of the four
    workers printed the line it reached before joblib stopped the others."""
    sweep = tmp_path / "sweep"
    result = train_subprocess(
        "-m",
        "seed=1,2,3,4,5,6",
        "+model.net.foo=1",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=4",
        f"hydra.sweep.dir={sweep}",
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [f"error: {UNKNOWN_KEY}"]
    assert result.stderr.strip().splitlines()[-1] == f"error: {UNKNOWN_KEY}"
    assert not sweep.exists()
