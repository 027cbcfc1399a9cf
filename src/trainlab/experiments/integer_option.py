"""An integer option of an experiment's command line, refused by its parser outside a range (exit status 2, before
anything is made), naming the option, the value as typed and the allowed range."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def integer_in(low: int, high: int, why: str = "") -> Callable[[str], int]:
    """An argparse ``type`` for an integer from ``low`` to ``high``; ``why`` (``" (the book's figure: 30)"``) follows
    the range in the refusal: ``argument --steps: '0' is invalid; allowed: an integer from 1 to 1000 ...``."""

    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is invalid; allowed: an integer from {low} to {high}{why}")
        return value

    return integer
