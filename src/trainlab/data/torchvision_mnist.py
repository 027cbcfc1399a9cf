"""Full MNIST (60,000 training / 10,000 test digits) through ``torchvision.datasets.MNIST``.

The files live in ``<data_dir>/MNIST/raw/`` as torchvision lays them out. They are downloaded only when missing,
and every file is checked (idx magic number and size, the labels' range, see :mod:`trainlab.data.idx_files`) before
torchvision parses it, so a truncated or foreign file, or labels other than MNIST's 10 digits, are reported by name
(:func:`check_torchvision_files`: also before anything is written, by :mod:`trainlab.data.data_refusals`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from trainlab.data.idx_files import check_idx_file, check_idx_labels, unreadable
from trainlab.errors import DataError
from trainlab.output_locations import location_problem

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

RAW_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
RAW_FILE_NAMES = tuple(name for pair in RAW_FILES.values() for name in pair)
#: the classes of MNIST's labels: the digits 0-9 (the project's classifier has model.num_classes=10 outputs)
DIGITS = 10


def raw_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "MNIST" / "raw"


def missing_torchvision_files(data_dir: str | os.PathLike) -> list[str]:
    """Names of the four raw idx files that are not in :func:`raw_dir` (they are validated when loaded); a
    :class:`DataError` where the folder cannot be searched (its permissions)."""
    raw = raw_dir(data_dir)
    try:
        return [name for name in RAW_FILE_NAMES if not (raw / name).is_file()]
    except OSError as error:
        raise unreadable(raw, error, kind="folder") from error


def torchvision_files_present(data_dir: str | os.PathLike) -> bool:
    """True when all four raw idx files exist."""
    return not missing_torchvision_files(data_dir)


def download_torchvision_mnist(data_dir: str | os.PathLike, timeout_s: float) -> None:
    """Download the missing MNIST files with a socket timeout of ``timeout_s``; raises on any failure.

    A failed download leaves ``data_dir`` as it found it: the directories it made (``MNIST/raw/``) and the files it
    began are removed, so that a later run, or ``data.source=auto``'s diagnosis of the files there, does not take a
    half-written download for files placed by hand."""
    from torchvision.datasets import MNIST

    raw = raw_dir(data_dir)
    with download_turn(data_dir) as turn:
        if torchvision_files_present(data_dir):  # another process's download, which this one waited for
            return
        if (failed := turn.failure_waited_for()) is not None:  # not tried again by each process that waited
            raise RuntimeError(failed)
        made = []  # the directories it makes: MNIST/raw, MNIST, data_dir and its missing parents, deepest first
        for path in (raw, *raw.absolute().parents):
            if path.exists():
                break
            made.append(path)
        before = set(raw.iterdir()) if raw.is_dir() else set()
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout_s)
        try:
            for train in (True, False):
                MNIST(root=str(data_dir), train=train, download=True)
        except BaseException as error:
            remove_new_entries(raw, before, made)
            if isinstance(error, Exception):
                turn.record_failure(one_line_cause(error))
            raise
        finally:
            socket.setdefaulttimeout(previous)


class DownloadTurn:
    """The lock file of :func:`download_turn`, which also holds the last download's failure and its time.
    ``waited_since``: when this process began to wait for another's download (None: it did not wait)."""

    def __init__(self, descriptor: int | None, waited_since: float | None = None) -> None:
        self.descriptor = descriptor
        self.waited_since = waited_since

    def failure_waited_for(self) -> str | None:
        """The failure of the download this process waited for (recorded since it began to wait), as its line;
        None where it did not wait, or that download did not fail - a later command tries again."""
        if self.descriptor is None or self.waited_since is None:
            return None
        try:
            recorded = json.loads(os.pread(self.descriptor, 65536, 0) or b"{}")
            when, cause = float(recorded["time"]), str(recorded["cause"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return f"{cause} (the download of another process, which this one waited for)" if when >= self.waited_since \
            else None

    def record_failure(self, cause: str) -> None:
        if self.descriptor is None:
            return
        try:
            os.ftruncate(self.descriptor, 0)
            os.pwrite(self.descriptor, json.dumps({"time": time.time(), "cause": cause}).encode(), 0)
        except OSError:  # the failure is raised all the same
            pass


@contextmanager
def download_turn(data_dir: str | os.PathLike) -> Iterator[DownloadTurn]:
    """Inside: this process's turn to download into ``data_dir`` - the other processes of this machine wait for it
    (an exclusive ``flock`` on ``<temp dir>/trainlab-mnist-<digest of data_dir's real path>.lock``). Jobs that start
    together (``hydra/launcher=joblib``) each made the directories they found missing: one that found ``MNIST/raw``
    made by another removed nothing of it after its own failed download, and one that downloaded after another's
    failure had removed them made them again - an empty ``MNIST/raw`` was left behind. The lock file is the temp
    dir's, not ``data_dir``'s; where nothing can lock (no ``fcntl``, a temp dir that refuses), each goes on alone. A
    failed download is recorded there (:class:`DownloadTurn`): the processes that waited for it fail with it instead
    of waiting for a download of their own each (``data.download_timeout_s`` apiece on a network that stalls); a
    later command tries again."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield DownloadTurn(None)
        return
    key = hashlib.sha256(os.path.realpath(data_dir).encode()).hexdigest()[:16]
    try:
        descriptor = os.open(Path(tempfile.gettempdir()) / f"trainlab-mnist-{key}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        yield DownloadTurn(None)
        return
    try:
        waited_since = None
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process downloads: its turn first
                waited_since = time.time()
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError:  # a file system without flock: unlocked, and no failure shared
            yield DownloadTurn(None)
            return
        yield DownloadTurn(descriptor, waited_since)
    finally:
        os.close(descriptor)  # lets go of the lock


def remove_new_entries(raw: Path, before: set[Path], made: list[Path]) -> None:
    """After a failed download: the files that appeared in ``raw`` (begun downloads), then the directories of
    ``made`` (deepest first) while they are empty. What cannot be removed stays: the download's error is the one
    to report."""
    if raw.is_dir():
        for path in set(raw.iterdir()) - before:
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
    for directory in made:
        try:
            directory.rmdir()
        except OSError:  # not empty, or gone
            break


def load_torchvision_mnist(data_dir: str | os.PathLike) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Return ``{"train"|"test": (uint8 images (N, 784), int64 labels)}`` from the validated raw files."""
    import torch  # here, as torchvision: a config check reads this module's file names without importing either
    from torchvision.datasets import MNIST

    check_torchvision_files(data_dir)
    splits = {}
    for split in RAW_FILES:
        dataset = MNIST(root=str(data_dir), train=(split == "train"), download=False)
        splits[split] = (dataset.data.reshape(-1, 784).to(torch.uint8), dataset.targets.to(torch.int64))
    return splits


def check_torchvision_files(data_dir: str | os.PathLike) -> dict[str, int]:
    """``{"train"|"test": images}`` of the four raw files in :func:`raw_dir`, once each is checked - its idx header
    and size (:func:`~trainlab.data.idx_files.check_idx_file`), the images and labels of a split agreeing in number,
    and the labels being MNIST's digits 0-9 (:func:`~trainlab.data.idx_files.check_idx_labels`) - or a
    :class:`DataError` naming the file. Reads the headers and the labels, not the images: cheap enough to run
    before anything is written as well as when the data loads."""
    counts = {}
    for split, (images_name, labels_name) in RAW_FILES.items():
        images, labels = raw_dir(data_dir) / images_name, raw_dir(data_dir) / labels_name
        images_shape = check_idx_file(images, ndim=3, trailing_shape=(28, 28))
        labels_shape = check_idx_file(labels, ndim=1)
        if images_shape[0] != labels_shape[0]:
            raise DataError(f"MNIST {split} files disagree: {images} holds {images_shape[0]} images but {labels} "
                            f"holds {labels_shape[0]} labels")
        if images_shape[0] == 0:  # torchvision's reader fails on it once the run has written its files
            raise DataError(f"MNIST file {images} holds no images (its header counts 0): the {split} split needs "
                            "some")
        check_idx_labels(labels, DIGITS, f"MNIST's {DIGITS} digits, the classes of model.num_classes={DIGITS}")
        counts[split] = images_shape[0]
    return counts


def torchvision_unavailable(data_dir: str | os.PathLike, download: bool) -> str | None:
    """Why ``source=torchvision`` can have no full MNIST in ``data_dir``, as far as is known without the network:
    its files are missing and :func:`download_obstacle` says why they cannot be downloaded; None when the files are
    there or a download may fetch them."""
    return None if torchvision_files_present(data_dir) else download_obstacle(data_dir, download)


def download_obstacle(data_dir: str | os.PathLike, download: bool) -> str | None:
    """Why a download cannot bring full MNIST into ``data_dir``, as far as is known without the network:
    ``download`` is false, or a download could not be saved (``data_dir`` cannot be written into); None when a
    download may."""
    if not download:
        return "data.download=false forbids downloading it"
    unwritable = location_problem(raw_dir(data_dir))
    return None if unwritable is None else f"it cannot be downloaded there: {unwritable}"


def refuse_unobtainable_files(data_dir: str | os.PathLike, download: bool) -> None:
    """A :class:`DataError` (:func:`missing_files_message`) where ``source=torchvision`` has no full MNIST in
    ``data_dir`` and no download may bring it (:func:`torchvision_unavailable`): the config check, which answers
    without the network and downloads nothing."""
    why = torchvision_unavailable(data_dir, download)
    if why is not None:
        raise DataError(missing_files_message(data_dir, download, why))


def obtain_torchvision_files(data_dir: str | os.PathLike, download: bool, timeout_s: float,
                             fetch: Callable[[str | os.PathLike, float], None] | None = None) -> None:
    """Full MNIST's four files in ``data_dir`` for ``source=torchvision``: there already (a few ``stat`` calls), else
    downloaded now (``fetch``: the download, :func:`download_torchvision_mnist` by default). Files that are missing
    and cannot be downloaded (:func:`download_obstacle`), or a download that fails, are a :class:`DataError` that
    says where the files go and what works (the download's error chained). The one sequence of the download before
    the run's files are written (:func:`trainlab.config_validation.fetch_missing_data`) and of the data module."""
    if torchvision_files_present(data_dir):
        return
    obstacle = download_obstacle(data_dir, download)
    if obstacle is not None:
        raise DataError(missing_files_message(data_dir, download, obstacle))
    try:
        (fetch or download_torchvision_mnist)(data_dir, timeout_s)
    except Exception as error:  # noqa: BLE001 - re-raised as a DataError with the cause chained
        raise DataError(missing_files_message(data_dir, download, failed_download(data_dir, error))) from error


def files_diagnosis(data_dir: str | os.PathLike) -> tuple[str, str]:
    """What is wrong with the files in :func:`raw_dir`, as the messages of ``torchvision`` and ``auto`` say it:
    ``(where, unpack)`` - ``"is not in <raw>"`` or ``"in <raw> lacks <names>"``, and ``"unpack <name>.gz, ... there
    (gunzip), "`` for the missing files left compressed there (empty when none is)."""
    missing = missing_torchvision_files(data_dir)
    where = (f"is not in {raw_dir(data_dir)}" if len(missing) == len(RAW_FILE_NAMES)
             else f"in {raw_dir(data_dir)} lacks {', '.join(missing)}")
    zipped = [f"{name}.gz" for name in missing if (raw_dir(data_dir) / f"{name}.gz").is_file()]
    # what MNIST's mirrors serve: torchvision unpacks them only as it downloads
    return where, f"unpack {', '.join(zipped)} there (gunzip), " if zipped else ""


def some_files_present(data_dir: str | os.PathLike) -> bool:
    """Whether :func:`raw_dir` holds some of the four idx files or their ``.gz``, but not all four idx files: full
    MNIST placed there by hand, incompletely or still compressed - or placed in ``data_dir`` itself
    (:func:`files_in_data_dir_itself`)."""
    if torchvision_files_present(data_dir):
        return False
    return bool(files_in_data_dir_itself(data_dir)) or any(
        (raw_dir(data_dir) / name).is_file() or (raw_dir(data_dir) / f"{name}.gz").is_file() for name in RAW_FILE_NAMES)


def files_in_data_dir_itself(data_dir: str | os.PathLike) -> list[str]:
    """The idx files and their ``.gz`` archives in ``data_dir`` itself, by the names they have there, where
    torchvision does not look: ``data.data_dir`` pointed at the folder that holds them, not at the one above
    ``MNIST/raw``."""
    try:
        return [name for stem in RAW_FILE_NAMES for name in (stem, f"{stem}.gz") if (Path(data_dir) / name).is_file()]
    except OSError:  # a folder that cannot be searched: said where the files are looked for
        return []


def misplaced_files_hint(data_dir: str | os.PathLike) -> str:
    """Where ``data_dir`` itself holds idx files (:func:`files_in_data_dir_itself`), the fix: ``set
    data.data_dir=<the folder above MNIST/raw>`` where ``data_dir`` is an ``MNIST/raw``, ``move <names> into <raw>``
    elsewhere; empty where it holds none."""
    found = files_in_data_dir_itself(data_dir)
    if not found:
        return ""
    folder = Path(data_dir)
    unpack = [name for name in found if name.endswith(".gz")]
    unpack_them = f", and unpack {', '.join(unpack)} there (gunzip)" if unpack else ""
    if folder.name == "raw" and folder.parent.name == "MNIST":
        return (f"data.data_dir is the MNIST/raw folder that holds {', '.join(found)}; torchvision reads "
                f"<data.data_dir>/MNIST/raw: set data.data_dir={folder.parent.parent}{unpack_them}")
    return (f"data.data_dir itself holds {', '.join(found)}; torchvision reads <data.data_dir>/MNIST/raw: move them "
            f"into {raw_dir(folder)}{unpack_them}")


def mismatched_archives(data_dir: str | os.PathLike) -> list[str]:
    """The ``.gz`` files in :func:`raw_dir` whose MD5 is not the one torchvision expects: a download replaces them
    (torchvision fetches them again), so a failed download's error names files that are on disk."""
    from torchvision.datasets import MNIST
    from torchvision.datasets.utils import check_integrity

    return [filename for filename, md5 in MNIST.resources
            if (raw_dir(data_dir) / filename).is_file() and not check_integrity(str(raw_dir(data_dir) / filename), md5)]


def missing_files_message(data_dir: str | os.PathLike, download: bool, why_not_downloaded: str) -> str:
    """Why ``data.source=torchvision`` has no data, where the files go, and the settings that work."""
    where, hints = files_diagnosis(data_dir)
    if misplaced := misplaced_files_hint(data_dir):  # the files are there, one folder off: that is the fix
        return f"data.source=torchvision: full MNIST {where} (data.data_dir={data_dir}): {misplaced}"
    if not download:
        hints += "set data.download=true, "
    if "cannot be downloaded there" in why_not_downloaded:
        hints += "point data.data_dir at a directory this process can write to, "
    else:  # files kept elsewhere: data.data_dir names the folder above MNIST/raw, not raw itself
        hints += "point data.data_dir at the directory whose MNIST/raw holds them, "
    return (f"data.source=torchvision: full MNIST {where} (data.data_dir={data_dir}) and {why_not_downloaded}. "
            f"Put the four idx files there ({', '.join(RAW_FILE_NAMES)}), {hints}or train offline with "
            "data.source=bundled (the 5,000-image sample) or data.source=auto (full MNIST when it is available, "
            "else the sample)")


def auto_fallback_message(data_dir: str | os.PathLike, why_not_downloaded: str) -> str:
    """``data.source=auto`` falling back to the bundled sample where full MNIST was placed in ``data_dir``
    incompletely or still compressed (:func:`some_files_present`): the same diagnosis as ``torchvision``'s."""
    where, unpack = files_diagnosis(data_dir)
    if misplaced := misplaced_files_hint(data_dir):
        return (f"data.source=auto: full MNIST {where} (data.data_dir={data_dir}); using the bundled sample. For full "
                f"MNIST: {misplaced}")
    return (f"data.source=auto: full MNIST {where} (data.data_dir={data_dir}) and {why_not_downloaded}; using the "
            f"bundled sample. For full MNIST: {unpack + 'or ' if unpack else ''}put the four idx files there "
            f"({', '.join(RAW_FILE_NAMES)})")


def failed_download(data_dir: str | os.PathLike, error: Exception) -> str:
    """``"it could not be downloaded (<error on one line>)"``; where some of the files are on disk
    (:func:`some_files_present`), also why the error names one of them: torchvision fetches all four ``.gz``
    archives again, an unpacked file's included, unless they are on disk with MNIST's checksums
    (:func:`mismatched_archives`)."""
    why = f"it could not be downloaded ({one_line_cause(error)})"
    if some_files_present(data_dir):
        why += ("; torchvision's download fetches the four .gz archives again, those of the files already unpacked "
                "included, unless they are on disk with MNIST's MD5 checksums")
        replaced = mismatched_archives(data_dir)
        if replaced:
            why += f" ({', '.join(replaced)} {'is' if len(replaced) == 1 else 'are'} on disk, with other checksums)"
    return why


def one_line_cause(error: Exception) -> str:
    """``"OSError: <message>"`` on one line, however many lines the message has (download errors have several)."""
    return " ".join(f"{type(error).__name__}: {error}".split())
