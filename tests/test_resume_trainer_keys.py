"""The ``trainer`` keys that shape an update - gradient accumulation (the effective batch), clipping, precision -
are recorded in a checkpoint and kept by a resume, as the batch size is
(trainlab/callbacks/checkpoint_provenance.py, ``RECORDED_TRAINER_KEYS``). Changed on a resume they were taken
without a word, and ``.hydra/config.yaml`` and the HPARAMS columns recorded them for the whole run."""

from __future__ import annotations

import pytest

from trainlab.callbacks.checkpoint_provenance import recorded_config


@pytest.mark.parametrize("override, then, now", [
    ("trainer.accumulate_grad_batches=2", "1", "2"),
    ("trainer.gradient_clip_val=0.5", "null", "0.5"),
    ("trainer.precision=64-true", "32-true", "64-true"),
])
def test_a_resume_that_changes_how_an_update_is_made_is_refused(train_in_process, tmp_path, override, then, now):
    run = tmp_path / "run"
    assert train_in_process("debug=limit", f"hydra.run.dir={run}").returncode == 0
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    key = override.split("=")[0]
    refused = train_in_process("debug=limit", "trainer.max_epochs=3", override, "ckpt_path=last",
                               f"hydra.run.dir={run}")
    assert refused.returncode == 2
    assert f"does not fit this run: {key} {then} in the checkpoint, {now} in the config" in refused.stderr
    assert f"{key}={then}" in refused.stderr.splitlines()[-1]  # the override that fits it
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
    same = train_in_process("debug=limit", "trainer.max_epochs=3", "trainer.precision=32", "ckpt_path=last",
                            f"hydra.run.dir={run}")  # 32 is 32-true: no difference
    assert same.returncode == 0, same.stderr[-3000:]


def test_the_recorded_precision_is_lightnings_long_form():
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"trainer": {"precision": 32, "accumulate_grad_batches": 1}})
    assert recorded_config(cfg)["trainer"] == {"accumulate_grad_batches": 1, "gradient_clip_val": None,
                                               "gradient_clip_algorithm": None, "precision": "32-true"}
