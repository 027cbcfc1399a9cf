"""A TensorBoard event file damaged part-way through: which file, and the step its curves stop at.

The report reads a job's event files with TensorBoard's own reader (``EventAccumulator``), which keeps the records
before the first one that fails its checksum and silently reads no further: it takes the damage for a record still
being written, to be read on a later reload. A job whose event file had 8 bytes flipped in its middle lost every
curve logged after them - in a finished sweep all of job 0's training curves - while the scalars of its other files
(test/loss) kept it among the jobs with curves: the report left its curves out of the figures and said nothing.

:func:`event_file_damage` reads a file's records again with the same reader (the same checksums: what it finds
damaged is what TensorBoard stopped at) and says where the damage is and the last step read before it; the report
names it in a warning and in summary.md (:func:`~trainlab.report.sweep_runs.read_scalars`). A last record cut off
(a run killed while writing, or one still writing) is no damage: nothing after it is lost; nor are zero bytes after
the last record, which a crash can leave.
"""

from __future__ import annotations

from pathlib import Path

#: the words every note of a damaged event file holds (the report tells its notes from a metrics.csv's by them)
DAMAGED_EVENT_FILE = "TensorBoard event file"


#: the bytes of a record around its data: its length (8), the length's checksum (4) and the data's checksum (4)
RECORD_FRAME = 16


def only_zero_bytes(path: Path, offset: int) -> bool:
    """Whether ``path`` holds nothing but zero bytes from ``offset`` on (a file system that extended the file before
    a crash, with no record written there)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        while chunk := handle.read(1 << 16):
            if chunk.count(0) != len(chunk):
                return False
    return True


def event_file_damage(path: Path) -> str | None:
    """``<path>: this TensorBoard event file is damaged at record N (...): the curves read from it stop after step
    S; ...`` where a record of ``path`` fails its checksum (its length or its data), else None (a sound file, a
    cut-off last record, or one that cannot be opened: the reader said nothing of it either)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow

    try:
        reader = pywrap_tensorflow.PyRecordReader_New(str(path))
    except (OSError, errors.OpError):
        return None
    records, last_step, offset = 0, None, 0  # offset: where the next record starts (8 + 4 + data + 4 bytes each)
    try:
        while True:
            try:
                reader.GetNext()
            except errors.OutOfRangeError:
                return None
            except errors.DataLossError as error:
                message = str(error)  # "<file> failed header crc32 check": the file's path is in it too
                if message.endswith("failed header crc32 check"):
                    part = "length"
                elif message.endswith("failed event crc32 check"):
                    part = "data"
                else:  # a cut-off last record: nothing after it to lose
                    return None
                if only_zero_bytes(path, offset):  # what a crash can leave after the last record: nothing lost
                    return None
                break
            records += 1
            offset += RECORD_FRAME + len(reader.record())
            try:
                event = event_pb2.Event.FromString(reader.record())
            except Exception:  # noqa: BLE001, S112 - its checksum holds: a record of another kind, no step to count
                continue
            if event.HasField("summary") and event.summary.value:
                last_step = event.step if last_step is None else max(last_step, event.step)
    finally:
        reader.file_handle.close()
    stop = (f"the curves read from it stop after step {last_step}" if last_step is not None
            else "no curve was read from it (the damage comes before the first logged step)")
    return (f"{path}: this {DAMAGED_EVENT_FILE} is damaged at record {records + 1} (its {part} fails its checksum): "
            f"{stop}; the records after the damage are left out")
