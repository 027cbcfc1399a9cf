"""TensorBoard event files written from an in-memory buffer, in the writing thread.

Without TensorFlow installed, TensorBoard's ``EventFileWriter`` hands every event to a writer thread of its own,
which appends it to the event file by opening the file, writing the record and closing it again (the stub of
``tf.io.gfile`` has no open handle). A training step that logs a scalar pays for a thread wake-up and an
open/write/close, ~40 µs an event on the 2-core development machine, while the training thread waits for the
interpreter lock; a stack of members logs one event per member and step.

:class:`BufferedEventFileWriter` frames the same records (TFRecord framing by TensorBoard's own
:class:`~tensorboard.summary.writer.record_writer.RecordWriter`) into a buffer in memory, ~10 µs an event, and
appends the buffer to the event file (open, write, close: no file stays open, so a stack of hundreds of members
holds no descriptor per run) when it flushes:

* at the next event once ``min(flush_secs, LIVE_SECONDS)`` seconds have passed since the last flush, so a
  TensorBoard watching a run sees its points within seconds, as before, or once :data:`MAX_BUFFERED_BYTES` wait;
* on ``flush()`` and ``close()`` - Lightning's logger calls both when training ends, fails or is interrupted;
* when the process exits, for a writer nobody closed.

The file is named as TensorBoard names it and starts with the same ``file_version`` event, written at once. What a
killed process (``SIGKILL``, power loss) has not flushed is lost: at most the last ``LIVE_SECONDS`` of events, as
TensorBoard's own writer loses the events still in its queue. A disk that refuses the write (full, read-only, no
permission) is :class:`~trainlab.errors.OutputLocationError` naming the event file, as for every file the project
writes (:mod:`trainlab.atomic_files`).

:class:`~trainlab.loggers.buffered_summary_writer.BufferedSummaryWriter` is ``torch.utils.tensorboard.SummaryWriter``
writing its own run's events this way; this module imports no torch, so ``trainlab report`` writes its images
with it without importing torch (~1.9 s).
"""

from __future__ import annotations

import atexit
import io
import itertools
import os
import socket
import threading
import time
import weakref

from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from trainlab.atomic_files import disk_refusal

#: the longest a logged point waits in the buffer before the next event flushes it to the file
LIVE_SECONDS = 2.0
#: the most a writer buffers before the next event flushes (histograms and images are larger than scalars)
MAX_BUFFERED_BYTES = 1 << 20

# event files this process opened: unique names within one second, zero-padded so that TensorBoard, which reads a
# run's files in name order, reads them in the order they were written (".10" sorted before ".9": a run resumed in
# the same process and second showed its later steps first)
_file_numbers = itertools.count()
_open_writers: weakref.WeakSet[BufferedEventFileWriter] = weakref.WeakSet()


@atexit.register
def _flush_open_writers() -> None:
    for writer in list(_open_writers):
        writer.flush()


class BufferedEventFileWriter:
    """TensorBoard's ``EventFileWriter`` interface (``add_event``, ``flush``, ``close``, ``reopen``,
    ``get_logdir``) over an in-memory buffer (see the module docstring).

    Args:
        logdir: the run directory (created if missing).
        flush_secs: flush at the next event once this many seconds (at most :data:`LIVE_SECONDS`) have passed.
        filename_suffix: appended to the event file's name, as TensorBoard does.
    """

    def __init__(self, logdir: str, flush_secs: float = 120, filename_suffix: str = "") -> None:
        self._logdir = str(logdir)
        self._flush_every = min(float(flush_secs), LIVE_SECONDS)
        self._filename_suffix = filename_suffix
        self._buffer = io.BytesIO()
        self._records = RecordWriter(self._buffer)
        self._lock = threading.Lock()  # events may come from several threads, as to TensorBoard's queue
        os.makedirs(self._logdir, exist_ok=True)
        self._start_file()

    def _start_file(self) -> None:
        stamp = f"{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}"
        name = f"events.out.tfevents.{stamp}.{next(_file_numbers):06d}"
        self.path = os.path.join(self._logdir, name + self._filename_suffix)
        self._closed = False
        self._last_flush = time.monotonic()
        _open_writers.add(self)
        self.add_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2",
                                       source_metadata=event_pb2.SourceMetadata(writer=type(self).__name__)))
        self.flush()

    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event: event_pb2.Event) -> None:
        if not isinstance(event, event_pb2.Event):
            raise TypeError(f"Expected an event_pb2.Event proto, but got {type(event)}")
        if self._closed:
            raise RuntimeError(f"the event file {self.path} is closed; reopen() the writer to write more events")
        record = event.SerializeToString()
        with self._lock:
            self._records.write(record)
            due = (time.monotonic() - self._last_flush >= self._flush_every
                   or self._buffer.tell() >= MAX_BUFFERED_BYTES)
        if due:
            self.flush()

    def flush(self) -> None:
        """Append what the buffer holds to the event file (it is emptied once the file has it)."""
        with self._lock:
            self._last_flush = time.monotonic()
            pending = self._buffer.getvalue()
            if not pending:
                return
            try:
                with open(self.path, "ab") as file:
                    file.write(pending)
            except OSError as error:
                refusal = disk_refusal(self.path, error)
                if refusal is None:
                    raise
                raise refusal from error
            self._buffer.seek(0)
            self._buffer.truncate()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _open_writers.discard(self)
            self.flush()

    def reopen(self) -> None:
        """After ``close()``: later events go to a new event file in the same directory (TensorBoard's rule)."""
        if self._closed:
            self._start_file()
