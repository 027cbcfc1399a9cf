"""A sweep into a directory that holds files it would replace - ``summary.csv``, ``ranking.csv``, ``multirun.yaml``,
the HPARAMS event file - is refused unless it is this sweep's own earlier output being finished
(trainlab/sweep/job_dirs.py, ``check_no_files_overwritten``); other files are left alone, the sweep writes beside them.

Before: ``hydra.sweep.dir`` holding a user's ``summary.csv`` and ``notes.txt`` trained the sweep, exit status 0, and
the user's ``summary.csv`` was replaced by the sweep's.
"""

from __future__ import annotations

import pytest

from trainlab.errors import RunDirInUseError
from trainlab.sweep.job_dirs import check_sweep_dir_free

HPARAMS_FILE = "events.out.tfevents.1796496751.vm.16452.0.hparams"
REPLACED = ("a sweep writes its multirun.yaml, summary.csv, ranking.csv and HPARAMS event file there and would "
            "replace them; nothing was written. allowed: ")


def users_files(directory, names) -> dict[str, str]:
    directory.mkdir(exist_ok=True)
    for name in names:
        (directory / name).write_text(f"the user's {name}\n")
    return {name: f"the user's {name}\n" for name in names}


@pytest.mark.parametrize("resume_sweep", [False, True])
@pytest.mark.parametrize("names", [["summary.csv", "notes.txt"], ["ranking.csv"], [HPARAMS_FILE]])
def test_files_a_sweep_would_replace_and_no_sweep_wrote_are_refused_even_to_a_resume(tmp_path, names, resume_sweep):
    users_files(tmp_path, names)
    found = ", ".join(name for name in names if name != "notes.txt")
    with pytest.raises(RunDirInUseError) as refused:
        check_sweep_dir_free(tmp_path, resume_sweep=resume_sweep, resuming_checkpoints=False)
    assert str(refused.value) == (f"hydra.sweep.dir={tmp_path} holds {found}, which no sweep wrote there (no "
                                  f"multirun.yaml): {REPLACED}a new hydra.sweep.dir, or those files moved out of it")


def test_an_earlier_sweeps_record_is_refused_to_a_new_sweep_and_finished_by_a_resume(tmp_path):
    users_files(tmp_path, ["multirun.yaml", "summary.csv"])
    with pytest.raises(RunDirInUseError) as refused:
        check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)
    assert str(refused.value) == (f"hydra.sweep.dir={tmp_path} holds multirun.yaml, summary.csv, an earlier sweep's: "
                                  f"{REPLACED}resume_sweep=true with that sweep's own overrides, to finish it and "
                                  "rewrite its summary, or a new hydra.sweep.dir")
    check_sweep_dir_free(tmp_path, resume_sweep=True, resuming_checkpoints=False)  # its own output, finished
    check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=True)  # its jobs resumed (ckpt_path)


def test_a_resume_finishes_the_sweep_whose_jobs_are_there_even_without_its_multirun_yaml(tmp_path):
    """A sweep whose multirun.yaml was deleted (or never copied) still has its jobs: resume_sweep=true rewrites their
    summary (each job's recorded overrides decide whether this command's jobs are those); a new sweep is refused by
    the runs in its jobs. The summary check had refused the resume as files "which no sweep wrote there"."""
    users_files(tmp_path, ["summary.csv"])
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "status.json").write_text('{"status": "completed"}')
    check_sweep_dir_free(tmp_path, resume_sweep=True, resuming_checkpoints=False)
    with pytest.raises(RunDirInUseError, match="already holds a run in 0"):
        check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)


def test_a_directory_of_other_files_only_is_free(tmp_path):
    users_files(tmp_path, ["notes.txt", "summary.csv.bak"])
    check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)


SMALL_B = ("experiment=compare_optimizers", "optimizer=sgd,adam", "trainer.max_steps=2", "data.train_size=200",
           "data.batch_size=100")


def test_a_sweep_into_a_directory_with_the_users_summary_is_refused_and_leaves_it_as_it_was(train_in_process,
                                                                                            tmp_path):
    sweep_dir = tmp_path / "sw"
    kept = users_files(sweep_dir, ["summary.csv", "notes.txt"])
    result = train_in_process(*SMALL_B, f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.endswith(
        f"error: hydra.sweep.dir={sweep_dir} holds summary.csv, which no sweep wrote there (no multirun.yaml): "
        f"{REPLACED}a new hydra.sweep.dir, or those files moved out of it\n"), result.stderr[-3000:]
    assert {path.name: path.read_text() for path in sweep_dir.rglob("*")} == kept


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_sweep_writes_beside_other_files_and_its_resume_rewrites_its_own_summary(train_in_process, tmp_path):
    sweep_dir = tmp_path / "sw"
    users_files(sweep_dir, ["notes.txt"])
    first = train_in_process(*SMALL_B, f"hydra.sweep.dir={sweep_dir}")
    assert first.returncode == 0, first.stderr[-3000:]
    assert (sweep_dir / "notes.txt").read_text() == "the user's notes.txt\n"
    assert len((sweep_dir / "summary.csv").read_text().splitlines()) == 3  # a header, two jobs
    (sweep_dir / "summary.csv").unlink()
    again = train_in_process(*SMALL_B, "resume_sweep=true", f"hydra.sweep.dir={sweep_dir}")  # re-reports it
    assert again.returncode == 0, again.stderr[-3000:]
    assert len((sweep_dir / "summary.csv").read_text().splitlines()) == 3
    assert (sweep_dir / "notes.txt").read_text() == "the user's notes.txt\n"


def test_the_record_of_a_sweep_whose_jobs_refused_their_config_in_workers_is_replaced(tmp_path):
    """``-m hydra/launcher=joblib ... +trainer.max_epoch=1`` in a directory holding ``notes.txt``: the workers'
    jobs refused their config (exit status 2) and left ``multirun.yaml`` and job directories of ``.hydra/`` and
    ``train.log`` only. Before: the corrected command was refused as "an earlier sweep's", and the way out it gave
    (``resume_sweep=true`` with that sweep's overrides) re-ran the refused config."""
    users_files(tmp_path, ["notes.txt", "multirun.yaml"])
    for job in ("0_+trainer.max_epoch=1,optimizer.lr=0.1", "1_+trainer.max_epoch=1,optimizer.lr=0.2"):
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "config.yaml").write_text("seed: 1\n")
        (tmp_path / job / "train.log").write_text("error: trainer.max_epoch: unknown key\n")
    check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)  # no error: it trained nothing
    (tmp_path / "summary.csv").write_text("the user's summary.csv\n")  # a summary: still an earlier sweep's
    with pytest.raises(RunDirInUseError, match=r"holds multirun.yaml, summary.csv, an earlier sweep's"):
        check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)


def test_the_hparams_experiment_file_is_named_once_and_its_check_stays_light():
    """The check of a sweep directory and the HPARAMS experiment's writer read one name of its event file
    (:mod:`trainlab.logger_dirs`): job_dirs kept a copy of ``events.out.tfevents.*`` + ``.hparams``, which a change
    of the writer's suffix would have left behind. The check runs before every multirun: it imports no TensorBoard."""
    import subprocess
    import sys
    from pathlib import PurePath

    from trainlab import logger_dirs
    from trainlab.sweep import hparams_experiment, job_dirs

    assert job_dirs.HPARAMS_EXPERIMENT_FILES is logger_dirs.HPARAMS_EXPERIMENT_FILES
    assert hparams_experiment.HPARAMS_EXPERIMENT_FILES is logger_dirs.HPARAMS_EXPERIMENT_FILES
    assert PurePath(HPARAMS_FILE).match(logger_dirs.HPARAMS_EXPERIMENT_FILES)
    imported = subprocess.run([sys.executable, "-c", "import sys, trainlab.sweep.job_dirs; "
                               "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorboard', 'torch'}))"],
                              capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def test_a_report_written_into_its_own_sweep_does_not_make_it_a_reports_directory(tmp_path):
    """``trainlab report <sweep> --out <sweep>`` records the sweep itself: finishing that sweep was refused as a
    multirun into "a report's directory", with the same directory offered as the way out."""
    from trainlab.report.output_dir import RECORD

    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    (tmp_path / RECORD).write_text(f'{{"sweep": "{tmp_path}", "files": {{"summary.md": "0"}}}}')
    check_sweep_dir_free(tmp_path, resume_sweep=True, resuming_checkpoints=False)  # raises if refused


def test_an_unreadable_report_record_is_refused_in_a_multiruns_words(tmp_path):
    from trainlab.report.output_dir import RECORD

    (tmp_path / RECORD).write_text("{not json")
    with pytest.raises(RunDirInUseError) as refused:
        check_sweep_dir_free(tmp_path, resume_sweep=False, resuming_checkpoints=False)
    assert str(refused.value).startswith(f"hydra.sweep.dir={tmp_path} holds a report's record that cannot be read "
                                         f"({tmp_path / RECORD}: ")
    assert str(refused.value).endswith("so it is taken for a report's directory; nothing was written. allowed: a new "
                                       "hydra.sweep.dir")
