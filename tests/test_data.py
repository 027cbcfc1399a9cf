"""MNISTDataModule: bundled split, torchvision idx path, batch order independent of the model seed."""

from __future__ import annotations

import gzip
import logging
import re
import struct
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import SequentialSampler

from trainlab.data.idx_files import IdxFileError
from trainlab.data.mnist_datamodule import MNISTDataModule
from trainlab.data.tensor_batch_loader import TensorBatchLoader, epoch_permutation
from trainlab.errors import ConfigError, DataError


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as an idx file: magic 0x0000 08 ndim, big-endian sizes, raw bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", (0x08 << 8) | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(data_dir: Path, n_train: int = 60, n_test: int = 20) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, (n_train,), dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, (n_test,), dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(data_dir / "MNIST" / "raw" / name, array)
    return arrays


def batches(loader: TensorBatchLoader, epoch: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    loader.set_epoch(epoch)
    return list(loader)


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_bundled_split_sizes_and_scaling(data_dir):
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=128)
    dm.setup()
    assert dm.resolved_source == "bundled"
    assert (dm.data_train.num_samples, dm.data_val.num_samples, dm.data_test.num_samples) == (4000, 500, 500)
    assert dm.data_train.x.shape == (4000, 784) and dm.data_train.x.dtype == torch.float32
    assert 0.0 <= dm.data_train.x.min() and dm.data_train.x.max() <= 1.0 and dm.data_train.x.max() > 0.99
    # stratified: 400 / 50 / 50 per class
    assert dm.data_train.y.bincount().tolist() == [400] * 10
    assert dm.data_val.y.bincount().tolist() == [50] * 10
    assert dm.data_test.y.bincount().tolist() == [50] * 10
    assert len(dm.train_dataloader()) == 32  # ceil(4000 / 128)


def test_train_size_takes_first_images_and_val_follows(data_dir):
    full = MNISTDataModule(source="bundled", data_dir=str(data_dir))
    full.setup()
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), train_size=400, val_size=100)
    dm.setup()
    pool_x = torch.cat([full.data_train.x, full.data_val.x])
    assert torch.equal(dm.data_train.x, pool_x[:400])
    assert torch.equal(dm.data_val.x, pool_x[400:500])
    assert len(set(dm.data_train.y[:300].tolist())) == 10  # "first 300" covers every class


@pytest.mark.parametrize("eval_splits, line", [
    (["val"], "train=300 val=500 test=500 (batch 100"),
    (["train", "test"], "train=300 val=500 (not evaluated: data.eval_splits) test=500 (batch 100"),
])
def test_the_split_line_says_when_the_validation_split_is_not_evaluated(data_dir, caplog, eval_splits, line):
    """Experiment G (``data.eval_splits=[train, test]``) logged ``val=500`` as if it validated on it."""
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), train_size=300, eval_splits=eval_splits)
    with caplog.at_level("INFO", logger="trainlab.data.mnist_datamodule"):
        dm.setup()
    assert f"MNIST source=bundled: {line}" in caplog.text


def test_split_that_does_not_fit_names_the_keys(data_dir):
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), train_size=4400, val_size=500)
    with pytest.raises(ConfigError) as error:
        dm.setup()
    assert str(error.value) == (
        "data.train_size=4400 + data.val_size=500 do not fit the bundled training pool of 4500 images; allowed: "
        "data.val_size at most 4499 (default 500) and data.train_size + data.val_size at most 4500")


def test_split_error_shows_a_null_size_with_the_size_it_stands_for(data_dir):
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), train_size=4200)
    with pytest.raises(ConfigError, match=r"^data.train_size=4200 \+ data.val_size=null \(default 500\) do not fit"):
        dm.setup()


def test_unknown_source_names_allowed_values():
    with pytest.raises(ValueError, match=r"data.source='mnist2'.*auto, bundled, torchvision"):
        MNISTDataModule(source="mnist2")


def test_torchvision_path_reads_idx_files(tmp_path):
    arrays = write_tiny_mnist(tmp_path)
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    dm.setup()
    assert dm.resolved_source == "torchvision"
    assert (dm.data_train.num_samples, dm.data_val.num_samples, dm.data_test.num_samples) == (50, 10, 20)
    expected = torch.from_numpy(arrays["train-images-idx3-ubyte"].reshape(60, 784)).float() / 255
    assert torch.equal(dm.data_train.x, expected[:50])
    assert torch.equal(dm.data_val.y, torch.from_numpy(arrays["train-labels-idx1-ubyte"][50:]).long())


def test_auto_prefers_torchvision_files_on_disk(tmp_path):
    write_tiny_mnist(tmp_path)
    dm = MNISTDataModule(source="auto", data_dir=str(tmp_path), val_size=10, download=False)
    dm.setup()
    assert dm.resolved_source == "torchvision"


def test_auto_falls_back_to_bundled_offline(tmp_path, data_dir, monkeypatch):
    import trainlab.data.mnist_datamodule as module

    def no_network(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(module, "download_torchvision_mnist", no_network)
    dm = MNISTDataModule(source="auto", data_dir=str(data_dir))
    dm.setup()
    assert dm.resolved_source == "bundled"


def test_auto_tries_the_network_once_per_process_and_data_dir(data_dir, monkeypatch, caplog):
    import trainlab.data.mnist_datamodule as module

    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("timed out")

    monkeypatch.setattr(module, "download_torchvision_mnist", no_network)
    monkeypatch.setattr(module, "AUTO_DOWNLOAD_FAILURES", {})
    caplog.set_level(logging.INFO, logger=module.__name__)
    sources = []
    for _ in range(3):  # the jobs of a sweep in one process
        dm = MNISTDataModule(source="auto", data_dir=str(data_dir))
        dm.setup()
        sources.append(dm.resolved_source)
    assert sources == ["bundled"] * 3
    assert len(attempts) == 1  # the later jobs do not wait on the network again
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("data.source=auto")]
    assert messages == [
        "data.source=auto: full MNIST could not be downloaded (OSError: timed out); using the bundled sample",
        *["data.source=auto: the bundled sample (full MNIST could not be downloaded earlier in this process: not "
          "tried again)"] * 2,  # the cause once: the long line repeated for every job of a sweep
    ]
    # an explicit source=torchvision still tries (and fails with its own error)
    with pytest.raises(DataError, match="it could not be downloaded"):
        MNISTDataModule(source="torchvision", data_dir=str(data_dir)).setup()
    assert len(attempts) == 2


def test_torchvision_truncated_file_is_named(tmp_path):
    write_tiny_mnist(tmp_path)
    images = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    expected = r"train-images-idx3-ubyte is 46956 bytes but its header \(60, 28, 28\) needs 47056 bytes"
    with pytest.raises(IdxFileError, match=expected):
        dm.setup()


def test_torchvision_gzip_file_has_wrong_magic(tmp_path):
    write_tiny_mnist(tmp_path)
    labels = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    labels.write_bytes(gzip.compress(labels.read_bytes()))
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    with pytest.raises(IdxFileError, match=r"t10k-labels-idx1-ubyte has idx magic number 0x1f8b.*expected 0x00000801"):
        dm.setup()


def test_an_unreadable_idx_file_or_folder_is_one_error_naming_it(tmp_path, monkeypatch):
    """A file (or its MNIST/raw folder) this user may not read ended the run's checks in a PermissionError traceback:
    "trainlab's checks before the run failed unexpectedly ... a bug to report" (exit 1). Root reads any file, so the
    refusal of the operating system is stood in for."""
    from trainlab.data.idx_files import check_idx_labels
    from trainlab.data.torchvision_mnist import missing_torchvision_files

    write_tiny_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    real_open = Path.open

    def no_permission(self, *args, **kwargs):
        if self.name == "train-images-idx3-ubyte":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_permission)
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    with pytest.raises(IdxFileError, match="^" + re.escape(
            f"MNIST file {raw / 'train-images-idx3-ubyte'} cannot be read (permission denied); allowed: a file this "
            "user can read") + "$"):
        dm.setup()
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    with pytest.raises(IdxFileError, match=re.escape("t10k-labels-idx1-ubyte cannot be read (input/output error)")):
        check_idx_labels(raw / "t10k-labels-idx1-ubyte", 10, "digits")

    def unsearchable(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", unsearchable)
    with pytest.raises(DataError, match="^" + re.escape(
            f"MNIST folder {raw} cannot be read (permission denied); allowed: a folder this user can read") + "$"):
        missing_torchvision_files(tmp_path)


def test_a_split_of_no_images_is_refused_naming_its_file(tmp_path):
    """A test file of a valid header counting 0 images passed every check; torchvision's reader then failed in the
    run's setup (ValueError: offset (16 bytes) must be ... no greater than buffer length (16 bytes) minus 1), once the
    run had written its files."""
    write_tiny_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), dtype=np.uint8))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.zeros((0,), dtype=np.uint8))
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    with pytest.raises(DataError, match="^" + re.escape(
            f"MNIST file {raw / 't10k-images-idx3-ubyte'} holds no images (its header counts 0): the test split needs "
            "some") + "$"):
        dm.setup()


def test_a_data_dir_that_holds_the_idx_files_itself_is_told_the_folder_to_name(tmp_path, caplog):
    """data.data_dir=<.../MNIST/raw>, the folder of the four files: torchvision looked in <it>/MNIST/raw and was told
    only the generic ways out, and data.source=auto trained on the bundled sample with an INFO line."""
    write_tiny_mnist(tmp_path / "d")
    raw = tmp_path / "d" / "MNIST" / "raw"
    fix = (f"data.data_dir is the MNIST/raw folder that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, "
           f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; torchvision reads <data.data_dir>/MNIST/raw: set "
           f"data.data_dir={tmp_path / 'd'}")
    with pytest.raises(DataError) as refused:
        MNISTDataModule(source="torchvision", data_dir=str(raw), val_size=10, download=False).setup()
    assert str(refused.value) == (f"data.source=torchvision: full MNIST is not in {raw / 'MNIST' / 'raw'} "
                                  f"(data.data_dir={raw}): {fix}")
    with caplog.at_level(logging.WARNING, logger="trainlab.data.mnist_datamodule"):
        assert MNISTDataModule(source="auto", data_dir=str(raw), val_size=10, download=False).resolve_source() == \
            "bundled"
    assert f"using the bundled sample. For full MNIST: {fix}" in caplog.text
    other = tmp_path / "mine"  # another folder holding them: moved into its MNIST/raw
    other.mkdir()
    (raw / "train-images-idx3-ubyte").rename(other / "train-images-idx3-ubyte")
    with pytest.raises(DataError, match=re.escape(
            f"data.data_dir itself holds train-images-idx3-ubyte; torchvision reads <data.data_dir>/MNIST/raw: move "
            f"them into {other / 'MNIST' / 'raw'}")):
        MNISTDataModule(source="torchvision", data_dir=str(other), val_size=10, download=False).setup()
    archives = tmp_path / "gz"  # MNIST's archives as the mirrors serve them: named as they are, and to unpack
    archives.mkdir()
    (archives / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"labels"))
    with pytest.raises(DataError, match=re.escape(
            "data.data_dir itself holds t10k-labels-idx1-ubyte.gz; torchvision reads <data.data_dir>/MNIST/raw: move "
            f"them into {archives / 'MNIST' / 'raw'}, and unpack t10k-labels-idx1-ubyte.gz there (gunzip)")):
        MNISTDataModule(source="torchvision", data_dir=str(archives), val_size=10, download=False).setup()


def test_missing_torchvision_file_is_named(tmp_path):
    write_tiny_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte").unlink()
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), download=False)
    with pytest.raises(DataError, match=r"full MNIST in .*raw lacks train-labels-idx1-ubyte \(data.data_dir=.*\) and "
                                        r"data.download=false"):
        dm.setup()


def test_batch_order_depends_on_data_seed_only(data_dir):
    def first_epochs(model_seed: int, data_seed: int):
        L.seed_everything(model_seed, verbose=False)
        torch.randn(1000)  # consume global RNG as an init would
        dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=128, seed=data_seed)
        dm.setup()
        return [torch.cat([y for _, y in batches(dm.train_dataloader(), epoch)]) for epoch in (0, 1)]

    a, b, c = first_epochs(1, 0), first_epochs(2, 0), first_epochs(1, 5)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))  # model seed does not matter
    assert not torch.equal(a[0], c[0])  # the data seed does
    assert not torch.equal(a[0], a[1])  # a fresh order every epoch
    assert sorted(a[0].tolist()) == sorted(a[1].tolist())  # ... over the same samples


def test_shuffled_batches_are_the_rows_of_the_epoch_permutation():
    x, y = torch.arange(150.0).view(50, 3), torch.arange(50)
    loader = TensorBatchLoader(x, y, batch_size=8, shuffle=True, seed=3)
    got = batches(loader, epoch=1)
    assert [len(b[1]) for b in got] == [8] * 6 + [2]
    order = epoch_permutation(50, seed=3, epoch=1)
    assert torch.equal(torch.cat([b[0] for b in got]), x[order])  # each image row whole, in the epoch's order
    assert torch.equal(torch.cat([b[1] for b in got]), order)  # and its own label beside it


def test_loader_resumes_mid_epoch_with_the_same_batches():
    x, y = torch.arange(50.0).unsqueeze(1), torch.arange(50)
    loader = TensorBatchLoader(x, y, batch_size=8, shuffle=True, seed=3)
    reference = batches(loader, epoch=2)
    loader.set_epoch(2)
    iterator = iter(loader)
    for _ in range(3):  # batches 0-2 consumed
        next(iterator)
    state = loader.state_dict()
    assert state == {"epoch": 2, "batches_done": 3, "seed": 3}
    resumed = TensorBatchLoader(x, y, batch_size=8, shuffle=True, seed=3)
    resumed.load_state_dict(state)
    resumed.set_epoch(2)
    rest = list(resumed)
    assert len(rest) == len(reference) - 3
    assert all(torch.equal(a[1], b[1]) for a, b in zip(rest, reference[3:], strict=True))


def test_failed_torchvision_download_names_the_directory_the_cause_and_the_offline_sources(tmp_path, monkeypatch):
    import trainlab.data.mnist_datamodule as module

    def no_network(*args, **kwargs):
        raise OSError("<urlopen error [Errno -2] Name or service not known>\n  Tried http://example/mnist")

    monkeypatch.setattr(module, "download_torchvision_mnist", no_network)
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path))
    with pytest.raises(DataError) as caught:
        dm.setup()
    message = str(caught.value)
    assert (f"full MNIST is not in {tmp_path / 'MNIST' / 'raw'} (data.data_dir={tmp_path}) and it could not be "
            "downloaded") in message
    assert "(OSError: <urlopen error [Errno -2] Name or service not known> Tried http://example/mnist)" in message
    assert "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte" in message
    assert "data.source=bundled" in message and "data.source=auto" in message
    assert "\n" not in message  # train.py prints a DataError as one line
    assert isinstance(caught.value.__cause__, OSError)


def test_torchvision_without_files_and_download_false_names_the_directory_and_every_way_out(tmp_path, monkeypatch):
    import trainlab.data.mnist_datamodule as module

    def must_not_download(*args, **kwargs):
        raise AssertionError("data.download=false must not touch the network")

    monkeypatch.setattr(module, "download_torchvision_mnist", must_not_download)
    dm = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), download=False)
    with pytest.raises(DataError) as caught:
        dm.setup()
    assert str(caught.value) == (
        f"data.source=torchvision: full MNIST is not in {tmp_path / 'MNIST' / 'raw'} (data.data_dir={tmp_path}) and "
        "data.download=false forbids downloading it. Put the four idx files there (train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), set data.download=true, point data.data_dir at the "
        "directory whose MNIST/raw holds them, or train offline with data.source=bundled (the 5,000-image sample) or "
        "data.source=auto (full MNIST when it is available, else the sample)")
    assert not (tmp_path / "MNIST").exists()  # nothing created


def test_torchvision_files_left_gzipped_are_named_to_unpack(tmp_path):
    """MNIST's mirrors serve .gz files; torchvision unpacks them only as it downloads: placed by hand, they were
    reported as 'full MNIST is not in ...'."""
    from trainlab.data.torchvision_mnist import RAW_FILE_NAMES, missing_files_message, raw_dir

    raw_dir(tmp_path).mkdir(parents=True)
    for name in RAW_FILE_NAMES:
        (raw_dir(tmp_path) / f"{name}.gz").write_bytes(b"")
    message = missing_files_message(tmp_path, download=False, why_not_downloaded="data.download=false forbids it")
    assert f"unpack {', '.join(f'{name}.gz' for name in RAW_FILE_NAMES)} there (gunzip), set data.download=true" in (
        message)


def test_download_timeout_must_be_a_positive_number():
    for value in ("abc", -1, 0, None, float("inf"), True):
        with pytest.raises(ValueError, match=r"data.download_timeout_s=.* is invalid; allowed: a finite number > 0"):
            MNISTDataModule(download_timeout_s=value)


def place_by_hand(data_dir: Path, how: str) -> None:
    """Full MNIST placed in data_dir incompletely: its four files still gzip-compressed, or three of the four."""
    write_tiny_mnist(data_dir)
    raw = data_dir / "MNIST" / "raw"
    for path in list(raw.iterdir()):
        if how == "gz":
            (raw / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
            path.unlink()
        elif path.name == "t10k-labels-idx1-ubyte":
            path.unlink()


ALL_FOUR = ("put the four idx files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte)")
GZ = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"


@pytest.mark.parametrize("how", ["gz", "three"])
def test_auto_says_why_files_placed_by_hand_are_not_used(tmp_path, monkeypatch, caplog, how):
    """auto fell back to the sample with only an INFO line 'MNIST source=bundled', where torchvision names the files
    to unpack or the one that is missing."""
    import trainlab.data.mnist_datamodule as module

    place_by_hand(tmp_path, how)
    caplog.set_level(logging.INFO, logger=module.__name__)
    assert MNISTDataModule(source="auto", data_dir=str(tmp_path), download=False).resolve_source() == "bundled"
    raw = tmp_path / "MNIST" / "raw"
    where = f"is not in {raw}" if how == "gz" else f"in {raw} lacks t10k-labels-idx1-ubyte"
    todo = f"unpack {GZ} there (gunzip), or {ALL_FOUR}" if how == "gz" else ALL_FOUR
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", (
        f"data.source=auto: full MNIST {where} (data.data_dir={tmp_path}) and data.download=false forbids downloading "
        f"it; using the bundled sample. For full MNIST: {todo}"))]
    # torchvision's message gives the same diagnosis
    with pytest.raises(DataError) as caught:
        MNISTDataModule(source="torchvision", data_dir=str(tmp_path), download=False).setup()
    assert f"full MNIST {where} (data.data_dir={tmp_path})" in str(caught.value)
    if how == "gz":
        assert f"unpack {GZ} there (gunzip)" in str(caught.value)


@pytest.mark.parametrize("how", ["gz", "three"])
def test_auto_download_failure_with_files_on_disk_says_why_it_names_them(tmp_path, monkeypatch, caplog, how):
    """The fallback named train-images-idx3-ubyte.gz as not downloaded (INFO), with that file, or its unpacked idx
    file, on disk: torchvision fetches the four archives again unless they have MNIST's checksums."""
    import trainlab.data.mnist_datamodule as module

    def no_network(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried http://mirror/, got: timed out")

    monkeypatch.setattr(module, "download_torchvision_mnist", no_network)
    monkeypatch.setattr(module, "AUTO_DOWNLOAD_FAILURES", {})
    place_by_hand(tmp_path, how)
    caplog.set_level(logging.INFO, logger=module.__name__)
    assert MNISTDataModule(source="auto", data_dir=str(tmp_path)).resolve_source() == "bundled"
    [record] = caplog.records
    assert record.levelname == "WARNING"
    on_disk = f" ({GZ} are on disk, with other checksums)" if how == "gz" else ""
    assert (" and it could not be downloaded (RuntimeError: Error downloading train-images-idx3-ubyte.gz: Tried "
            "http://mirror/, got: timed out); torchvision's download fetches the four .gz archives again, those of the "
            f"files already unpacked included, unless they are on disk with MNIST's MD5 checksums{on_disk}; using the "
            "bundled sample. For full MNIST: ") in record.getMessage()


def test_the_offline_line_keeps_a_long_download_error_short(tmp_path, monkeypatch, caplog):
    """torchvision's error names every mirror it tried: a ~400-character INFO line on every command offline."""
    import trainlab.data.mnist_datamodule as module

    mirrors = "".join(f"\nTried https://mirror{n}.example/mnist/, got:\n<urlopen error [Errno -3] Temporary failure "
                      "in name resolution>" for n in range(4))

    def no_network(*args, **kwargs):
        raise RuntimeError(f"Error downloading train-images-idx3-ubyte.gz:{mirrors}")

    monkeypatch.setattr(module, "download_torchvision_mnist", no_network)
    monkeypatch.setattr(module, "AUTO_DOWNLOAD_FAILURES", {})
    caplog.set_level(logging.DEBUG, logger=module.__name__)
    assert MNISTDataModule(source="auto", data_dir=str(tmp_path)).resolve_source() == "bundled"
    info, debug = caplog.records
    assert info.levelname == "INFO" and debug.levelname == "DEBUG"
    assert info.getMessage() == (
        "data.source=auto: full MNIST could not be downloaded (RuntimeError: Error downloading "
        "train-images-idx3-ubyte.gz: Tried https://mirror0.example/mnist/, got: <urlopen erro ...); "
        "using the bundled sample")
    assert debug.getMessage().endswith("Tried https://mirror3.example/mnist/, got: <urlopen error [Errno -3] "
                                       "Temporary failure in name resolution>")


def test_auto_without_any_mnist_file_falls_back_quietly(tmp_path, monkeypatch, caplog):
    """The ordinary offline case stays an INFO line."""
    import trainlab.data.mnist_datamodule as module

    caplog.set_level(logging.INFO, logger=module.__name__)
    assert MNISTDataModule(source="auto", data_dir=str(tmp_path), download=False).resolve_source() == "bundled"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_overfit_batches_gets_the_same_unshuffled_first_batch_every_epoch(data_dir):
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=32)
    dm.trainer = L.Trainer(overfit_batches=1, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    dm.setup()
    loader = dm.train_dataloader()
    assert isinstance(loader.sampler, SequentialSampler)  # what Lightning checks before its "turning off" warning
    loader.set_epoch(0)
    first = next(iter(loader))
    loader.set_epoch(1)
    again = next(iter(loader))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert torch.equal(first[0], loader.x[:32])  # the stored order's first batch

    shuffled = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=32)
    shuffled.setup()  # no trainer, or one without overfit_batches: a fresh permutation per epoch
    assert shuffled.train_dataloader().sampler is shuffled.train_dataloader()
