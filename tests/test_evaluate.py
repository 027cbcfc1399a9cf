"""``trainlab evaluate``: a run's checkpoint re-evaluated from its own config reproduces the run's metrics."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_train_in_process
from omegaconf import OmegaConf

from trainlab.cli import main
from trainlab.errors import UserError
from trainlab.evaluate import evaluate
from trainlab.report.sweep_runs import read_csv_scalars
from trainlab.run_status import read_status

RUN = ["data.train_size=400", "data.val_size=200", "trainer.max_epochs=3", "optimizer=adam", "logger=csv"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, data_dir):
    """A real run (train.py's command line, so .hydra/config.yaml is Hydra's own) that kept its second epoch as the
    best one beside last.ckpt, the third: the best is checked every 2 epochs, so the last is never a candidate."""
    base = tmp_path_factory.mktemp("evaluate")
    run_dir = base / "run"
    result = run_train_in_process([*RUN, "callbacks.model_checkpoint.monitor=val/acc",
                                   "callbacks.model_checkpoint.save_top_k=1", "callbacks.model_checkpoint.mode=max",
                                   "callbacks.model_checkpoint.every_n_epochs=2", f"hydra.run.dir={run_dir}"],
                                  base, data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir


def test_last_checkpoint_reproduces_the_runs_final_metrics(finished_run):
    results = evaluate(finished_run, "last", ["val", "test", "train"])
    metrics = read_status(finished_run)["metrics"]
    assert results["val"] == {"loss": metrics["val/loss"], "acc": metrics["val/acc"]}  # exactly
    assert results["test"] == {"loss": metrics["test/loss"], "acc": metrics["test/acc"]}
    assert 0.0 < results["train"]["acc"] <= 1.0 and results["train"]["loss"] > 0


def test_best_checkpoint_is_the_epoch_the_run_recorded(finished_run):
    val_acc = read_csv_scalars(finished_run / "metrics.csv")["val/acc"][1]
    assert len(val_acc) == 3 and val_acc[1] != val_acc[-1]  # epoch 1 kept, a checkpoint other than the last
    # metrics.csv holds the float32 values widened to float64, evaluate their shortest digits: the same float32
    assert np.float32(evaluate(finished_run, "best", ["val"])["val"]["acc"]) == np.float32(val_acc[1])
    assert np.float32(evaluate(finished_run, "last", ["val"])["val"]["acc"]) == np.float32(val_acc[-1])


def test_a_moved_run_directory_still_evaluates(finished_run, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(finished_run, moved)
    assert evaluate(moved, "best", ["val"]) == evaluate(finished_run, "best", ["val"])


def test_cli_prints_a_table_and_errors_name_the_problem(finished_run, tmp_path, capsys):
    assert main(["evaluate", str(finished_run), "--split", "test"]) == 0
    out = capsys.readouterr().out
    test_acc = read_status(finished_run)["metrics"]["test/acc"]
    assert f"| test | {read_status(finished_run)['metrics']['test/loss']:.4f} | {test_acc:.4f} |" in out
    assert out.splitlines()[:4] == [f"{finished_run}, --ckpt last:", "", "| split | loss | acc |", "|---|---|---|"]

    assert main(["evaluate", str(tmp_path)]) == 2
    assert f"{tmp_path} has no .hydra/config.yaml: not the directory of a trainlab run" in capsys.readouterr().err
    assert main(["evaluate", str(finished_run), "--split", "validation"]) == 2
    assert "--split validation is invalid; allowed: one or more of val, train, test" in capsys.readouterr().err
    assert main(["evaluate", str(finished_run), "--ckpt", str(tmp_path / "nope.ckpt")]) == 2
    error = capsys.readouterr().err
    assert "no checkpoint file at" in error and "checkpoints there: epoch_001.ckpt, last.ckpt" in error


def test_evaluate_prints_the_table_without_lightnings_device_lines(finished_run, capsys):
    """'GPU available: False, used: False' and 'TPU available: ...' came on stderr beside the table."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    lightning_info = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    lightning_info.addHandler(handler)
    try:
        assert main(["evaluate", str(finished_run), "--split", "test"]) == 0
    finally:
        lightning_info.removeHandler(handler)
    assert [record.getMessage() for record in records if "available" in record.getMessage()] == []
    assert "| test |" in capsys.readouterr().out


@pytest.mark.slow  # a subprocess importing Lightning: ~5 s
def test_python_m_trainlab_evaluate_prints_the_same_table(finished_run):
    """``python -m trainlab.evaluate RUN --split test`` printed nothing and exited 0 (the module had no __main__)."""
    result = subprocess.run([sys.executable, "-m", "trainlab.evaluate", str(finished_run), "--split", "test"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = read_status(finished_run)["metrics"]
    assert result.stdout.splitlines() == [f"{finished_run}, --ckpt last:", "", "| split | loss | acc |",
                                          "|---|---|---|",
                                          f"| test | {metrics['test/loss']:.4f} | {metrics['test/acc']:.4f} |"]


def narrower_copy(run: Path, to: Path) -> Path:
    """A copy of ``run`` whose config has 50-wide hidden layers instead of 100 (its checkpoints stay the 100-wide)."""
    shutil.copytree(run, to)
    config = to / ".hydra" / "config.yaml"
    config.write_text(config.read_text().replace("- 100\n", "- 50\n"))
    return to


def test_a_file_that_is_not_this_runs_checkpoint_is_named(finished_run, tmp_path):
    garbage = tmp_path / "notes.ckpt"
    garbage.write_text("not a checkpoint")
    with pytest.raises(UserError, match=rf"--ckpt {garbage} is not a checkpoint: not a PyTorch archive"):
        evaluate(finished_run, str(garbage))
    other = narrower_copy(finished_run, tmp_path / "other")  # it cannot take these weights
    ckpt = finished_run / "checkpoints" / "last.ckpt"
    with pytest.raises(UserError) as error:
        evaluate(other, str(ckpt))
    assert str(error.value) == (
        f"--ckpt {ckpt} does not fit the run's network: model.net.hidden_sizes [100, 100, 100, 100] in the "
        f"checkpoint, [50, 50, 50, 50] in the run's config; evaluate it with the run that wrote it: trainlab "
        f"evaluate {finished_run} --ckpt {ckpt}")


def test_a_checkpoint_of_the_refused_run_itself_is_sent_to_the_run_that_wrote_it(finished_run, tmp_path):
    """The run that wrote the checkpoint is looked for around the file first; the run being evaluated, whose network
    does not fit, is not suggested again."""
    other = narrower_copy(finished_run, tmp_path / "other")
    ckpt = other / "checkpoints" / "last.ckpt"
    with pytest.raises(UserError) as error:
        evaluate(other, str(ckpt))
    assert str(error.value).endswith(
        f"evaluate it with the run that wrote it: trainlab evaluate {finished_run} --ckpt {ckpt}")


def test_best_without_a_recorded_best_epoch_says_how_to_keep_one(finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    for best in (run / "checkpoints").glob("epoch_*.ckpt"):
        best.unlink()
    with pytest.raises(UserError, match=r"--ckpt best: .*epoch_001.ckpt \(the best epoch recorded in last.ckpt\) "
                                        r"is missing; checkpoints there: last.ckpt"):
        evaluate(run, "best")


def test_a_run_trained_without_checkpoints_says_so(finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    shutil.rmtree(run / "checkpoints")
    config = OmegaConf.load(run / ".hydra" / "config.yaml")
    config.callbacks = OmegaConf.load(ROOT / "conf" / "callbacks" / "none.yaml")  # as callbacks=none composes
    OmegaConf.save(config, run / ".hydra" / "config.yaml")
    with pytest.raises(UserError) as error:
        evaluate(run, "last")
    assert str(error.value) == (
        f"--ckpt last: no checkpoint file at {run / 'checkpoints' / 'last.ckpt'}; the run was trained without "
        "checkpoints (no ModelCheckpoint in its callbacks: callbacks=none, or callbacks=no_checkpoints, which "
        "experiments F, G, H and I choose); train it again with callbacks=default to evaluate it")


@pytest.mark.parametrize("chooser", ["experiment=overfit_weight_decay", "experiment=overfit_dropout",
                                     "experiment=compare_batchnorm", "hparams_search=random", "hparams_search=tpe"])
def test_callbacks_default_gives_back_the_checkpoints_an_experiment_leaves_out(make_cfg, chooser):
    """What the message above tells: experiments F, G, H and I set their checkpoint entries null in their own
    config, which ``callbacks=default`` on the command line did not undo (the run kept writing no checkpoint)."""
    def checkpoint_targets(cfg):
        return [entry and entry.get("_target_") for entry in (cfg.callbacks.model_checkpoint,
                                                               cfg.callbacks.last_checkpoint)]

    assert checkpoint_targets(make_cfg(chooser)) == [None, None]
    assert checkpoint_targets(make_cfg(chooser, "callbacks=default")) == [
        "lightning.pytorch.callbacks.ModelCheckpoint"] * 2


@pytest.mark.parametrize(("key", "target"), [("model", "my_project.models.MyCNN"),
                                             ("data", "my_project.data.FashionData")])
def test_a_run_of_a_model_or_data_module_of_ones_own_is_one_line_naming_the_way_out(finished_run, tmp_path, capsys,
                                                                                    key, target):
    """It was a traceback from inside Lightning (a model without dataloader_idx) or from the MNIST-only code."""
    run = tmp_path / "own"
    shutil.copytree(finished_run, run)
    config = OmegaConf.load(run / ".hydra" / "config.yaml")
    config[key]["_target_"] = target
    OmegaConf.save(config, run / ".hydra" / "config.yaml")
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {run} trained {key}._target_={target}; trainlab evaluate rebuilds only trainlab's own "
        f"{key}._target_={OmegaConf.load(finished_run / '.hydra' / 'config.yaml')[key]['_target_']}: evaluate that "
        f"run with Lightning's Trainer.validate (or Trainer.test) on its checkpoint, e.g. trainer.validate(model, "
        f"datamodule=..., ckpt_path='{run / 'checkpoints' / 'last.ckpt'}')"]


def test_a_diverged_runs_checkpoint_evaluates_with_a_note_that_its_nan_loss_is_its_weights(tmp_path, data_dir,
                                                                                           capsys):
    """A run whose loss turned NaN evaluated to a table of nan losses and nothing else; the heading echoed a typed
    trailing slash (``run/, --ckpt last:``). The note is the one word on it: torchmetrics' UserWarning "Encountered
    `nan` values in tensor" came beside it, and was the only word where the checkpoint was given by its path."""
    run_dir = tmp_path / "run"
    result = run_train_in_process(["optimizer=sgd", "optimizer.lr=1000", "debug=limit", f"hydra.run.dir={run_dir}"],
                                  tmp_path, data_dir)
    assert result.returncode == 3 and read_status(run_dir)["status"] == "diverged", result.stderr[-2000:]
    with warnings.catch_warnings(record=True) as shown:
        warnings.filterwarnings("always", category=UserWarning)  # each time, not once per location
        assert main(["evaluate", f"{run_dir}/", "--split", "val"]) == 0
        captured = capsys.readouterr()
        assert captured.out.splitlines()[0] == f"{run_dir}, --ckpt last:"
        assert "| val | nan |" in captured.out
        assert captured.err == (f"note: {run_dir} is recorded diverged in its status.json: its training loss became "
                                "NaN/Inf, and last.ckpt holds the weights of that step (a nan loss is theirs)\n")
        last = run_dir / "checkpoints" / "last.ckpt"
        assert main(["evaluate", str(run_dir), "--ckpt", str(last), "--split", "val", "test"]) == 0
        captured = capsys.readouterr()
        assert "| test | nan |" in captured.out
        assert captured.err == (f"note: the loss on val, test is nan: {last} holds NaN/Inf weights (net.0.weight, "
                                "net.0.bias and 8 more), a diverged run's - the nan is theirs, not the evaluation's\n")
    assert [str(warning.message) for warning in shown] == []


def test_an_interrupted_runs_last_checkpoint_is_said_to_be_where_it_stopped(finished_run, tmp_path, capsys):
    interrupted = tmp_path / "interrupted"
    shutil.copytree(finished_run, interrupted)
    status = json.loads((interrupted / "status.json").read_text())
    (interrupted / "status.json").write_text(json.dumps({**status, "status": "interrupted"}))
    assert main(["evaluate", str(interrupted), "--split", "val"]) == 0
    assert "is recorded interrupted in its status.json: it was stopped before the end of its budget" in (
        capsys.readouterr().err)
    assert main(["evaluate", str(interrupted), "--ckpt", "best", "--split", "val"]) == 0  # not its last.ckpt
    assert main(["evaluate", str(finished_run), "--split", "val"]) == 0  # completed
    assert "note:" not in capsys.readouterr().err


def test_a_run_without_a_status_json_evaluates_with_a_note_that_it_has_not_ended(finished_run, tmp_path, capsys):
    """A run still training (or killed) has no status.json yet: its table came with no word of it."""
    unended = tmp_path / "unended"
    shutil.copytree(finished_run, unended)
    (unended / "status.json").unlink()
    assert main(["evaluate", str(unended), "--split", "val"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{unended}, --ckpt last:")
    assert captured.err.strip().splitlines()[-1] == (
        f"note: {unended} has not recorded its end in a status.json (still training, or killed): last.ckpt holds "
        "the weights of its last saved epoch")


def test_best_with_a_damaged_last_checkpoint_is_one_error_line_naming_it(finished_run, tmp_path, capsys):
    """``--ckpt best`` reads the best epoch from last.ckpt: a last.ckpt whose pickled entry was overwritten raised
    ``_pickle.UnpicklingError`` in a traceback."""
    damaged = tmp_path / "damaged"
    shutil.copytree(finished_run, damaged)
    last = damaged / "checkpoints" / "last.ckpt"
    with zipfile.ZipFile(last) as archive:
        entry = next(info for info in archive.infolist() if info.filename.endswith("/data.pkl"))
    data = bytearray(last.read_bytes())
    start = entry.header_offset + 30 + len(entry.filename) + len(entry.extra)  # the entry's stored bytes
    data[start + 100:start + 300] = b"A" * 200
    last.write_bytes(bytes(data))
    assert main(["evaluate", str(damaged), "--ckpt", "best", "--split", "val"]) == 2
    assert capsys.readouterr().err == (
        f"error: --ckpt best ({last}) is a damaged checkpoint: its entry {entry.filename} does not match the CRC it "
        "was written with (the file was changed or corrupted after it was saved); --ckpt takes a checkpoint that a "
        "trainlab run wrote (<run dir>/checkpoints/last.ckpt)\n")


def test_an_invalid_value_in_the_runs_recorded_config_names_that_file(finished_run, tmp_path, capsys):
    """A key added to (or a value edited in) the run's .hydra/config.yaml was refused as if typed on a command line -
    ``error: model.net.frobnicate=3 is invalid; ...`` - without the file it is in."""
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    config = OmegaConf.load(run / ".hydra" / "config.yaml")
    config.model.net.frobnicate = 3
    OmegaConf.save(config, run / ".hydra" / "config.yaml")
    assert main(["evaluate", str(run), "--split", "val"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        f"error: {run / '.hydra' / 'config.yaml'}: model.net.frobnicate=3 is invalid; trainlab.models.mlp.MLP raised "
        "TypeError")
    # the way out for one run: the report's "move that job aside" has no sweep here
    assert error.endswith("; to evaluate the run, restore that file as the run wrote it, or train the run again\n")


def test_evaluate_says_where_the_data_changed_since_the_run(tmp_path, data_dir, capsys):
    """MNIST files replaced or reordered after a run: evaluate reported other numbers than the run's (val/acc 0.236
    became 0.172 on the same files reversed), exit 0, without a word."""
    from test_data import write_idx, write_tiny_mnist

    from trainlab.data.torchvision_mnist import raw_dir

    arrays = write_tiny_mnist(tmp_path / "mnist", n_train=120, n_test=40)
    run_dir = tmp_path / "run"
    result = run_train_in_process(["data.source=torchvision", f"data.data_dir={tmp_path / 'mnist'}",
                                   "data.val_size=40", "data.download=false", "debug=limit",
                                   f"hydra.run.dir={run_dir}"], tmp_path, data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = read_status(run_dir)["data_digest"]
    assert len(recorded) == 16 and int(recorded, 16) >= 0
    assert main(["evaluate", str(run_dir)]) == 0
    assert "note: the data" not in capsys.readouterr().err  # the same files: nothing to say
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # the test set in reverse order
        write_idx(raw_dir(tmp_path / "mnist") / name, arrays[name][::-1].copy())
    assert main(["evaluate", str(run_dir)]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: the data")]
    assert len(notes) == 1 and notes[0].startswith("note: the data loaded now is not the data the run trained and was "
                                                   "tested on (its digest ")
    assert notes[0].endswith(f", the run's {recorded} in its status.json): the files in {tmp_path / 'mnist'} changed "
                             "since, so these numbers are of the files as they are now, not the run's")
