"""``trainlab report`` of a sweep whose job has a TensorBoard event file damaged part-way through: the curves up to
the damage are drawn (TensorBoard's reader keeps the records before it), and the warning and summary.md name the
file and the step its curves stop after.

It said nothing: 8 bytes flipped in the middle of job 0's event file left the figures without job 0's training
curves, its test scalars (another file) keeping it among the jobs with curves - exit 0, no warning, no note. The
event files here are written with TensorBoard's own writer: no training.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tests.test_report_output_dir import snapshot
from trainlab.cli import main
from trainlab.report.sweep_runs import read_scalars
from trainlab.run_status import write_status

STEPS = (1, 2, 3, 4, 5, 6)


def event_sweep(path: Path) -> Path:
    """A finished two-job sweep; each job's event file holds the file version, then one train/loss record a step."""
    for number, optimizer in enumerate(("sgd", "adam")):
        job = path / f"{number}_optimizer={optimizer}"
        job.mkdir(parents=True)
        writer = EventFileWriter(str(job))
        for step in STEPS:
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="train/loss", simple_value=1 / step)])
            writer.add_event(event_pb2.Event(wall_time=1000.0 + step, step=step, summary=summary))
        writer.close()
        write_status(job, "completed", [f"optimizer={optimizer}"], {"val/acc": 0.5 + number / 10}, None, 1.0)
    return path


def record_offsets(path: Path) -> list[int]:
    """Where each record of a TFRecord file starts (8 bytes of length, 4 of its checksum, the data, 4 of checksum)."""
    data, offsets, at = path.read_bytes(), [], 0
    while at < len(data):
        offsets.append(at)
        at += 8 + 4 + struct.unpack("<Q", data[at:at + 8])[0] + 4
    return offsets


def flip(path: Path, at: int, count: int) -> None:
    data = bytearray(path.read_bytes())
    for byte in range(at, at + count):
        data[byte] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("record", "where", "part"), [
    (4, 12 + 4, "data"),  # 8 bytes in the middle of step 4's record: what the tester flipped
    (4, 0, "length"),  # its length header
])
def test_a_job_whose_event_file_is_damaged_part_way_is_drawn_up_to_the_damage_and_named(tmp_path, capsys, record,
                                                                                        where, part):
    sweep = event_sweep(tmp_path / "sweep")
    (events,) = (sweep / "0_optimizer=sgd").glob("events.out.tfevents.*")
    flip(events, record_offsets(events)[record] + where, 8)  # record 0 is the file version: 4 holds step 4
    jobs_before = snapshot(sweep)
    assert main(["report", str(sweep)]) == 0
    note = (f"{events}: this TensorBoard event file is damaged at record 5 (its {part} fails its checksum): the "
            "curves read from it stop after step 3; the records after the damage are left out")
    assert capsys.readouterr().err == f"warning: {note}\n"
    assert f"\nJob 0's logs: {note}.\n" in (sweep / "report" / "summary.md").read_text()
    assert (sweep / "report" / "overlay_train_loss.png").is_file()
    assert read_scalars(sweep / "0_optimizer=sgd")[0] == {"train/loss": ([1, 2, 3], [1.0, 0.5, pytest.approx(1 / 3)])}
    assert {name: data for name, data in snapshot(sweep).items() if not name.startswith("report")} == jobs_before


def test_a_job_whose_event_file_is_damaged_before_its_first_step_is_named_as_left_without_curves(tmp_path, capsys):
    sweep = event_sweep(tmp_path / "sweep")
    (events,) = (sweep / "1_optimizer=adam").glob("events.out.tfevents.*")
    flip(events, record_offsets(events)[1] + 16, 8)
    assert main(["report", str(sweep)]) == 0
    note = (f"{events}: this TensorBoard event file is damaged at record 2 (its data fails its checksum): no curve "
            "was read from it (the damage comes before the first logged step); the records after the damage are "
            "left out")
    assert capsys.readouterr().err == (f"warning: {sweep / '1_optimizer=adam'} (completed) left no curves - {note}: "
                                       "the figures leave it out\n")
    assert f"\nJob 1's logs: {note}.\n" in (sweep / "report" / "summary.md").read_text()


def test_zero_bytes_after_the_last_record_are_no_damage(tmp_path, capsys):
    """What a crash can leave (the file extended, nothing written there) was named damage with records left out."""
    sweep = event_sweep(tmp_path / "sweep")
    (events,) = (sweep / "0_optimizer=sgd").glob("events.out.tfevents.*")
    events.write_bytes(events.read_bytes() + bytes(4096))
    assert main(["report", str(sweep)]) == 0
    assert capsys.readouterr().err == ""
    assert "logs:" not in (sweep / "report" / "summary.md").read_text()


@pytest.mark.parametrize("folder", ["sweep", "experiment=crc32_header_check"])
def test_an_event_file_whose_last_record_is_cut_off_is_no_damage(tmp_path, capsys, folder):
    """A run killed while writing (or still writing) leaves a last record cut off: nothing after it is lost - also
    where the sweep's path holds "crc32" and "header" (the damage was read from the reader's message, which names
    the file)."""
    sweep = event_sweep(tmp_path / folder)
    (events,) = (sweep / "0_optimizer=sgd").glob("events.out.tfevents.*")
    events.write_bytes(events.read_bytes()[:-6])
    assert main(["report", str(sweep)]) == 0
    assert capsys.readouterr().err == ""
    assert "logs:" not in (sweep / "report" / "summary.md").read_text()
