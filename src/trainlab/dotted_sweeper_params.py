"""A dotted ``hydra.sweeper.params`` entry set on the command line: what to type instead.

An experiment's ``hydra.sweeper.params`` holds entries whose keys have dots (``model.net.batch_norm: custom,none``).
On the command line ``hydra.sweeper.params.model.net.batch_norm=custom`` does not reach that entry: Hydra reads each
dot as a level of nesting and refuses the first part, ``hydra.sweeper.params.model: unknown key; allowed keys of
hydra.sweeper.params: init.std, model.net.batch_norm`` - a list that names the very key that was typed - and
advises ``+hydra.sweeper.params.model.net.batch_norm=custom``, which fails in turn (the entries are strings, not
mappings). What works is the entry as a plain override of its key, ``model.net.batch_norm=custom``: both the basic
sweeper and a search take an override of a key in place of ``hydra.sweeper.params``' entry for it (the sweep then
runs ``custom`` only), or the entry in a config file's ``hydra.sweeper.params``. :func:`dotted_entry_message` says
so in one line, as :func:`trainlab.hydra_errors.swept_sweeper_params_message` does for a sweep value there
(``hydra.sweeper.params.init.std=0.1,0.2``). Every ``hydra.sweeper.params.<key>=...`` of the command line is
given as its override, so a command that sets two entries learns both replacements at once.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable

SWEEPER_PARAMS = "hydra.sweeper.params."


def entry_words(argv: Iterable[str]) -> list[tuple[str, str]]:
    """Each ``hydra.sweeper.params.<entry>=<value>`` of ``argv`` (``+`` allowed, ``~`` deletions left out) as
    ``(entry, value)``, in the command line's order."""
    entries = []
    for word in argv:
        key, equals, value = word.lstrip("+").partition("=")
        if equals and key.startswith(SWEEPER_PARAMS) and key != SWEEPER_PARAMS:
            entries.append((key[len(SWEEPER_PARAMS):], value))
    return entries


def dotted_entry_message(full_key: str, entries: Iterable[str], given: str | None) -> str | None:
    """The line for Hydra's unknown key ``full_key`` (``hydra.sweeper.params.model``) refused while applying
    ``given`` (the override as typed; Hydra's advice prefixes a ``+``), when ``given`` sets a dotted entry below it
    (``hydra.sweeper.params.model.net.batch_norm=custom``); ``entries``: ``hydra.sweeper.params``' own. None for any
    other unknown key (a misspelt key of ``hydra.sweeper`` itself, an entry without a dot)."""
    if given is None or not full_key.startswith(SWEEPER_PARAMS):
        return None
    override = given.lstrip("+")
    key, equals, value = override.partition("=")
    if not equals or not key.startswith(full_key + "."):
        return None
    entry = key[len(SWEEPER_PARAMS):]
    words = entry_words(sys.argv[1:])
    if (entry, value) not in words:  # not typed as such (composed for a test): this override alone
        words.append((entry, value))
    plain = " ".join(shlex.quote(f"{name}={text}") for name, text in words)
    if len(words) > 1:
        taken = "the entries as overrides of their keys", "each replaces hydra.sweeper.params' entry for its key"
    elif entry in set(entries):
        taken = "the entry as an override of its key", f"it replaces hydra.sweeper.params' entry for {entry}"
    else:
        taken = "the entry as an override of its key", "every job takes it"
    written = ", ".join(f"{name}: '{text}'" for name, text in words)
    return (f"{override}: Hydra reads the dots of a key under hydra.sweeper.params as nested keys "
            f"({full_key}), not as the entry {entry}; allowed: {taken[0]}, {plain} ({taken[1]}), or "
            f"hydra.sweeper.params in a config file (hydra: {{sweeper: {{params: {{{written}}}}}}})")
