"""``trainlab evaluate`` refuses a run directory, split or checkpoint that is not there before it imports torch and
Lightning: the refusal took ~5 s (the imports), it takes a fraction of a second (trainlab/evaluate.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest


def test_refusals_before_the_checkpoint_is_read_import_no_torch(tmp_path, train_in_process):
    run = tmp_path / "run"
    train_in_process("trainer.max_steps=2", "test=false", "callbacks=none", "logger=none", f"hydra.run.dir={run}")
    assert not (run / "checkpoints").exists()  # callbacks=none: the run wrote no checkpoint
    calls = [["evaluate", str(tmp_path / "nothing")], ["evaluate", str(run), "--split", "tset"],
             ["evaluate", str(run)], ["evaluate", str(run), "--ckpt", "best"],
             ["evaluate", str(run), "--ckpt", str(tmp_path / "missing.ckpt")]]
    code = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from trainlab.cli import main
        answers = []
        for argv in {calls!r}:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = main(argv)
            answers.append([status, err.getvalue().strip()])
        print(json.dumps({{"answers": answers, "torch": "torch" in sys.modules}}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    statuses = [status for status, _ in seen["answers"]]
    lines = [line for _, line in seen["answers"]]
    assert statuses == [2, 2, 2, 2, 2], lines
    assert lines[0] == f"error: run directory {tmp_path / 'nothing'} does not exist"
    assert lines[1].startswith("error: --split tset is invalid; allowed: one or more of ")
    assert lines[2].startswith(f"error: --ckpt last: no checkpoint file at {run / 'checkpoints' / 'last.ckpt'}")
    assert lines[3].startswith("error: --ckpt best")
    assert lines[4].startswith(f"error: --ckpt {tmp_path / 'missing.ckpt'}: no checkpoint file at ")
    assert seen["torch"] is False


@pytest.mark.slow  # ~3-4 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_run_without_a_best_epoch_is_told_so_after_reading_last_ckpt_with_torch_alone(tmp_path, train_in_process):
    """``--ckpt best`` reads the best epoch's record in last.ckpt (torch); the refusal imported Lightning for it
    too, with the garbage collector on: 5.7-6.7 s, now 2.4-2.6 s."""
    run = tmp_path / "run"
    train_in_process("trainer.max_steps=2", "test=false", f"hydra.run.dir={run}")
    assert (run / "checkpoints" / "last.ckpt").is_file()  # the default callbacks keep last.ckpt, no best epoch
    code = textwrap.dedent(f"""
        import contextlib, gc, io, json, sys
        from trainlab.cli import main
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = main(["evaluate", {str(run)!r}, "--ckpt", "best"])
        print(json.dumps({{"status": status, "line": err.getvalue().strip(), "torch": "torch" in sys.modules,
                          "lightning": "lightning" in sys.modules, "frozen": gc.get_freeze_count()}}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 2
    assert seen["line"].startswith("error: --ckpt best: the run kept no best epoch (train it with "), seen["line"]
    assert seen["torch"] is True and seen["lightning"] is False
    assert seen["frozen"] > 100_000  # torch imported with the collector paused, its objects frozen
