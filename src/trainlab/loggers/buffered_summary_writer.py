"""``torch.utils.tensorboard.SummaryWriter`` whose run events go through a
:class:`~trainlab.loggers.buffered_event_writer.BufferedEventFileWriter` (why: that module's docstring).

``add_scalars``' sub-runs, and a writer with ``purge_step``, keep torch's own threaded writer.
"""

from __future__ import annotations

from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.writer import FileWriter

from trainlab.loggers.buffered_event_writer import BufferedEventFileWriter


class BufferedFileWriter(FileWriter):
    """torch's ``FileWriter`` (events and summaries with their step and wall time) over a
    :class:`BufferedEventFileWriter`."""

    def __init__(self, log_dir: str, max_queue: int = 10, flush_secs: float = 120, filename_suffix: str = "") -> None:
        # FileWriter.__init__ only builds TensorBoard's threaded writer, which this replaces (max_queue: unused)
        self.event_writer = BufferedEventFileWriter(str(log_dir), flush_secs, filename_suffix)


class BufferedSummaryWriter(SummaryWriter):
    """``torch.utils.tensorboard.SummaryWriter`` (same arguments and methods) whose run events are buffered."""

    def _get_file_writer(self) -> FileWriter:
        if self.purge_step is None and (self.all_writers is None or self.file_writer is None):
            self.file_writer = BufferedFileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
        return super()._get_file_writer()
