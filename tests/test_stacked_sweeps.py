"""``hydra/launcher=stacked`` as a user runs it: grouping, the files each job gets, evaluate / resume a member alone,
interrupts and ``resume_sweep``."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, run_train_in_process
from omegaconf import OmegaConf
from sigterm_at_step import stacks_get_sigterm_at
from tb_events import load_run, session_columns

from trainlab.callbacks.graceful_shutdown import TrainingInterrupted
from trainlab.errors import CheckpointError
from trainlab.evaluate import evaluate
from trainlab.report.build import build_report
from trainlab.report.sweep_runs import load_sweep
from trainlab.run_status import read_status
from trainlab.stacked.grouping import STRICT_ALLOWED, group_key, plan_stacks, why_alone
from trainlab.stacked.train_stack import StackJob, train_stack
from trainlab.train import train

SMALL = ["data.train_size=400", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[32,32]",
         "trainer.max_epochs=2", "trainer.log_every_n_steps=4"]
# two jobs stack (optimizer differs); the two with accumulation run alone (Lightning's automatic loop)
SWEEP = ["-m", "optimizer=sgd,adam", "trainer.accumulate_grad_batches=1,2", *SMALL]


def summary(sweep_dir):
    with (sweep_dir / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory, data_dir):
    """The same 4-job sweep with the stacked launcher and with the basic one."""
    base = tmp_path_factory.mktemp("sweeps")
    dirs = {}
    for launcher in ("stacked", "basic"):
        dirs[launcher] = base / launcher
        record = f"+hydra.callbacks.record={{_target_:job_return_recorder.RecordJobReturns,path:{base}/returns.jsonl}}"
        result = run_train_in_process([*SWEEP, f"hydra/launcher={launcher}", f"hydra.sweep.dir={dirs[launcher]}",
                                       record], base, data_dir)
        assert result.returncode == 0, result.stderr[-3000:]
        dirs[f"{launcher}_log"] = result.stdout + result.stderr
    return dirs


def hydra_yaml_but_the_launcher(job_dir):
    """A job's .hydra/hydra.yaml without what names its launcher (and the sweep dir it lies in)."""
    hydra = OmegaConf.to_container(OmegaConf.load(job_dir / ".hydra" / "hydra.yaml"))["hydra"]
    del hydra["launcher"], hydra["runtime"]["choices"]["hydra/launcher"]
    hydra["overrides"]["hydra"] = [o for o in hydra["overrides"]["hydra"] if not o.startswith("hydra/launcher=")
                                   and not o.startswith("hydra.sweep.dir=")]
    for node, key in ((hydra["sweep"], "dir"), (hydra["runtime"], "output_dir")):
        node[key] = node[key].replace(str(job_dir.parent), "<sweep>")
    return hydra


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_stacked_sweep_writes_what_the_basic_sweep_writes(sweeps):
    stacked, basic = summary(sweeps["stacked"]), summary(sweeps["basic"])
    assert [row["job"] for row in stacked] == [row["job"] for row in basic]  # same job dirs, in job order
    for got, expected in zip(stacked, basic, strict=True):
        assert got["status"] == expected["status"] == "completed"
        assert float(got["objective"]) == pytest.approx(float(expected["objective"]), abs=1e-6)
        job_stacked, job_basic = sweeps["stacked"] / got["job"], sweeps["basic"] / got["job"]
        for name in ("config.yaml", "overrides.yaml"):
            assert OmegaConf.load(job_stacked / ".hydra" / name) == OmegaConf.load(job_basic / ".hydra" / name)
        assert hydra_yaml_but_the_launcher(job_stacked) == hydra_yaml_but_the_launcher(job_basic)
        assert (job_stacked / "train.log").stat().st_size > 0
        assert (job_stacked / "checkpoints" / "last.ckpt").is_file()
        tags = {tag: [e.step for e in load_run(job_stacked).Scalars(tag)]
                for tag in load_run(job_stacked).Tags()["scalars"] if tag != "epoch"}
        assert tags == {tag: [e.step for e in load_run(job_basic).Scalars(tag)]
                        for tag in load_run(job_basic).Tags()["scalars"] if tag != "epoch"}
        assert session_columns(job_stacked) == session_columns(job_basic)  # the HPARAMS row
    assert (sweeps["stacked"] / "ranking.csv").is_file()


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_each_members_job_return_carries_its_own_hydra_config_as_the_basic_launchers_do(sweeps):
    """Hydra's on_job_end callbacks (and the sweeper) get, per job, a JobReturn whose hydra_cfg is that job's."""
    records = [json.loads(line) for line in (sweeps["stacked"].parent / "returns.jsonl").read_text().splitlines()]
    returns = {launcher: sorted((r for r in records if r["launcher"] == launcher), key=lambda r: r["job_num"])
               for launcher in ("stacked", "basic")}
    assert [r["job_num"] for r in returns["stacked"]] == [0, 1, 2, 3]
    for stacked, basic in zip(returns["stacked"], returns["basic"], strict=True):
        assert stacked["hydra_cfg_job_num"] == stacked["job_num"] == basic["hydra_cfg_job_num"]
        assert stacked["hydra_cfg_overrides"] == stacked["overrides"] == basic["overrides"]
        assert Path(stacked["hydra_cfg_output_dir"]).relative_to(sweeps["stacked"]) == Path(
            basic["hydra_cfg_output_dir"]).relative_to(sweeps["basic"])
        assert stacked["status"] == basic["status"] == "COMPLETED"
        assert stacked["return_value"] == pytest.approx(basic["return_value"], abs=1e-6)


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_the_report_reads_a_stacked_sweep_as_a_plain_one(sweeps):
    stacked, basic = load_sweep(sweeps["stacked"]), load_sweep(sweeps["basic"])
    assert stacked[1:] == basic[1:]  # swept keys, recognised experiment
    assert [(j.name, sorted(j.scalars)) for j in stacked[0]] == [(j.name, sorted(j.scalars)) for j in basic[0]]
    assert sorted(build_report(sweeps["stacked"])) == sorted(build_report(sweeps["basic"]))


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_the_launcher_says_which_jobs_stacked_and_why_the_others_ran_alone(sweeps):
    log = sweeps["stacked_log"]
    assert "Launching 4 jobs as 3 runs: 1 stacked, 2 alone" in log
    assert "#0,2 : one stacked run of 2 jobs" in log
    assert "#1 runs alone: trainer.accumulate_grad_batches" in log and "#3 runs alone" in log
    stack_log = (sweeps["stacked"] / summary(sweeps["stacked"])[2]["job"] / "train.log").read_text()
    assert "stack of 2 members" in stack_log  # each member's train.log holds the stack's log
    alone_log = (sweeps["stacked"] / summary(sweeps["stacked"])[1]["job"] / "train.log").read_text()
    assert "#1 runs alone: trainer.accumulate_grad_batches" in alone_log  # and a lone job's, why it ran alone


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_a_members_checkpoint_evaluates_to_its_final_metrics(sweeps):
    job = sweeps["stacked"] / summary(sweeps["stacked"])[2]["job"]  # adam, stacked
    metrics = read_status(job)["metrics"]
    results = evaluate(job, "last", ["val", "test"])
    assert results["val"]["acc"] == pytest.approx(metrics["val/acc"], abs=1e-7)
    assert results["test"]["acc"] == pytest.approx(metrics["test/acc"], abs=1e-7)
    assert results["val"]["loss"] == pytest.approx(metrics["val/loss"], rel=1e-5)


@pytest.mark.parametrize(("row", "optimizer", "target"), [(0, "sgd", "trainlab.optim.sgd.SGD"),
                                                         (2, "adam", "trainlab.optim.adam.Adam")])  # Adam: its state
@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_a_member_resumes_alone_from_its_checkpoint(sweeps, make_cfg, tmp_path, row, optimizer, target):
    job = sweeps["stacked"] / summary(sweeps["stacked"])[row]["job"]  # stacked, 2 epochs
    assert f"optimizer={optimizer}" in job.name
    longer = [*SMALL, f"optimizer={optimizer}", "trainer.max_epochs=3"]
    resumed = train(make_cfg(*longer, "ckpt_path=last", output_dir=job))
    straight = train(make_cfg(*longer, output_dir=tmp_path / "straight"))
    assert resumed == pytest.approx(straight, abs=1e-6)
    got = torch.load(job / "checkpoints" / "last.ckpt", weights_only=False)
    expected = torch.load(tmp_path / "straight" / "checkpoints" / "last.ckpt", weights_only=False)
    assert got["global_step"] == expected["global_step"] == 24
    assert got["trainlab"]["run_dir"] == str(job)  # the member's own provenance (trainlab's checkpoint check reads it)
    assert got["trainlab"]["config"]["optimizer"]["_target_"] == target
    for name in ("net.0.weight", "net.4.bias"):
        torch.testing.assert_close(got["state_dict"][name], expected["state_dict"][name], rtol=1e-4, atol=2e-5)
    lone_state, member_state = expected["optimizer_states"][0]["state"], got["optimizer_states"][0]["state"]
    assert sorted(member_state) == sorted(lone_state)  # by parameter index, as torch's state_dict numbers them
    for index, lone in lone_state.items():
        for key, value in lone.items():
            torch.testing.assert_close(member_state[index][key], value, rtol=1e-4, atol=2e-5)


@pytest.mark.slow  # with the module's two sweeps (~20 s, built once per test process) (make test-slow)
def test_a_members_checkpoint_is_checked_against_the_config_that_resumes_it(sweeps, make_cfg, tmp_path):
    job = sweeps["stacked"] / summary(sweeps["stacked"])[0]["job"]  # sgd, stacked
    checkpoint = tmp_path / "member.ckpt"  # (a job directory's name holds '=', which an override cannot quote)
    shutil.copy(job / "checkpoints" / "last.ckpt", checkpoint)
    with pytest.raises(CheckpointError, match=r"optimizer\._target_ trainlab\.optim\.sgd\.SGD in the checkpoint"):
        train(make_cfg(*SMALL, "optimizer=adam", "trainer.max_epochs=3", f"ckpt_path={checkpoint}",
                       output_dir=tmp_path / "other"))
    assert checkpoint.read_bytes() == (job / "checkpoints" / "last.ckpt").read_bytes()
    assert not (tmp_path / "other").exists() or not any((tmp_path / "other").iterdir())


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_grouping_separates_what_cannot_share_a_model(make_cfg):
    cfgs = [make_cfg(*overrides) for overrides in (
        ["optimizer=sgd", "seed=1"], ["optimizer=adam", "init=xavier", "model.weight_decay=0.1"],
        ["model.net.dropout=0.2", "optimizer.lr=0.5"],  # stacks with the two above
        ["model.net.hidden_sizes=[50]"], ["data.seed=3"], ["data.batch_size=64"], ["trainer.max_epochs=3"],
        ["model.net.batch_norm=custom"], ["model.net.batch_norm=custom", "init=normal", "init.std=0.1"],
        ["scheduler=step"], ["callbacks=early_stopping"], ["callbacks.model_checkpoint.monitor=val/acc",
                                                           "callbacks.model_checkpoint.save_top_k=1"])]
    stacks, alone = plan_stacks(cfgs, max_members=128)
    assert stacks == [[1, 0, 2], [3], [4], [5], [6], [7, 8], [9], [10], [11]]  # adam first: one block per class
    assert alone == {9: "scheduler: learning-rate schedules are not stacked",
                     10: "callbacks.early_stopping (lightning.pytorch.callbacks.EarlyStopping) is not stackable",
                     11: "callbacks.model_checkpoint keeps the best epochs by a metric (save_top_k=1, monitor=val/acc)"}
    assert plan_stacks(cfgs[:3], max_members=2)[0] == [[1, 0], [2]]
    assert group_key(cfgs[0]) == group_key(cfgs[1]) != group_key(cfgs[3])
    assert why_alone(make_cfg("ckpt_path=last")) == "ckpt_path=last resumes one run"
    with_bn = ["model.net.batch_norm=custom"]  # BatchNorm's ε is the architecture's: not one per member
    assert group_key(make_cfg(*with_bn)) != group_key(make_cfg(*with_bn, "model.net.batch_norm_eps=1e-5"))


@pytest.mark.parametrize(("setting", "message"), [
    (["-m", "optimizer=sgd,adam", "scheduler=step", "hydra.launcher.strict=true"],
     "error: hydra.launcher.strict=true: job #0 cannot be stacked: scheduler: learning-rate schedules are not stacked; "
     f"{STRICT_ALLOWED}"),
    (["-m", "optimizer=sgd,adam", "hydra.launcher.max_members=0"],
     "error: hydra.launcher.max_members=0 is invalid; allowed: an integer >= 1"),
    (["hparams_search=random", "hydra.sweeper.n_trials=2", "hydra.launcher.max_members=-1"],
     "error: hydra.launcher.max_members=-1 is invalid; allowed: an integer >= 1"),
])
def test_launcher_settings_it_cannot_honour_are_one_line_errors(train_in_process, tmp_path, setting, message):
    result = train_in_process(*setting, "hydra/launcher=stacked", *SMALL)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == message
    assert not list((tmp_path / "outputs").rglob("status.json"))
    if "max_members" in message:  # refused when the sweeper sets the launcher up: no multirun.yaml, no study
        assert not list((tmp_path / "outputs").rglob("multirun.yaml"))
        assert not list((tmp_path / "outputs").rglob("optuna.journal"))


def test_the_stacks_log_lists_its_members_and_their_ends_in_the_sweeps_order(train_in_process, tmp_path):
    """The stack trains its members grouped by optimizer class (Adam's first here), but the log lists them as the
    sweep numbered them, as a basic sweep's jobs follow each other: it read ``stack of 3 members: 1_..., 2_...,
    0_...`` and their ends in that order."""
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "optimizer=sgd,adam,momentum", "hydra/launcher=stacked", *SMALL,
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted(path.name for path in sweep_dir.iterdir() if path.is_dir())
    assert [job.split("optimizer=")[1].split(",")[0] for job in jobs] == ["sgd", "adam", "momentum"]
    log = (sweep_dir / jobs[0] / "train.log").read_text()
    assert f"stack of 3 members: {', '.join(jobs)}\n" in log
    ends = [line.split(" - ", 1)[1].split(": completed;")[0] for line in log.splitlines() if ": completed;" in line]
    assert ends == jobs


def test_the_preflight_names_the_stacked_launcher_by_the_target_its_config_registers():
    # the preflight leaves the stacked launcher out of the first-job check and checks its jobs in-process by this name
    from hydra.utils import get_class

    from hydra_plugins.trainlab_stacked_launcher.stacked_launcher import StackedLauncher, StackedLauncherConf
    from trainlab.preflight import IN_PROCESS_LAUNCHERS, STACKED_LAUNCHER

    assert StackedLauncherConf._target_ == STACKED_LAUNCHER and STACKED_LAUNCHER in IN_PROCESS_LAUNCHERS
    assert get_class(STACKED_LAUNCHER) is StackedLauncher


def test_interrupt_saves_every_member_and_resume_sweep_finishes_them(make_cfg, tmp_path, monkeypatch):
    dirs = [tmp_path / "sweep" / str(i) for i in range(2)]
    jobs = [StackJob(make_cfg(*SMALL, f"optimizer.lr={lr}", "resume_sweep=true", output_dir=d), [f"lr={lr}"])
            for lr, d in zip((0.01, 0.05), dirs, strict=True)]

    with stacks_get_sigterm_at(monkeypatch, 5), pytest.raises(TrainingInterrupted):
        train_stack(jobs)
    for job_dir in dirs:
        assert read_status(job_dir)["status"] == "interrupted"
        # each member names its own checkpoint (every member named the one saved first)
        assert read_status(job_dir)["error"] == f"SIGTERM at step 6; saved {job_dir / 'checkpoints' / 'last.ckpt'}"
        assert torch.load(job_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 6
    objectives = train_stack(jobs)  # resume_sweep=true: the interrupted members train again
    assert all(read_status(d)["status"] == "completed" for d in dirs) and all(0 < o <= 1 for o in objectives)
    assert all((d / "attempts" / "0" / "status.json").is_file() for d in dirs)  # the interrupted attempt is kept



@pytest.mark.slow  # ~11 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_stacked_sweep_checks_every_member_before_writing_and_leaves_skipped_members_as_they_were(
        train_in_process, tmp_path):
    bad_dir = tmp_path / "bad"  # two stacks of two: the bad job is in the second, checked before the first trains
    bad = train_in_process("-m", "optimizer.lr=0.01,0.02,0.03,-1", "hydra/launcher=stacked",
                           "hydra.launcher.max_members=2", *SMALL, f"hydra.sweep.dir={bad_dir}")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == "error: optimizer.lr=-1 is invalid; allowed: a finite number >= 0.0"
    assert not bad_dir.exists()  # no member's directory was made, nor the sweep dir with Hydra's multirun.yaml

    sweep_dir = tmp_path / "sweep"
    args = ["-m", "optimizer=sgd,adam", "hydra/launcher=stacked", *SMALL, f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process(*args).returncode == 0
    first, second = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    (second / "status.json").unlink()  # as if the sweep had stopped before the second member finished
    hydra_files = {p: p.read_bytes() for p in sweep_dir.glob("*/.hydra/*.yaml")}
    assert len(hydra_files) == 6
    first_log, second_log = (first / "train.log").read_bytes(), (second / "train.log").read_text()
    resumed = train_in_process(*args, "resume_sweep=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert read_status(first)["status"] == read_status(second)["status"] == "completed"
    for path, before in hydra_files.items():  # the skipped member's files as they were; the re-run one's rewritten
        assert (path.read_bytes() == before) is (path.parent.parent == first), path
    assert "resume_sweep=True" in (second / ".hydra" / "overrides.yaml").read_text()
    assert (first / "train.log").read_bytes() == first_log  # the run it took no part in logs elsewhere
    # the skipped member takes no place in a stack: the other one, left without a partner, runs as a lone job
    output = resumed.stdout + resumed.stderr
    assert "Launching 2 jobs as 1 run: 0 stacked, 1 alone; 1 completed before, skipped (resume_sweep=true)" in output
    assert "#1 runs alone" in output
    assert "stack of" not in (second / "train.log").read_text()[len(second_log):]


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_members_resolve_their_config_in_their_jobs_environment(train_in_process, tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = train_in_process("-m", "optimizer=sgd,adam", "hydra/launcher=stacked", *SMALL, "trainer.max_epochs=1",
                              "task_name=${oc.env:TRAINLAB_NOTE,unset}", "+hydra.job.env_set.TRAINLAB_NOTE=from_job",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "one stacked run of 2 jobs" in result.stdout + result.stderr
    for job in (p for p in sweep_dir.iterdir() if p.is_dir()):  # as the basic launcher's run_job resolves it
        assert OmegaConf.load(job / "hparams.yaml").task_name == "from_job"

@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])  # kill / Ctrl-C
@pytest.mark.slow  # ~13 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_sigterm_or_ctrl_c_stops_a_stacked_sweep_with_the_command_that_finishes_it(data_dir, tmp_path, stop):
    sweep_dir = tmp_path / "sweep"
    long_run = [arg for arg in SMALL if not arg.startswith("trainer.max_epochs=")] + ["trainer.max_epochs=500"]
    command = [sys.executable, str(ROOT / "train.py"), "-m", "optimizer=sgd,adam", *long_run,
               "hydra/launcher=stacked", f"hydra.sweep.dir={sweep_dir}", "data.source=bundled",
               f"paths.data_dir={data_dir}", "trainer.enable_progress_bar=false"]
    log_file = tmp_path / "output.txt"
    with log_file.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 120
        while not list(sweep_dir.glob("*/checkpoints/last.ckpt")):  # an epoch ended: the handler is in place
            assert process.poll() is None and time.monotonic() < deadline, log_file.read_text()[-3000:]
            time.sleep(0.2)
        process.send_signal(stop)
        process.wait(timeout=120)
    output = log_file.read_text()
    assert process.returncode == 128 + stop, output[-3000:]
    assert ("Finish the sweep with: python train.py -m optimizer=sgd,adam data.train_size=400 data.val_size=100 "
            "data.batch_size=50 'model.net.hidden_sizes=[32,32]' trainer.log_every_n_steps=4 trainer.max_epochs=500 "
            f"data.source=bundled paths.data_dir={data_dir} trainer.enable_progress_bar=false hydra/launcher=stacked "
            f"resume_sweep=true hydra.sweep.dir={sweep_dir}\n") in output  # the sweep's own command
    # a member alone: without the job's overrides (its swept key's value) the resume is refused as a sweep's single run
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    assert ("(its unfinished members train again from their start; one goes on alone from its checkpoint with its "
            "own overrides - its .hydra/overrides.yaml less resume_sweep -, e.g.: python train.py optimizer=sgd "
            "data.train_size=400 data.val_size=100 data.batch_size=50 'model.net.hidden_sizes=[32,32]' "
            f"trainer.log_every_n_steps=4 trainer.max_epochs=500 data.source=bundled paths.data_dir={data_dir} "
            f"trainer.enable_progress_bar=False hydra.mode=RUN ckpt_path=last 'hydra.run.dir=\"{jobs[0]}\"')\n"
            ) in output  # the member's own overrides, as its .hydra/overrides.yaml records them
    assert len(jobs) == 2
    for job in jobs:
        assert read_status(job)["status"] == "interrupted"
        assert (job / "checkpoints" / "last.ckpt").is_file()
        assert not math.isnan(torch.load(job / "checkpoints" / "last.ckpt", weights_only=False)["global_step"])
    # the sweep's tables of what ran so far, as a stopped joblib sweep writes them
    assert [(row["job"][:2], row["optimizer"], row["status"]) for row in summary(sweep_dir)] == [
        ("0_", "sgd", "interrupted"), ("1_", "adam", "interrupted")]
    assert len(list(sweep_dir.glob("events.out.tfevents.*.hparams"))) == 1


@pytest.mark.slow  # ~9 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_the_optuna_sweepers_batches_arrive_as_one_stack_each(train_in_process, tmp_path):
    sweep_dir = tmp_path / "search"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2",
                              *SMALL, "trainer.max_epochs=1", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "#0,1 : one stacked run of 2 jobs" in output and "#2,3 : one stacked run of 2 jobs" in output
    rows = summary(sweep_dir)
    assert [row["status"] for row in rows] == ["completed"] * 4
    best = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    with (sweep_dir / "ranking.csv").open() as handle:
        first = next(csv.DictReader(handle))
    assert best.best_value == pytest.approx(float(first["objective"]))
    assert best.trials.completed == 4


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_max_members_cuts_a_group_and_a_leftover_of_one_runs_as_with_basic(data_dir, tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = run_train_in_process(["-m", "optimizer.lr=0.01,0.02,0.03", *SMALL, "trainer.max_epochs=1",
                                   "hydra/launcher=stacked", "hydra.launcher.max_members=2",
                                   f"hydra.sweep.dir={sweep_dir}"], tmp_path, data_dir)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "Launching 3 jobs as 2 runs: 1 stacked, 1 alone" in log and "#0,1 : one stacked run of 2 jobs" in log
    (leftover,) = [line for line in log.splitlines() if "\t#2 : " in line]  # Hydra's run_job, as basic runs it
    assert "optimizer.lr=0.03" in leftover
    rows = summary(sweep_dir)
    assert [row["status"] for row in rows] == ["completed"] * 3
    stack_log = (sweep_dir / rows[0]["job"] / "train.log").read_text()
    assert "stack of 2 members" in stack_log
    for row in rows[:2]:  # each member's closing line, as a lone run ends its log
        assert f"{row['job']}: completed; final metrics: " in stack_log
    assert "stack of" not in (sweep_dir / rows[2]["job"] / "train.log").read_text()


@pytest.mark.slow  # ~8 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_resume_sweep_through_the_launcher_skips_completed_members_and_trains_the_rest(data_dir, tmp_path):
    sweep_dir = tmp_path / "sweep"
    command = ["-m", "optimizer.lr=0.01,0.02", *SMALL, "trainer.max_epochs=1", "hydra/launcher=stacked",
               f"hydra.sweep.dir={sweep_dir}"]
    first = run_train_in_process(command, tmp_path, data_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    done, stopped = (sweep_dir / row["job"] for row in summary(sweep_dir))
    kept = (done / "status.json").read_bytes()
    (stopped / "status.json").unlink()  # as if the sweep had been stopped before this member finished
    again = run_train_in_process([*command, "resume_sweep=true"], tmp_path, data_dir)
    log = again.stdout + again.stderr
    assert again.returncode == 0, log[-3000:]
    assert f"resume_sweep=true: {done.name} completed before; skipping it" in log
    assert (done / "status.json").read_bytes() == kept
    assert read_status(stopped)["status"] == "completed"
    assert (stopped / "attempts" / "0" / "checkpoints" / "last.ckpt").is_file()  # the earlier attempt is kept
    assert [row["status"] for row in summary(sweep_dir)] == ["completed", "completed"]


def test_a_data_split_that_does_not_fit_is_refused_before_the_first_stack_trains(train_in_process, tmp_path):
    result = train_in_process("-m", "hydra/launcher=stacked", "data.train_size=1000,100000", "optimizer.lr=0.01,0.1",
                              "trainer.max_steps=5", "trainer.max_epochs=-1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: data.train_size=100000 + data.val_size=null (default 500) do not fit the bundled training pool")
    assert not list((tmp_path / "outputs").rglob("status.json"))  # the stack of data.train_size=1000 did not train


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_hydra_job_chdir_is_said_not_to_apply_to_a_stack(train_in_process, tmp_path):
    """It was ignored silently: the members share one process and its working directory."""
    result = train_in_process("-m", "seed=1,2", "hydra/launcher=stacked", "hydra.job.chdir=true", *SMALL,
                              "trainer.max_epochs=1", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "hydra.job.chdir=true does not apply to a stack (its members share one process)" in \
        result.stdout + result.stderr
    assert len(list((tmp_path / "sweep").glob("*/status.json"))) == 2


@pytest.mark.slow  # ~9 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_jobs_added_on_a_resume_stack_together_when_the_completed_ones_are_skipped(train_in_process, tmp_path):
    """With max_members=2 the skipped jobs 0 and 1 filled the stacks of the new jobs 2 and 3, which then trained as
    two stacks of one."""
    sweep_dir = tmp_path / "sweep"
    args = ["hydra/launcher=stacked", "hydra.launcher.max_members=2", *SMALL, "trainer.max_epochs=1",
            f"hydra.sweep.dir={sweep_dir}"]
    assert train_in_process("-m", "seed=1,2", *args).returncode == 0
    resumed = train_in_process("-m", "seed=1,2,3,4", *args, "resume_sweep=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    output = resumed.stdout + resumed.stderr
    assert "Launching 4 jobs as 1 run: 1 stacked, 0 alone; 2 completed before, skipped (resume_sweep=true)" in output
    assert "#2,3 : one stacked run of 2 jobs" in output
    assert [read_status(job)["status"] for job in sorted(p for p in sweep_dir.iterdir() if p.is_dir())] == \
        ["completed"] * 4
