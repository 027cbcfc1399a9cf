"""The commands that errors and interrupts print parse back when pasted into a shell (trainlab.shell_override)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from trainlab.errors import RunDirInUseError
from trainlab.run_dir import check_run_dir_free
from trainlab.shell_override import shell_override

JOB_DIR = "/tmp/sweep/3_data.source=bundled,model.net.hidden_sizes=[32,32],optimizer=adam"


@pytest.mark.parametrize("value", [JOB_DIR, "/tmp/with space/and 'quotes\"", "/tmp/back\\slash=1", "/tmp/plain-dir_1",
                                   "/home/josé/run", "/tmp/ends with\\", "/tmp/a\\\"b"])
def test_a_printed_override_reaches_hydra_as_the_same_value(value):
    (word,) = shlex.split(shell_override("hydra.run.dir", value))  # what the shell hands to train.py
    parsed = OverridesParser.create().parse_override(word)
    assert parsed.key_or_group == "hydra.run.dir" and parsed.value() == value


def test_a_plain_value_is_printed_as_it_is():
    assert shell_override("hydra.sweep.dir", "/tmp/outputs/multiruns/2026-12-03_17-00-00") == \
        "hydra.sweep.dir=/tmp/outputs/multiruns/2026-12-03_17-00-00"


def test_the_refusal_of_a_sweep_jobs_directory_prints_a_resume_command_that_parses(tmp_path):
    job_dir = tmp_path / "0_optimizer=adam,trainer.max_epochs=1"
    job_dir.mkdir()
    (job_dir / "status.json").write_text("{}")
    (job_dir / "checkpoints").mkdir()
    (job_dir / "checkpoints" / "last.ckpt").write_bytes(b"")  # the hint to resume needs a checkpoint to resume
    with pytest.raises(RunDirInUseError) as refused:
        check_run_dir_free(job_dir, resuming_checkpoint=False)
    command = str(refused.value).split("Resume that run with ")[1].split(", start a new run")[0]
    words = shlex.split(command)
    assert words[0] == "ckpt_path=last"
    assert OverridesParser.create().parse_override(words[1]).value() == str(job_dir)


def test_the_finish_command_keeps_an_interpolating_override_as_typed_and_the_resolved_one_is_refused(tmp_path):
    """Reading the recorded overrides resolved ``data.seed=${seed}`` against the multirun.yaml's own ``seed: 0``: the
    printed command said ``data.seed=0``, and the resume check let that other sweep land beside the first one."""
    from trainlab.shell_override import finish_sweep_command
    from trainlab.sweep.basic_sweep import BASIC_SWEEPER
    from trainlab.sweep.job_dirs import check_resumed_sweep

    (tmp_path / "multirun.yaml").write_text(
        "hydra:\n  overrides:\n    task:\n    - seed=1,2\n    - data.seed=${seed}\n    - data.tag=${hydra:job.num}\n"
        "    hydra:\n    - hydra/launcher=stacked\n  launcher:\n"
        "    _target_: hydra_plugins.trainlab_stacked_launcher.stacked_launcher.StackedLauncher\nseed: 0\n")
    assert finish_sweep_command(tmp_path) == (
        "python train.py -m seed=1,2 'data.seed=${seed}' 'data.tag=${hydra:job.num}' hydra/launcher=stacked "
        f"resume_sweep=true hydra.sweep.dir={tmp_path}")
    typed = ["seed=1,2", "data.seed=${seed}", "data.tag=${hydra:job.num}"]
    assert check_resumed_sweep(tmp_path, typed, [], BASIC_SWEEPER) is None
    with pytest.raises(RunDirInUseError, match=r"its job 0 ran with data.seed=\$\\\{seed\\\} .* would run "
                                                r"with data.seed=0 "):
        check_resumed_sweep(tmp_path, ["seed=1,2", "data.seed=0", "data.tag=${hydra:job.num}"], [], BASIC_SWEEPER)


@pytest.mark.parametrize("typed_run_mode", ["hydra.mode=RUN", "++hydra.mode=RUN", "hydra.mode='RUN'", None],
                         ids=["typed", "typed with ++", "typed quoted", "not typed"])
def test_the_resume_line_of_an_interrupted_run_keeps_the_hydra_mode_run_its_command_typed(monkeypatch, typed_run_mode):
    """A stacked sweep's job resumed alone (``experiment=...`` sets hydra.mode: MULTIRUN) printed a resume line
    without its hydra.mode=RUN, which was refused when pasted; Hydra records hydra.mode=RUN for every run."""
    from types import SimpleNamespace

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.shell_override import resume_command

    job = "/tmp/sweep/0_optimizer=sgd"
    typed = ["experiment=compare_optimizers", "optimizer=sgd", *([typed_run_mode] if typed_run_mode else []),
             "ckpt_path=last", f"hydra.run.dir={job}"]
    monkeypatch.setattr("sys.argv", ["train.py", *typed])
    recorded = SimpleNamespace(mode=RunMode.RUN, overrides=SimpleNamespace(
        task=["experiment=compare_optimizers", "optimizer=sgd", "ckpt_path=last"],
        hydra=[f"hydra.run.dir={job}", "hydra.mode=RUN"]))  # as Hydra records them, typed or not
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: recorded))
    mode = " hydra.mode=RUN" if typed_run_mode else ""
    assert resume_command(job) == (
        f"Resume with: python train.py experiment=compare_optimizers optimizer=sgd{mode} ckpt_path=last "
        f"{shell_override('hydra.run.dir', job)}")


def recorded_config_sources(command_line_dirs: list[Path], primary: Path | None = None) -> list[dict[str, str]]:
    """``hydra.runtime.config_sources`` as Hydra records them: its own package, the primary config directory
    (``--config-path``, else the checkout's conf/), each ``--config-dir``, the structured configs."""
    from conftest import CONF_DIR

    return [{"path": "hydra.conf", "schema": "pkg", "provider": "hydra"},
            {"path": str(primary or CONF_DIR), "schema": "file", "provider": "main"},
            *({"path": str(d), "schema": "file", "provider": "command-line"} for d in command_line_dirs),
            {"path": "", "schema": "structured", "provider": "schema"}]


def test_the_finish_command_of_a_sweep_keeps_the_options_that_chose_its_config(tmp_path):
    """A sweep of an experiment of one's own (``--config-dir my_conf --config-name my_train``) printed its finish
    command without them: pasted, Hydra looked for ``experiment=mine`` in the template's conf/ alone and refused it."""
    import yaml
    from hydra._internal.utils import get_args_parser

    from trainlab.shell_override import finish_sweep_command

    my_conf, elsewhere = tmp_path / "my conf", tmp_path / "whole conf"
    record = {"hydra": {"overrides": {"task": ["experiment=mine", "seed=1,2"], "hydra": []},
                        "runtime": {"config_sources": recorded_config_sources([my_conf])},
                        "job": {"config_name": "my_train"}}}
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump(record))
    command = finish_sweep_command(tmp_path)
    assert command == (f"python train.py -m --config-name my_train --config-dir '{my_conf}' experiment=mine seed=1,2 "
                       f"ckpt_path=last resume_sweep=true hydra.sweep.dir={tmp_path}")
    args = get_args_parser().parse_args(shlex.split(command)[2:])  # as Hydra reads the pasted command
    assert (args.multirun, args.config_dir, args.config_name, args.config_path) == (True, str(my_conf), "my_train",
                                                                                     None)
    assert args.overrides == ["experiment=mine", "seed=1,2", "ckpt_path=last", "resume_sweep=true",
                              f"hydra.sweep.dir={tmp_path}"]

    record["hydra"]["runtime"]["config_sources"] = recorded_config_sources([], primary=elsewhere)  # --config-path
    record["hydra"]["job"]["config_name"] = "train"  # the default name is not repeated
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump(record))
    assert finish_sweep_command(tmp_path).startswith(f"python train.py -m --config-path '{elsewhere}' experiment=mine ")


def test_the_resume_line_of_an_interrupted_run_keeps_the_config_dir_it_was_started_with(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.shell_override import resume_command

    monkeypatch.setattr("sys.argv", ["train.py", "--config-dir", str(tmp_path), "experiment=mine", "optimizer=sgd"])
    recorded = SimpleNamespace(mode=RunMode.RUN, overrides=SimpleNamespace(
        task=["experiment=mine", "optimizer=sgd"], hydra=["hydra.run.dir=/tmp/run", "hydra.mode=RUN"]),
        runtime=SimpleNamespace(config_sources=recorded_config_sources([tmp_path])),
        job=SimpleNamespace(config_name="train"))
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: recorded))
    assert resume_command("/tmp/run") == (
        f"Resume with: python train.py --config-dir {tmp_path} experiment=mine optimizer=sgd ckpt_path=last "
        "hydra.run.dir=/tmp/run")


def test_the_printed_command_starts_train_py_as_it_can_be_started_from_here(tmp_path, monkeypatch):
    """From another directory it said ``python train.py``, which is not there (and dropped a TRAINLAB_ROOT)."""
    from trainlab.shell_override import python_train_py

    script = Path(__file__).resolve().parents[1] / "train.py"
    monkeypatch.setenv("TRAINLAB_TRAIN_SCRIPT", str(script))  # as train.py records itself when it starts
    monkeypatch.setenv("TRAINLAB_ROOT", str(script.parent))
    monkeypatch.chdir(script.parent)
    assert python_train_py() == "python train.py"
    monkeypatch.chdir(tmp_path)
    assert python_train_py() == f"python {script}"
    monkeypatch.setenv("TRAINLAB_ROOT", str(tmp_path / "my runs"))
    assert python_train_py() == f"TRAINLAB_ROOT='{tmp_path / 'my runs'}' python {script}"


def fake_venv(directory: Path) -> Path:
    """A venv's layout as ``python -m venv`` makes it: ``bin/python`` a symlink to the base interpreter (this one's
    file), ``pyvenv.cfg`` one level up. Its ``bin/python``."""
    import sys

    (directory / "bin").mkdir(parents=True)
    (directory / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).resolve().parent}\n")
    (directory / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    (directory / "bin" / "python3").symlink_to("python")
    return directory / "bin" / "python"


def test_the_printed_interpreter_is_python_only_where_python_on_path_runs_in_the_same_installation(tmp_path,
                                                                                                   monkeypatch):
    """It was always ``python``: run as ``.venv/bin/python train.py`` with another ``python`` on PATH (the venv not
    activated), the pasted resume command ran that one - ``No module named 'torch'``."""
    from trainlab.printed_python import printed_python

    venv, other = fake_venv(tmp_path / ".venv"), fake_venv(tmp_path / "other venv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRAINLAB_PYTHON", str(venv))  # as train.py records the interpreter that ran it
    monkeypatch.setenv("PATH", str(venv.parent))
    assert printed_python() == "python"
    monkeypatch.setenv("TRAINLAB_PYTHON", str(venv.parent / "python3"))  # the same venv under another name
    assert printed_python() == "python"
    # another venv of the same base interpreter: the same file once resolved, but not the same packages
    monkeypatch.setenv("PATH", str(other.parent))
    assert printed_python() == ".venv/bin/python3"  # inside the current directory: as the README runs it
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no python on PATH at all
    assert printed_python() == ".venv/bin/python3"
    monkeypatch.setenv("TRAINLAB_PYTHON", str(other))
    assert printed_python() == "'other venv/bin/python'"
    monkeypatch.chdir(venv.parent)  # outside the current directory: absolute, and not resolved (out of the venv)
    assert printed_python() == f"'{other}'"
    monkeypatch.chdir(other.parent)  # the interpreter right here: ./python, not a word that PATH would look up
    assert printed_python() == "./python"


def test_an_interpreter_outside_a_venv_is_python_where_python_on_path_is_the_same_file(tmp_path, monkeypatch):
    import sys

    from trainlab.printed_python import printed_python

    for name in ("base", "on_path"):  # /usr/bin/python3 and /usr/bin/python: one file under two names
        (tmp_path / name).mkdir()
        (tmp_path / name / "python").symlink_to(Path(sys.executable).resolve())
    monkeypatch.setenv("TRAINLAB_PYTHON", str(tmp_path / "base" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "on_path"))
    assert printed_python() == "python"
    (tmp_path / "on_path" / "python").unlink()
    (tmp_path / "on_path" / "python").write_text("#!/bin/sh\n")  # another interpreter (a pyenv shim, ...)
    (tmp_path / "on_path" / "python").chmod(0o755)
    assert printed_python() == str(tmp_path / "base" / "python")


def test_the_printed_command_names_the_interpreter_that_ran_train_py(tmp_path, monkeypatch):
    """The interpreter the command ran (train.py's ``TRAINLAB_PYTHON``), not the one of the process that prints it (a
    job's worker may run another)."""
    from trainlab.shell_override import python_train_py

    script = Path(__file__).resolve().parents[1] / "train.py"
    venv = fake_venv(tmp_path / ".venv")
    monkeypatch.setenv("TRAINLAB_TRAIN_SCRIPT", str(script))
    monkeypatch.setenv("TRAINLAB_ROOT", str(script.parent))
    monkeypatch.setenv("TRAINLAB_PYTHON", str(venv))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    assert python_train_py() == f".venv/bin/python {script}"


@pytest.mark.parametrize(("launcher", "sweeper", "from_checkpoints"), [
    ("hydra._internal.core_plugins.basic_launcher.BasicLauncher", "BasicSweeper", True),
    ("hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "BasicSweeper", True),
    ("hydra_plugins.trainlab_stacked_launcher.stacked_launcher.StackedLauncher", "BasicSweeper", False),
    ("hydra._internal.core_plugins.basic_launcher.BasicLauncher",
     "hydra_plugins.trainlab_optuna_sweeper.optuna_sweeper.TrainlabOptunaSweeper", False),
])
def test_the_finish_command_goes_on_from_the_checkpoints_where_jobs_train_alone(tmp_path, launcher, sweeper,
                                                                                   from_checkpoints):
    """An interrupted grid sweep said 'SIGINT: stopped at step 927, saved <job>/checkpoints/last.ckpt' and then a
    finish command that trained that job again from its start (setting the 927 steps aside under attempts/). A
    stacked sweep's members train again as a stack (its stop line says how to resume one alone); a search resumes
    no trial."""
    from trainlab.shell_override import finish_sweep_command

    (tmp_path / "multirun.yaml").write_text(
        f"hydra:\n  overrides:\n    task:\n    - seed=1,2\n    hydra: []\n  launcher:\n    _target_: {launcher}\n"
        f"  sweeper:\n    _target_: {sweeper}\n")
    words = shlex.split(finish_sweep_command(tmp_path))
    assert words[-2:] == ["resume_sweep=true", f"hydra.sweep.dir={tmp_path}"]
    assert ("ckpt_path=last" in words) == from_checkpoints
