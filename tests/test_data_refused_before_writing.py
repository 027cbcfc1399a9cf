"""The project's MNIST module's refusals of its data come before anything is written (trainlab/data/data_refusals.py).

A run refused for its data - one's own idx files with labels other than 0-9, a pool smaller than the splits, a
truncated file - left a failed run directory (``.hydra/``, two TensorBoard event files that showed up as a run,
``hparams.yaml``, ``status.json``, ``train.log``), a basic or joblib sweep its ``multirun.yaml`` and first job's
directory; labels out of range ended in a traceback (``IndexError: Target 11 is out of bounds``, exit 1).
"""

from __future__ import annotations

import os
import re

import pytest
from omegaconf import OmegaConf
from test_data import write_idx, write_tiny_mnist

from trainlab.data.idx_files import IdxFileError
from trainlab.data.mnist_datamodule import MNISTDataModule
from trainlab.data.torchvision_mnist import raw_dir
from trainlab.errors import ConfigError, DataError
from trainlab.own_targets import MNIST_DATAMODULE


def own_mnist(data_dir, labels_up_to: int = 9, labels_file: str = "train-labels-idx1-ubyte"):
    """Tiny MNIST (60 training, 20 test images) whose ``labels_file`` holds labels 0..``labels_up_to``."""
    arrays = write_tiny_mnist(data_dir)
    labels = arrays[labels_file].copy()
    labels[:3] = [labels_up_to, 10, labels_up_to] if labels_up_to >= 10 else labels[:3]
    write_idx(raw_dir(data_dir) / labels_file, labels)
    return raw_dir(data_dir) / labels_file


def labels_message(path, largest: int, beyond: int, count: int) -> str:
    return (f"MNIST file {path} holds labels up to {largest} ({beyond} of its {count} labels "
            f"{'is' if beyond == 1 else 'are'} 10 or more); "
            "allowed: 0-9 (MNIST's 10 digits, the classes of model.num_classes=10)")


@pytest.mark.parametrize(("labels_file", "count"), [("train-labels-idx1-ubyte", 60), ("t10k-labels-idx1-ubyte", 20)])
def test_labels_beyond_mnists_digits_are_refused_by_name_by_the_check_and_the_module(tmp_path, labels_file, count):
    from trainlab.data.data_refusals import check_data_fits

    path = own_mnist(tmp_path, labels_up_to=11, labels_file=labels_file)
    expected = labels_message(path, 11, 3, count)
    cfg = OmegaConf.create({"data": {"_target_": MNIST_DATAMODULE, "source": "torchvision", "data_dir": str(tmp_path),
                                     "val_size": 10, "train_size": None, "download": False}})
    with pytest.raises(IdxFileError) as refused:
        check_data_fits(cfg)
    assert str(refused.value) == expected
    module = MNISTDataModule(source="torchvision", data_dir=str(tmp_path), val_size=10, download=False)
    for load in (module.check_splits, module.setup):
        with pytest.raises(IdxFileError) as refused:
            load()
        assert str(refused.value) == expected


@pytest.mark.parametrize("images", [0, 1])
def test_a_training_pool_of_fewer_than_two_images_is_said_so(tmp_path, images):
    """A training file of 0 or 1 images was told "allowed: data.val_size at most -1" (or 0), which no value follows."""
    from trainlab.data.data_refusals import check_data_fits

    write_tiny_mnist(tmp_path, n_train=images)
    cfg = OmegaConf.create({"data": {"_target_": MNIST_DATAMODULE, "source": "torchvision", "data_dir": str(tmp_path),
                                     "val_size": 1, "train_size": None, "download": False}})
    with pytest.raises(DataError) as refused:
        check_data_fits(cfg)
    assert str(refused.value) == (
        "the torchvision training pool holds 1 image: a training and a validation split need at least 2 (one each)"
        if images else f"MNIST file {raw_dir(tmp_path) / 'train-images-idx3-ubyte'} holds no images (its header counts "
                       "0): the train split needs some")


def test_auto_is_refused_for_its_splits_only_where_every_source_it_may_train_on_refuses_them(tmp_path):
    """An empty data_dir a download may fill: full MNIST's pool of 60,000 or the bundled sample's 4,500."""
    from trainlab.data.data_refusals import check_data_fits

    def cfg(train_size):
        return OmegaConf.create({"data": {"_target_": MNIST_DATAMODULE, "source": "auto", "data_dir": str(tmp_path),
                                          "train_size": train_size, "val_size": None, "download": True}})

    check_data_fits(cfg(10000))  # fits full MNIST, which a download may bring
    with pytest.raises(ConfigError, match=r"^data.train_size=100000 \+ data.val_size=null \(default 500\) do not fit "
                                          r"the bundled training pool of 4500 images"):
        check_data_fits(cfg(100000))


def test_a_single_run_with_labels_beyond_the_digits_exits_2_naming_the_file_and_writes_nothing(train_in_process,
                                                                                              tmp_path):
    path = own_mnist(tmp_path / "mine", labels_up_to=11)
    result = train_in_process("debug=limit", "data.source=torchvision", f"paths.data_dir={tmp_path / 'mine'}",
                              "data.val_size=10", "data.download=false")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1] == f"error: {labels_message(path, 11, 3, 60)}"
    assert "Traceback" not in result.stderr and "run directory:" not in result.stdout
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("damage", ["pool", "truncated"])
def test_a_single_run_refused_for_its_data_writes_nothing(train_in_process, tmp_path, damage):
    """The pool of one's own 60 images is smaller than full MNIST's default val_size (5,000); a truncated file."""
    own_mnist(tmp_path / "mine")
    images = raw_dir(tmp_path / "mine") / "train-images-idx3-ubyte"
    expected = ("error: data.train_size=null (the rest of the pool) + data.val_size=null (default 5000) do not fit the "
                "torchvision training pool of 60 images; allowed: data.val_size at most 59 (default 5000) and "
                "data.train_size + data.val_size at most 60")
    if damage == "truncated":
        images.write_bytes(images.read_bytes()[:-100])
        expected = f"error: MNIST file {images} is 46956 bytes but its header (60, 28, 28) needs 47056 bytes"
    result = train_in_process("debug=limit", "data.source=torchvision", f"paths.data_dir={tmp_path / 'mine'}",
                              "data.download=false")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].startswith(expected), result.stderr[-2000:]
    assert "run directory:" not in result.stdout
    assert not (tmp_path / "outputs").exists()  # no .hydra/, event files, hparams.yaml, status.json, train.log


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_a_sweep_refused_for_its_data_writes_nothing(train_in_process, tmp_path, launcher):
    own_mnist(tmp_path / "mine")
    result = train_in_process("-m", f"hydra/launcher={launcher}", "debug=limit", "optimizer=sgd,adam",
                              "data.source=torchvision", f"paths.data_dir={tmp_path / 'mine'}", "data.download=false")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].startswith(
        "error: data.train_size=null (the rest of the pool) + data.val_size=null (default 5000) do not fit the "
        "torchvision training pool of 60 images"), result.stderr[-2000:]
    assert not (tmp_path / "outputs").exists()  # no multirun.yaml, no job directory


def test_a_sweep_whose_later_job_does_not_fit_names_it_and_writes_nothing(train_in_process, tmp_path):
    result = train_in_process("-m", "debug=limit", "data.train_size=100,99999")
    assert result.returncode == 2
    assert result.stderr == (
        "error: data.train_size=99999 + data.val_size=null (default 500) do not fit the bundled training pool of 4500 "
        "images; allowed: data.val_size at most 4499 (default 500) and data.train_size + data.val_size at most 4500 "
        "(in job 1_data.source=bundled,data.train_size=99999 of the sweep; no job was run)\n")
    assert not (tmp_path / "outputs").exists()


def test_checking_full_mnist_reads_its_labels_not_its_images(tmp_path, monkeypatch):
    """The check before anything is written, and the data module's check of its splits (the stacked launcher's, a
    DDP job's), read the idx headers and the labels: the run reads the 60,000 images once, as it loads them (the
    module's check read them, then its setup again)."""
    from trainlab.data.data_refusals import check_data_fits

    write_tiny_mnist(tmp_path)
    monkeypatch.setattr("torchvision.datasets.MNIST.__init__", lambda *a, **k: pytest.fail("the images were loaded"))
    cfg = OmegaConf.create({"data": {"_target_": MNIST_DATAMODULE, "source": "torchvision", "data_dir": str(tmp_path),
                                     "train_size": 40, "val_size": 10, "download": False}})
    check_data_fits(cfg)
    assert MNISTDataModule(source="torchvision", data_dir=str(tmp_path), train_size=40, val_size=10,
                           download=False).check_splits() == 40


@pytest.fixture
def unsearchable_data_dir(tmp_path, monkeypatch):
    """A ``paths.data_dir`` this user cannot look into (``chmod 000``); root looks into any folder (unless its
    capabilities are dropped: ``setpriv --bounding-set=-dac_override,-dac_read_search``), so there the refusal of the
    operating system is stood in for (``Path.stat`` of a path inside it)."""
    from pathlib import Path

    folder = tmp_path / "noread"
    folder.mkdir()
    folder.chmod(0)
    real_stat = Path.stat

    def no_permission(self, *args, **kwargs):
        if self.parent == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    if os.access(folder, os.X_OK):  # root, with its capabilities
        monkeypatch.setattr(Path, "stat", no_permission)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("sweep", [[], ["-m", "optimizer=sgd,adam"]], ids=["run", "sweep"])
def test_a_data_dir_the_bundled_sample_cannot_look_into_is_refused_before_anything(train_in_process, tmp_path,
                                                                                   unsearchable_data_dir, sweep):
    """``data.source=bundled`` with such a folder: a PermissionError traceback from ``load_bundled_mnist`` and a failed
    run directory, where ``auto`` and ``torchvision`` refused the same folder in one line."""
    result = train_in_process(*sweep, "debug=limit", "data.source=bundled", f"paths.data_dir={unsearchable_data_dir}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (f"error: MNIST folder {unsearchable_data_dir} cannot be read (permission "
                                              "denied); allowed: a folder this user can read")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "outputs").exists()


def test_a_data_dir_the_bundled_sample_cannot_look_into_is_refused_as_it_loads(unsearchable_data_dir):
    from trainlab.data.bundled_mnist import load_bundled_mnist

    with pytest.raises(DataError, match="^" + re.escape(f"MNIST folder {unsearchable_data_dir} cannot be read")):
        load_bundled_mnist(unsearchable_data_dir)
