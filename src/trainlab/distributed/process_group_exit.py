"""A DDP rank's process group, torn down when the process exits - while the interpreter still runs.

Lightning joins the job's process group when fit starts and leaves it joined: a multirun's later jobs train in the
same group. Lightning destroys an ``nccl`` group in an exit handler, but not a ``gloo`` one (DDP on CPUs), which was
left to the interpreter's own teardown. Its worker threads were then still running while the interpreter took its
modules apart, and now and then a rank that had finished and written everything aborted on its way out (``terminate
called without an active exception``: exit status -6, and torchrun failed the job; seen in a CI run after the run
had completed). :func:`leave_process_group_at_exit` registers :func:`leave_process_group` as an exit handler: it
runs before the interpreter's teardown, and ``torch.distributed.destroy_process_group`` lets the group go, its threads
with it. (They stop once nothing else holds the group: in ``train.py``'s ranks nothing does by then - a rank lists no
gloo thread in the last exit handler, ``tests/test_process_group_exit.py``; a program of one's own that still holds
the group then keeps its threads.)

Exit handlers run in the reverse order of their registration, so registered when the rank's strategy is built - after
``train.py`` registered its own (:mod:`trainlab.process_exit`) - it runs before them, while every module is whole.
Leaving the group is local to the rank: no other rank waits for it.
"""

from __future__ import annotations

import atexit


def leave_process_group() -> None:
    """Destroy this process's process groups (every one, the default group's included); nothing where none is
    joined."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def leave_process_group_at_exit() -> None:
    """Have :func:`leave_process_group` run at this process's exit (once, however often this is called)."""
    atexit.unregister(leave_process_group)
    atexit.register(leave_process_group)
