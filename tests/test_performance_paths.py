"""The fast paths compute what a plain loop computes; the opt-in compile composes and trains."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from trainlab.data.mnist_datamodule import MNISTDataModule
from trainlab.errors import ConfigError
from trainlab.init import he_init
from trainlab.models.mlp import MLP
from trainlab.optim import Adam
from trainlab.report.sweep_runs import read_csv_scalars
from trainlab.train import train


def stack_losses(make_cfg, out, *overrides: str) -> list[float]:
    """train/loss of the first 12 steps of the full stack (Adam, batch 128, seed 7), read from its metrics.csv."""
    train(make_cfg("optimizer=adam", "data.batch_size=128", "trainer.max_steps=12", "trainer.max_epochs=-1",
                   "trainer.log_every_n_steps=1", "logger=csv", "seed=7", "optimized_metric=null", *overrides,
                   output_dir=out))
    return read_csv_scalars(out / "metrics.csv")["train/loss"][1]


def reference_losses(data_dir, optimizer_factory, steps: int, clip_norm: float | None = None,
                     accumulate: int = 1) -> list[float]:
    """Per-batch losses of a plain loop (seed 7, He init, batch 128) with optional clipping / accumulation."""
    torch.manual_seed(7)
    model = MLP()
    he_init(model)
    optimizer = optimizer_factory(model.parameters())
    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir), batch_size=128)
    dm.setup()
    loader = dm.train_dataloader()
    loader.set_epoch(0)
    losses = []
    for batch_index, (x, y) in enumerate(loader):
        if batch_index == steps * accumulate:
            break
        loss = F.cross_entropy(model(x), y)
        (loss / accumulate).backward()
        losses.append(loss.item())
        if (batch_index + 1) % accumulate == 0:
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            optimizer.zero_grad()
    return losses


def test_stack_losses_equal_a_plain_reference_loop(make_cfg, tmp_path, data_dir):
    """The full Lightning stack and a hand-written loop (same seed, batches, optimizer) log the same losses."""
    losses = stack_losses(make_cfg, tmp_path / "stack")
    reference = reference_losses(data_dir, lambda p: Adam(p, lr=0.001), steps=12)
    assert len(losses) == 12
    assert losses == pytest.approx(reference, rel=1e-6, abs=1e-7)


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_compiled_optimizer_in_the_stack_gives_the_eager_losses(make_cfg, tmp_path):
    """optimizer.compile=true (Inductor, both parameter groups) trains like the eager foreach step."""
    eager = stack_losses(make_cfg, tmp_path / "eager")
    compiled = stack_losses(make_cfg, tmp_path / "compiled", "optimizer.compile=true")
    assert len(compiled) == 12
    assert compiled == pytest.approx(eager, rel=1e-4)
    assert compiled[-1] < compiled[0]


@pytest.mark.slow  # ~2.5-3 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_compile_option_composes_and_trains(make_cfg, tmp_path):
    value = train(make_cfg("debug=limit", "compile.enabled=true", "compile.backend=aot_eager",
                           output_dir=tmp_path / "compiled"))
    assert 0.0 <= value <= 1.0


def test_progress_bar_redraws_four_times_a_second_and_the_trainer_switch_removes_it(make_cfg, tmp_path, capsys):
    """Lightning's default Rich bar redraws 100 times a second from a thread that competes with the kernels."""
    from lightning.pytorch.callbacks import RichProgressBar

    from trainlab.train import instantiate_dict

    cfg = make_cfg("debug=limit", output_dir=tmp_path / "bar")
    (bar,) = [c for c in instantiate_dict(cfg.callbacks, "callbacks") if isinstance(c, RichProgressBar)]
    assert bar.refresh_rate == 4
    cfg.trainer.enable_progress_bar = True
    assert 0.0 <= train(cfg) <= 1.0
    assert "Epoch 1/1" in capsys.readouterr().out  # the bar was drawn (debug=limit runs 2 epochs)
    cfg.trainer.enable_progress_bar = False  # with the bar still in callbacks/: no MisconfigurationException
    cfg.paths.output_dir = str(tmp_path / "no_bar")
    assert 0.0 <= train(cfg) <= 1.0
    assert "Epoch" not in capsys.readouterr().out


def test_the_progress_bar_of_a_run_bounded_by_steps_alone_reads_epoch_n_not_epoch_n_of_minus_2(make_cfg, tmp_path,
                                                                                            capsys):
    """Lightning writes Epoch e/{max_epochs - 1}: Epoch 4/-2 in experiments B and D (max_epochs: -1, max_steps)."""
    cfg = make_cfg("debug=limit", "trainer.max_epochs=-1", "trainer.max_steps=12", output_dir=tmp_path / "steps")
    cfg.trainer.enable_progress_bar = True
    assert 0.0 <= train(cfg) <= 1.0
    out = capsys.readouterr().out
    assert "Epoch 2 " in out  # 12 steps of debug=limit's 5 batches: epochs 0, 1, 2
    assert "/-2" not in out


def test_compile_rejects_unknown_mode(make_cfg, tmp_path):
    with pytest.raises(ConfigError, match=r"compile.mode='fastest' is invalid; allowed: one of default"):
        train(make_cfg("debug=limit", "compile.enabled=true", "compile.mode=fastest", output_dir=tmp_path / "c"))


@pytest.mark.gpu
def test_gpu_trainer_keeps_the_dataset_on_the_gpu(data_dir):
    import lightning as L

    dm = MNISTDataModule(source="bundled", data_dir=str(data_dir))
    trainer = L.Trainer(accelerator="gpu", devices=1, max_steps=1, logger=False, enable_checkpointing=False)
    dm.trainer = trainer
    dm.setup()
    assert dm.data_train.x.is_cuda and dm.data_val.x.is_cuda and dm.data_test.y.is_cuda


def test_gradient_clipping_runs_lightning_automatic_loop_and_clips_like_torch(make_cfg, tmp_path, data_dir):
    """trainer.gradient_clip_val (not available with manual optimization) switches to Lightning's automatic loop."""
    from trainlab.optim import SGD

    clipped = stack_losses(make_cfg, tmp_path / "clipped", "optimizer=sgd", "optimizer.lr=0.1",
                           "trainer.gradient_clip_val=0.05")
    reference = reference_losses(data_dir, lambda p: SGD(p, lr=0.1), steps=12, clip_norm=0.05)
    unclipped = reference_losses(data_dir, lambda p: SGD(p, lr=0.1), steps=12)
    assert clipped == pytest.approx(reference, rel=1e-5, abs=1e-6)
    assert clipped[-1] != pytest.approx(unclipped[-1], rel=1e-3)  # the clip did change the trajectory


def test_gradient_accumulation_steps_once_per_k_batches(make_cfg, tmp_path, data_dir):
    out = tmp_path / "accumulated"
    losses = stack_losses(make_cfg, out, "trainer.accumulate_grad_batches=2", "trainer.max_steps=6")
    reference = reference_losses(data_dir, lambda p: Adam(p, lr=0.001), steps=6, accumulate=2)
    assert len(reference) == 12
    assert losses == pytest.approx(reference[1::2], rel=1e-5, abs=1e-6)  # one logged row per optimizer step
