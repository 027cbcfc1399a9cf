"""A memo of the YAML text this test process parses with ``OmegaConf.load``: each distinct text parsed once.

Most of an in-process test's time goes to Hydra composing ``conf/`` - ``train.py`` composes the config twice (for
the run mode, then for the run), ``make_cfg`` once - and a good part of that to parsing the same ~17 YAML files
again and again (PyYAML's pure-Python loader, then ``OmegaConf.create``). Here ``OmegaConf.load`` keeps what it
made of a text, keyed by the text itself: a file a test writes or edits is parsed afresh, a text that fails to
parse is never kept (the first load of a text is ``OmegaConf.load``'s own, errors and their file names included),
and every load returns its own copy (Hydra deletes ``defaults`` from the config it loaded). Only this process is
affected: ``train_subprocess`` and the processes launchers start load their files as a user's command does.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

#: the text (str, or bytes from a binary file) -> the pickled config ``OmegaConf.load`` made of it
PARSED: dict[str | bytes, bytes] = {}
OMEGACONF_LOAD = OmegaConf.load


def load(file_: str | Path | Any) -> Any:
    """``OmegaConf.load(file_)`` (a path or an open, seekable file), from the memo when its text was loaded before."""
    if isinstance(file_, (str, Path)):
        with open(file_, encoding="utf-8") as file:
            text = file.read()
    elif file_.seekable():
        start = file_.tell()
        text = file_.read()
        file_.seek(start)
    else:  # a stream read once: nothing to key it by without taking it from the loader
        return OMEGACONF_LOAD(file_)
    parsed = PARSED.get(text)
    if parsed is not None:
        return pickle.loads(parsed)
    config = OMEGACONF_LOAD(file_)
    PARSED[text] = pickle.dumps(config)
    return config


def install() -> None:
    """Route this process's ``OmegaConf.load`` through the memo (Hydra reads config files with it)."""
    OmegaConf.load = staticmethod(load)  # type: ignore[method-assign]

