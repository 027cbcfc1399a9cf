"""A refusal found once Hydra has written leaves a directory that existed as the command found it
(trainlab/preflight.py: ``EarlierDir``, ``take_back_hydra_files``).

A network of one's own that returns the wrong shape is refused as the task builds it, after Hydra wrote ``.hydra/``
and ``train.log`` (a sweep: ``multirun.yaml`` and the jobs' directories). Where the command had made the directory
it was removed; a ``hydra.run.dir`` or ``hydra.sweep.dir`` of the user's kept them - a sweep's stale job directory
then stood beside the corrected sweep's jobs.

What a refused command takes back in a directory that existed (trainlab/preflight.py: ``EarlierDir``,
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
        \"\"\"Returns (batch, 1, 10); as it is built, appends a line to the file OWN_NETS_CONSOLE names, as a
        shell's ``>> d/console.log 2>&1`` appends the command's output to a log of the user's.\"\"\"

        def __init__(self, **unused):
            super().__init__()
            import os

            console = os.environ.get("OWN_NETS_CONSOLE")
            if console:
                with open(console, "a") as handle:
                    handle.write("the command's output\\n")
            armed = os.environ.get("OWN_NETS_ARMED")
            if armed:  # the directories a refusal now would take back what the command wrote in
                from trainlab import preflight

                Path(armed).write_text("".join(f"{earlier.directory}\\n" for earlier in preflight.EARLIER_OUTPUT_DIR))
            self.layer = nn.Linear(784, 10)

        def forward(self, x):
            return self.layer(x).unsqueeze(1)
"""
REFUSAL = ("error: model.net (own_nets.Out1x10) returns (2, 1, 10) in training for a batch of 2 images of 784 pixels; "
           "allowed: a network returning (batch, 10) logits, one per class (model.num_classes=10)")


@pytest.fixture
def bad_net(tmp_path, monkeypatch) -> str:
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "own_nets.py").write_text(textwrap.dedent(BAD_NET))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", f"{folder}:{':'.join(__import__('sys').path[1:])}")  # joblib's workers
    return "model.net._target_=own_nets.Out1x10"


def contents(directory: Path) -> dict[str, bytes | None]:
    return {str(path.relative_to(directory)): path.read_bytes() if path.is_file() else None
            for path in sorted(directory.rglob("*"))}


def users_dir(path: Path) -> dict[str, bytes | None]:
    """A run directory of the user's, with the Hydra files of an earlier command in it."""
    (path / ".hydra").mkdir(parents=True)
    (path / "notes.txt").write_text("mine\n")
    (path / ".hydra" / "config.yaml").write_text("earlier: 1\n")
    (path / "train.log").write_text("an earlier command's log\n")
    return contents(path)


def users_sweep_dir(path: Path) -> dict[str, bytes | None]:
    """A sweep directory of the user's, with an earlier refused sweep's record and the first job's log in it."""
    (path / "0_optimizer=sgd").mkdir(parents=True)
    (path / "notes.txt").write_text("mine\n")
    (path / "multirun.yaml").write_text("earlier: 1\n")
    (path / "0_optimizer=sgd" / "train.log").write_text("an earlier command's log\n")
    return contents(path)


def test_a_single_run_refused_in_an_existing_run_dir_leaves_it_as_it_was(bad_net, train_in_process, tmp_path):
    run_dir = tmp_path / "mine"
    before = users_dir(run_dir)
    result = train_in_process(bad_net, f"hydra.run.dir={run_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    assert contents(run_dir) == before  # before: .hydra/ rewritten (overrides.yaml, hydra.yaml added), log appended
    assert "run directory:" not in result.stdout  # it says nothing of a directory that holds nothing of the run


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_sweep_refused_in_an_existing_sweep_dir_leaves_it_as_it_was(bad_net, train_in_process, tmp_path, launcher):
    sweep_dir = tmp_path / "mysw"
    before = users_sweep_dir(sweep_dir)
    result = train_in_process("-m", bad_net, "optimizer=sgd,adam", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    assert contents(sweep_dir) == before  # before: multirun.yaml and 0_optimizer=sgd/ with .hydra/ and train.log


@pytest.mark.slow
def test_a_joblib_sweep_refused_in_an_existing_sweep_dir_leaves_it_as_it_was(bad_net, train_subprocess, tmp_path):
    """Its workers made both jobs' directories before either refused."""
    sweep_dir = tmp_path / "mysw"
    before = users_sweep_dir(sweep_dir)
    result = train_subprocess("-m", bad_net, "optimizer=sgd,adam", "hydra/launcher=joblib",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    assert contents(sweep_dir) == before


def test_a_refusal_keeps_a_directory_where_the_command_wrote_more_than_hydras_files(tmp_path):
    """A job that trained (its status.json), or an earlier log cut short: what the command did there is not only
    Hydra's, and the directory stays as it is now."""
    from trainlab.preflight import EarlierDir, refusal_takes_back, take_back_hydra_files

    users_dir(tmp_path)
    earlier = EarlierDir.of(tmp_path)
    (tmp_path / "0_seed=1" / ".hydra").mkdir(parents=True)
    (tmp_path / "0_seed=1" / ".hydra" / "config.yaml").write_text("this: 2\n")
    (tmp_path / "0_seed=1" / "status.json").write_text("{}\n")
    written = contents(tmp_path)
    take_back_hydra_files(earlier)
    assert contents(tmp_path) == written
    (tmp_path / "0_seed=1" / "status.json").unlink()
    (tmp_path / "train.log").write_text("cut\n")  # shorter than it was: not an append of Hydra's
    take_back_hydra_files(earlier)
    assert (tmp_path / "0_seed=1" / ".hydra" / "config.yaml").is_file()
    (tmp_path / "train.log").write_text("an earlier command's log\nthis command's lines\n")
    from trainlab import preflight

    preflight.EARLIER_OUTPUT_DIR[:] = [earlier]
    try:
        assert refusal_takes_back(tmp_path)
        preflight.remove_refused_output_dir()
    finally:
        preflight.forget_new_output_dirs()
    assert contents(tmp_path) == {".hydra": None, ".hydra/config.yaml": b"earlier: 1\n", "notes.txt": b"mine\n",
                                  "train.log": b"an earlier command's log\n"}


def test_a_refusal_keeps_the_line_appended_to_a_log_of_the_users(bad_net, train_in_process, tmp_path, monkeypatch):
    run_dir = tmp_path / "d"
    run_dir.mkdir()
    (run_dir / "console.log").write_text("started\n")
    monkeypatch.setenv("OWN_NETS_CONSOLE", str(run_dir / "console.log"))
    result = train_in_process(bad_net, f"hydra.run.dir={run_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    # before: cut back to "started\n", the command's output gone (a line each time the checks or the run build the
    # network)
    log = (run_dir / "console.log").read_text().splitlines()
    assert log[0] == "started" and len(log) > 1 and set(log[1:]) == {"the command's output"}
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


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_search_refused_in_an_existing_sweep_dir_takes_nothing_back(bad_net, train_in_process, tmp_path,
                                                                      monkeypatch):
    """A search's sweep directory is not locked (its workers share it): what is there when it is refused may be
    another command's, so nothing there is taken back; a basic sweep, which holds its directory's lock, does."""
    armed = tmp_path / "armed.txt"
    monkeypatch.setenv("OWN_NETS_ARMED", str(armed))
    sweep_dir = tmp_path / "mysearch"
    sweep_dir.mkdir()
    (sweep_dir / "notes.txt").write_text("mine\n")
    result = train_in_process("-m", bad_net, "hparams_search=random", "hydra.sweeper.n_trials=1",
                              f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSAL
    assert armed.read_text() == ""  # before: the search's sweep directory, taken back though not locked
    result = train_in_process("-m", bad_net, "seed=1,2", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 2, result.stderr  # the study the search made there: no grid goes into it
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: hydra.sweep.dir={sweep_dir} holds a search")
    grid_dir = tmp_path / "mygrid"
    grid_dir.mkdir()
    (grid_dir / "notes.txt").write_text("mine\n")
    result = train_in_process("-m", bad_net, "seed=1,2", f"hydra.sweep.dir={grid_dir}")
    assert result.returncode == 2, result.stderr
    assert armed.read_text() == f"{grid_dir}\n"
