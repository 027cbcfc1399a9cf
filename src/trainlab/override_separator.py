"""An override typed with ``:`` where Hydra's grammar takes ``=``: ``optimizer:adam``, ``trainer.max_epochs:1``.

YAML writes ``key: value``, and so does a defaults list (``- override /optimizer: adam``); on the command line the
same habit gives a word that Hydra cannot parse, refused with a message in its grammar's terms (``missing EQUAL at
':'``, or only ``LexerNoViableAltException: trainer.max_epochs:1 ^``) that names no form it would take.
:func:`separator_advice` names it - ``; did you mean optimizer=adam? (an override is key=value)`` - where the word
with its first ``:`` outside quotes and brackets made ``=`` parses; any other word gets no advice, and its refusal
stays Hydra's.
"""

from __future__ import annotations

import shlex

OPENING, CLOSING = "[{(", "]})"
QUOTES = "'\""


def first_separator(word: str) -> int | None:
    """The index of the first ``:`` outside quotes and brackets, where no ``=`` comes before it there (a ``:`` after
    the ``=`` is part of the value: ``hydra.run.dir=/a:b``); None where there is none."""
    depth, quote = 0, None
    for index, char in enumerate(word):
        if quote is not None:
            quote = None if char == quote else quote
        elif char in QUOTES:
            quote = char
        elif char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(depth - 1, 0)
        elif depth == 0 and char == "=":
            return None
        elif depth == 0 and char == ":":
            return index
    return None


def separator_advice(word: str) -> str:
    """``"; did you mean key=value? (an override is key=value)"`` for an override ``word`` that Hydra could not parse
    and that parses with its first ``:`` (:func:`first_separator`) made ``=``, shell-quoted where the shell would
    read it otherwise; ``""`` for any other word."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    index = first_separator(word)
    if index is None:
        return ""
    meant = f"{word[:index]}={word[index + 1:]}"
    try:
        OverridesParser.create().parse_override(meant)
    except Exception:  # noqa: BLE001 - not a swapped separator either: Hydra's refusal stands alone
        return ""
    return f"; did you mean {shlex.quote(meant)}? (an override is key=value)"
