"""The report's figures as the images of a TensorBoard run in the report's directory, written without torch.

Each figure's PNG - the very bytes of the file beside it - becomes an image summary (tag ``report/<figure>``, step
0, its height, width and channels), the summary ``SummaryWriter.add_image`` writes, through the project's own
event-file writer (:class:`~trainlab.loggers.buffered_event_writer.BufferedEventFileWriter`). torch's
``SummaryWriter`` imported torch, which ``trainlab report`` needs for nothing else: ~1.9 s of its 3.6 s.
"""

from __future__ import annotations

import time

from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary


def image_event(tag: str, png: bytes, shape: tuple[int, ...]) -> Event:
    """The event of one image summary: ``png`` (encoded) of ``shape`` (height, width, channels), at step 0."""
    height, width, channels = shape
    image = Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=png)
    return Event(wall_time=time.time(), step=0, summary=Summary(value=[Summary.Value(tag=tag, image=image)]))
