"""A missing option whose file lies in a folder that is no config group (a misspelled ``optimizers/``) is named.

``misplaced_option_file`` counted every folder of the checkout's conf/ as a config group, so
``conf/optimizers/lion2.yaml`` was "in its place" and ``optimizer=lion2`` said only ``no option 'lion2'``; while that
folder existed, a ``--config-dir``'s ``optimizers/`` was not named either. A config group is now a folder some
defaults list or the command line chooses from.
"""

from __future__ import annotations

import shutil
import sys

import pytest
from conftest import CONF_DIR
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from trainlab.option_source import misplaced_option_file

LION = "_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.01\n"


@pytest.fixture
def checkout_conf(tmp_path):
    """A copy of the checkout's conf/ as Hydra's primary config directory (cleared after)."""
    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        yield conf
    GlobalHydra.instance().clear()


@pytest.mark.parametrize("folder", ["optimizers", "optimzer"])
def test_an_option_in_a_misspelled_group_folder_of_the_checkout_says_where_to_move_it(checkout_conf, monkeypatch,
                                                                                      folder):
    (checkout_conf / folder).mkdir()
    (checkout_conf / folder / "lion2.yaml").write_text(LION)
    monkeypatch.setattr(sys, "argv", ["train.py", "optimizer=lion2", "debug=limit"])
    assert misplaced_option_file("optimizer", "lion2") == (
        f"; found {checkout_conf / folder / 'lion2.yaml'}, where Hydra does not look for it: move it to "
        f"{checkout_conf / 'optimizer' / 'lion2.yaml'}")


def test_a_misspelled_folder_in_the_checkout_does_not_hide_one_in_a_config_dir(checkout_conf, tmp_path, monkeypatch):
    (checkout_conf / "optimizers").mkdir()
    user = tmp_path / "my_conf"
    (user / "optimizers").mkdir(parents=True)
    (user / "optimizers" / "lion3.yaml").write_text(LION)
    monkeypatch.setattr(sys, "argv", ["train.py", "--config-dir", str(user), "optimizer=lion3"])
    assert misplaced_option_file("optimizer", "lion3", dirs=[user]) == (
        f"; found {user / 'optimizers' / 'lion3.yaml'}, where Hydra does not look for it: move it to "
        f"{user / 'optimizer' / 'lion3.yaml'}")


def test_an_option_of_a_users_own_group_is_in_its_place(checkout_conf, tmp_path, monkeypatch):
    """``+augment=flip scheduler=flip``: my_conf/augment/ is a group the command line chooses from, and an
    experiment's ``- /regulariser: flip`` names a group too: neither file is to be moved to scheduler/."""
    user = tmp_path / "my_conf"
    for folder in ("augment", "regulariser"):
        (user / folder).mkdir(parents=True)
        (user / folder / "flip.yaml").write_text("p: 0.5\n")
    (user / "experiment").mkdir()
    (user / "experiment" / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - /regulariser: flip\n")
    monkeypatch.setattr(sys, "argv", ["train.py", "--config-dir", str(user), "+augment=flip", "scheduler=flip"])
    assert misplaced_option_file("scheduler", "flip", dirs=[checkout_conf, user]) == ""
    # without the choice on the command line, augment/ is no group: its file is named
    monkeypatch.setattr(sys, "argv", ["train.py", "--config-dir", str(user), "scheduler=flip"])
    assert misplaced_option_file("scheduler", "flip", dirs=[checkout_conf, user]) == (
        f"; found {user / 'augment' / 'flip.yaml'}, where Hydra does not look for it: move it to "
        f"{user / 'scheduler' / 'flip.yaml'}")
