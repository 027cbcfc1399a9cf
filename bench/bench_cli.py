"""What the benchmarks' command lines share: a parser that shows the script's whole first paragraph and every
option's default, counts that must be at least 1, and a device that must be there.

A count of 0 or less left nothing to take the median of (``StatisticsError``) or divided by zero, and a negative
one printed negative timings with exit status 0; ``--device cuda`` without a GPU ended in torch's traceback after
the data was loaded. Each is now argparse's one-line usage error, exit status 2, before anything runs.
"""

from __future__ import annotations

import argparse


def parser_for(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of ``doc`` (a module docstring), defaults shown in ``--help``."""
    description = " ".join(doc.strip().split("\n\n")[0].split())
    return argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def count(text: str) -> int:
    """An argparse type: a whole number of at least 1 (rounds, steps, trials, members, a batch size)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: allowed whole numbers of at least 1")
    return value


def device_choice(text: str) -> str:
    """An argparse type: ``cpu``, or ``cuda`` where torch sees a CUDA device."""
    if text not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"{text!r}: allowed cpu, cuda")
    if text == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError("cuda: torch sees no CUDA device on this machine "
                                             "(torch.cuda.is_available() is false); allowed here: cpu")
    return text
