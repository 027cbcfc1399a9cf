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
    # without the choice on the command line, augment/ is chosen from by nothing here: its file is named, but as
    # augment/ is no misspelling of scheduler/, it may be a group chosen elsewhere with +augment=flip
    monkeypatch.setattr(sys, "argv", ["train.py", "--config-dir", str(user), "scheduler=flip"])
    assert misplaced_option_file("scheduler", "flip", dirs=[checkout_conf, user]) == (
        f"; found {user / 'augment' / 'flip.yaml'} in augment/, which this command chooses nothing from; if it is "
        f"an option of scheduler, move it to {user / 'scheduler' / 'flip.yaml'}")


def test_a_group_folder_of_ones_own_in_the_checkout_is_not_called_misplaced(checkout_conf, monkeypatch):
    """``mkdir conf/augment; echo 'p: 0.5' > conf/augment/flip.yaml; python train.py scheduler=flip`` said "found
    conf/augment/flip.yaml, where Hydra does not look for it: move it to conf/scheduler/flip.yaml" - but augment/ is a
    group of one's own, chosen with ``+augment=flip``, and moving the file would break those commands. Only a folder
    named like the group (``optimizers/``) gets the firm advice; any other is named conditionally."""
    (checkout_conf / "augment").mkdir()
    (checkout_conf / "augment" / "flip.yaml").write_text("p: 0.5\n")
    monkeypatch.setattr(sys, "argv", ["train.py", "scheduler=flip", "debug=limit"])
    message = misplaced_option_file("scheduler", "flip")
    assert "where Hydra does not look for it" not in message
    assert message == (
        f"; found {checkout_conf / 'augment' / 'flip.yaml'} in augment/, which this command chooses nothing from; "
        f"if it is an option of scheduler, move it to {checkout_conf / 'scheduler' / 'flip.yaml'}")


def test_a_surely_misplaced_file_is_named_before_one_in_a_folder_of_ones_own(checkout_conf, monkeypatch):
    """conf/augment/flip.yaml sorts before conf/flip.yaml, but the file at the root is the one surely misplaced."""
    (checkout_conf / "augment").mkdir()
    (checkout_conf / "augment" / "flip.yaml").write_text("p: 0.5\n")
    (checkout_conf / "flip.yaml").write_text("p: 0.5\n")
    monkeypatch.setattr(sys, "argv", ["train.py", "scheduler=flip"])
    assert misplaced_option_file("scheduler", "flip") == (
        f"; found {checkout_conf / 'flip.yaml'}, where Hydra does not look for it: move it to "
        f"{checkout_conf / 'scheduler' / 'flip.yaml'}")


def test_an_optimizers_yaml_in_another_groups_folder_is_named_for_an_optimizer_choice(checkout_conf, monkeypatch):
    """``conf/init/lion4.yaml`` (an optimizer's yaml saved into init/) for ``optimizer=lion4`` said only "no option
    'lion4' ...; did you mean lion?": init/ is a group, so the file was taken to be in its place. What it builds
    tells: an optimizer class. An initializer's yaml of the same name in init/ stays in its place."""
    (checkout_conf / "init" / "lion4.yaml").write_text(LION)
    monkeypatch.setattr(sys, "argv", ["train.py", "optimizer=lion4", "debug=limit"])
    assert misplaced_option_file("optimizer", "lion4") == (
        f"; found {checkout_conf / 'init' / 'lion4.yaml'}, in init/, but it builds an optimizer (a "
        f"torch.optim.Optimizer subclass): move it to {checkout_conf / 'optimizer' / 'lion4.yaml'}, and choose it "
        "with optimizer=lion4")
    (checkout_conf / "init" / "lion4.yaml").write_text("_target_: trainlab.init.he.he_init\n_partial_: true\n")
    assert misplaced_option_file("optimizer", "lion4") == ""
