"""Printed ``trainlab ...`` commands start as they can be pasted: ``trainlab`` where the console script on PATH is
the command's installation's, else ``<python> -m trainlab``. They said ``trainlab`` whatever ran them: run the
README's way (``.venv/bin/python train.py``, the venv not activated) it was ``command not found``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trainlab.cli import main as trainlab_cli

ROOT = Path(__file__).resolve().parents[1]


def fake_venv(directory: Path) -> Path:
    """A venv's layout: ``pyvenv.cfg``, ``bin/python`` linked to this interpreter, ``bin/trainlab`` as pip writes it."""
    (directory / "bin").mkdir(parents=True)
    (directory / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).resolve().parent}\n")
    (directory / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    console_script(directory / "bin" / "trainlab", f"#!{directory / 'bin' / 'python'}\n")
    return directory / "bin" / "python"


def console_script(path: Path, head: str) -> None:
    path.write_text(head + "import sys\nfrom trainlab.cli import main\nsys.exit(main())\n")
    path.chmod(0o755)


def test_trainlab_is_printed_only_where_the_console_script_on_path_is_this_installations(tmp_path, monkeypatch):
    from trainlab.printed_trainlab import printed_trainlab

    venv, other = fake_venv(tmp_path / ".venv"), fake_venv(tmp_path / "other")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRAINLAB_PYTHON", str(venv))  # train.py's record of the interpreter that ran the command
    monkeypatch.setenv("PATH", str(venv.parent))  # the venv activated
    assert printed_trainlab() == "trainlab"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # not activated: no trainlab on PATH
    assert printed_trainlab() == ".venv/bin/python -m trainlab"
    monkeypatch.setenv("PATH", str(other.parent))  # another venv's trainlab (and python) on PATH
    assert printed_trainlab() == ".venv/bin/python -m trainlab"
    monkeypatch.setenv("TRAINLAB_PYTHON", str(other))
    assert printed_trainlab() == "trainlab"


def test_a_console_script_outside_a_venv_is_trainlab_where_its_interpreter_is_the_commands(tmp_path, monkeypatch):
    """A system or conda install: ``/usr/local/bin/trainlab`` starts ``/usr/bin/python3``, by ``#!`` or - for a long
    path or one with spaces - by pip's ``/bin/sh`` preamble; a pyenv shim or another program is not it."""
    from trainlab.printed_trainlab import printed_trainlab

    (tmp_path / "base bin").mkdir()
    (tmp_path / "base bin" / "python3").symlink_to(Path(sys.executable).resolve())
    (tmp_path / "on_path").mkdir()
    monkeypatch.setenv("TRAINLAB_PYTHON", str(tmp_path / "base bin" / "python3"))
    monkeypatch.setenv("PATH", str(tmp_path / "on_path"))
    monkeypatch.chdir(tmp_path / "on_path")
    script = tmp_path / "on_path" / "trainlab"
    console_script(script, f"#!{Path(sys.executable).resolve()}\n")  # the same file, by another name
    assert printed_trainlab() == "trainlab"
    console_script(script, f"#!/bin/sh\n'''exec' \"{tmp_path / 'base bin' / 'python3'}\" \"$0\" \"$@\"\n' '''\n")
    assert printed_trainlab() == "trainlab"
    console_script(script, "#!/usr/bin/env bash\n")  # a shim
    assert printed_trainlab() == f"'{tmp_path / 'base bin' / 'python3'}' -m trainlab"
    script.unlink()
    script.mkdir()  # not a file shutil.which takes
    assert printed_trainlab() == f"'{tmp_path / 'base bin' / 'python3'}' -m trainlab"


def test_reproduce_prints_the_rest_as_python_m_trainlab_without_trainlab_on_path(tmp_path, monkeypatch):
    """``trainlab reproduce --quick --only B D E``, stopped during D, printed ``run the rest with: trainlab reproduce
    --quick --only D E --out <a new dir>`` for a venv not activated."""
    from trainlab.reproduce import reproduce_command

    venv = fake_venv(tmp_path / ".venv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRAINLAB_PYTHON", str(venv))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert (reproduce_command(True, ["D", "E"], None, None) ==
            ".venv/bin/python -m trainlab reproduce --quick --only D E")
    assert (reproduce_command(False, None, "my out", "/a root") ==
            "TRAINLAB_ROOT='/a root' .venv/bin/python -m trainlab reproduce --out 'my out'")
    monkeypatch.setenv("PATH", str(venv.parent))
    assert reproduce_command(True, ["D", "E"], None, None) == "trainlab reproduce --quick --only D E"


def test_a_refusals_printed_trainlab_command_runs_when_pasted_without_trainlab_on_path(tmp_path, monkeypatch,
                                                                                      capsys):
    """The hint of ``trainlab evaluate <a sweep>``, pasted into a shell whose PATH has no ``trainlab``, runs the
    command it names (``trainlab report``'s own refusal, exit 2), not ``command not found`` (127)."""
    sweep = tmp_path / "sweep"
    (sweep / "0_optimizer=sgd" / ".hydra").mkdir(parents=True)
    (sweep / "0_optimizer=sgd" / ".hydra" / "config.yaml").write_text("a: 1\n")
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    monkeypatch.setenv("TRAINLAB_PYTHON", sys.executable)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert trainlab_cli(["evaluate", str(sweep)]) == 2
    from trainlab.printed_python import printed_python

    python = printed_python()  # this interpreter's path: no python on that PATH is this installation
    assert python != "python"
    (line,) = capsys.readouterr().err.splitlines()
    report = f"{python} -m trainlab report {sweep}"
    assert line == (f"error: {sweep} is a sweep, not a run: evaluate one of its jobs ({python} -m trainlab evaluate "
                    f"{sweep / '0_optimizer=sgd'}), or compare them all with {report}")
    env = {**os.environ, "PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join([str(ROOT / "src"),
                                                                                 os.environ.get("PYTHONPATH", "")])}
    # pasted where it was printed: the interpreter's path is relative where it lies below the current directory
    pasted = subprocess.run(["/bin/sh", "-c", report], cwd=os.getcwd(), env=env, capture_output=True, text=True,
                            timeout=120)
    assert pasted.returncode == 2, pasted.stderr
    assert pasted.stderr.startswith(f"error: {sweep} is a sweep none of whose 1 started job wrote a status.json (a job "
                                    f"writes it when it ends): still running - run {python} -m trainlab report again "
                                    "when the sweep is over")
