"""Two ``trainlab report`` of one sweep at once: the second waits for the first, then replaces its report.

Both used to read the report directory's record before either saved one, so the second found the first one's
figures and event file unrecorded and was refused ("not recorded as a report's"), or both wrote at once and the
record named one of them. A report now holds an exclusive lock on its directory while it writes
(:mod:`trainlab.report.report_turn`); here the test holds that lock in place of the first report.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading

import pytest
from test_report_output_dir import make_sweep

from trainlab.errors import RunDirInUseError
from trainlab.report.build import build_report
from trainlab.report.output_dir import RECORD, ReportDir


def test_a_report_waits_while_another_process_writes_into_its_directory_then_writes_it_whole(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    report = sweep / "report"
    report.mkdir()
    held = os.open(report, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # the other report, writing there now
    told, waiting, outcome = [], threading.Event(), {}

    def tell(line: str) -> None:
        told.append(line)
        if line.startswith("waiting for"):
            waiting.set()

    def second_report() -> None:
        try:
            outcome["written"] = build_report(sweep, tell=tell)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread to assert
            outcome["error"] = error

    thread = threading.Thread(target=second_report)
    thread.start()
    try:
        assert waiting.wait(30), f"the report did not wait for the directory's lock: {told} {outcome}"
        assert told == [f"waiting for the other trainlab report that writes into {report} to end"]
        assert list(report.iterdir()) == []  # nothing written while the other one holds the directory
    finally:
        os.close(held)
        thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert sorted(outcome["written"]) == ["overlay_train_loss", "overlay_val_acc", "summary"]
    (events,) = report.glob("events.out.tfevents.*")
    assert sorted(json.loads((report / RECORD).read_text())["files"]) == sorted(
        [events.name, "overlay_train_loss.png", "overlay_val_acc.png", "summary.md"])


def test_a_report_refused_into_a_directory_it_made_leaves_no_directory_behind(tmp_path, monkeypatch):
    """The lock needs the directory; a report that writes nothing there does not leave it made and empty."""
    sweep = make_sweep(tmp_path / "sweep")
    def refuse(*args, **kwargs):
        raise RunDirInUseError("refused")

    monkeypatch.setattr(ReportDir, "claim", refuse)
    with pytest.raises(RunDirInUseError):
        build_report(sweep, out=tmp_path / "figures")
    assert not (tmp_path / "figures").exists()


def test_a_report_into_a_training_runs_directory_does_not_wait_for_the_run(tmp_path):
    """``--out`` at a job's directory while it trains (its lock held): the report waited for the whole training;
    it is refused at once, as into any run's files."""
    sweep = make_sweep(tmp_path / "sweep")
    job = sweep / "0_optimizer=sgd"
    (job / ".hydra").mkdir()
    (job / "events.out.tfevents.1.host.1.0").write_bytes(b"")  # the run's TensorBoard file
    held = os.open(job, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # the run, training there now
    told: list[str] = []
    try:
        with pytest.raises(RunDirInUseError, match="not recorded as a report's"):
            build_report(sweep, out=job, tell=told.append)
    finally:
        os.close(held)
    assert told == []
