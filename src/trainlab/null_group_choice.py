"""``<group>=null`` on the command line: no option of a config group, which Hydra spells ``~<group>``.

``conf/train.yaml``'s defaults list reads ``scheduler: null`` as "no option of the group", but Hydra 1.3 refuses the
same choice on the command line ("Config group override must be a string or a list. Got NoneType"), even alone:
``python train.py scheduler=null`` and ``python train.py -m optimizer=sgd,adam logger=null`` stopped with the
message for a group *swept* over null, whose advice (run ``scheduler=null`` as a command of its own) failed the same
way. ``train.py`` rewrites such a word - exactly ``<group>=null``, the group a folder of ``conf/`` - into
``~<group>`` before Hydra reads the command line: the group's option leaves the defaults list, as
``scheduler: null`` says (on a group whose default is null nothing changes). The rewritten word is what the run
records (``.hydra/overrides.yaml``, the sweep's ``multirun.yaml``, the job names: ``0_optimizer=sgd,~scheduler=null``,
as Hydra names a deletion), so ``resume_sweep=true`` with the command as typed finds the same jobs. ``scheduler=null``
with quotes (``'scheduler="null"'``, the option named null), ``+group=null`` and a sweep over null and options
(``-m scheduler=null,step``: a deletion cannot be swept; :func:`trainlab.hydra_errors.null_group_sweep_message`)
are left to Hydra.

A group a run cannot do without (``optimizer=null``, ``~paths``) is refused in one line
(:func:`required_group_dropped`), and so is a key of ``paths`` that other keys are made from (``~paths.log_dir``:
:func:`required_key_removed`).
"""

from __future__ import annotations

import re
from pathlib import Path

NULL_CHOICE = re.compile(r"(?P<group>[A-Za-z_][\w/]*)=null")


def null_choices_as_deletions(argv: list[str], conf_dir: Path) -> list[str]:
    """``argv`` with each word ``<group>=null`` of a config group in ``conf_dir`` as ``~<group>``."""
    words = []
    for word in argv:
        match = NULL_CHOICE.fullmatch(word)
        words.append(f"~{match['group']}" if match and (conf_dir / match["group"]).is_dir() else word)
    return words


#: the config groups a run cannot do without (what the training task builds from each); the others - scheduler,
#: init, logger, callbacks, experiment, hparams_search, debug - may be null: no schedule, PyTorch's own init, no
#: logger, no callbacks
REQUIRED_GROUPS = {"data": "data", "model": "a model", "optimizer": "an optimizer", "trainer": "a trainer",
                   "paths": "paths (where its data and outputs go)"}
DELETION = re.compile(r"~(?P<group>[A-Za-z_][\w/]*)(=.*)?")


def group_choices(group: str, conf_dir: Path) -> str:
    """``sgd|momentum|...``: the options of ``conf_dir``'s group ``group``, sorted."""
    return "|".join(sorted(path.stem for path in (conf_dir / group).glob("*.yaml")))


def required_group_dropped(argv: list[str], conf_dir: Path) -> str | None:
    """The message for the first word of ``argv`` that drops a group a run needs (``optimizer=null``,
    ``~optimizer``, ``~optimizer=sgd``), else None. Hydra composed such a config and the run failed later, far from
    the word: ``paths=null`` with an omegaconf traceback (``Key 'paths' is not in struct``), ``optimizer=null`` as
    ``MLPClassifier raised TypeError: 'NoneType' object is not callable``."""
    for word in argv:
        match = NULL_CHOICE.fullmatch(word) or DELETION.fullmatch(word)
        group = match["group"] if match else None
        if group in REQUIRED_GROUPS and (conf_dir / group).is_dir() and not builds_its_own_node(group, argv):
            return (f"{word}: a run needs {REQUIRED_GROUPS[group]}, so config group {group} cannot be null; allowed: "
                    f"{group}={group_choices(group, conf_dir)}")
    return None


#: the keys of ``paths`` that other keys are made from (``conf/paths/default.yaml``, ``hydra.run.dir``,
#: ``data.data_dir``), with what each is: ``~paths.log_dir`` left them pointing at nothing, and the command ended in an
#: InterpolationKeyError traceback and "trainlab's checks before the run failed unexpectedly"
#: and what to set instead
REQUIRED_KEYS = {"paths.root_dir": ("the parent of outputs/ and data/", "paths.root_dir=<dir>"),
                 "paths.data_dir": ("where the dataset files and caches go", "paths.data_dir=<dir>"),
                 "paths.log_dir": ("the parent of runs/ and multiruns/", "paths.log_dir=<dir>"),
                 "paths.output_dir": ("the job's own directory, which Hydra makes",
                                      "hydra.run.dir=<dir> (or hydra.sweep.dir), which it follows")}
KEY_DELETION = re.compile(r"~(?P<key>[A-Za-z_][\w.]*)(=.*)?")


def required_key_removed(argv: list[str]) -> str | None:
    """The message for the first word of ``argv`` that removes a key of :data:`REQUIRED_KEYS` (``~paths.log_dir``,
    ``~paths.log_dir=/x``), else None: the key can be set, not removed."""
    for word in argv:
        match = KEY_DELETION.fullmatch(word)
        if match and match["key"] in REQUIRED_KEYS:
            key = match["key"]
            what, allowed = REQUIRED_KEYS[key]
            return f"{word}: a run needs {key} ({what}), so it cannot be removed; allowed: {allowed}"
    return None


def builds_its_own_node(group: str, argv: list[str]) -> bool:
    """Whether ``argv`` adds keys of ``group`` itself (``optimizer=null +optimizer._target_=torch.optim.LBFGS
    +optimizer._partial_=true``: a class of one's own without a YAML file) - the group's option is dropped to make
    room for them, not to run without it."""
    return any(re.match(rf"\+\+?{re.escape(group)}[.=]", word) for word in argv)


def exit_if_a_required_group_is_dropped(argv: list[str], conf_dir: Path) -> None:
    """One line and exit status 2 for :func:`required_group_dropped`'s and :func:`required_key_removed`'s words,
    before Hydra writes anything."""
    import sys

    message = required_group_dropped(argv, conf_dir) or required_key_removed(argv)
    if message is not None:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)
