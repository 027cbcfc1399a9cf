"""``<group>=null`` on the command line (trainlab.null_group_choice): no option of the group, as ``~<group>``.

``python train.py scheduler=null`` stopped with "a config group cannot be swept over null ... run the null choice
and the others as separate commands" - for a choice that was not swept, and whose own command failed the same way.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import CONF_DIR

from trainlab.null_group_choice import null_choices_as_deletions, required_group_dropped


def test_only_a_plain_null_choice_of_a_config_group_becomes_a_deletion():
    argv = ["train.py", "-m", "scheduler=null", "logger=null", "seed=null", "optimizer=sgd,adam", "scheduler=step",
            "+scheduler=null", "scheduler=null,step", "callbacks.progress_bar=null", "hydra/launcher=null",
            'scheduler="null"', "nogroup=null"]
    assert null_choices_as_deletions(argv, CONF_DIR) == [
        "train.py", "-m", "~scheduler", "~logger", "seed=null", "optimizer=sgd,adam", "scheduler=step",
        "+scheduler=null", "scheduler=null,step", "callbacks.progress_bar=null", "hydra/launcher=null",
        'scheduler="null"', "nogroup=null"]


def test_a_run_with_a_group_set_to_null_runs_without_its_option(train_in_process, tmp_path):
    run_dir = tmp_path / "run"
    result = train_in_process("logger=null", "scheduler=null", "debug=fast_dev_run", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "~logger" in yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
    config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    assert "logger" not in config and config.get("scheduler") is None
    assert not list(run_dir.rglob("events.out.tfevents.*"))  # no logger: no TensorBoard run


# every yaml of conf/optimizer/, as Hydra lists them (one a user adds, as docs/extending.md shows, included)
def options(group: str) -> str:
    """The options of ``conf/<group>/`` as an error lists them: ``cosine|exponential|...`` (one a user adds, as
    docs/extending.md shows, included)."""
    return "|".join(sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml")))


def options_setting(group: str, key: str) -> list[str]:
    """The options of ``conf/<group>/`` whose yaml sets ``key``."""
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml")
                  if key in (yaml.safe_load(path.read_text()) or {}))


OPTIMIZERS = options("optimizer")


@pytest.mark.parametrize(("words", "line"), [
    # were an omegaconf traceback (Key 'paths' is not in struct; Missing key loggers), exit 1, .hydra/ left behind
    (["paths=null"], "error: paths=null: a run needs paths (where its data and outputs go), so config group paths "
                     "cannot be null; allowed: paths=default"),
    (["trainer=null"], "error: trainer=null: a run needs a trainer, so config group trainer cannot be null; allowed: "
                       "trainer=cpu|ddp|ddp_spawn|default|gpu"),
    # was "data: unknown key; allowed top-level keys and config groups: ..., data, ...; did you mean data?"
    (["data=null", "data.train_size=100"], "error: data=null: a run needs data, so config group data cannot be "
                                           f"null; allowed: data={options('data')}"),
    # were "model is invalid; ... MLPClassifier raised TypeError: 'NoneType' object is not callable", after .hydra/
    (["optimizer=null"], "error: optimizer=null: a run needs an optimizer, so config group optimizer cannot be null; "
                         f"allowed: optimizer={OPTIMIZERS}"),
    (["~optimizer"], "error: ~optimizer: a run needs an optimizer, so config group optimizer cannot be null; "
                     f"allowed: optimizer={OPTIMIZERS}"),
])
def test_a_group_a_run_needs_set_to_null_is_one_line_before_anything(train_in_process, tmp_path, words, line):
    run_dir = tmp_path / "run"
    result = train_in_process("debug=limit", *words, f"hydra.run.dir={run_dir}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])
    assert not run_dir.exists()


@pytest.mark.parametrize(("word", "line"), [
    # were an InterpolationKeyError traceback, then "trainlab's checks before the run failed unexpectedly", exit 1
    ("~paths.log_dir", "error: ~paths.log_dir: a run needs paths.log_dir (the parent of runs/ and multiruns/), so it "
                       "cannot be removed; allowed: paths.log_dir=<dir>"),
    ("~paths.data_dir", "error: ~paths.data_dir: a run needs paths.data_dir (where the dataset files and caches go), "
                        "so it cannot be removed; allowed: paths.data_dir=<dir>"),
    ("~paths.output_dir=x", "error: ~paths.output_dir=x: a run needs paths.output_dir (the job's own directory, which "
                            "Hydra makes), so it cannot be removed; allowed: hydra.run.dir=<dir> (or hydra.sweep.dir), "
                            "which it follows"),
])
@pytest.mark.parametrize("sweep", [[], ["-m", "optimizer=sgd,adam"]], ids=["run", "sweep"])
def test_a_paths_key_removed_is_one_line_before_anything(train_in_process, tmp_path, word, line, sweep):
    result = train_in_process(*sweep, "debug=limit", word)
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])
    assert list(tmp_path.iterdir()) == []


def test_only_groups_a_run_needs_are_refused_as_null():
    for word in ("scheduler=null", "init=null", "logger=null", "~callbacks", "seed=null", "+optimizer=null",
                 "optimizer=null,sgd", "~paths.log_dir", "optimizer.foreach=null"):
        assert required_group_dropped([word], CONF_DIR) is None, word
    assert required_group_dropped(["~model=mlp"], CONF_DIR).startswith("~model=mlp: a run needs a model")


@pytest.mark.parametrize(("words", "line"), [
    # was "scheduler: unknown key; allowed top-level keys and config groups: ..., scheduler, ...; did you mean
    # scheduler?"
    (["scheduler.gamma=0.5"], "error: scheduler.gamma: no scheduler is chosen (scheduler=null), so it has no keys "
                              f"to set; allowed: scheduler={'|'.join(options_setting('scheduler', 'gamma'))} with "
                              f"it (e.g. scheduler={options_setting('scheduler', 'gamma')[0]} scheduler.gamma=0.5)"),
    (["scheduler=null", "scheduler.T_max=3"], "error: scheduler.T_max: no scheduler is chosen (scheduler=null), so "
                                              "it has no keys to set; allowed: "
                                              f"scheduler={'|'.join(options_setting('scheduler', 'T_max'))} with it "
                                              f"(e.g. scheduler={options_setting('scheduler', 'T_max')[0]} "
                                              "scheduler.T_max=3)"),
    (["scheduler.nokey=1"], "error: scheduler.nokey: no scheduler is chosen (scheduler=null), so it has no keys to "
                            f"set; allowed: one of scheduler={options('scheduler')}, then its keys"),
])
def test_a_key_of_a_group_with_no_option_chosen_says_no_option_is_chosen(train_in_process, tmp_path, words, line):
    run_dir = tmp_path / "run"
    result = train_in_process("debug=limit", *words, f"hydra.run.dir={run_dir}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])
    assert not run_dir.exists()
