"""``paths.root_dir`` - ``TRAINLAB_ROOT`` where it comes from that variable - checked before anything is written.

An empty one (``export TRAINLAB_ROOT=``, ``paths.root_dir=$ROOT`` with ``ROOT`` unset) put the runs under
``/outputs/runs/`` and the data at ``/data/``, exit status 0, where an empty ``paths.log_dir`` or ``hydra.run.dir``
was refused; a ``TRAINLAB_ROOT`` that is a file was refused as ``paths.log_dir=<file>/outputs``, a key the user never
set; and ``TRAINLAB_ROOT='~/x'`` (a quoted ``~``, which the shell leaves as typed) made a directory named ``~`` in the
current one (trainlab/output_locations.py ``check_root_dir``, trainlab/checkout.py ``given_root``, train.py).

The commands here set ``paths.log_dir`` and ``paths.data_dir`` under the test's directory (tests/conftest.py), so
that even a check that lets an empty root by writes nothing at ``/``.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from trainlab.errors import OutputLocationError
from trainlab.output_locations import check_run_locations

EMPTY_VARIABLE = ("error: TRAINLAB_ROOT= is unusable: the variable is set but empty (an 'export TRAINLAB_ROOT=', or a "
                  "shell variable that is not set?), and paths.root_dir, under which outputs/ and data/ go, would be "
                  "the file system's root /; allowed: TRAINLAB_ROOT=<a directory>, or TRAINLAB_ROOT unset ('unset "
                  "TRAINLAB_ROOT') for train.py's own directory")
EMPTY_KEY = ("error: paths.root_dir= is unusable: the path is empty (a shell variable that is not set?); allowed: a "
             "directory path, '.' for the current directory")


def as_configured(tmp_path, root: str | None = None):
    """The locations of conf/paths/default.yaml, ``root_dir`` read from TRAINLAB_ROOT unless ``root`` is given."""
    return OmegaConf.create({
        "hydra": {"run": {"dir": "${paths.log_dir}/runs/x"}},
        "paths": {"root_dir": "${oc.env:TRAINLAB_ROOT,.}" if root is None else root,
                  "data_dir": "${paths.root_dir}/data", "log_dir": "${paths.root_dir}/outputs"}})


@pytest.mark.parametrize(("variable", "root", "said"), [("", None, EMPTY_VARIABLE), (" ", None, EMPTY_VARIABLE),
                                                       ("/anywhere", "", EMPTY_KEY)], ids=["variable", "blank", "key"])
def test_an_empty_root_dir_is_refused_naming_what_set_it(tmp_path, monkeypatch, variable, root, said):
    monkeypatch.setenv("TRAINLAB_ROOT", variable)
    with pytest.raises(OutputLocationError) as error:
        check_run_locations(as_configured(tmp_path, root), "hydra.run.dir")
    assert f"error: {error.value}" == said


def test_a_root_dir_that_is_a_file_is_named_as_what_set_it_not_as_paths_log_dir(tmp_path, monkeypatch):
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    monkeypatch.setenv("TRAINLAB_ROOT", str(a_file))
    for root, key in ((None, "TRAINLAB_ROOT"), (str(a_file / "lab"), "paths.root_dir")):
        with pytest.raises(OutputLocationError) as error:
            check_run_locations(as_configured(tmp_path, root), "hydra.run.dir")
        given = a_file if root is None else root
        assert str(error.value) == (f"{key}={given} is unusable: {a_file} is a file, not a directory; allowed: a "
                                    "directory, or a path where one can be made, to hold outputs/ and data/")
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize(("args", "env", "said"), [
    ([], {"TRAINLAB_ROOT": ""}, EMPTY_VARIABLE), (["-m", "optimizer=sgd,adam"], {"TRAINLAB_ROOT": ""}, EMPTY_VARIABLE),
    (["paths.root_dir="], {}, EMPTY_KEY)], ids=["run", "sweep", "key"])
def test_a_command_with_an_empty_root_is_refused_before_it_writes(train_in_process, tmp_path, monkeypatch, args, env,
                                                                  said):
    monkeypatch.chdir(tmp_path)
    result = train_in_process(*args, "debug=limit", env=env)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == said
    assert list(tmp_path.iterdir()) == []


def test_a_tilde_in_trainlab_root_is_the_home_directory(train_in_process, tmp_path, monkeypatch):
    """TRAINLAB_ROOT='~/lab': as ``paths.root_dir='~/lab'`` on the command line, not a folder named ~ here."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(home))
    result = train_in_process("debug=limit", "trainer.max_epochs=1", "paths.log_dir=${paths.root_dir}/outputs",
                              env={"TRAINLAB_ROOT": "~/lab"})
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = (home / "lab" / "outputs" / "runs").iterdir()
    assert f"run directory: {run}" in result.stdout + result.stderr
    assert list(here.iterdir()) == []


def test_the_trainlab_commands_read_a_tilde_in_trainlab_root_as_the_home_directory(tmp_path, monkeypatch):
    """trainlab evaluate and reproduce (``root_dir``) and the stand-alone experiments without --out."""
    from trainlab.checkout import root_dir
    from trainlab.experiments.output_dir import experiment_output_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRAINLAB_ROOT", "~/lab")
    monkeypatch.chdir(tmp_path)
    assert root_dir() == tmp_path / "home" / "lab"
    made = experiment_output_dir("optimizer_paths", None, ["a.png"])
    assert made.parent == tmp_path / "home" / "lab" / "outputs" / "experiments" / "optimizer_paths"
    assert not (tmp_path / "~").exists()
