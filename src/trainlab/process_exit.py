"""Let a finished process exit without a last full pass of the garbage collector.

When the interpreter shuts down it clears every module and runs the cyclic garbage collector over all the objects
still tracked. After ``import torch, lightning`` (torchmetrics pulls in torchvision, torch._dynamo, sympy and
scipy) these are millions of objects: 0.3-0.8 s at the end of every ``train.py`` and ``trainlab`` command on the
2-core development machine, spent after the work is done and its files are written.

:func:`skip_final_garbage_collection` registers ``gc.freeze()`` as an exit handler; called before Lightning and the
project's buffered event files are imported, it runs after their exit handlers (exit handlers run in the reverse
order of their registration). The objects alive then move to the collector's permanent generation, which the
shutdown's collections skip. The rest of the exit is unchanged: the other exit handlers run (Lightning's,
TensorBoard's, the flush of the project's buffered event files), modules are cleared and their objects freed by
reference counting as usual, so files still open are flushed and closed. Only objects held in reference cycles are
no longer finalised: the operating system reclaims their memory with the process, and nothing of the project's
relies on their ``__del__``. What must be torn down before the process ends has an exit handler of its own, which
runs before this one: a DDP rank's process group, whose worker threads are stopped by
:mod:`trainlab.distributed.process_group_exit` (left to the teardown, a rank could abort on its way out).
"""

from __future__ import annotations

import atexit
import gc


def skip_final_garbage_collection() -> None:
    """Register ``gc.freeze()`` to run after every exit handler registered later (see the module docstring)."""
    atexit.register(gc.freeze)
