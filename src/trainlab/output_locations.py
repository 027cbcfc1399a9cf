"""The directories a run writes into, checked before anything is written: one line naming the key and the problem.

Locations (each reported under the key that sets it):

* the run's own directory - ``hydra.run.dir`` (a single run) or ``hydra.sweep.dir`` (a multirun), checked before
  Hydra creates it (:mod:`trainlab.preflight`), and ``paths.output_dir`` in the training task; ``paths.log_dir``
  first when they lie inside it, so that a wrong ``paths.log_dir`` is named as such;
* ``paths.data_dir`` and ``data.data_dir``: the dataset cache and downloads;
* each ``callbacks`` entry's ``dirpath`` (``callbacks.last_checkpoint.dirpath``, ...): where its checkpoints go
  (:func:`check_checkpoint_locations`).

A location is usable when no existing part of its path is a file, and this process may create files in it - or,
while it does not exist yet, in its nearest existing parent, where it will be created: write permission
(``os.access``, which also answers no on a read-only file system) and at least :data:`MIN_FREE_BYTES` and one inode
free (``os.statvfs``). Nothing is written to find out, so a checked directory stays exactly as it was. A data
directory that already exists is only checked for being a directory: a read-only copy of the data is fine, and a
write it then needs (a download) that fails is reported with the file's name
(:func:`trainlab.atomic_files.write_atomically`), as is a disk that fills up during training; the bundled sample's
cache that cannot be written is no error (:mod:`trainlab.data.bundled_mnist`), and ``data.source=torchvision``
without its files in a directory it cannot download into is refused with the config
(:func:`trainlab.config_validation.check_data_available`).

An empty path is refused too (``hydra.run.dir= is unusable: the path is empty ...``): Hydra reads it as the
current directory. So is an empty ``paths.root_dir`` - or ``TRAINLAB_ROOT``, where it comes from that variable -
and one that is a file, named as the user set it (:func:`check_root_dir`), not by the ``paths.log_dir`` made from
it. Errors read ``hydra.run.dir=/data/runs/x is unusable: /data/runs is a file, not a directory`` or
``paths.data_dir=/mnt/full/mnist is unusable: cannot write into /mnt/full (no space left on device: 0 bytes free);
allowed: an existing directory, which may be read-only, or a path where this process can create one`` (a data
directory's errors say what it may be).
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError, OutputLocationError

#: free space below which a file system counts as full: less than one checkpoint of the book's MLP (~1.3 MB with
#: Adam's state), so the run could not even save its first epoch
MIN_FREE_BYTES = 1 << 20


NAME_MAX, PATH_MAX = 255, 4096  # bytes of one name, of a whole path (Linux)


def nearest_existing(path: Path) -> Path:
    """``path`` itself, or the closest parent of it that exists (as anything: a directory, a file, a link)."""
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def write_problem(directory: Path) -> str | None:
    """Why files cannot be created in the existing ``directory``, or None."""
    if not os.access(directory, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and os.statvfs(directory).f_flag & os.ST_RDONLY
        return f"cannot write into {directory} ({'read-only file system' if read_only else 'permission denied'})"
    if not hasattr(os, "statvfs"):
        return None
    stats = os.statvfs(directory)
    if stats.f_blocks == 0:  # no storage at all: /proc, /sys (as root, os.access lets it by); not a full disk
        return f"cannot write into {directory} (a file system without storage, as /proc and /sys are)"
    free = (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize  # root may use the reserve
    if free < MIN_FREE_BYTES:
        return f"cannot write into {directory} (no space left on device: {free} bytes free)"
    if stats.f_files and not stats.f_favail:
        return f"cannot write into {directory} (no space left on device: no free inodes)"
    return None


def location_problem(path: str | os.PathLike, check_existing: bool = True) -> str | None:
    """Why ``path`` cannot be a directory this process writes into, or None (see the module docstring).
    ``check_existing=False``: an existing directory is accepted without checking that it is writable."""
    path = Path(path).absolute()
    too_long = next((part for part in path.parts if len(part.encode()) > NAME_MAX), None)
    if too_long is not None:
        return f"a name in it is {len(too_long.encode())} bytes ({too_long[:40]}...); the file system allows {NAME_MAX}"
    if len(str(path).encode()) >= PATH_MAX:
        return f"the path is {len(str(path).encode())} bytes; the file system allows {PATH_MAX - 1}"
    existing = nearest_existing(path)
    if not existing.is_dir():
        return f"{existing} is a file, not a directory" if existing.is_file() else f"{existing} is not a directory"
    if existing == path and not check_existing:
        return None
    return write_problem(existing)


#: what a data directory may be, said when one is unusable (a run directory's problem says it all)
DATA_DIR_ALLOWED = "an existing directory, which may be read-only, or a path where this process can create one"


#: an empty path, said where one is given: ``hydra.run.dir=$RUN_DIR`` with the shell variable unset wrote the run's
#: files into the current directory (the checkout's root), and ``paths.log_dir=`` put the default runs under ``/runs``
EMPTY_PATH = ("the path is empty (a shell variable that is not set?); allowed: a directory path, '.' for the current "
              "directory")


def is_empty(path: str | os.PathLike) -> bool:
    """Whether ``path`` names nothing (an empty or blank string: Hydra reads it as the current directory)."""
    return not str(path).strip()


def check_location(key: str, path: str | os.PathLike, check_existing: bool = True, allowed: str | None = None) -> None:
    """Raise :class:`OutputLocationError` naming ``key`` (and ``allowed``) when :func:`location_problem` finds one, or
    when ``path`` is empty (:data:`EMPTY_PATH`)."""
    if is_empty(path):
        raise OutputLocationError(f"{key}={path} is unusable: {EMPTY_PATH}")
    problem = location_problem(path, check_existing)
    if problem is not None:
        raise OutputLocationError(f"{key}={path} is unusable: {problem}" + (f"; allowed: {allowed}" if allowed else ""))


def inside(path: str | os.PathLike, parent: str | os.PathLike) -> bool:
    return Path(path).absolute().is_relative_to(Path(parent).absolute())


def check_data_locations(cfg: DictConfig) -> None:
    """``paths.data_dir``, and ``data.data_dir`` where it is set to another directory."""
    data_dir = OmegaConf.select(cfg, "paths.data_dir")
    if data_dir is not None:
        check_location("paths.data_dir", data_dir, check_existing=False, allowed=DATA_DIR_ALLOWED)
    own = OmegaConf.select(cfg, "data.data_dir")
    if own is not None and (data_dir is None or Path(own).absolute() != Path(data_dir).absolute()):
        check_location("data.data_dir", own, check_existing=False, allowed=DATA_DIR_ALLOWED)


#: an empty ``hydra.output_subdir``: Hydra wrote its three files into the run directory itself
EMPTY_OUTPUT_SUBDIR = ("hydra.output_subdir= is empty: Hydra would write config.yaml, hydra.yaml and overrides.yaml "
                       "into the run directory itself, where trainlab evaluate and a resume do not look for them; "
                       "allowed: a subdirectory name (the default .hydra), or null to write none")


#: the environment variable ``paths.root_dir`` is read from (``conf/paths/default.yaml``); ``train.py`` sets it to its
#: own directory where it is unset
ROOT_VARIABLE = "TRAINLAB_ROOT"

#: an empty ``TRAINLAB_ROOT`` (``export TRAINLAB_ROOT=``, or ``TRAINLAB_ROOT=$ROOT`` with ``ROOT`` unset): set, so
#: not replaced by train.py's directory, it made ``paths.root_dir`` empty - the runs went to ``/outputs/runs/`` and
#: the data to ``/data/``
EMPTY_ROOT_VARIABLE = (f"{ROOT_VARIABLE}= is unusable: the variable is set but empty (an 'export {ROOT_VARIABLE}=', "
                       "or a shell variable that is not set?), and paths.root_dir, under which outputs/ and data/ go, "
                       f"would be the file system's root /; allowed: {ROOT_VARIABLE}=<a directory>, or "
                       f"{ROOT_VARIABLE} unset ('unset {ROOT_VARIABLE}') for train.py's own directory")


def root_dir_key(cfg: DictConfig) -> str:
    """What set ``paths.root_dir``, as a refusal names it: ``TRAINLAB_ROOT`` where the config reads it from that
    variable (``${oc.env:TRAINLAB_ROOT,.}``, ``conf/paths/default.yaml``), else ``paths.root_dir`` (the command
    line's ``paths.root_dir=...``, a config file's)."""
    paths = OmegaConf.select(cfg, "paths")
    written = OmegaConf.to_container(paths, resolve=False).get("root_dir") if isinstance(paths, DictConfig) else None
    from_variable = isinstance(written, str) and f"oc.env:{ROOT_VARIABLE}" in "".join(written.split())
    return ROOT_VARIABLE if from_variable else "paths.root_dir"


def check_root_dir(cfg: DictConfig) -> None:
    """``paths.root_dir``, the default parent of ``outputs/`` and ``data/``: not empty (Hydra's runs went to
    ``/outputs/runs/`` and the data to ``/data/``), and no file (a refusal named ``paths.log_dir``, which the user never
    set); named as what set it (:func:`root_dir_key`: ``TRAINLAB_ROOT`` where it came from the variable)."""
    root = OmegaConf.select(cfg, "paths.root_dir")
    if root is None:
        return
    key = root_dir_key(cfg)
    if is_empty(root):
        raise OutputLocationError(EMPTY_ROOT_VARIABLE if key == ROOT_VARIABLE
                                  else f"{key}={root} is unusable: {EMPTY_PATH}")
    existing = nearest_existing(Path(root).absolute())
    if not existing.is_dir():
        problem = f"{existing} is a file, not a directory" if existing.is_file() else f"{existing} is not a directory"
        raise OutputLocationError(f"{key}={root} is unusable: {problem}; allowed: a directory, or a path where one "
                                  "can be made, to hold outputs/ and data/")


def check_run_locations(cfg: DictConfig, run_dir_key: str) -> None:
    """Before Hydra creates the run directory: ``paths.root_dir`` (:func:`check_root_dir`), ``paths.log_dir`` (if
    the run directory lies inside it), the run directory ``run_dir_key`` (``hydra.run.dir`` or ``hydra.sweep.dir``),
    ``hydra.output_subdir`` (not empty) and the data directories."""
    subdir = OmegaConf.select(cfg, "hydra.output_subdir", default=None)
    if subdir is not None and is_empty(subdir):
        raise ConfigError(EMPTY_OUTPUT_SUBDIR)
    check_root_dir(cfg)
    run_dir = OmegaConf.select(cfg, run_dir_key)
    log_dir = OmegaConf.select(cfg, "paths.log_dir")
    if log_dir is not None and (is_empty(log_dir) or inside(run_dir, log_dir)):  # empty: refused wherever
        check_location("paths.log_dir", log_dir)
    check_location(run_dir_key, run_dir)
    check_data_locations(cfg)


#: what a checkpoint directory may be, said when one is unusable
CHECKPOINT_DIR_ALLOWED = ("a directory this process can write into, or a path where one can be made (by default "
                          "${paths.output_dir}/checkpoints)")


def check_checkpoint_locations(cfg: DictConfig) -> None:
    """The ``dirpath`` of each ``callbacks`` entry that has one (Lightning's ModelCheckpoint, trainlab's
    GracefulShutdown: where they write their checkpoints). Lightning makes the directory only as it saves the first
    checkpoint, so a file in the way (``callbacks.model_checkpoint.dirpath=<a file>``) ended the run after its first
    epoch with a FileExistsError traceback and left a failed run directory behind. Checked on the task's config,
    where ``${paths.output_dir}`` names the run's directory (:func:`trainlab.preflight.check_single_run` too)."""
    callbacks = cfg.get("callbacks")
    if not isinstance(callbacks, DictConfig):
        return
    for name, entry in callbacks.items():
        if isinstance(entry, DictConfig) and entry.get("dirpath") is not None:
            check_location(f"callbacks.{name}.dirpath", entry.dirpath, allowed=CHECKPOINT_DIR_ALLOWED)


def check_task_locations(cfg: DictConfig) -> None:
    """In the training task (Hydra has made the output directory, or the caller names one): ``paths.output_dir``,
    the data directories and the checkpoint directories."""
    check_location("paths.output_dir", cfg.paths.output_dir)
    check_data_locations(cfg)
    check_checkpoint_locations(cfg)
