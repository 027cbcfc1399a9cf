"""A Ctrl-C while a grid sweep in this process (basic, stacked launcher) writes its end records waits until they are
written (trainlab/sweep/worker_stop.py, ``defer_stop_for_the_end``): it raised a KeyboardInterrupt traceback from
inside the HPARAMS callback, and the sweep whose jobs had all completed was left without summary.csv."""

from __future__ import annotations

import csv
import os
import signal

import pytest

import trainlab.sweep.hparams_experiment as hparams_experiment


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_ctrl_c_while_a_sweep_writes_its_records_waits_for_them(train_in_process, tmp_path, monkeypatch, launcher):
    writing = hparams_experiment.write_sweep_experiment

    def interrupted_while_writing(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # taken by the handler before the next line
        return writing(*args, **kwargs)

    monkeypatch.setattr(hparams_experiment, "write_sweep_experiment", interrupted_while_writing)
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "seed=1,2", "debug=limit", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 128 + signal.SIGINT, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "SIGINT while the sweep wrote its records: its jobs had ended, and its summary.csv and HPARAMS experiment are "
        "written")
    with (sweep / "summary.csv").open() as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["completed", "completed"]
    assert list(sweep.glob("events.out.tfevents.*.hparams"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # let go


def test_a_ctrl_c_while_a_record_fails_says_which_one_was_not_written(train_in_process, tmp_path, monkeypatch):
    """The line said "its summary.csv and HPARAMS experiment are written" after the HPARAMS experiment had failed."""
    from trainlab.errors import OutputLocationError

    def interrupted_and_refused(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        raise OutputLocationError("no space left on the device")

    monkeypatch.setattr(hparams_experiment, "write_sweep_experiment", interrupted_and_refused)
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "seed=1,2", "debug=limit", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 128 + signal.SIGINT, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("error: no space left on the device: the sweep's HPARAMS experiment not written; ")
    assert lines[-1] == ("SIGINT while the sweep wrote its records: its jobs had ended, but the sweep's HPARAMS "
                         "experiment could not be written (said above)")
    assert (sweep / "summary.csv").is_file()
