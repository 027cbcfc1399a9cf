"""``trainlab report`` compares a sweep's jobs by the keys ``summary.csv`` has for columns: the keys the sweep
sweeps, read from its ``multirun.yaml``, however many jobs have ended (trainlab/report/sweep_runs.py,
trainlab/sweep/summary_callback.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from trainlab.report.sweep_runs import load_sweep
from trainlab.sweep import summary
from trainlab.sweep.summary import SUMMARY_FILE, swept_keys
from trainlab.sweep.summary_callback import write_sweep_summary


def fake_sweep(sweep_dir: Path, task: list[str], jobs: list[list[str]]) -> Path:
    """A grid sweep of ``task`` whose ``jobs`` (each one's overrides) have ended."""
    sweep_dir.mkdir(parents=True)
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {
        "sweep": {"dir": str(sweep_dir)}, "sweeper": {"params": None}, "overrides": {"task": task},
        "job": {"num": "???"}}}))
    for number, overrides in enumerate(jobs):
        job = sweep_dir / f"{number}_{','.join(overrides)}"
        (job / ".hydra").mkdir(parents=True)
        (job / "status.json").write_text(json.dumps({"status": "completed", "overrides": overrides,
                                                     "metrics": {"val/acc": 0.5 + number / 10}}))
    return sweep_dir


def summary_keys(sweep_dir: Path) -> list[str]:
    """The key columns of the summary.csv the sweep writes as it ends (between ``job`` and ``status``)."""
    hydra_config = OmegaConf.load(sweep_dir / "multirun.yaml").hydra
    write_sweep_summary(hydra_config, None)
    header = (sweep_dir / SUMMARY_FILE).read_text().splitlines()[0].split(",")
    return header[1:header.index("status")]


def test_a_stopped_sweep_of_one_job_is_compared_by_its_swept_key_alone(tmp_path):
    # before: the report's keys were ['data.source', 'optimizer', 'seed'], summary.csv's ['optimizer']
    sweep_dir = fake_sweep(tmp_path / "s", ["optimizer=sgd,adam", "seed=3", "data.source=bundled"],
                           [["optimizer=sgd", "seed=3", "data.source=bundled"]])
    jobs, keys, _ = load_sweep(sweep_dir)
    assert keys == ["optimizer"] == summary_keys(sweep_dir)
    assert jobs[0].params["optimizer"] == "sgd"


def test_a_swept_key_with_one_value_so_far_is_a_report_key(tmp_path):
    # before: seed (two values so far) alone; summary.csv had optimizer (one value so far) too
    task = ["optimizer=sgd,adam", "seed=1,2"]
    sweep_dir = fake_sweep(tmp_path / "s", task, [["optimizer=sgd", "seed=1"], ["optimizer=sgd", "seed=2"]])
    _, keys, _ = load_sweep(sweep_dir)
    assert keys == ["optimizer", "seed"] == summary_keys(sweep_dir)


def test_a_sweep_without_a_readable_multirun_yaml_is_compared_by_the_keys_whose_values_differ(tmp_path):
    sweep_dir = fake_sweep(tmp_path / "s", [], [["optimizer=sgd", "seed=1"], ["optimizer=adam", "seed=1"]])
    (sweep_dir / "multirun.yaml").write_text("hydra: [unclosed\n")
    _, keys, _ = load_sweep(sweep_dir)
    assert keys == ["optimizer"]


def test_a_key_is_swept_when_its_values_differ_not_its_spelling():
    jobs = [{"params": {"lr": "1e-3", "flag": "false", "sizes": "[100,100]", "seed": "1"}},
            {"params": {"lr": "0.001", "flag": "False", "sizes": "[100, 100]", "seed": "2"}}]
    assert swept_keys(jobs) == ["seed"]


def test_telling_a_swept_key_reads_at_most_two_values(monkeypatch):
    read = []
    monkeypatch.setattr(summary, "same_value", lambda text: read.append(text) or text)
    jobs = [{"params": {"optimizer.lr": f"{0.001 * (1 + i)}", "data.source": "bundled"}} for i in range(100)]
    assert swept_keys(jobs) == ["optimizer.lr"]
    assert read == ["0.001", "0.002"]  # the lr column decided by its first two values; one text is one value
