"""TensorBoard's HPARAMS view of a sweep: option-name columns, typed settings, no paths, the swept key first,
declared metrics, and the report's run beside the members but not among them.

One two-job sweep (experiment B with two optimizers, a few steps) is run once for the module and read back with
TensorBoard's own event reader and its hparams plugin backend - the code that answers the HPARAMS tab.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import run_train_in_process
from tb_events import hparams_backend, load_run, session_columns
from tensorboard.plugins.hparams import api_pb2, metadata

from trainlab.loggers.hparams import (
    STATUS_CODES,
    experiment_summary,
    hp_metrics,
    run_hparams,
    session_end_summary,
)
from trainlab.report.build import build_report
from trainlab.run_status import read_status
from trainlab.sweep.hparams_experiment import write_sweep_experiment

SWEEP_ARGS = ["experiment=compare_optimizers", "hydra.sweeper.params.optimizer='sgd,adam'", "debug=limit"]
# the optimised metric, the status, validation, training, test last (TensorBoard's table shows the first five)
DECLARED_METRICS = ["~hparams/val/acc", "~hparams/status", "~hparams/val/acc_best", "~hparams/val/loss",
                    "~hparams/train/acc", "~hparams/train/loss", "~hparams/test/acc", "~hparams/test/loss"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, data_dir):
    """The sweep directory of ``experiment=compare_optimizers`` over sgd and adam (10 steps each), with its report."""
    tmp_path = tmp_path_factory.mktemp("hparams_sweep")
    result = run_train_in_process(["-m", *SWEEP_ARGS], tmp_path, data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    build_report(sweep_dir)
    return sweep_dir


def job_dirs(sweep_dir):
    return sorted((p for p in sweep_dir.iterdir() if p.is_dir() and p.name != "report"), key=lambda p: p.name)


def test_option_name_columns_hold_hydra_choices(sweep):
    sgd, adam = (session_columns(job) for job in job_dirs(sweep))
    expected = {"experiment": "compare_optimizers", "init": "he", "scheduler": "null", "model": "mlp",
                "data": "mnist", "trainer": "default", "callbacks": "default", "hparams_search": "null",
                "debug": "limit"}
    assert {name: sgd[name] for name in expected} == expected
    assert (sgd["optimizer"], adam["optimizer"]) == ("sgd", "adam")
    assert not {"logger", "paths", "hydra"} & set(sgd)  # where things go / what is logged: not hyper-parameters
    assert not any(name.startswith("hydra/") for name in sgd)


def test_no_path_target_or_bookkeeping_column(sweep):
    for job in job_dirs(sweep):
        columns = session_columns(job)
        assert not [n for n in columns if "_target_" in n or "_partial_" in n]
        assert not [n for n, v in columns.items() if isinstance(v, str) and "_target_" in v]
        assert not [n for n, v in columns.items() if isinstance(v, str) and str(sweep.parent) in v]  # no paths
        assert not {"ckpt_path", "task_name", "status", "resume_sweep", "optimized_metric", "test",
                    "trainer/default_root_dir", "trainer/enable_progress_bar", "trainer/plugins",
                    "trainer/log_every_n_steps", "data/data_dir", "data/eval_splits", "compile/backend",
                    "optimizer/foreach", "optimizer/compile"} & set(columns)
        assert not [n for n in columns if n.startswith(("paths/", "logger/", "callbacks/"))]
        # hparams.yaml stays complete: the paths and targets are there
        hparams_yaml = (job / "hparams.yaml").read_text()
        assert "_target_: trainlab.optim." in hparams_yaml and "data_dir: " in hparams_yaml


def test_settings_keep_their_types(sweep):
    sgd, adam = (session_columns(job) for job in job_dirs(sweep))
    assert (sgd["optimizer/lr"], adam["optimizer/lr"]) == (0.01, 0.001)
    assert adam["optimizer/betas"] == "[0.9, 0.999]" and "optimizer/betas" not in sgd
    assert sgd["model/net/hidden_sizes"] == "[100, 100, 100, 100]"
    assert sgd["trainer/deterministic"] is False
    assert (sgd["trainer/max_steps"], sgd["data/batch_size"], sgd["seed"], sgd["data/seed"]) == (2000, 128, 0, 0)
    assert (sgd["trainer/precision"], sgd["data/resolved_source"]) == ("32-true", "bundled")
    assert "data/train_size" not in sgd  # null: an empty cell


def test_sweep_experiment_lists_the_swept_key_first_typed_and_declares_the_metrics(sweep):
    experiment, _, _ = hparams_backend(sweep)
    infos = {info.name: info for info in experiment.hparam_infos}
    names = [info.name for info in experiment.hparam_infos]
    assert names[0] == "optimizer"  # swept; TensorBoard lists differing columns first, by name
    optimizer = infos["optimizer"]
    assert (optimizer.type, optimizer.differs, sorted(optimizer.domain_discrete)) == (
        api_pb2.DATA_TYPE_STRING, True, ["adam", "sgd"])
    lr = infos["optimizer/lr"]
    assert (lr.type, lr.differs, lr.domain_interval.min_value, lr.domain_interval.max_value) == (
        api_pb2.DATA_TYPE_FLOAT64, True, 0.001, 0.01)
    assert infos["trainer/deterministic"].type == api_pb2.DATA_TYPE_BOOL
    differing = [info.differs for info in experiment.hparam_infos]
    assert differing == sorted(differing, reverse=True)  # every differing column before the constant ones
    assert {n for n, i in infos.items() if i.differs} == {"optimizer", "optimizer/lr", "optimizer/betas",
                                                           "optimizer/eps"}
    assert [metric.name.tag for metric in experiment.metric_infos] == DECLARED_METRICS
    status = experiment.metric_infos[1]
    assert (status.display_name, status.description) == (
        "status", "status of the run: 0 completed, 1 diverged, 2 failed, 3 interrupted")


def test_each_job_is_one_row_with_its_final_metrics_and_the_report_run_is_not(sweep):
    experiment, groups, runs = hparams_backend(sweep)
    jobs = job_dirs(sweep)
    assert "report" in runs and load_run(sweep / "report").Tags()["images"]  # the report sits beside the members
    assert sorted(group.name for group in groups) == [job.name for job in jobs]  # ... but is no row
    for group in groups:
        status = read_status(sweep / group.name)
        values = {metric.name.tag: metric.value for metric in group.metric_values}
        assert set(values) == set(DECLARED_METRICS)
        assert values["~hparams/val/acc"] == pytest.approx(status["metrics"]["val/acc"])
        assert values["~hparams/test/acc"] == pytest.approx(status["metrics"]["test/acc"])
        assert values["~hparams/status"] == STATUS_CODES["completed"]
        assert [session.status for session in group.sessions] == [api_pb2.STATUS_SUCCESS]
        assert group.hparams["optimizer"].string_value in group.name


def test_no_epoch_card(sweep):  # three asserts on the module's sweep, which the fast tests build anyway
    tags = load_run(job_dirs(sweep)[0]).Tags()["scalars"]
    assert "train/loss" in tags and "val/acc" in tags
    assert "epoch" not in tags


def test_rewriting_the_sweep_experiment_replaces_the_previous_one(sweep, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy)
    (first,) = copy.glob("events.out.tfevents.*.hparams")
    second = write_sweep_experiment(copy, optimized_metric="val/loss")
    assert list(copy.glob("events.out.tfevents.*")) == [second] and second != first
    experiment, _, _ = hparams_backend(copy)
    assert experiment.metric_infos[0].name.tag == "~hparams/val/loss"  # the new declaration: the one TensorBoard reads
    assert not list(copy.glob(".hparams-*"))  # no staging directory left


def test_a_logger_named_per_job_keeps_the_job_names_the_report_curves_and_one_hparams_row_per_job(tmp_path,
                                                                                                 data_dir):
    """docs/stacked-sweeps.md's logger.tensorboard.name=lr_${optimizer.lr}: the events went to <job>/lr_0.1/, the report
    found no curves ("logger=none?"), the sweep had no HPARAMS experiment, and the job names held the literal override,
    backslashes and all."""
    sweep_dir = tmp_path / "tbn"
    result = run_train_in_process(["-m", "optimizer.lr=0.1,0.01", "hydra/launcher=stacked", "debug=limit",
                                   "logger.tensorboard.name=lr_${optimizer.lr}", f"hydra.sweep.dir={sweep_dir}"],
                                  tmp_path, data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = job_dirs(sweep_dir)
    assert [job.name for job in jobs] == ["0_data.source=bundled,optimizer.lr=0.1",
                                          "1_data.source=bundled,optimizer.lr=0.01"]
    runs = [f"{job.name}/lr_{lr}" for job, lr in zip(jobs, ("0.1", "0.01"), strict=True)]
    for run in runs:
        assert list((sweep_dir / run).glob("events.out.tfevents.*"))
    assert not list(jobs[0].glob("events.out.*"))
    assert f"HPARAMS experiment of the sweep: {sweep_dir}/events.out.tfevents." in result.stdout + result.stderr
    experiment, groups, _ = hparams_backend(sweep_dir)
    assert sorted(group.name for group in groups) == runs  # one row per job
    assert [info.name for info in experiment.hparam_infos if info.differs] == ["optimizer/lr"]
    assert not [info.name for info in experiment.hparam_infos if info.name.startswith("logger")]
    written = build_report(sweep_dir)
    assert set(written) == {"overlay_train_loss", "overlay_val_acc", "summary"}
    assert "No curves" not in written["summary"].read_text()


# ---- the pure functions, without training ------------------------------------------------------------------------


def test_an_override_of_a_speed_only_switch_becomes_a_column_unless_declared_as_no_hyperparameter(make_cfg):
    cfg = make_cfg("optimizer=adam", "optimizer.foreach=false", "trainer.enable_progress_bar=false")
    choices = {"optimizer": "adam", "logger": "tensorboard", "hydra/launcher": "basic", "scheduler": None}
    plain = run_hparams(cfg, choices)
    assert "optimizer/foreach" not in plain and "trainer/enable_progress_bar" not in plain
    assert (plain["optimizer"], plain["scheduler"]) == ("adam", "null")
    assert not {"logger", "hydra/launcher"} & set(plain)
    overridden = run_hparams(cfg, choices, overrides=["optimizer=adam", "optimizer.foreach=false",
                                                      "trainer.enable_progress_bar=false"],
                             ignored_override_keys=["trainer.enable_progress_bar"])
    assert overridden["optimizer/foreach"] is False  # swept or set by the user: shown
    assert "trainer/enable_progress_bar" not in overridden  # display only (conf/hydra/default.yaml exclude_keys)


def test_the_device_count_is_a_column_as_it_sets_a_ddp_runs_global_batch(make_cfg):
    choices = {"optimizer": "sgd", "trainer": "ddp"}
    assert run_hparams(make_cfg("trainer=ddp"), choices)["trainer/devices"] == 2  # data.batch_size x 2 a step
    assert run_hparams(make_cfg(), {**choices, "trainer": "default"})["trainer/devices"] == 1


def test_hp_metrics_carry_the_status_code():
    assert hp_metrics({"val/acc": 0.5, "status/diverged": 1.0}, "diverged") == {"~hparams/val/acc": 0.5,
                                                                                 "~hparams/status": 1.0}
    assert hp_metrics({}, "failed") == {"~hparams/status": 2.0}
    assert session_end_summary("interrupted") is None  # a resumed run writes the session's end
    end = session_end_summary("diverged").value[0]
    assert end.tag == metadata.SESSION_END_INFO_TAG
    assert metadata.parse_session_end_info_plugin_data(end.metadata.plugin_data.content).status == \
        api_pb2.STATUS_FAILURE


def test_experiment_types_mixed_and_partial_columns():
    summary = experiment_summary([{"a": 1, "b": "x", "c": True}, {"a": 2.5, "b": 3, "c": True}],
                                 swept_columns=["c"], metric_names=["~hparams/val/acc", "~hparams/status"])
    experiment = metadata.parse_experiment_plugin_data(summary.value[0].metadata.plugin_data.content)
    a, b, c = experiment.hparam_infos
    assert (a.type, a.domain_interval.min_value, a.domain_interval.max_value, a.differs) == (
        api_pb2.DATA_TYPE_FLOAT64, 1.0, 2.5, True)
    assert (b.type, list(b.domain_discrete), b.differs) == (api_pb2.DATA_TYPE_STRING, ["3", "x"], True)
    assert (c.type, list(c.domain_discrete), c.differs) == (api_pb2.DATA_TYPE_BOOL, [True], True)  # swept
    # the metrics' columns are headed by the metrics' own names; their tags sort after train/ and val/ in the
    # scalar dashboards, which open the first two groups (hp/ came first, eight single points over the curves)
    assert [(m.name.tag, m.display_name) for m in experiment.metric_infos] == [
        ("~hparams/val/acc", "val/acc"), ("~hparams/status", "status")]
    assert sorted(["~hparams/val/acc", "train/loss", "val/acc", "test/acc"])[-1] == "~hparams/val/acc"


def marked_columns(sessions, swept) -> list[str]:
    summary = experiment_summary(sessions, swept_columns=swept, metric_names=["~hparams/val/acc"])
    experiment = metadata.parse_experiment_plugin_data(summary.value[0].metadata.plugin_data.content)
    return sorted(info.name for info in experiment.hparam_infos if info.differs)


def test_where_more_than_five_columns_differ_the_swept_ones_are_shown_first():
    """TensorBoard shows the first five ``differs`` columns by name: a sweep of optimizer, init, dropout, weight
    decay and seed marked optimizer/momentum too, and the swept seed came sixth, hidden; a sweep of optimizer, batch
    size and BatchNorm showed optimizer/betas and optimizer/eps but not optimizer/lr."""
    five = [{"init": init, "model/net/dropout": dropout, "model/weight_decay": decay, "optimizer": name,
             "optimizer/momentum": momentum, "seed": seed, "data": "mnist"}
            for init in ("he", "xavier") for dropout in (0.0, 0.2) for decay in (0.0, 0.01)
            for name, momentum in (("sgd", 0.0), ("momentum", 0.9)) for seed in (0, 1)]
    assert marked_columns(five, ["init", "model/net/dropout", "model/weight_decay", "optimizer", "seed"]) == [
        "init", "model/net/dropout", "model/weight_decay", "optimizer", "seed"]
    mixed = [{"optimizer": name, "optimizer/lr": lr, "optimizer/betas": betas, "optimizer/eps": eps,
              "optimizer/momentum": momentum, "data/batch_size": batch, "model/net/batch_norm": norm}
             for name, lr, betas, eps, momentum in (("sgd", 0.01, None, None, 0.0),
                                                     ("adam", 0.001, "[0.9, 0.999]", 1e-8, None))
             for batch in (50, 100) for norm in ("none", "custom")]
    mixed = [{key: value for key, value in session.items() if value is not None} for session in mixed]
    assert marked_columns(mixed, ["optimizer", "data/batch_size", "model/net/batch_norm"]) == [
        "data/batch_size", "model/net/batch_norm", "optimizer", "optimizer/betas", "optimizer/lr"]
    few = [{"optimizer": name, "optimizer/lr": lr, "seed": 0} for name, lr in (("sgd", 0.01), ("adam", 0.001))]
    assert marked_columns(few, ["optimizer"]) == ["optimizer", "optimizer/lr"]  # five or fewer: all that differ
