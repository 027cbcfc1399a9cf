"""Keep freed tensor memory in the heap for the next step, instead of handing it back to the kernel.

A training step on the CPU allocates and frees the same large tensors every step (gradients, activations,
optimizer temporaries). glibc's ``malloc`` serves a request over its *mmap threshold* (128 KiB at start, raised
only as far as the largest block freed so far) with a fresh ``mmap`` and returns it to the kernel on ``free``; it
also trims the top of the heap once more than its *trim threshold* lies free there. Either way the next step's
tensor is new memory, and every 4 KiB page of it costs a page fault on first touch - on a virtual machine several
microseconds each. A stack of 100 of the book's MLPs took ~4,000 page faults per step that way (a 31 MB first-layer
gradient alone is 7,700 pages), and a step's matrix product writing into fresh pages ran several times slower
than the same product into reused memory.

:func:`reuse_freed_heap_memory` sets, once per process, through ``mallopt``:

* ``M_MMAP_THRESHOLD`` = 32 MiB (glibc's maximum): blocks up to that size come from the heap and are reused;
* ``M_TRIM_THRESHOLD`` = 1 GiB: freed memory at the top of the heap is kept for reuse up to that amount.

The process's peak memory is unchanged (the same tensors are alive at the peak); it keeps its freed memory for
reuse instead of returning it at once. Nothing is done where the C library is not glibc (macOS, musl) or an
allocator such as jemalloc/tcmalloc is preloaded (they keep memory for reuse by themselves), when the user set
either threshold through glibc's own variables (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``), or when
``TRAINLAB_HEAP_REUSE=0`` (or ``false``, ``off``, ``no``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD_BYTES = 1 << 30
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")

_applied: bool | None = None  # None: not decided yet in this process


#: the values of ``TRAINLAB_HEAP_REUSE`` (any case); anything else is refused: ``TRAINLAB_HEAP_REUSE=of`` left it on
SWITCHED_OFF = ("0", "false", "off", "no")
SWITCHED_ON = ("1", "true", "on", "yes", "")


def heap_reuse_wanted() -> tuple[bool, str]:
    """Whether to set the thresholds in this process, and why not when not; a ``TRAINLAB_HEAP_REUSE`` that is neither
    on nor off is a :class:`~trainlab.errors.ConfigError` naming the values it takes."""
    from trainlab.errors import ConfigError

    switch = os.environ.get("TRAINLAB_HEAP_REUSE", "1")
    value = switch.strip().lower()
    if value in SWITCHED_OFF:
        return False, f"TRAINLAB_HEAP_REUSE={switch}"
    if value not in SWITCHED_ON:
        raise ConfigError(f"TRAINLAB_HEAP_REUSE={switch} is invalid; allowed: {', '.join(SWITCHED_OFF)} (off), or "
                          f"{', '.join(SWITCHED_ON[:-1])} (on, the default)")
    user_set = [name for name in USER_SETTINGS if name in os.environ]
    if user_set:
        return False, f"{', '.join(user_set)} set by the user"
    if "LD_PRELOAD" in os.environ and any(name in os.environ["LD_PRELOAD"] for name in ("jemalloc", "tcmalloc")):
        return False, "another allocator is preloaded"
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False, "the C library is not glibc"
    return True, ""


def reuse_freed_heap_memory() -> bool:
    """Set glibc's thresholds (see the module docstring) once per process; returns whether they are set."""
    global _applied
    if _applied is not None:
        return _applied
    wanted, reason = heap_reuse_wanted()
    if not wanted:
        log.debug("heap reuse not set: %s", reason)
        _applied = False
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    if not ok:
        log.warning("glibc refused mallopt(M_MMAP_THRESHOLD / M_TRIM_THRESHOLD); freed memory goes back to the "
                    "kernel as before (slower steps, same results)")
    _applied = ok
    return ok
