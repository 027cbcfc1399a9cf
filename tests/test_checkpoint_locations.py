"""Where the checkpoint callbacks write, checked before anything is written (trainlab/output_locations.py
``check_checkpoint_locations``, trainlab/config_validation.py ``checkpoint_file_name``).

A ``callbacks.<entry>.dirpath`` with a file in the way trained an epoch, then ended in a FileExistsError (or
NotADirectoryError) traceback, exit status 1, a failed run directory left behind; a ``filename`` with ``..`` wrote the
checkpoint outside the run directory, where every job of a sweep would write the same path.
"""

from __future__ import annotations

import pytest

ALLOWED = ("allowed: a directory this process can write into, or a path where one can be made (by default "
           "${paths.output_dir}/checkpoints)")


@pytest.mark.parametrize(("key", "below"), [("callbacks.model_checkpoint.dirpath", ""),
                                            ("callbacks.last_checkpoint.dirpath", "/x")], ids=["itself", "below"])
@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
def test_a_checkpoint_dirpath_with_a_file_in_the_way_is_refused_before_the_run(train_in_process, tmp_path, key, below,
                                                                                multirun):
    a_file = tmp_path / "afile"
    a_file.write_text("keep me")
    sweep = ["-m", "optimizer=sgd,adam"] if multirun else []
    result = train_in_process(*sweep, "debug=limit", "callbacks.model_checkpoint.monitor=val/acc",
                              "callbacks.model_checkpoint.save_top_k=1", f"{key}={a_file}{below}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (f"error: {key}={a_file}{below} is unusable: {a_file} is a file, not a "
                                              f"directory; {ALLOWED}")
    assert "Traceback" not in result.stderr
    assert a_file.read_text() == "keep me"
    assert not (tmp_path / "outputs").exists()  # no run or sweep directory


@pytest.mark.parametrize("filename", ["../../../escape_ckpt", "sub/../../x", "/tmp/escape_ckpt"])
@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
def test_a_checkpoint_filename_that_leaves_its_dirpath_is_refused(train_in_process, tmp_path, filename, multirun):
    sweep = ["-m", "optimizer=sgd,adam"] if multirun else []
    result = train_in_process(*sweep, "debug=limit", f"callbacks.model_checkpoint.filename={filename}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (
        f"error: callbacks.model_checkpoint.filename='{filename}' is invalid; allowed: a file name inside the entry's "
        "dirpath (no '..' part, not an absolute path; e.g. epoch_{epoch:03d}) or null")
    assert not (tmp_path / "outputs").exists()


def test_a_checkpoint_filename_in_a_subdirectory_of_its_dirpath_is_kept(make_cfg, tmp_path):
    from trainlab.train import train

    cfg = make_cfg("debug=limit", "trainer.max_epochs=1", "callbacks.model_checkpoint.monitor=val/acc",
                   "callbacks.model_checkpoint.save_top_k=1",
                   "callbacks.model_checkpoint.filename='best/epoch_{epoch}'")
    train(cfg)
    assert [path.name for path in (tmp_path / "run" / "checkpoints" / "best").iterdir()] == ["epoch_0.ckpt"]
