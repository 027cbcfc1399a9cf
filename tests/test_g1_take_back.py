"""What a refused command takes back in a directory that existed (trainlab/preflight.py: ``EarlierDir``,
``take_back_hydra_files``) is Hydra's alone, and only where the command holds the directory's lock.

A refusal cut every grown ``*.log`` there back to its old size: the user's own ``console.log``, which the command's
output was appended to (``... >> d/console.log 2>&1``), lost the error line. And a search, whose sweep directory is
shared by its workers and takes no lock, took back files that another command could have written meanwhile.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

BAD_NET = """\
    from pathlib import Path

    from torch import nn


    class Out1x10(nn.Module):
        \"\"\"Returns (batch, 1, 10); as it is built, appends a line to console.log in G1_CONSOLE's directory, as a
        shell's ``>> d/console.log 2>&1`` appends the command's output to a log of the user's.\"\"\"

        def __init__(self, **unused):
            super().__init__()
            import os

            console = os.environ.get("G1_CONSOLE")
            if console:
                with open(console, "a") as handle:
                    handle.write("the command's output\\n")
            armed = os.environ.get("G1_ARMED")
            if armed:  # the directories a refusal now would take back what the command wrote in
                from trainlab import preflight

                Path(armed).write_text("".join(f"{earlier.directory}\\n" for earlier in preflight.EARLIER_OUTPUT_DIR))
            self.layer = nn.Linear(784, 10)

        def forward(self, x):
            return self.layer(x).unsqueeze(1)
"""
REFUSAL = ("error: model.net (g1_nets.Out1x10) returns (2, 1, 10) in training for a batch of 2 images of 784 pixels; "
           "allowed: a network returning (batch, 10) logits, one per class (model.num_classes=10)")


@pytest.fixture
def bad_net(tmp_path, monkeypatch) -> str:
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "g1_nets.py").write_text(textwrap.dedent(BAD_NET))
    monkeypatch.syspath_prepend(str(folder))
    return "model.net._target_=g1_nets.Out1x10"


def contents(directory: Path) -> dict[str, bytes | None]:
    return {str(path.relative_to(directory)): path.read_bytes() if path.is_file() else None
            for path in sorted(directory.rglob("*"))}


def test_a_refusal_keeps_the_line_appended_to_a_log_of_the_users(bad_net, train_in_process, tmp_path, monkeypatch):
    run_dir = tmp_path / "d"
    run_dir.mkdir()
    (run_dir / "console.log").write_text("started\n")
    monkeypatch.setenv("G1_CONSOLE", str(run_dir / "console.log"))
    result = train_in_process(bad_net, f"hydra.run.dir={run_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    # before: cut back to "started\n", the command's output gone
    assert (run_dir / "console.log").read_text() == "started\nthe command's output\n"
    assert (run_dir / ".hydra" / "config.yaml").is_file()  # the command wrote more than Hydra's: nothing taken back


def test_only_the_jobs_log_is_cut_back():
    """The run directory's ``train.log`` (a sweep: each job directory's) is Hydra's; another log, or a
    ``train.log`` in a sweep directory itself, is not, and the directory is kept as it is."""
    from trainlab.preflight import EarlierDir, hydra_files_to_take_back

    run = EarlierDir(Path("/x"), {}, {}, "train.log", sweep=False)
    sweep = EarlierDir(Path("/x"), {}, {}, "train.log", sweep=True)
    assert run.is_job_log(Path("train.log")) and not run.is_job_log(Path("console.log"))
    assert not run.is_job_log(Path("sub/train.log"))
    assert sweep.is_job_log(Path("0_seed=1/train.log")) and not sweep.is_job_log(Path("train.log"))
    assert not sweep.is_job_log(Path("0_seed=1/console.log"))
    assert hydra_files_to_take_back(run) is None  # /x does not exist


def test_a_sweep_refusal_keeps_a_log_of_the_users_that_grew(tmp_path):
    from trainlab.preflight import EarlierDir, hydra_files_to_take_back

    (tmp_path / "0_seed=1").mkdir()
    (tmp_path / "0_seed=1" / "train.log").write_text("earlier\n")
    (tmp_path / "sweep.log").write_text("started\n")
    earlier = EarlierDir.of(tmp_path, "train.log", sweep=True)
    (tmp_path / "0_seed=1" / "train.log").write_text("earlier\nthis command's\n")
    assert hydra_files_to_take_back(earlier) == ([], [Path("0_seed=1/train.log")], [])
    (tmp_path / "sweep.log").write_text("started\nerror: ...\n")
    assert hydra_files_to_take_back(earlier) is None
    (tmp_path / "sweep.log").write_text("started\n")
    (tmp_path / "1_seed=2").mkdir()
    (tmp_path / "1_seed=2" / "other.log").write_text("a log Hydra does not write\n")
    assert hydra_files_to_take_back(earlier) is None


def test_a_search_refused_in_an_existing_sweep_dir_takes_nothing_back(bad_net, train_in_process, tmp_path,
                                                                      monkeypatch):
    """A search's sweep directory is not locked (its workers share it): what is there when it is refused may be
    another command's, so nothing there is taken back; a basic sweep, which holds its directory's lock, does."""
    armed = tmp_path / "armed.txt"
    monkeypatch.setenv("G1_ARMED", str(armed))
    sweep_dir = tmp_path / "mysearch"
    sweep_dir.mkdir()
    (sweep_dir / "notes.txt").write_text("mine\n")
    result = train_in_process("-m", bad_net, "hparams_search=random", "hydra.sweeper.n_trials=1",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    assert armed.read_text() == ""  # before: the search's sweep directory, taken back though not locked
    result = train_in_process("-m", bad_net, "seed=1,2", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr
    assert armed.read_text() == f"{sweep_dir}\n"
