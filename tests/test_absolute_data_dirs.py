"""A relative data directory on train.py's command line is the one under the directory the command started in, and
the run records it absolute: a resume or ``trainlab evaluate`` started elsewhere finds the same data."""

from __future__ import annotations

import pytest
import yaml
from test_data import write_tiny_mnist

from trainlab.data.absolute_data_dirs import absolute_data_dirs
from trainlab.evaluate import evaluate
from trainlab.run_status import read_status


@pytest.mark.parametrize(("word", "rewritten"), [
    ("data.data_dir=mydata", "data.data_dir=/start/mydata"),
    ("paths.data_dir=../data", "paths.data_dir=/data"),
    ("paths.root_dir=.", "paths.root_dir=/start"),
    ("+data.data_dir='my data'", '+data.data_dir="/start/my data"'),
    ("++data.data_dir=a,/b", "++data.data_dir=/start/a,/b"),
    ("data.data_dir=choice(a,b)", "data.data_dir=choice(/start/a,/start/b)"),
])
def test_a_relative_data_dir_is_made_absolute_against_the_start_directory(word, rewritten):
    assert absolute_data_dirs(["train.py", "-m", word, "optimizer.lr=0.1"], "/start") == [
        "train.py", "-m", rewritten, "optimizer.lr=0.1"]


def test_a_quoted_home_data_dir_is_the_home_directory_s(monkeypatch):
    """``data.data_dir='~/mnist'`` (the shell leaves a quoted ~ alone) made a directory named ``~`` in the current
    directory, and data.source=auto trained on the bundled sample without a word."""
    monkeypatch.setenv("HOME", "/home/me")
    assert absolute_data_dirs(["data.data_dir='~/mnist'", "paths.data_dir='~'"], "/start") == [
        "data.data_dir=/home/me/mnist", "paths.data_dir=/home/me"]


@pytest.mark.parametrize("word", [
    "data.data_dir=/abs/mnist", "data.data_dir=${oc.env:MNIST_DIR}", "data.data_dir=null", "data.data_dir=",
    "~data.data_dir=mydata", "data.data_dir=range(1,3)", "data.data_dir=shuffle(a,b)", "data.data_dir=choice(a,b",
    "logger.csv.save_dir=logs", "mydata",
])
def test_other_words_stay_as_typed(word):
    """Absolute paths, interpolations, null, deletions, non-path sweeps, what Hydra cannot parse (Hydra says why)
    and other keys."""
    assert absolute_data_dirs([word], "/start") == [word]


def test_relative_data_dir_is_recorded_absolute(train_in_process, tmp_path, monkeypatch):
    """``--cfg job`` prints the config the run would record in .hydra/config.yaml: it held ``data_dir: mydata``."""
    monkeypatch.chdir(tmp_path)
    result = train_in_process("--cfg", "job", "data.data_dir=mydata")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["data"]["data_dir"] == str(tmp_path / "mydata")


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_run_on_a_relative_data_dir_resumes_and_evaluates_from_another_directory(train_in_process, tmp_path,
                                                                                  monkeypatch):
    """Resumed or evaluated from another directory, the run looked for ``mydata`` there: ``error: data.source=
    torchvision: full MNIST is not in mydata/MNIST/raw (data.data_dir=mydata) ...``."""
    started_in, elsewhere, run_dir = tmp_path / "a", tmp_path / "b", tmp_path / "run"
    write_tiny_mnist(started_in / "mydata", n_train=200, n_test=50)
    elsewhere.mkdir()
    data = ["data.source=torchvision", "data.download=false", "data.val_size=50", f"hydra.run.dir={run_dir}"]
    monkeypatch.chdir(started_in)
    first = train_in_process("trainer.max_epochs=1", "data.data_dir=mydata", *data)
    assert first.returncode == 0, first.stderr[-3000:]
    absolute = str(started_in / "mydata")
    recorded = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
    assert f"data.data_dir={absolute}" in recorded
    assert yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())["data"]["data_dir"] == absolute
    assert yaml.safe_load((run_dir / "hparams.yaml").read_text())["data"]["data_dir"] == absolute

    monkeypatch.chdir(elsewhere)
    assert set(evaluate(run_dir, "last", ["test"])) == {"test"}
    resumed = train_in_process(*[word for word in recorded if not word.startswith("trainer.max_epochs=")],
                               "trainer.max_epochs=2", "ckpt_path=last", f"hydra.run.dir={run_dir}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert read_status(run_dir)["status"] == "completed"
    assert list(elsewhere.iterdir()) == []  # no data looked for, cached or downloaded here
    assert sorted(path.name for path in (started_in / "mydata" / "MNIST" / "raw").iterdir()) == sorted(
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
