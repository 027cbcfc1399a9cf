"""``trainer.precision=64-true``: the evaluation metrics are computed and recorded in float64, as the model trains.

torchmetrics keeps its states in the dtype they were made with (float32) when Lightning turns the model into float64,
and the stack wrote its members' values through float32: a float64 run's ``val/loss`` agreed with its own weights
to about 1e-7 only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from trainlab.config_instantiation import instantiate_key
from trainlab.evaluate import evaluate
from trainlab.report.sweep_runs import read_csv_scalars
from trainlab.run_status import read_status
from trainlab.stacked.train_stack import StackJob, train_stack
from trainlab.train import train

# 300 validation images, so that the accuracies are fractions float32 rounds (k/300); the training split evaluated
# too (eval/train_*)
RUN = ["trainer.precision=64-true", "data.train_size=400", "data.val_size=300", "trainer.max_epochs=2",
       "data.eval_splits=[val,train]", "trainer.log_every_n_steps=2", "logger=csv"]


def recomputed(cfg, run_dir) -> dict[str, float]:
    """Loss and accuracy of every split, recomputed in float64 from the run's last checkpoint, whole split at once."""
    net = instantiate_key(cfg, "model", optimizer=instantiate_key(cfg, "optimizer"), init=None).net.double().eval()
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    net.load_state_dict({name.removeprefix("net."): value for name, value in state.items() if name.startswith("net.")})
    assert {value.dtype for value in net.state_dict().values()} == {torch.float64}
    data = instantiate_key(cfg, "data")
    data.setup("fit")
    values = {}
    with torch.no_grad():
        for name, loader in {"val": data.data_val, "eval/train": data.data_train, "test": data.data_test}.items():
            logits = net(loader.x.double())
            values[f"{name}/loss" if "/" not in name else f"{name}_loss"] = F.cross_entropy(logits, loader.y).item()
            correct = (logits.argmax(dim=1) == loader.y).sum().item()
            values[f"{name}/acc" if "/" not in name else f"{name}_acc"] = correct / len(loader.y)
    return values


def test_a_float64_run_records_its_evaluation_metrics_in_float64(make_cfg, tmp_path):
    cfg = make_cfg(*RUN)
    train(cfg)
    run_dir = tmp_path / "run"
    metrics = read_status(run_dir)["metrics"]
    expected = recomputed(cfg, run_dir)
    assert set(expected) == {"val/loss", "val/acc", "eval/train_loss", "eval/train_acc", "test/loss", "test/acc"}
    for name, value in expected.items():  # float32 agrees to ~1e-7 at best
        assert abs(metrics[name] - value) < 1e-12, (name, metrics[name], value)
    assert metrics["val/acc_best"] >= metrics["val/acc"]
    logged = read_csv_scalars(run_dir / "metrics.csv")  # the logged values, not only status.json's
    for name in ("val/loss", "val/acc", "eval/train_loss", "test/loss"):
        assert abs(logged[name][1][-1] - expected[name]) < 1e-12, name
    train_acc = logged["train/acc"][1][-1]
    assert train_acc == metrics["train/acc"] and abs(train_acc * 400 - round(train_acc * 400)) < 1e-9
    (run_dir / ".hydra").mkdir()
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")  # what train.py's Hydra writes; trainlab evaluate reads it
    evaluated = evaluate(run_dir, "last", ["val", "test"])  # the checkpoint's float64 weights, not rounded to float32
    assert evaluated["val"] == {"loss": metrics["val/loss"], "acc": metrics["val/acc"]}  # exactly
    assert evaluated["test"] == {"loss": metrics["test/loss"], "acc": metrics["test/acc"]}


def test_a_float64_stack_records_what_its_members_lone_runs_record(make_cfg, tmp_path):
    lone_dir, stacked_dir = tmp_path / "lone", tmp_path / "stacked"
    train(make_cfg(*RUN, output_dir=lone_dir))
    train_stack([StackJob(make_cfg(*RUN, output_dir=stacked_dir), [])])
    lone, stacked = read_status(lone_dir)["metrics"], read_status(stacked_dir)["metrics"]
    assert set(stacked) == set(lone)
    for name in ("val/loss", "eval/train_loss", "test/loss", "train/loss"):
        assert abs(stacked[name] - lone[name]) < 1e-12, (name, stacked[name], lone[name])
    for name in ("val/acc", "eval/train_acc", "test/acc", "train/acc", "val/acc_best"):
        assert stacked[name] == lone[name], name
