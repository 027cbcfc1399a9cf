"""An override as a user pastes it into a shell: ``key=value``, quoted where Hydra or the shell would read the value
otherwise.

Hydra's override grammar ends an unquoted value at ``=``, ``,``, brackets and spaces, and a sweep names its job
directories from their overrides (``3_optimizer=adam,trainer.max_epochs=1``), so ``hydra.run.dir=<such a dir>``
does not parse. Quoted for Hydra (``"..."``: a ``"`` in it escaped, backslashes before one or at the end doubled)
and then for the shell (``'...'``, by :func:`shlex.quote`), ``'hydra.run.dir="<dir>"'`` reaches Hydra as one word
and parses back to the directory. Only ASCII letters stand unquoted: Hydra's grammar reads no other.
:func:`train_command` is a ``train.py`` command line rebuilt from a run's overrides and the options that chose its
config (:func:`config_options`: ``--config-dir``, ``--config-name``, ``--config-path``, which Hydra records apart from
the overrides - without them a printed command looked for an experiment of one's own in the template's ``conf/``
only and was refused), :func:`finish_sweep_command`
the one that errors and interrupts print to finish a sweep, and :func:`finish_sweep_line` the line that says it
(:func:`continue_search_line` for a search).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.checkout import checkout_dir
from trainlab.config_keys import override_key, override_lines
from trainlab.printed_python import printed_python

#: the config train.py's ``@hydra.main`` names: ``--config-name`` is printed for any other
DEFAULT_CONFIG_NAME = "train"
PLAIN_VALUE = re.compile(r"[\w./:+@%-]*", re.ASCII)  # what both Hydra and the shell read as it is


def shell_override(key: str, value: Any) -> str:
    """``key=value`` to paste into a shell, quoted only when the value needs it."""
    text = str(value)
    word = f"{key}={hydra_value(text)}"
    return word if PLAIN_VALUE.fullmatch(text) else shlex.quote(word)


def hydra_value(text: str) -> str:
    """``text`` as Hydra's override grammar reads it back as that string: as it is where it is plain, else quoted."""
    if PLAIN_VALUE.fullmatch(text):
        return text
    # Hydra reads a backslash as itself unless a quote follows it (or it ends the value, before the closing quote):
    # those runs of backslashes are doubled, and a quote is escaped
    escaped = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', text)
    escaped = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, escaped)
    return f'"{escaped}"'


def train_script() -> Path:
    """The ``train.py`` that started this command, as it recorded itself (``TRAINLAB_TRAIN_SCRIPT``), else the
    checkout's."""
    recorded = os.environ.get("TRAINLAB_TRAIN_SCRIPT")
    return Path(recorded) if recorded else (checkout_dir() or Path.cwd()) / "train.py"


def python_train_py() -> str:
    """How to start this ``train.py`` from the current directory: ``python train.py`` in the checkout, else with the
    script's path (the command was started from elsewhere: ``python /path/to/train.py``), prefixed by a
    ``TRAINLAB_ROOT`` other than the script's own directory (where that run's ``outputs/`` and ``data/`` are). The
    script is the one ``train.py`` recorded when it started (``TRAINLAB_TRAIN_SCRIPT``), else the checkout's; the
    interpreter the one that ran it, named as :func:`~trainlab.printed_python.printed_python` says (``python``, or
    ``.venv/bin/python`` where ``python`` on PATH is another)."""
    script = train_script()
    here = Path("train.py").resolve()
    words = [printed_python(), "train.py" if script == here else shlex.quote(str(script))]
    root = os.environ.get("TRAINLAB_ROOT")
    if root is not None and Path(root).resolve() != script.parent:
        words.insert(0, f"TRAINLAB_ROOT={shlex.quote(root)}")
    return " ".join(words)


def config_options(hydra_config: Any) -> list[str]:
    """The options of Hydra's command line that chose the config of a run whose ``hydra`` node is ``hydra_config``
    (``HydraConfig.get()``, or a ``multirun.yaml``'s), as words: ``--config-dir <dir>`` for each directory the command
    added (Hydra records it absolute, provider ``command-line``), ``--config-path <dir>`` where the primary config
    directory is not the script's own ``conf/``, ``--config-name <name>`` where the config is not ``train``. Empty for
    a command that gave none, or a record without them."""
    sources = getattr(getattr(hydra_config, "runtime", None), "config_sources", None) or []
    files = [source for source in sources if source.get("schema") == "file"]
    words = []
    default_dir = train_script().parent / "conf"
    primary = next((source["path"] for source in files if source.get("provider") == "main"), None)
    if primary is not None and Path(primary).resolve() != default_dir.resolve():
        words += ["--config-path", shlex.quote(str(primary))]
    name = getattr(getattr(hydra_config, "job", None), "config_name", None)
    if name not in (None, DEFAULT_CONFIG_NAME):
        words += ["--config-name", shlex.quote(str(name))]
    for source in files:
        if source.get("provider") == "command-line":
            words += ["--config-dir", shlex.quote(str(source["path"]))]
    return words


def train_command(overrides: Iterable[str], replacing: dict[str, Any], multirun: bool = False,
                  options: Iterable[str] = ()) -> str:
    """``python train.py [-m] <options> <overrides> <replacing>`` to paste into a shell (:func:`python_train_py`):
    ``options`` are Hydra's own (:func:`config_options`, shell-quoted), each override quoted as the shell needs (it
    reaches Hydra as the user typed it), those of a key in ``replacing`` and Hydra's ``hydra.mode`` (which ``-m``
    sets) left out, then ``replacing``'s keys with their values (:func:`shell_override`)."""
    kept = [o for o in overrides if override_key(o) not in replacing and override_key(o) != "hydra.mode"]
    words = [python_train_py(), *(["-m"] if multirun else []), *options, *map(shlex.quote, kept),
             *(shell_override(key, value) for key, value in replacing.items())]
    return " ".join(words)


#: a search's study storage, whose relative file the command that continues it names by its absolute path
STORAGE_KEY = "hydra.sweeper.storage"


def finish_sweep_command(sweep_dir: str | os.PathLike) -> str:
    """The sweep's own command (its config options and overrides as its ``multirun.yaml`` records them) with
    ``resume_sweep=true`` and ``hydra.sweep.dir=<sweep_dir>``, the directory made absolute (the command may be pasted
    elsewhere), as is a search's relative study file (``hydra.sweeper.storage=sqlite:///study.db``);
    ``<the same overrides>`` stands for them where no ``multirun.yaml`` can be read.

    A grid sweep whose jobs each train alone (the basic, joblib and submitit launchers) gets ``ckpt_path=last`` too:
    an interrupted job goes on from the ``last.ckpt`` its stop saved - the command had trained it again from its
    start, its saved steps set aside under ``attempts/`` - and a job that saved none trains from its start. Not a
    search's (a search resumes no trial), nor a stacked sweep's: its unfinished members train again as a stack, and
    the stop's line says how to resume one alone."""
    from trainlab.preflight import STACKED_LAUNCHER
    from trainlab.sweep.stopped_sweep import is_search

    sweep_dir = os.path.abspath(str(sweep_dir))
    replacing = {"resume_sweep": "true", "hydra.sweep.dir": sweep_dir}
    try:
        recorded = OmegaConf.load(os.path.join(sweep_dir, "multirun.yaml")).hydra
        overrides = [*override_lines(recorded.overrides.task), *override_lines(recorded.overrides.hydra)]
        options = config_options(recorded)
        if OmegaConf.select(recorded, "launcher._target_") != STACKED_LAUNCHER and not is_search(recorded):
            replacing = {"ckpt_path": "last", **replacing}
    except (OSError, yaml.YAMLError, OmegaConfBaseException, TypeError):  # no readable record: not rebuilt
        return (f"{python_train_py()} <the same overrides> resume_sweep=true "
                f"{shell_override('hydra.sweep.dir', sweep_dir)}")
    storage = [override for override in overrides if override_key(override) == STORAGE_KEY]
    if storage and not storage[-1].partition("=")[2].startswith(("'", '"')):
        from trainlab.search.storage import absolute_storage  # a search's: optuna is imported already

        # a relative study file (sqlite:///study.db) is this directory's: the command may be pasted elsewhere
        written = storage[-1].partition("=")[2]
        if absolute_storage(written) != written:
            replacing[STORAGE_KEY] = absolute_storage(written)
    return train_command(overrides, replacing, multirun=True, options=options)


def finish_sweep_line(sweep_dir: str | os.PathLike) -> str:
    """``Finish the sweep with: <command>`` (:func:`finish_sweep_command`): the line a stopped sweep ends with,
    whichever launcher ran its jobs and however it stopped."""
    return f"Finish the sweep with: {finish_sweep_command(sweep_dir)}"


def continue_search_line(sweep_dir: str | os.PathLike) -> str:
    """``Continue the search with: <command>`` (:func:`finish_sweep_command`): the line a stopped search ends with,
    however it stopped - its study goes on from the trials it holds until it has ``n_trials``."""
    return f"Continue the search with: {finish_sweep_command(sweep_dir)}"


#: the overrides only a multirun reads, which a sweep's job records among its own once a resume ran it: a single run
#: refuses them typed (-m forgotten: trainlab.preflight.check_no_sweep_keys_in_single_run)
SWEEP_ONLY_KEYS = ("resume_sweep",)


def job_alone_command(job_dir: str | os.PathLike, task_overrides: Iterable[str], options: Iterable[str] = ()) -> str:
    """The command that resumes one job of a sweep alone from its ``last.ckpt``: its overrides (``task_overrides``, as
    its ``.hydra/overrides.yaml`` records them) without those only a sweep reads (:data:`SWEEP_ONLY_KEYS`: a job a
    ``resume_sweep=true`` ran records it, and pasted as it was the single run was refused), with ``hydra.mode=RUN``
    (an experiment config sets ``MULTIRUN``), ``ckpt_path=last`` and ``hydra.run.dir=<job>``."""
    kept = [override for override in task_overrides if override_key(override) not in SWEEP_ONLY_KEYS]
    replacing = {"hydra.mode": "RUN", "ckpt_path": "last", "hydra.run.dir": os.path.abspath(str(job_dir))}
    return train_command(kept, replacing, options=options)


def resume_command(run_dir: str | os.PathLike, ckpt_path: str = "last") -> str:
    """What finishes an interrupted run: the run resumed from its checkpoint, or - for a job of a multirun - the
    sweep, whose later jobs have not run yet (``ckpt_path=last resume_sweep=true`` resumes this job from its
    checkpoint and runs them: :func:`~trainlab.shell_override.finish_sweep_command`), said as a search's trial says
    it (``Continue the search with:``, where a job of a search in another process prints it: a trial in the search's
    own process prints none, the search does). A ``hydra.mode=RUN`` the command typed is kept: a sweep's job
    resumed alone needs it where an experiment config sets ``hydra.mode: MULTIRUN`` (Hydra records the mode among
    the overrides of every run, so only the command line tells the two apart), as are the options that chose the
    config (``--config-dir``: an experiment of one's own is not found without it)."""
    import sys

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.sweep.single_run_of_a_sweep import typed_run_mode
    from trainlab.sweep.stopped_sweep import is_search

    hydra_config = HydraConfig.get()
    if hydra_config.mode == RunMode.MULTIRUN:
        sweep_dir = hydra_config.sweep.dir
        return continue_search_line(sweep_dir) if is_search(hydra_config) else finish_sweep_line(sweep_dir)
    overrides = [*override_lines(hydra_config.overrides.task), *override_lines(hydra_config.overrides.hydra)]
    run_mode = {"hydra.mode": "RUN"} if typed_run_mode(sys.argv[1:]) else {}
    replacing = {**run_mode, "ckpt_path": ckpt_path, "hydra.run.dir": run_dir}
    return f"Resume with: {train_command(overrides, replacing, options=config_options(hydra_config))}"
