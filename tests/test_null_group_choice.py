"""``<group>=null`` on the command line (trainlab.null_group_choice): no option of the group, as ``~<group>``.

``python train.py scheduler=null`` stopped with "a config group cannot be swept over null ... run the null choice
and the others as separate commands" - for a choice that was not swept, and whose own command failed the same way.
"""

from __future__ import annotations

import yaml
from conftest import CONF_DIR

from trainlab.null_group_choice import null_choices_as_deletions


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
