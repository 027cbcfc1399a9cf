"""trainlab's TensorBoardLogger: one event per ``log_metrics`` call, the same points as Lightning's logger, no
``epoch`` card, Lightning's prefix, dict-valued metrics and error."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from tb_events import load_run
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from trainlab.loggers.tensorboard import TensorBoardLogger


def events(run_dir):
    (path,) = run_dir.glob("events.out.tfevents.*")
    return [event for event in EventFileLoader(str(path)).Load() if event.HasField("summary")]


def points(run_dir):
    run = load_run(run_dir)
    return {tag: [(event.step, event.value) for event in run.Scalars(tag)] for tag in run.Tags()["scalars"]}


def log_three_steps(logger):
    logger.log_metrics({"train/loss": 2.5, "train/acc": torch.tensor(0.25), "epoch": 0}, step=3)
    logger.log_metrics({"train/loss": torch.tensor([1.5]), "epoch": 0}, step=7)
    logger.log_metrics({"val/loss": 1.25, "val/acc": 0.5, "val/acc_best": 0.5, "epoch": 1}, step=7)
    logger.finalize("success")


def test_one_event_per_call_with_every_scalar_of_the_call(tmp_path):
    log_three_steps(TensorBoardLogger(save_dir=str(tmp_path), name="", version=""))
    written = events(tmp_path)
    assert [(event.step, [value.tag for value in event.summary.value]) for event in written] == [
        (3, ["train/loss", "train/acc"]), (7, ["train/loss"]), (7, ["val/loss", "val/acc", "val/acc_best"])]


def test_the_reader_sees_lightnings_points_without_the_epoch_card(tmp_path):
    log_three_steps(TensorBoardLogger(save_dir=str(tmp_path / "ours"), name="", version=""))
    log_three_steps(LightningTensorBoardLogger(save_dir=str(tmp_path / "lightning"), name="", version=""))
    ours, lightning = points(tmp_path / "ours"), points(tmp_path / "lightning")
    assert lightning.pop("epoch") == [(3, 0.0), (7, 0.0), (7, 1.0)]
    assert ours == lightning
    assert ours["train/loss"] == [(3, 2.5), (7, 1.5)]


def test_prefix_and_dict_valued_metrics_as_lightning_writes_them(tmp_path):
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="", prefix="fit")
    logger.log_metrics({"loss": 0.75, "pair": {"a": 1.0, "b": 2.0}}, step=1)
    logger.finalize("success")
    assert points(tmp_path) == {"fit-loss": [(1, 0.75)]}
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == ["fit-pair_a", "fit-pair_b"]


def test_a_value_that_is_no_scalar_is_lightnings_error_naming_the_metric(tmp_path):
    logger = TensorBoardLogger(save_dir=str(tmp_path), name="", version="")
    with pytest.raises(ValueError, match=r"you tried to log x which is currently not supported.*'train/note'"):
        logger.log_metrics({"train/note": "x"}, step=1)


# ---- the buffered event file ----------------------------------------------------------------------------------
def summary_steps(path):
    return [event.step for event in EventFileLoader(str(path)).Load() if event.HasField("summary")]


def scalar_event(step):
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    return Event(step=step, wall_time=1.0, summary=Summary(value=[Summary.Value(tag="x", simple_value=step)]))


def test_the_loggers_run_is_one_buffered_event_file_with_histograms_and_scalars_as_torch_writes_them(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    from trainlab.loggers.buffered_summary_writer import BufferedSummaryWriter

    logger = TensorBoardLogger(save_dir=str(tmp_path / "ours"), name="", version="")
    assert isinstance(logger.experiment, BufferedSummaryWriter)
    reference = SummaryWriter(log_dir=str(tmp_path / "torch"))
    for writer in (logger.experiment, reference):
        writer.add_scalar("train/loss", 0.5, 1)
        writer.add_histogram("weights", torch.arange(10.0), 1)
        writer.close()
    ours, torchs = load_run(tmp_path / "ours"), load_run(tmp_path / "torch")
    assert ours.Tags()["scalars"] == torchs.Tags()["scalars"] == ["train/loss"]
    assert [(e.step, e.value) for e in ours.Scalars("train/loss")] == [(1, 0.5)]
    assert ours.Histograms("weights")[0].histogram_value == torchs.Histograms("weights")[0].histogram_value
    (path,) = (tmp_path / "ours").glob("events.out.tfevents.*")
    (first, *_) = EventFileLoader(str(path)).Load()
    assert first.file_version == "brain.Event:2"  # what TensorBoard's reader expects first


def test_events_are_buffered_until_flush_or_the_live_interval_and_all_are_on_disk_after_close(tmp_path, monkeypatch):
    from trainlab.loggers import buffered_event_writer
    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    monkeypatch.setattr(buffered_event_writer, "LIVE_SECONDS", 3600.0)
    writer = BufferedEventFileWriter(str(tmp_path / "run"), filename_suffix=".member")
    (path,) = (tmp_path / "run").glob("events.out.tfevents.*.member")
    writer.add_event(scalar_event(1))
    assert summary_steps(path) == []  # in the buffer
    writer.flush()
    assert summary_steps(path) == [1]
    writer.add_event(scalar_event(2))
    writer.close()
    assert summary_steps(path) == [1, 2]

    live = BufferedEventFileWriter(str(tmp_path / "live"), flush_secs=0)  # every event reaches the file at once
    live.add_event(scalar_event(5))
    (live_path,) = (tmp_path / "live").glob("events.out.tfevents.*")
    assert summary_steps(live_path) == [5]
    live.close()


def test_a_closed_event_file_refuses_events_and_reopen_starts_a_new_file(tmp_path):
    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    writer = BufferedEventFileWriter(str(tmp_path))
    writer.close()
    with pytest.raises(RuntimeError, match=r"the event file .*events\.out\.tfevents\.\S+ is closed; reopen\(\)"):
        writer.add_event(scalar_event(1))
    with pytest.raises(TypeError, match="Expected an event_pb2.Event proto"):
        writer.add_event("not an event")
    writer.reopen()
    writer.add_event(scalar_event(3))
    writer.close()
    files = sorted(tmp_path.glob("events.out.tfevents.*"))
    assert len(files) == 2 and sorted(summary_steps(path) for path in files) == [[], [3]]


def test_a_purge_step_keeps_torchs_own_writer(tmp_path):
    from torch.utils.tensorboard.writer import FileWriter

    from trainlab.loggers.buffered_summary_writer import BufferedFileWriter, BufferedSummaryWriter

    plain = BufferedSummaryWriter(log_dir=str(tmp_path / "a"))
    purging = BufferedSummaryWriter(log_dir=str(tmp_path / "b"), purge_step=5)
    assert isinstance(plain._get_file_writer(), BufferedFileWriter)
    assert type(purging._get_file_writer()) is FileWriter
    plain.close()
    purging.close()


def test_a_buffer_of_max_bytes_is_flushed_and_no_writer_keeps_a_file_open(tmp_path, monkeypatch):
    import os

    from trainlab.loggers import buffered_event_writer
    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    monkeypatch.setattr(buffered_event_writer, "LIVE_SECONDS", 3600.0)
    monkeypatch.setattr(buffered_event_writer, "MAX_BUFFERED_BYTES", 200)
    writers = [BufferedEventFileWriter(str(tmp_path / str(k))) for k in range(50)]  # a stack of 50 members
    for writer in writers:
        writer.add_event(scalar_event(1))
    open_files = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            open_files.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed meanwhile (the listing's own descriptor)
            pass
    assert not [name for name in open_files if name.startswith(str(tmp_path))]
    (path,) = (tmp_path / "0").glob("events.out.tfevents.*")
    assert summary_steps(path) == []  # a 32-byte event waits
    for step in range(2, 10):
        writers[0].add_event(scalar_event(step))
    assert summary_steps(path)[:3] == [1, 2, 3]  # past 200 bytes the buffer went to the file


def test_a_disk_that_refuses_the_event_file_is_the_projects_one_line_error_naming_it(tmp_path, monkeypatch):
    import builtins
    import errno

    from trainlab.errors import OutputLocationError
    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    writer = BufferedEventFileWriter(str(tmp_path))
    writer.add_event(scalar_event(1))
    real_open = builtins.open

    def full_disk(path, mode="r", *args, **kwargs):
        if str(path) == writer.path and "a" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full_disk)
    with pytest.raises(OutputLocationError, match=rf"cannot write {writer.path} \(No space left on device\)"):
        writer.flush()


def test_events_from_several_threads_all_reach_the_file(tmp_path, monkeypatch):
    import threading

    from trainlab.loggers import buffered_event_writer
    from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter

    monkeypatch.setattr(buffered_event_writer, "MAX_BUFFERED_BYTES", 300)  # flushes race with writes
    writer = BufferedEventFileWriter(str(tmp_path))

    def log(first):
        for step in range(first, first + 500):
            writer.add_event(scalar_event(step))

    threads = [threading.Thread(target=log, args=(first,)) for first in (0, 1000, 2000, 3000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    assert sorted(summary_steps(path)) == [first + k for first in (0, 1000, 2000, 3000) for k in range(500)]


def test_event_files_of_one_process_are_read_in_the_order_they_were_written(tmp_path, monkeypatch):
    """TensorBoard reads a run's event files in name order: a run resumed in the same process and second (the tenth
    file of the process after the ninth) showed its later steps before the earlier ones."""
    import itertools

    from tensorboard.compat.proto import event_pb2, summary_pb2

    from trainlab.loggers import buffered_event_writer

    monkeypatch.setattr(buffered_event_writer, "_file_numbers", itertools.count(9))
    monkeypatch.setattr(buffered_event_writer.time, "time", lambda: 1_800_000_000.0)  # one second for both files
    for steps in ([3, 7], [11, 15]):
        writer = buffered_event_writer.BufferedEventFileWriter(str(tmp_path))
        for step in steps:
            value = summary_pb2.Summary.Value(tag="train/loss", simple_value=float(step))
            writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.Summary(value=[value])))
        writer.close()
    assert [event.step for event in load_run(tmp_path).Scalars("train/loss")] == [3, 7, 11, 15]
