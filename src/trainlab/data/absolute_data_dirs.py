"""A relative data directory on ``train.py``'s command line, made absolute against the directory the command is
started in.

``python train.py data.data_dir=mydata`` loads ``./mydata`` - Hydra does not change the working directory - but the
run recorded ``mydata`` as typed: in ``.hydra/config.yaml``, ``.hydra/overrides.yaml``, the sweep's
``multirun.yaml``, ``hparams.yaml`` and the resume commands printed from them. Resumed (``ckpt_path=...``,
``resume_sweep=true``) or evaluated (``trainlab evaluate``) from another directory, the run looked for its data
there: ``data.source=torchvision`` refused or downloaded it again, ``auto`` chose the other images. ``train.py``
rewrites such a word before Hydra reads the command line - ``data.data_dir=mydata`` becomes
``data.data_dir=/where/it/started/mydata`` - so the run uses, and everything records, the directory the user
meant wherever it is read later.

The keys are those that say where the data is: :data:`DATA_DIR_KEYS` (``paths.root_dir`` holds ``data/`` by
default). A value, or each value of a sweep (``a,b``, ``choice(a,b)``), that is a relative path is made absolute
(``os.path.abspath``: ``../data`` becomes the parent's ``data``), and one that starts with ``~`` - quoted, as
Hydra's grammar reads no unquoted ``~`` there - is the home directory's (``'~/mnist'``: a shell does not expand a
quoted ``~``, and the run made a directory named ``~`` in the current one); an absolute path, an interpolation
(``${oc.env:MNIST}``), ``null``, an empty value, a number, a deletion (``~data.data_dir``) and what Hydra cannot
parse are left as typed, for Hydra and the config checks to take as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from trainlab.config_keys import override_key
from trainlab.shell_override import hydra_value

#: the keys whose value is where the data is: a relative one is made absolute
DATA_DIR_KEYS = ("data.data_dir", "paths.data_dir", "paths.root_dir")


def absolute_data_dirs(argv: Sequence[str], start_dir: str | os.PathLike | None = None) -> list[str]:
    """``argv`` with each override of a :data:`DATA_DIR_KEYS` key whose value is a relative path rewritten with that
    path made absolute against ``start_dir`` (the current directory by default); every other word as it is."""
    start = os.fspath(start_dir) if start_dir is not None else os.getcwd()
    return [absolute_override(word, start) if override_key(word) in DATA_DIR_KEYS and "=" in word else word
            for word in argv]


def absolute_override(word: str, start: str) -> str:
    """``word`` (``[+|++]key=value``) with its relative path, or its sweep's, made absolute against ``start``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, QuotedString, ValueType
    from hydra.errors import HydraException

    try:
        override = OverridesParser.create().parse_overrides([word])[0]
    except HydraException:  # Hydra says what is wrong with it
        return word
    value = override.value()
    if override.is_delete():  # ~key=value deletes the key where its value is the one typed
        return word
    if override.value_type == ValueType.ELEMENT:
        texts = [value]
    elif isinstance(value, ChoiceSweep) and not value.tags and not value.shuffle:  # a,b or choice(a,b)
        texts = list(value.list)
    else:  # range(), interval(), glob(), tagged or shuffled choices: not paths
        return word
    texts = [text.text if isinstance(text, QuotedString) else text for text in texts]
    if not all(isinstance(text, str) and text and "${" not in text for text in texts):
        return word
    texts_home = [os.path.expanduser(text) for text in texts]  # ~/mnist: the home directory's, as in a shell
    paths = [hydra_value(text if os.path.isabs(text) else os.path.abspath(os.path.join(start, text)))
             for text in texts_home]
    if paths == texts:  # all absolute and plain: as typed
        return word
    values = paths[0] if override.value_type == ValueType.ELEMENT else ",".join(paths)
    if override.value_type == ValueType.CHOICE_SWEEP:
        values = f"choice({values})"
    return f"{override.get_key_element()}={values}"
