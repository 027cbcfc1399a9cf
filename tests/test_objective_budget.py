"""A sweep whose budget ends before its first validation computes ``optimized_metric`` is refused before anything
is written (trainlab/objective_budget.py, trainlab/data/mnist_splits.py): by the preflight for a basic sweep's jobs,
by the stacked launcher before it writes any job, by a search before its study exists.

Before: the Trainer's check at the start of training refused it (exit status 2), once every job of the sweep had
written its directory - ``.hydra/``, ``train.log``, ``status.json`` ("failed"), ``hparams.yaml``, a TensorBoard
event file - beside ``multirun.yaml``: the corrected command in the same directory was then refused ("holds jobs
that failed without a checkpoint"), and TensorBoard showed the failed runs. A search made its study and its trials'
directories first.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from omegaconf import open_dict

from trainlab.data.mnist_splits import POOL_SIZES, possible_sources, training_batches_per_epoch
from trainlab.data.torchvision_mnist import raw_dir
from trainlab.errors import ConfigError
from trainlab.objective_budget import check_objective_reached

# experiment B on the bundled split (4,000 training images, batch 128: 32 steps an epoch), 20 steps
EXPERIMENT_B_20 = ("optimized_metric='val/acc' is computed by validation, which first runs after 32 steps (the end of "
                   "epoch 1 of 32 steps: trainer.check_val_every_n_epoch=1), and trainer.max_steps=20 stops the run "
                   "after 20 steps: the sweep would get no objective from it; nothing was trained. allowed: a budget "
                   "of at least 32 steps (trainer.max_steps=32), or optimized_metric=null for jobs that return no "
                   "objective")
SHORT_BUDGET = ("data.batch_size=128", "trainer.max_steps=20", "trainer.max_epochs=-1")


def write_full_size_mnist(data_dir: Path) -> None:
    """Full MNIST's four idx files as their headers say (60,000 / 10,000 items) and of their full sizes, as sparse
    files of zeros: what the count reads (the header, the size) without 55 MB written."""
    for name, shape in (("train-images-idx3-ubyte", (60000, 28, 28)), ("train-labels-idx1-ubyte", (60000,)),
                        ("t10k-images-idx3-ubyte", (10000, 28, 28)), ("t10k-labels-idx1-ubyte", (10000,))):
        path = raw_dir(data_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            handle.write(struct.pack(">I", (0x08 << 8) | len(shape)) + struct.pack(f">{len(shape)}I", *shape))
            handle.truncate(4 + 4 * len(shape) + math.prod(shape))


def test_the_pool_sizes_are_the_pools_the_data_module_loads(data_dir):
    """:data:`POOL_SIZES` is what the count reads for the bundled sample; the module's split rule
    (:func:`split_sizes`) is shared."""
    from trainlab.data.mnist_datamodule import MNISTDataModule

    module = MNISTDataModule(source="bundled", data_dir=str(data_dir))
    (pool_x, _), _ = module._load_pool_and_test("bundled")
    assert len(pool_x) == POOL_SIZES["bundled"] == 4500


@pytest.mark.parametrize("source", ["torchvision", "auto"])
def test_the_torchvision_pool_is_the_one_its_files_hold(tmp_path, source):
    """The module loads whatever idx files are in data_dir: 200 training images there are 2 batches of 100 an
    epoch (150 + 50 validation). Before: full MNIST's 60,000 were assumed - 600 batches counted, and a sweep that
    validates after the loader's 2 was refused."""
    from test_data import write_tiny_mnist

    from trainlab.data.mnist_datamodule import MNISTDataModule

    write_tiny_mnist(tmp_path, n_train=200, n_test=20)
    data = {"source": source, "data_dir": str(tmp_path), "download": False, "val_size": 50, "batch_size": 100}
    module = MNISTDataModule(**data)
    module.setup("fit")
    assert training_batches_per_epoch(data) == {"torchvision": len(module.train_dataloader())} == {"torchvision": 2}
    write_full_size_mnist(tmp_path)  # full MNIST's headers: 59,950 training images
    assert training_batches_per_epoch(data) == {"torchvision": 600}
    (raw_dir(tmp_path) / "train-images-idx3-ubyte").write_bytes(b"")  # damaged: the data's own check refuses it
    assert training_batches_per_epoch(data) is None


@pytest.mark.parametrize(("train_size", "val_size", "batch_size"), [(None, None, 128), (400, 100, 100),
                                                                     (1000, None, 7), (None, 2000, 1000)])
def test_the_batches_counted_before_the_data_is_loaded_are_the_loaders(data_dir, train_size, val_size, batch_size):
    from trainlab.data.mnist_datamodule import MNISTDataModule

    module = MNISTDataModule(source="bundled", data_dir=str(data_dir), train_size=train_size, val_size=val_size,
                             batch_size=batch_size)
    module.setup("fit")
    counted = training_batches_per_epoch({"source": "bundled", "data_dir": str(data_dir), "train_size": train_size,
                                          "val_size": val_size, "batch_size": batch_size})
    assert counted == {"bundled": len(module.train_dataloader())}


def test_auto_counts_full_mnist_where_its_files_are_and_either_source_where_a_download_decides(tmp_path):
    empty = tmp_path / "empty"
    assert possible_sources("auto", str(empty), download=True) == ("bundled", "torchvision")
    assert possible_sources("auto", str(empty), download=False) == ("bundled",)
    write_full_size_mnist(tmp_path)
    assert possible_sources("auto", str(tmp_path), download=True) == ("torchvision",)
    assert training_batches_per_epoch({"source": "auto", "data_dir": str(tmp_path), "batch_size": 128}) == {
        "torchvision": math.ceil(55000 / 128)}


def test_a_job_config_short_of_its_first_validation_is_refused_and_others_pass(make_cfg):
    with pytest.raises(ConfigError) as refused:
        check_objective_reached(make_cfg(*SHORT_BUDGET))
    assert str(refused.value) == EXPERIMENT_B_20
    with pytest.raises(ConfigError, match=r"first runs after 96 steps \(the end of epoch 3 of 32 steps: "
                                          r"trainer.check_val_every_n_epoch=3\), and trainer.max_epochs=2 stops the "
                                          r"run after 64 steps.* \(trainer.max_epochs=3\), or optimized_"):
        check_objective_reached(make_cfg("data.batch_size=128", "trainer.max_epochs=2",
                                         "trainer.check_val_every_n_epoch=3"))
    with pytest.raises(ConfigError, match=r"first runs after 8 steps, .* \(trainer.max_steps=8\), or optimized_"):
        check_objective_reached(make_cfg("data.batch_size=128", "trainer.max_steps=5", "trainer.max_epochs=-1",
                                         "+trainer.val_check_interval=0.25"))  # a quarter epoch: 8 steps
    for fine in (["data.batch_size=128", "trainer.max_steps=32", "trainer.max_epochs=-1"],  # validates at 32
                 [*SHORT_BUDGET, "data.train_size=2000"],  # 16 steps an epoch
                 [*SHORT_BUDGET, "+trainer.val_check_interval=0.25"],  # validates after 8 steps
                 [*SHORT_BUDGET, "optimized_metric=train/loss"], [*SHORT_BUDGET, "optimized_metric=null"],
                 [*SHORT_BUDGET, "trainer.accumulate_grad_batches=2"],  # left to the Trainer's check
                 [*SHORT_BUDGET, "+trainer.limit_val_batches=0"]):
        check_objective_reached(make_cfg(*fine))
    resumed = make_cfg(*SHORT_BUDGET)
    with open_dict(resumed):
        resumed.ckpt_path = "last"
    check_objective_reached(resumed)  # its objective may come from an earlier session


def test_auto_is_refused_only_where_neither_source_validates_in_time(make_cfg, tmp_path):
    """Without full MNIST and with a download allowed, the job may train on either source: refused in the bundled
    sample's numbers when neither validates in time, left to the Trainer's check when one would."""
    data = [f"paths.data_dir={tmp_path / 'empty'}", "data.source=auto"]
    with pytest.raises(ConfigError) as refused:
        check_objective_reached(make_cfg(*SHORT_BUDGET, *data))
    assert str(refused.value) == EXPERIMENT_B_20
    # validation every 40 batches across epochs, one epoch: the bundled sample stops at 32, full MNIST validates
    check_objective_reached(make_cfg("data.batch_size=128", "trainer.max_epochs=1", "trainer.max_steps=-1",
                                     "trainer.check_val_every_n_epoch=null", "+trainer.val_check_interval=40", *data))


def refused_before_anything_is_written(result, line: str) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.endswith(f"error: {line}\n"), result.stderr[-3000:]
    assert "#0 :" not in result.stdout, result.stdout[-3000:]  # Hydra's launch line: no job was started


@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=basic"]])  # [] the experiment's own: stacked
def test_a_sweep_short_of_its_first_validation_leaves_no_sweep_directory(train_in_process, tmp_path, launcher):
    sweep_dir = tmp_path / "B20"
    result = train_in_process("experiment=compare_optimizers", "trainer.max_steps=20", *launcher,
                              f"hydra.sweep.dir={sweep_dir}")
    refused_before_anything_is_written(result, EXPERIMENT_B_20)
    assert not sweep_dir.exists()  # no multirun.yaml, no job directory, status.json or event file


@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=basic"]])
def test_a_refused_sweep_leaves_an_existing_sweep_directory_as_it_was(train_in_process, tmp_path, launcher):
    sweep_dir = tmp_path / "B20"
    sweep_dir.mkdir()
    (sweep_dir / "notes.txt").write_text("mine\n")
    result = train_in_process("experiment=compare_optimizers", "trainer.max_steps=20", *launcher,
                              f"hydra.sweep.dir={sweep_dir}")
    refused_before_anything_is_written(result, EXPERIMENT_B_20)
    assert sorted(path.name for path in sweep_dir.rglob("*")) == ["notes.txt"]


def test_a_search_short_of_its_first_validation_is_refused_before_its_study_exists(train_in_process, tmp_path):
    """hparams_search=random: 400 training images at batch 100, 4 steps an epoch. A search needs an objective:
    optimized_metric=null is no way out there."""
    sweep_dir = tmp_path / "search"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "trainer.max_steps=3",
                              f"hydra.sweep.dir={sweep_dir}")
    refused_before_anything_is_written(result, (
        "optimized_metric='val/acc' is computed by validation, which first runs after 4 steps (the end of epoch 1 of "
        "4 steps: trainer.check_val_every_n_epoch=1), and trainer.max_steps=3 stops the run after 3 steps: the sweep "
        "would get no objective from it; nothing was trained. allowed: a budget of at least 4 steps "
        "(trainer.max_steps=4)"))
    assert not sweep_dir.exists()  # no optuna.journal, multirun.yaml or trial directory


@pytest.mark.parametrize("searched", ["data.batch_size", "++data.batch_size", "+trainer.val_check_interval",
                                      "~trainer.max_steps"])
def test_a_search_over_a_counted_key_leaves_each_trial_to_its_trainer_whatever_its_override_prefix(make_cfg,
                                                                                                   searched):
    """``++data.batch_size=choice(200,400)`` gives each trial its own count, as ``data.batch_size=...`` does: the
    config's own batch size is no trial's. Before: the ``++`` key was taken for a group of its own, and the search
    was refused in the config's numbers."""
    check_objective_reached(make_cfg(*SHORT_BUDGET), searched=[searched], may_be_null=False)  # no error


@pytest.mark.parametrize(("where", "download", "decided", "logged"), [
    ("empty", False, "bundled", []),  # offline: the bundled sample, without a word
    ("below_a_file", True, "bundled",  # a download could not be saved there
     ["data.source=auto: full MNIST is not in {raw} and cannot be downloaded there ({file} is a file, not a "
      "directory); using the bundled sample"]),
    ("full", True, "torchvision", []),
])
def test_the_module_decides_auto_by_the_rule_the_count_reads(tmp_path, caplog, monkeypatch, where, download, decided,
                                                             logged):
    """:func:`possible_sources` (the count's) and the module's decision share one rule
    (:func:`~trainlab.data.torchvision_mnist.download_obstacle`): where the count says one source, the module
    trains on it, without trying a download."""
    import logging

    from trainlab.data import mnist_datamodule
    from trainlab.data.mnist_datamodule import MNISTDataModule

    (tmp_path / "a_file").write_text("x")
    data_dir = {"empty": tmp_path / "empty", "below_a_file": tmp_path / "a_file" / "data", "full": tmp_path}[where]
    if where == "full":
        write_full_size_mnist(tmp_path)
    assert possible_sources("auto", str(data_dir), download) == (decided,)
    module = MNISTDataModule(source="auto", data_dir=str(data_dir), download=download)
    monkeypatch.setattr(mnist_datamodule, "download_torchvision_mnist", lambda *args: pytest.fail("a download"))
    with caplog.at_level(logging.INFO, logger=mnist_datamodule.__name__):
        assert module._decide_source() == decided
    assert [record.getMessage() for record in caplog.records if record.name == mnist_datamodule.__name__] == [
        line.format(raw=raw_dir(data_dir), file=tmp_path / "a_file") for line in logged]
