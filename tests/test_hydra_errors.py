"""Hydra's composition errors (unknown option, unknown key, unparsable override) print one line and exit with 2."""

from __future__ import annotations

import re
import shlex

import pytest
import torch
from conftest import CONF_DIR, ROOT
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf, open_dict, read_write

from trainlab.errors import ConfigError
from trainlab.hydra_errors import did_you_mean, exit_if_options_split_the_overrides, squashed
from trainlab.preflight import check_multirun_values
from trainlab.search.search_space import ALLOWED_FORMS

# the optimizer options as Hydra lists them: every yaml of conf/optimizer/ (one a user adds included)
OPTIMIZER_FILES = sorted((CONF_DIR / "optimizer").glob("*.yaml"))
OPTIMIZERS = ", ".join(path.stem for path in OPTIMIZER_FILES)


def optimizers_taking(key: str) -> str:
    """``optimizer=momentum, optimizer=nesterov, ...``: the options whose yaml sets ``key``."""
    return ", ".join(f"optimizer={path.stem}" for path in OPTIMIZER_FILES if key in OmegaConf.load(path))
TOP_LEVEL = ("callbacks, ckpt_path, compile, data, debug, experiment, hparams_search, hydra, init, logger, model, "
             "objective_on_failure, optimized_metric, optimizer, paths, resume_sweep, scheduler, seed, task_name, "
             "test, trainer")


@pytest.mark.parametrize(
    "override,line",
    [
        ("optimizer=adamm",
         f"error: optimizer=adamm: no option 'adamm' in config group optimizer; allowed: {OPTIMIZERS}; "
         "did you mean adam?"),
        ("hydra/launcher=joblb",  # a group that a Hydra plugin provides
         "error: hydra/launcher=joblb: no option 'joblb' in config group hydra/launcher; allowed: basic, joblib, "
         "stacked, submitit_local, submitit_slurm; did you mean joblib?"),
        # a group path that does not exist: the groups beside it (Hydra's Optuna plugin calls it hydra/sweeper/sampler)
        ("hydra/sweeper/sampler=tpe", "error: hydra/sweeper/sampler: no config group hydra/sweeper/sampler; allowed "
                                      "groups in hydra/sweeper: hydra/sweeper/optuna_sampler; did you mean "
                                      "hydra/sweeper/optuna_sampler?"),
        # a misspelt group is a misspelt top-level key; `scheduler` is a group that is no key until chosen
        ("sheduler=step", f"error: sheduler: unknown key; allowed top-level keys and config groups: {TOP_LEVEL}; "
                          "did you mean scheduler?"),
        ("model.net.widht=3", "error: model.net.widht: unknown key; allowed keys of model.net: _target_, activation, "
                              "batch_norm, batch_norm_eps, batch_norm_running_stats, dropout, dropout_kind, "
                              "hidden_sizes, input_size, num_classes"),
        ("optimizer.lrr=0.1", "error: optimizer.lrr: unknown key; allowed keys of optimizer: _partial_, _target_, "
                              "compile, foreach, lr; did you mean lr?"),  # the keys of conf/optimizer/sgd.yaml
        ("optimizer.lr=[1,", "error: cannot parse the override 'optimizer.lr=[1,': no viable alternative at input "
                             "'[1,' See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for details"),
        ("~optimizer.lrr", "error: Could not delete from config. 'optimizer.lrr' does not exist."),
        ("task_name=résumé", "error: cannot parse the override 'task_name=résumé': LexerNoViableAltException: "
                             "task_name=résumé ^ See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for "
                             "details; Hydra reads a value with non-ASCII characters only when quoted: "
                             "'task_name=\"résumé\"'"),
        # a job's directory pasted unquoted: its name holds '='
        ("hydra.run.dir=runs/0_optimizer.lr=0.1",
         "error: cannot parse the override 'hydra.run.dir=runs/0_optimizer.lr=0.1': mismatched input '=' expecting "
         "<EOF> See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for details; Hydra reads a value with "
         "'=' only when quoted: 'hydra.run.dir=\"runs/0_optimizer.lr=0.1\"'"),
        # the directory of a job of a sweep over two keys
        ("hydra.run.dir=runs/0_optimizer.lr=0.1,seed=1",
         "error: cannot parse the override 'hydra.run.dir=runs/0_optimizer.lr=0.1,seed=1': mismatched input '=' "
         "expecting <EOF> See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for details; Hydra reads a "
         "value with '=' only when quoted: 'hydra.run.dir=\"runs/0_optimizer.lr=0.1,seed=1\"'"),
        # Hydra's advice ("To override a value use 'override experiment: ...'") is for a defaults list
        ("+experiment=compare_optimizers",
         "error: +experiment=compare_optimizers: the config already chooses from config group experiment (its "
         "default may be null), so it takes no +; allowed: experiment=compare_optimizers"),
    ],
)
def test_config_error_is_one_line_with_exit_status_2(train_subprocess, train_in_process, tmp_path, override, line):
    # one of each kind - a composition error, an unknown key, an override that does not parse - in a process of its
    # own (the interpreter's real exit status and stderr), the others in this one (~0.3 s against ~2.5 s)
    run = train_subprocess if override in {"optimizer=adamm", "model.net.widht=3", "optimizer.lr=[1,"} else (
        train_in_process)
    result = run(override)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines() == [line]  # no search path, no "To append ... use +key" advice
    assert not (tmp_path / "outputs").exists()  # composition failed before any run directory was made


HYDRA_GRAMMAR = "See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for details"


@pytest.mark.parametrize(("override", "line"), [
    ("optimizer:adam", "error: cannot parse the override 'optimizer:adam': Error parsing override 'optimizer:adam' "
                       f"missing EQUAL at ':' {HYDRA_GRAMMAR}; did you mean optimizer=adam? (an override is "
                       "key=value)"),
    ("trainer.max_epochs:1", "error: cannot parse the override 'trainer.max_epochs:1': LexerNoViableAltException: "
                             f"trainer.max_epochs:1 ^ {HYDRA_GRAMMAR}; did you mean trainer.max_epochs=1? (an "
                             "override is key=value)"),
    # quoted for the shell where it would expand the brackets
    ("model.net.hidden_sizes:[50,50]", "error: cannot parse the override 'model.net.hidden_sizes:[50,50]': "
                                       "LexerNoViableAltException: model.net.hidden_sizes:[50,50] ^ "
                                       f"{HYDRA_GRAMMAR}; did you mean 'model.net.hidden_sizes=[50,50]'? (an "
                                       "override is key=value)"),
    # not a swapped separator: no ':' to make '=', or a word that does not parse with '=' either: Hydra's line alone
    ("optimizer.lr=interval(0.1", "error: cannot parse the override 'optimizer.lr=interval(0.1': no viable "
                                  f"alternative at input 'interval(0.1' {HYDRA_GRAMMAR}"),
    ("optimizer:[adam", "error: cannot parse the override 'optimizer:[adam': LexerNoViableAltException: "
                        f"optimizer:[adam ^ {HYDRA_GRAMMAR}"),
], ids=["group", "key", "list", "not-a-swap", "no-parse-either-way"])
def test_an_override_written_with_a_colon_names_the_key_value_form_it_meant(train_in_process, tmp_path, override,
                                                                           line):
    """``optimizer:adam`` (YAML's ``key: value``) was refused in the grammar's words only - ``missing EQUAL at ':'``
    or a bare ``LexerNoViableAltException`` - naming no form Hydra takes."""
    result = train_in_process(override)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]
    assert not (tmp_path / "outputs").exists()


def test_a_config_dir_that_is_no_directory_is_one_line_with_exit_status_2(train_subprocess, tmp_path):
    missing = tmp_path / "my_conf"
    result = train_subprocess("--config-dir", str(missing))
    assert result.returncode == 2, result.stderr[-3000:]  # it was exit 1 with Hydra's HYDRA_FULL_ERROR advice
    assert result.stderr.splitlines() == [f"error: Additional config directory '{missing}' not found"]
    assert not (tmp_path / "outputs").exists()


def test_sweep_with_one_unknown_option_stops_before_any_job(train_subprocess, tmp_path):
    result = train_subprocess("-m", "optimizer=sgd,adamm")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("error: optimizer=adamm: no option 'adamm' in config group")
    assert "Launching" not in result.stdout + result.stderr


def test_interval_sweep_without_a_sampling_sweeper_names_the_way_out(train_subprocess, tmp_path):
    result = train_subprocess("-m", "optimizer.lr=interval(1e-4,1e-1)")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: BasicSweeper does not support sweep type : INTERVAL_SWEEP: interval() and tag(log, ...) need a "
        "sweeper that samples, e.g. hparams_search=random or hparams_search=tpe (Optuna); the basic sweeper takes "
        "lists (a,b,c), range() and glob()"]
    assert not (tmp_path / "outputs").exists()


def test_hydra_full_error_adds_the_traceback_and_keeps_the_line_and_exit_status(train_subprocess):
    result = train_subprocess("optimizer=adamm", env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2  # as without HYDRA_FULL_ERROR (it was 1: Hydra re-raised)
    assert "Traceback (most recent call last)" in result.stderr
    assert "hydra.errors.MissingConfigException: In 'train': Could not find 'optimizer/adamm'" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: optimizer=adamm: no option 'adamm' in config group optimizer; allowed: {OPTIMIZERS}; did you mean "
        "adam?")


def test_an_option_between_overrides_is_one_line_with_the_command_in_order(capsys):
    with pytest.raises(SystemExit) as stop:
        exit_if_options_split_the_overrides(["optimizer=adam", "-m", "optimizer.lr=0.1,0.01", "seed=1"])
    assert stop.value.code == 2
    # argparse printed its usage and "unrecognized arguments: optimizer.lr=0.1,0.01 seed=1"
    assert capsys.readouterr().err == (
        "error: optimizer.lr=0.1,0.01 seed=1: an override after -m, which stands between overrides; Hydra reads its "
        "options before or after all the overrides: python train.py -m optimizer=adam optimizer.lr=0.1,0.01 seed=1\n")
    with pytest.raises(SystemExit):  # an option's value stays with it
        exit_if_options_split_the_overrides(["optimizer=adam", "--cfg", "job", "seed=3"])
    assert capsys.readouterr().err.endswith("python train.py --cfg job optimizer=adam seed=3\n")
    with pytest.raises(SystemExit):  # only the options between the two runs are named; a value equal to an override
        exit_if_options_split_the_overrides(["-m", "train", "--config-name", "train", "b=2"])
    assert capsys.readouterr().err == (
        "error: b=2: an override after --config-name train, which stands between overrides; Hydra reads its options "
        "before or after all the overrides: python train.py -m --config-name train train b=2\n")
    for argv in (["-m", "a=1", "b=2"], ["a=1", "b=2", "-m"], ["--cfg", "job", "a=1"], [], ["-m", "--info", "zzz"]):
        exit_if_options_split_the_overrides(argv)  # in order, or a mistake Hydra's parser reports itself
    assert capsys.readouterr().err == ""


def test_an_option_between_overrides_outside_the_checkout_gives_a_command_that_runs_from_there(tmp_path):
    """Run as ``.venv/bin/python ~/trainlab/train.py`` from elsewhere, with another ``python`` on PATH, it said
    ``python train.py -m ...``: neither the interpreter nor the script nor the TRAINLAB_ROOT of the command."""
    import os
    import subprocess
    import sys

    other = tmp_path / "bin"
    other.mkdir()
    (other / "python").write_text("#!/bin/sh\nexit 1\n")  # another interpreter first on PATH (a pyenv shim, ...)
    (other / "python").chmod(0o755)
    root = tmp_path / "my runs"
    env = {**os.environ, "PATH": f"{other}{os.pathsep}/usr/bin{os.pathsep}/bin", "TRAINLAB_ROOT": str(root)}
    result = subprocess.run([sys.executable, str(ROOT / "train.py"), "optimizer=adam", "-m", "seed=1,2"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: seed=1,2: an override after -m, which stands between overrides; Hydra reads its options before or "
        f"after all the overrides: TRAINLAB_ROOT='{root}' {sys.executable} {ROOT / 'train.py'} -m optimizer=adam "
        "seed=1,2")
    assert not root.exists()


def test_suggestion_only_for_a_close_match():
    assert did_you_mean("optimzer", ["optimizer", "init"]) == "; did you mean optimizer?"
    assert did_you_mean("widht", ["hidden_sizes", "dropout"]) == ""


def test_the_same_letters_in_another_case_come_before_a_closer_spelling():
    assert did_you_mean("Adamw", ["Adam", "AdamW", "SGD"], quoted=True) == "; did you mean 'AdamW'?"  # was 'Adam'
    assert did_you_mean("LR", ["lr", "momentum"]) == "; did you mean lr?"  # was none: too short to be close


def test_squashed_drops_the_search_path():
    message = "Cannot find primary config 'nope'.\n\nConfig search path:\n\tprovider=main, path=file:///conf"
    assert squashed(message) == "Cannot find primary config 'nope'."


@pytest.mark.parametrize(("sweep", "extra", "null", "others"), [
    ("scheduler=null,step", ["trainer.max_epochs=1"], "scheduler=null", "scheduler=step"),
    ("logger=null,csv,tensorboard", ["hparams_search=random", "optimizer.lr=interval(0.01,0.1)"], "logger=null",
     "logger=csv,tensorboard"),
])
def test_a_group_swept_over_null_is_one_line_naming_the_override(train_in_process, tmp_path, sweep, extra, null,
                                                                 others):
    """The two commands are the command as typed, the sweep split in two (they said ``-m <overrides>``)."""
    result = train_in_process("-m", sweep, *extra, "debug=limit")
    assert result.returncode == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"error: {sweep}: a config group cannot be swept over null")
    typed = [shlex.quote(word) for word in result.args[1:] if word not in ("-m", sweep)]
    assert " ".join(shlex.quote(word) for word in extra) in " ".join(typed)  # the user's own, beside the test's
    command = " ".join(["python train.py -m", *typed])
    assert last.endswith(f"run the two as separate commands: {command} {null}, and {command} {others}")
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "outputs").rglob("status.json"))


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_job_name_longer_than_the_file_system_allows_is_one_line_with_the_way_out(train_in_process, tmp_path):
    too_long = ",".join(["100"] * 60)  # the job directory is named from the overrides: ~300 bytes
    result = train_in_process("-m", f"model.net.hidden_sizes=[{too_long}]", "optimizer=sgd,adam", "debug=limit")
    assert result.returncode == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: a directory name is too long (")
    assert "the file system allows 255" in last and "'hydra.sweep.subdir=${hydra.job.num}'" in last
    assert last.endswith("or choose a shorter hydra.sweep.dir")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("override", "line"), [
    ("hydra.launcher.max_members=abc", "error: hydra.launcher.max_members=abc is invalid; allowed: an integer >= 1"),
    # as typed, not as parsed (True, 1000.0)
    ("hydra.launcher.max_members=true", "error: hydra.launcher.max_members=true is invalid; allowed: an integer >= 1"),
    ("hydra.launcher.max_members=1e3", "error: hydra.launcher.max_members=1e3 is invalid; allowed: an integer >= 1"),
    ("hydra.launcher.strict=maybe", "error: hydra.launcher.strict=maybe is invalid; allowed: true or false"),
    # OmegaConf converts these to a bool, and every other switch refuses them (resume_sweep=yes, test=no)
    ("hydra.launcher.strict=yes", "error: hydra.launcher.strict=yes is invalid; allowed: true or false"),
    ("hydra.launcher.strict=no", "error: hydra.launcher.strict=no is invalid; allowed: true or false"),
    ("hydra.launcher.strict=0", "error: hydra.launcher.strict=0 is invalid; allowed: true or false"),
    ("hydra.launcher.strict='true'", "error: hydra.launcher.strict='true' is invalid; allowed: true or false"),
])
def test_a_plugin_setting_of_the_wrong_type_names_the_type_it_takes(train_in_process, tmp_path, override, line):
    result = train_in_process("-m", "optimizer=sgd,adam", "hydra/launcher=stacked", override)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == line
    assert not (tmp_path / "outputs").exists()


ANOTHER_OPTION_TAKES_IT = [  # overrides, the one line: the option that lacks the key, its keys, the options with it
    (["init=he", "init.std=0.1"],
     "error: init.std: init=he takes no std (it has no keys to set); allowed: an option that takes std - init=normal "
     "(e.g. init=normal init.std=0.01)"),
    (["init=he", "+init.std=0.1"],  # added: refused by the check of He's arguments, with the same way out
     "error: init.std: init=he takes no std (it has no keys to set); allowed: an option that takes std - init=normal "
     "(e.g. init=normal init.std=0.01)"),
    (["optimizer=sgd", "optimizer.momentum=0.9"],
     "error: optimizer.momentum: optimizer=sgd takes no momentum (its keys: lr, foreach, compile); allowed: one of "
     f"its keys, or an option that takes momentum - {optimizers_taking('momentum')} (e.g. optimizer=momentum "
     "optimizer.momentum=0.9)"),
    (["optimizer=momentum", "optimizer.betas=[0.9,0.99]"],
     "error: optimizer.betas: optimizer=momentum takes no betas (its keys: lr, momentum, foreach, compile); allowed: "
     f"one of its keys, or an option that takes betas - {optimizers_taking('betas')} (e.g. optimizer=adam "
     "optimizer.betas=[0.9, 0.999])"),
    (["optimizer=torch_adam", "optimizer.foreach=false"],  # torch.optim.Adam takes it: ++ adds it (+ is refused
     # in a sweep's jobs of an option whose config has it)
     "error: optimizer.foreach: optimizer=torch_adam does not set foreach in its config (its keys: lr, betas, eps), "
     "but its torch.optim.Adam takes it; allowed: add it with ++optimizer.foreach=false (++ sets it too in the jobs "
     f"of an option that has it), or an option whose config sets foreach - {optimizers_taking('foreach')}"),
    (["scheduler=step", "scheduler.mode=max"],
     "error: scheduler.mode: scheduler=step takes no mode (its keys: step_size, gamma); allowed: one of its keys, or "
     "an option that takes mode - scheduler=plateau (e.g. scheduler=plateau scheduler.mode=min)"),
    # no option takes it: the argument the model passes itself (He's module, SGD's params) is no key to offer
    (["init=he", "+init.foo=0.1"], "error: init.foo: unknown key for trainlab.init.he.he_init; it takes no keys"),
    (["optimizer=sgd", "+optimizer.mom=0.9"],
     "error: optimizer.mom: unknown key for trainlab.optim.sgd.SGD; allowed: compile, foreach, lr, weight_decay"),
    # a group of entries (no _target_ of its own): said "unknown key; allowed keys of callbacks: divergence_guard, ..."
    (["callbacks.early_stopping.patience=5"],
     "error: callbacks.early_stopping: this config's callbacks has no early_stopping (its entries: model_checkpoint, "
     "last_checkpoint, divergence_guard, graceful_shutdown, rng_state, progress_bar); allowed: one of its entries, or "
     "an option that has early_stopping - callbacks=early_stopping (e.g. callbacks=early_stopping "
     "callbacks.early_stopping.patience=5)"),
    (["logger.csv.name=x"],
     "error: logger.csv: this config's logger has no csv (its entries: tensorboard); allowed: one of its entries, or "
     "an option that has csv - logger=csv (e.g. logger=csv logger.csv.name=x)"),
]


def test_a_key_no_option_of_its_group_sets_but_its_target_takes_is_offered_with_a_plus(train_in_process, tmp_path):
    """docs/resuming-and-failures.md's trainer.limit_train_batches=-3 (only debug=limit sets it) said 'unknown key ...;
    did you mean accumulate_grad_batches?' - neither that the Trainer takes it nor that + adds it."""
    result = train_in_process("trainer.limit_train_batches=-3")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: trainer.limit_train_batches: not in this config's trainer (its keys: default_root_dir, accelerator, "
        "devices, min_epochs, max_epochs, max_steps, check_val_every_n_epoch, log_every_n_steps, num_sanity_val_steps, "
        "precision, gradient_clip_val, accumulate_grad_batches, deterministic, enable_model_summary, "
        "enable_progress_bar, plugins), but its lightning.pytorch.trainer.Trainer takes it; allowed: add it with "
        "++trainer.limit_train_batches=-3")
    assert not (tmp_path / "outputs").exists()
    misspelt = train_in_process("trainer.max_epoch=3")  # a key the Trainer does not take either: did you mean
    assert misspelt.stderr.splitlines()[-1].endswith("; did you mean max_epochs?")


@pytest.mark.parametrize("value", ["0", "0.0", "-1", "1.5"])
def test_a_val_check_interval_lightning_fails_on_in_fit_is_refused_before_anything_is_written(
        train_in_process, tmp_path, value):
    """``++trainer.val_check_interval=0`` (as the line above offers to add it) passed the Trainer and failed in fit,
    the run directory written: a ZeroDivisionError traceback."""
    result = train_in_process("debug=limit", f"++trainer.val_check_interval={value}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: trainer.val_check_interval={value} is invalid; allowed: an integer >= 1 (batches), a fraction of the "
        'epoch in (0, 1], or a time ("00:00:05:00", {minutes: 5}) or null')
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("mode", [[], ["-m", "seed=1,2"], ["-m", "seed=1,2", "hydra/launcher=stacked"]])
def test_a_val_check_interval_past_an_epochs_batches_is_refused_before_anything_is_written(train_in_process, tmp_path,
                                                                                        mode):
    """Lightning refused it only as fit started - a ValueError traceback after the run's (or each job's) files."""
    result = train_in_process(*mode, "debug=limit", "++trainer.val_check_interval=6")  # debug=limit: 5 batches
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1] == (
        "error: trainer.val_check_interval=6 is more than the 5 training batches of an epoch (Lightning refuses it as "
        "training starts); allowed: an integer from 1 to 5, a fraction of the epoch in (0, 1], or "
        "trainer.check_val_every_n_epoch=null to validate every val_check_interval batches across epochs")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(("limit", "overfit", "batches"), [(None, None, 40), (5, None, 5), (0.25, None, 10),
                                                           (None, 3, 3), (None, 0.5, 20), (7, 3, 3)])
def test_the_batches_an_interval_is_checked_against_are_lightnings(make_cfg, limit, overfit, batches):
    from trainlab.errors import ConfigError
    from trainlab.val_check_interval import check_interval_fits_an_epoch

    cfg = make_cfg("data.train_size=4000")  # 40 batches of 100
    with open_dict(cfg.trainer):
        cfg.trainer.limit_train_batches, cfg.trainer.overfit_batches = limit, overfit
        cfg.trainer.val_check_interval = batches
        check_interval_fits_an_epoch(cfg)  # as many as the epoch has: fits
        cfg.trainer.val_check_interval = batches + 1
        with pytest.raises(ConfigError, match=f"is more than the {batches} training batches"):
            check_interval_fits_an_epoch(cfg)
        cfg.trainer.check_val_every_n_epoch = None  # counted across epochs: Lightning takes any
        check_interval_fits_an_epoch(cfg)


def test_a_max_time_mapping_reaches_the_trainer_as_a_dict(make_cfg):
    """``++trainer.max_time={minutes:5}``, a form Lightning documents, was refused: "trainer is invalid; ...
    ConfigAttributeError: Missing key total_seconds" (the Trainer got a DictConfig)."""
    from trainlab.config_instantiation import instantiate_key

    cfg = make_cfg("++trainer.max_time={minutes:5}")
    trainer = instantiate_key(cfg, "trainer", logger=False, enable_checkpointing=False)
    (timer,) = [callback for callback in trainer.callbacks if type(callback).__name__ == "Timer"]
    assert timer._duration == 300.0


@pytest.mark.parametrize(("sweep", "added"), [
    (["optimizer=torch_adam", "optimizer.foreach=true,false"], "++optimizer.foreach=true,false"),
    (["trainer.limit_train_batches=2,3"], "++trainer.limit_train_batches=2,3")])
def test_a_swept_key_to_add_with_a_plus_is_offered_with_all_its_values(train_in_process, tmp_path, sweep, added):
    """The + advice for a sweep named job 1's value as Hydra typed it (``+optimizer.foreach=True`` for
    ``optimizer.foreach=true,false``): pasted, it ran one value of the two."""
    result = train_in_process("-m", *sweep, f"hydra.sweep.dir={tmp_path / 's'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert f"allowed: add it with {added}" in line, line  # before: +optimizer.foreach=True, +...limit_train_batches=2
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(("overrides", "line"), ANOTHER_OPTION_TAKES_IT,
                         ids=[" ".join(overrides) for overrides, _ in ANOTHER_OPTION_TAKES_IT])
def test_a_key_the_chosen_option_lacks_names_the_options_that_take_it(train_in_process, tmp_path, overrides, line):
    """``init=he init.std=0.1`` said "init.std: unknown key; allowed keys of init: _partial_, _target_" - neither
    that He takes no std nor that init=normal does - and ``+init.std=0.1`` "allowed: module"."""
    result = train_in_process(*overrides, "debug=limit")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]
    assert not (tmp_path / "outputs").exists()


def test_the_offered_plus_plus_adds_the_key_in_every_job_of_a_sweep_over_the_groups_options(make_cfg):
    """``-m optimizer=torch_adam,adam +optimizer.foreach=false``, as the message offered, was refused by Hydra in
    adam's job ("Could not append to config. An item is already at 'optimizer.foreach'"); ``++`` adds or sets it."""
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="already at 'optimizer.foreach'"):
        make_cfg("optimizer=adam", "+optimizer.foreach=false")
    for option in ("torch_adam", "adam"):
        assert make_cfg(f"optimizer={option}", "++optimizer.foreach=false").optimizer.foreach is False


@pytest.mark.parametrize("value", ["abc", "1.5", "0"])
@pytest.mark.parametrize(("key", "command", "rule"), [
    ("hydra.sweeper.n_trials", ["hparams_search=random"], "an integer >= 1"),
    ("hydra.sweeper.n_jobs", ["hparams_search=random"], "an integer >= 1, or auto (batches that suit the sampler)"),
    ("hydra.launcher.max_members", ["-m", "optimizer=sgd,adam", "hydra/launcher=stacked"], "an integer >= 1"),
    # abc and 1.5 said "an integer", a rule that 0 (refused: joblib's Parallel takes no 0 jobs) meets
    ("hydra.launcher.n_jobs", ["-m", "optimizer=sgd,adam", "hydra/launcher=joblib"],
     "an integer other than 0 (-1: one process per core)"),
    # submitit took 0: timeout_min=0 killed every job at once, an UncompletedJobError traceback and no job directory
    ("hydra.launcher.timeout_min", ["-m", "optimizer=sgd,adam", "hydra/launcher=submitit_local"], "an integer >= 1"),
    ("hydra.launcher.cpus_per_task", ["-m", "optimizer=sgd,adam", "hydra/launcher=submitit_local"],
     "an integer >= 1, or null (not requested)"),
    ("hydra.launcher.tasks_per_node", ["-m", "optimizer=sgd,adam", "hydra/launcher=submitit_slurm"],
     "an integer >= 1"),
    ("hydra.launcher.nodes", ["-m", "optimizer=sgd,adam", "hydra/launcher=submitit_local"],
     "1 (the local launcher runs its jobs on this machine)"),
])
def test_an_integer_setting_states_its_whole_rule_whatever_the_wrong_value(train_in_process, tmp_path, key, command,
                                                                            rule, value):
    """``n_trials=abc`` said "allowed: an integer" (the type Hydra converts to) and ``n_trials=0`` "allowed: an
    integer >= 1" (the plugin's check): one rule, stated whole for every wrong value."""
    result = train_in_process(*command, f"{key}={value}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"error: {key}={value} is invalid; allowed: {rule}"
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(("setting", "rule"), [
    ("timeout_min=-1", "an integer >= 1"), ("gpus_per_node=-1", "an integer >= 0, or null (not requested)"),
    ("mem_gb=0", "an integer >= 1, or null (not requested)"), ("nodes=0", "an integer >= 1")])
@pytest.mark.parametrize("launcher", ["submitit_local", "submitit_slurm"])
def test_submitits_numbers_are_refused_before_anything(train_in_process, tmp_path, setting, rule, launcher):
    if (launcher, setting) == ("submitit_local", "nodes=0"):
        rule = "1 (the local launcher runs its jobs on this machine)"
    result = train_in_process("-m", "optimizer=sgd,adam", f"hydra/launcher={launcher}", f"hydra.launcher.{setting}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"error: hydra.launcher.{setting} is invalid; allowed: {rule}"
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("mode", [["-m", "optimizer=sgd,adam"], ["debug=limit"]], ids=["sweep", "run"])
def test_resume_sweep_written_as_a_word_is_refused_before_anything(train_in_process, tmp_path, mode):
    """``resume_sweep=no`` is the string 'no', which counted as true: a sweep skipped its completed jobs."""
    result = train_in_process(*mode, "resume_sweep=no")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "error: resume_sweep='no' is invalid; allowed: true or false"
    assert not (tmp_path / "outputs").exists()


def test_a_run_dir_name_longer_than_the_file_system_allows_is_refused_before_anything(train_in_process, tmp_path):
    run_dir = tmp_path / ("x" * 300)
    result = train_in_process("debug=limit", f"hydra.run.dir={run_dir}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: hydra.run.dir={run_dir} is unusable: a name in it is 300 bytes ({'x' * 40}...); the file system "
        "allows 255")
    assert "Warning" not in result.stderr


def test_a_run_dir_given_to_a_multirun_is_refused_before_anything(train_in_process, tmp_path):
    """An experiment config sets hydra.mode: MULTIRUN: resuming one of its jobs alone by ``ckpt_path=last
    hydra.run.dir=<job>`` started a new sweep under outputs/ and failed there, leaving it behind."""
    job = tmp_path / "sweep" / "3_optimizer=adam"
    result = train_in_process("experiment=compare_optimizers", "optimizer=adam", "ckpt_path=last",
                              f"hydra.run.dir='{job}'")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: hydra.run.dir='{job}': this command runs a multirun (-m, or hydra.mode: MULTIRUN in an experiment "
        "or search config), which ignores hydra.run.dir and would start a sweep in a new directory; nothing was "
        "written. allowed: hydra.mode=RUN to run one job in that directory (a sweep's job resumed alone with "
        "ckpt_path=last), or hydra.sweep.dir for a sweep")
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "sweep").exists()



RUN_WAY = "with hydra.run.dir=<dir> to name its directory"


@pytest.mark.parametrize(("typed", "keys", "single"), [
    (["resume_sweep=true", "hydra.sweep.dir={sweep}"], "resume_sweep and hydra.sweep.dir",
     f"without resume_sweep and {RUN_WAY}"),
    (["hydra.sweep.dir={sweep}"], "hydra.sweep.dir", RUN_WAY),
    (["resume_sweep=true"], "resume_sweep", "without resume_sweep"),
    (["++resume_sweep=true", "hydra.sweep.subdir=same"], "resume_sweep and hydra.sweep.subdir",
     f"without resume_sweep and {RUN_WAY}"),
], ids=["finish", "sweep-dir", "resume", "subdir"])
def test_a_sweeps_keys_typed_for_a_single_run_are_refused_before_anything(train_in_process, tmp_path, typed, keys,
                                                                          single):
    """``-m`` forgotten when finishing a sweep: the command trained a new run under outputs/runs/, exit status 0,
    without a word (the reverse, hydra.run.dir given to a multirun, was refused)."""
    sweep = tmp_path / "sweep"
    typed = [word.format(sweep=sweep) for word in typed]
    result = train_in_process("debug=limit", *typed)
    assert result.returncode == 2
    run_dir = re.escape(str(tmp_path / "outputs" / "runs")) + r"/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d"
    given = re.escape(" ".join(word.lstrip("+") for word in typed))
    assert re.fullmatch(
        f"error: {given}: this command runs a single run \\(no -m\\), which ignores {keys} and would train in "
        f"hydra.run.dir={run_dir}; nothing was written. allowed: -m to run or finish the sweep, or a single run "
        f"{re.escape(single)}", result.stderr.splitlines()[-1])
    assert not (tmp_path / "outputs").exists() and not sweep.exists()


def test_resume_sweep_typed_for_a_single_run_in_a_named_directory_is_refused(train_in_process, tmp_path):
    run = tmp_path / "run"
    result = train_in_process("debug=limit", "resume_sweep=true", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                              f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: resume_sweep=true: this command runs a single run (no -m), which ignores resume_sweep and would "
        f"train in hydra.run.dir={run}; nothing was written. allowed: -m to run or finish the sweep, or a single run "
        "without resume_sweep")
    assert not run.exists() and not (tmp_path / "sweep").exists()


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_sweeps_keys_not_typed_for_a_single_run_are_its_configs_own(train_in_process, tmp_path):
    """A config file may set them for every command (conf/hydra/ sets hydra.sweep.dir); resume_sweep: true in one
    applies to a single run as to a sweep's job. resume_sweep=false typed asks for nothing, and hydra.sweep.dir typed
    beside hydra.run.dir names the directory of either mode."""
    (tmp_path / "configs" / "experiment").mkdir(parents=True)
    (tmp_path / "configs" / "experiment" / "always_resume.yaml").write_text(
        f"# @package _global_\nresume_sweep: true\nhydra:\n  sweep:\n    dir: {tmp_path / 'sweep'}\n")
    result = train_in_process("--config-dir", str(tmp_path / "configs"), "experiment=always_resume", "debug=limit",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "run" / "status.json").is_file() and not (tmp_path / "sweep").exists()
    result = train_in_process("resume_sweep=false", "debug=limit", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                              f"hydra.run.dir={tmp_path / 'run2'}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "run2" / "status.json").is_file() and not (tmp_path / "sweep").exists()


SAME_DIR = ("error: hydra.sweep.subdir gives jobs #0 and #1 the same directory {sweep}/same; they would overwrite each "
            "other's status, checkpoints and logs; allowed: a subdir that differs between jobs (the default "
            "${{hydra.job.num}}_${{hydra.job.override_dirname}})")
OUTSIDE = ("error: hydra.sweep.subdir gives job #0 the directory {job}, which is not inside hydra.sweep.dir={sweep}; "
           "allowed: a subdir naming a directory inside the sweep's, one for each job (the default "
           "${{hydra.job.num}}_${{hydra.job.override_dirname}})")
ITSELF = ("error: hydra.sweep.subdir gives job #0 the sweep directory itself; allowed: a subdir naming a directory "
          "inside the sweep's, one for each job (the default ${{hydra.job.num}}_${{hydra.job.override_dirname}})")


@pytest.mark.parametrize(("overrides", "message"), [
    (["hydra.sweep.subdir=same"], SAME_DIR),
    (["hydra.sweep.subdir=same", "hydra/launcher=stacked"], SAME_DIR),
    (["hydra.sweep.subdir=same", "resume_sweep=true"], SAME_DIR),
    (["hydra.sweep.subdir="], ITSELF),
    (["hydra.sweep.subdir=../escape"], OUTSIDE),
], ids=["same", "same-stacked", "same-resume", "empty", "outside"])
def test_a_sweep_whose_jobs_share_a_directory_or_leave_the_sweep_is_refused_before_anything(
        train_in_process, tmp_path, overrides, message):
    """A stack wrote both members into one directory without a word (summary.csv kept one row); the basic launcher
    trained the first job there, then rewrote its .hydra/ for the second and refused it."""
    sweep = tmp_path / "sweep"
    job = sweep if overrides[0].endswith("=") else tmp_path / "escape"
    result = train_in_process("-m", "optimizer=sgd,adam", "debug=limit", f"hydra.sweep.dir={sweep}", *overrides)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == message.format(sweep=sweep, job=job)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_search_whose_trials_share_a_directory_is_refused_at_its_second_trial(train_in_process, tmp_path):
    sweep = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=3", "trainer.max_epochs=1",
                              f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=same")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == SAME_DIR.format(sweep=sweep)
    assert not (sweep / "same").exists()  # refused as its trials were asked for, before any trained


@pytest.mark.parametrize("command", [["-m", "optimizer=sgd,adam"], ["-m", "optimizer=sgd,adam", "resume_sweep=true"],
                                     ["-m", "optimizer=sgd,adam", "hydra/launcher=stacked"],
                                     ["hparams_search=random", "hydra.sweeper.n_trials=2"]],
                         ids=["basic", "resume", "stacked", "search"])
def test_a_multirun_into_a_single_runs_directory_is_refused_and_leaves_the_run_as_it_was(train_in_process, tmp_path,
                                                                                          command):
    """It wrote its jobs, multirun.yaml, summary.csv and a .hparams event file into the run's own directory (and
    TensorBoard run), with exit status 0."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"a checkpoint")
    (run / "status.json").write_text('{"status": "completed"}')
    (run / "hparams.yaml").write_text("seed: 0\n")
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    result = train_in_process(*command, "debug=limit", f"hydra.sweep.dir={run}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: hydra.sweep.dir={run} is a single run's directory (status.json, hparams.yaml, checkpoints), not a "
        "sweep's; a multirun would write its jobs, multirun.yaml, summary and HPARAMS experiment into that run; "
        "nothing was written. allowed: a new hydra.sweep.dir, or, to go on training that run, ckpt_path=last "
        f"hydra.mode=RUN hydra.run.dir={run} with that run's overrides (its .hydra/overrides.yaml)")
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before

@pytest.mark.parametrize("command", [["-m", "optimizer=sgd,adam", "resume_sweep=true"],
                                     ["hparams_search=random", "hydra.sweeper.n_trials=2"]], ids=["resume", "search"])
def test_a_multirun_into_a_reports_directory_is_refused_and_leaves_the_report_as_it_was(train_in_process, tmp_path,
                                                                                         command):
    """``<sweep>/report``, tab-completed one name too far: the jobs, study and summary landed beside the report's
    figures (exit status 0), and the sweep's report could not be written there again."""
    from trainlab.report.output_dir import RECORD

    report = tmp_path / "sweep" / "report"
    report.mkdir(parents=True)
    (report / RECORD).write_text(f'{{"sweep": "{tmp_path / "sweep"}", "files": {{"summary.md": "0"}}}}')
    (report / "summary.md").write_text("# the report\n")
    before = {p: p.read_bytes() for p in report.rglob("*") if p.is_file()}
    result = train_in_process(*command, "debug=limit", f"hydra.sweep.dir={report}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: hydra.sweep.dir={report} is a report's directory (its {RECORD} records the report of "
        f"{tmp_path / 'sweep'}), not a sweep's; a multirun would write its jobs, multirun.yaml and summary beside the "
        f"report's files; nothing was written. allowed: a new hydra.sweep.dir, or hydra.sweep.dir={tmp_path / 'sweep'}"
        " for the sweep it reports on (with resume_sweep=true to go on with it)")
    assert {p: p.read_bytes() for p in report.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("command", [["-m", "optimizer.lr=0.1,0.01", "trainer=gpu"],
                                     ["-m", "optimizer.lr=0.1,0.01", "trainer.accelerator=gpu"],
                                     ["hparams_search=random", "trainer=gpu"]])
def test_a_multirun_on_a_gpu_this_machine_lacks_is_refused_before_anything(train_in_process, tmp_path, command,
                                                                           monkeypatch):
    """Refused only by each job before: the basic launcher's first job left its directory and log behind, and a
    search had asked its 100 trials into a new study (an optuna.journal of interrupted trials) first."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without CUDA
    result = train_in_process(*command, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    chosen, way_out = ((" (trainer=gpu)", "trainer=cpu") if "trainer=gpu" in command
                       else ("", "trainer.accelerator=cpu"))  # set on the command line: trainer=cpu would not do
    assert result.stderr.splitlines()[-1] == (
        f"error: trainer.accelerator='gpu'{chosen} needs a CUDA GPU, and torch.cuda.is_available() is False "
        f"here (torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}); train on the CPU with "
        f"{way_out}, or let Lightning choose with trainer.accelerator=auto")
    assert not (tmp_path / "sweep").exists() and not (tmp_path / "outputs").exists()

@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_sweep_whose_jobs_cannot_report_the_optimized_metric_is_refused_before_training(train_in_process, tmp_path,
                                                                                         launcher):
    """data.eval_splits without val: the first job (or stack) trained, then the sweep stopped on the missing val/acc."""
    result = train_in_process("-m", "seed=1,2", "data.eval_splits=[train,test]", f"hydra/launcher={launcher}",
                              "trainer.max_steps=5")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: optimized_metric='val/acc' is not a metric the sweep's jobs report; allowed: one of eval/train_loss, "
        "eval/train_acc, eval/test_loss, eval/test_acc, train/acc, train/loss, test/loss, test/acc, or "
        "optimized_metric=null")  # status/diverged is reported (bookkeeping) but not offered; no "did you mean"
    assert not list(tmp_path.rglob("status.json")) and not list(tmp_path.rglob("*.ckpt"))
    if launcher == "stacked":  # it checks every job before writing one: the new sweep dir is not left behind
        assert not list(tmp_path.rglob("multirun.yaml"))


def test_a_key_under_a_switched_off_callback_names_that_it_is_off(train_subprocess, tmp_path):
    """The experiment sets callbacks.model_checkpoint: null; the message listed its allowed keys as nothing."""
    result = train_subprocess("experiment=overfit_dropout", "callbacks.model_checkpoint.monitor=val/acc")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: callbacks.model_checkpoint.monitor: callbacks.model_checkpoint is switched off (null) in this config, "
        "so it has no keys to set; allowed: leave callbacks.model_checkpoint off, or give it a whole config "
        "(callbacks.model_checkpoint={...})"]
    assert not (tmp_path / "outputs").exists()


def test_an_accelerator_set_over_the_cpu_trainer_is_named_as_set_not_as_trainer_gpu(train_in_process, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = train_in_process("trainer=cpu", "trainer.accelerator=gpu", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = result.stderr.splitlines()[-1]
    assert line.startswith("error: trainer.accelerator='gpu' needs a CUDA GPU")  # it said "(trainer=gpu)"
    assert line.endswith("train on the CPU with trainer.accelerator=cpu, or let Lightning choose with "
                         "trainer.accelerator=auto")
    assert not (tmp_path / "run").exists()


def test_a_slurm_sweep_on_a_machine_without_slurm_is_one_line_before_anything_is_written(train_in_process, tmp_path,
                                                                                          monkeypatch):
    """submitit failed after Hydra wrote the sweep directory: a traceback ending in 'Could not detect "srun"'."""
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    result = train_in_process("-m", "optimizer=sgd,adam", "hydra/launcher=submitit_slurm", "debug=limit",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "error: hydra/launcher=submitit_slurm submits the jobs to SLURM, and this machine has no srun (no SLURM client "
        "here); nothing was written. allowed: the same command on the cluster's login node, or a launcher of this "
        "machine: hydra/launcher=submitit_local, joblib or basic")
    assert not (tmp_path / "sweep").exists()


def test_a_launcher_typed_for_a_single_run_is_said_to_apply_to_multiruns_only():
    """Hydra launches only multiruns: `train.py optimizer=sgd hydra/launcher=submitit_slurm` trained on the login
    node without a word."""
    from trainlab.preflight import single_run_launcher_note

    assert single_run_launcher_note(["hydra/launcher=submitit_slurm", "hydra.run.dir=x"]) == (
        "hydra/launcher=submitit_slurm launches the jobs of a multirun (-m); this single run trains here, in this "
        "process (python train.py -m ... to launch it)")
    assert single_run_launcher_note(["hydra/launcher=basic"]) is None
    assert single_run_launcher_note(["hydra.run.dir=x"]) is None  # an experiment's launcher: not typed


@pytest.mark.parametrize(("launcher", "refused"), [("basic", True), ("stacked", True), ("joblib", True),
                                                   ("submitit_local", True), ("submitit_slurm", False)])
def test_the_gpu_of_a_multirun_is_checked_where_its_jobs_train(launcher, refused, monkeypatch):
    """A SLURM sweep is submitted from a login node that has no GPU; its jobs train on the cluster's GPU nodes."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        config = compose("train", overrides=["trainer=gpu", f"hydra/launcher={launcher}"], return_hydra_config=True)
    with read_write(config), open_dict(config):  # the command line as a multirun's config holds it
        config.hydra.overrides.task = ["optimizer.lr=0.1,0.01", "trainer=gpu"]
    if refused:
        with pytest.raises(ConfigError, match=r"^trainer.accelerator='gpu' \(trainer=gpu\) needs a CUDA GPU"):
            check_multirun_values(config)
    else:
        check_multirun_values(config)
    with read_write(config), open_dict(config):  # a sweep over the trainer: each job's config is the job's to check
        config.hydra.overrides.task = ["optimizer.lr=0.1,0.01", "trainer=gpu,cpu"]
    check_multirun_values(config)


@pytest.mark.parametrize(("command", "message"), [
    (["-m", "optimizer=sgd,adam", "hydra/launcher=stacked", "+hydra.launcher.foo=1"],
     "hydra.launcher.foo: unknown key; allowed keys of hydra.launcher (hydra/launcher=stacked): _target_, "
     "max_members, strict"),
    (["-m", "optimizer=sgd,adam", "+hydra.launcher.foo=1"],
     "hydra.launcher.foo: unknown key; allowed keys of hydra.launcher (hydra/launcher=basic): _target_"),
    (["-m", "optimizer=sgd,adam", "hydra/launcher=joblib", "+hydra.launcher.n_job=1"],  # joblib took it silently
     "hydra.launcher.n_job: unknown key; allowed keys of hydra.launcher (hydra/launcher=joblib): _target_, backend, "
     "batch_size, max_nbytes, mmap_mode, n_jobs, pre_dispatch, prefer, require, temp_folder, timeout, verbose; did "
     "you mean n_jobs?"),
    (["hparams_search=random", "hydra.sweeper.n_trials=2", "+hydra.sweeper.n_trial=1"],
     "hydra.sweeper.n_trial: unknown key; allowed keys of hydra.sweeper (hydra/sweeper=trainlab_optuna): _recursive_, "
     "_target_, direction, n_jobs, n_trials, params, sampler, storage, study_name; did you mean n_trials?"),
    (["-m", "optimizer=sgd,adam", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0"],  # a traceback, after
     "hydra.launcher.n_jobs=0 is invalid; allowed: an integer other than 0 (-1: one process per core)"),  # the yaml
    (["-m", "optimizer=sgd,adam", "hydra/launcher=joblib", "hydra.launcher.prefer=bar"],
     "hydra.launcher.prefer='bar' is invalid; allowed: processes, threads or null"),
], ids=["stacked", "basic", "joblib", "search", "joblib-n_jobs", "joblib-prefer"])
def test_a_key_added_to_a_launcher_or_sweeper_it_lacks_is_refused_in_one_line_before_anything(
        train_in_process, tmp_path, command, message):
    """Added with +, it was Hydra's multi-line 'Error in call to target ... unexpected keyword argument' once the
    sweeper was built (or, for joblib, which hands any keyword to joblib, silently ignored)."""
    result = train_in_process(*command, "debug=limit", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"error: {message}"
    assert not (tmp_path / "sweep").exists()


def test_a_search_whose_trials_would_share_a_directory_is_refused_before_a_trial_overwrites_another(
        train_in_process, tmp_path):
    """Trial 1 went into trial 0's directory, over its status, checkpoints and logs. The search asks a batch of
    trials before it launches any: the second is refused before the first trains."""
    sweep = tmp_path / "sweep"
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=2", "hydra/launcher=basic",
                              "debug=limit", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=same")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == SAME_DIR.format(sweep=sweep)
    assert not (sweep / "same").exists()


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_sweep_over_no_value_is_refused_before_anything(train_in_process, tmp_path, launcher):
    """-m seed=range(0,0) made a sweep directory with an empty summary.csv and exited 0 (the first-job check, which
    Hydra runs as a callback, raised an IndexError that Hydra turned into a warning)."""
    result = train_in_process("-m", "seed=range(0,0)", "optimizer=sgd,adam", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: seed=range(0,0): sweeps over no value, so the sweep has no job; nothing was written. allowed: a range "
        "or list of at least one value (e.g. seed=range(0,3)), or a glob() that matches an option of its config group")
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("search", [False, True], ids=["basic", "search"])
@pytest.mark.parametrize("override, why", [
    ("init=glob(zz*)", "glob() matches none of the options of init: default, glorot, he, normal, xavier, zeros"),
    ("optimizer.lr=glob(*)", "optimizer.lr is no config group, and glob() picks among a config group's options"),
])
def test_a_glob_that_matches_nothing_is_refused_before_anything(train_in_process, tmp_path, search, override, why):
    """Hydra launched 0 jobs and exited 0, leaving a sweep directory of multirun.yaml and an empty summary.csv."""
    sweep = tmp_path / "sweep"
    how = ["hparams_search=random", "hydra.sweeper.n_trials=2"] if search else ["-m"]
    result = train_in_process(*how, "debug=limit", override, f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {override}: {why}; allowed: {ALLOWED_FORMS}" if search else
        f"error: {override}: sweeps over no value, so the sweep has no job ({why}); nothing was written. allowed: a "
        "range or list of at least one value (e.g. seed=range(0,3)), or a glob() that matches an option of its config "
        "group")
    assert not sweep.exists()


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
@pytest.mark.slow  # ~5 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_sweep_whose_budget_ends_before_the_first_validation_is_refused_before_it_trains(
        train_in_process, tmp_path, launcher):
    """experiment=compare_optimizers trainer.max_steps=20 trained every job to its end, then failed: val/acc, the
    objective, is computed at the end of an epoch (4 steps here), which the budget never reached."""
    sizes = ["data.train_size=400", "data.val_size=100", "data.batch_size=100", "trainer.max_epochs=-1"]
    result = train_in_process("-m", "seed=1,2", *sizes, "trainer.max_steps=3", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: optimized_metric='val/acc' is computed by validation, which first runs after 4 steps (the end of "
        "epoch 1 of 4 steps: trainer.check_val_every_n_epoch=1), and trainer.max_steps=3 stops the run after 3 "
        "steps: the sweep would get no objective from it; nothing was trained. allowed: a budget of at least 4 steps "
        "(trainer.max_steps=4), or optimized_metric=null for jobs that return no objective")
    single = train_in_process(*sizes, "trainer.max_steps=3", f"hydra.run.dir={tmp_path / 'run'}")
    assert single.returncode == 0  # a single run only warns that it returns no objective
    enough = train_in_process("-m", "seed=1,2", *sizes, "trainer.max_steps=4", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={tmp_path / 'enough'}")
    assert enough.returncode == 0, enough.stderr[-2000:]


@pytest.mark.parametrize(("text", "problem"), [
    ("defaults:\n  - mlp\nnet\n  hidden_sizes: [10]\n",
     "not valid YAML: could not find expected ':' (line 4, column 15; while scanning a simple key at line 3, "
     "column 1)"),
    ("defaults:\n  - mlp\nnet:\n\thidden_sizes: [10]\n",
     "not valid YAML: found character '\\t' that cannot start any token (line 4, column 1)"),
])
def test_a_config_file_that_is_no_yaml_is_one_line_naming_the_file_and_line(train_in_process, tmp_path, text,
                                                                             problem):
    (tmp_path / "my_conf" / "model").mkdir(parents=True)
    (tmp_path / "my_conf" / "model" / "typo.yaml").write_text(text)
    result = train_in_process("--config-dir", str(tmp_path / "my_conf"), "model=typo",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2  # it was yaml's ~100-line traceback and exit 1
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'my_conf' / 'model' / 'typo.yaml'}: {problem}"]
    assert not (tmp_path / "run").exists()


def experiment_template() -> str:
    """The experiment config that conf/experiment/README.md offers to copy. The tests write it under another name
    than the README's my_exp: the repository's conf/ wins over --config-dir, so a contributor's own
    conf/experiment/my_exp.yaml replaced the copy."""
    text = (ROOT / "conf" / "experiment" / "README.md").read_text()
    return re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)


def test_the_experiment_template_of_conf_experiment_readme_runs_as_a_stacked_sweep(train_in_process, tmp_path):
    (tmp_path / "my_conf" / "experiment").mkdir(parents=True)
    (tmp_path / "my_conf" / "experiment" / "copied_template.yaml").write_text(experiment_template())
    sweep = tmp_path / "sweep"
    result = train_in_process("--config-dir", str(tmp_path / "my_conf"), "experiment=copied_template", "debug=limit",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "one stacked run of 6 jobs" in result.stdout + result.stderr
    assert len((sweep / "summary.csv").read_text().strip().splitlines()) == 1 + 6


@pytest.mark.parametrize(("edit", "line"), [
    (lambda text: text.replace("# @package _global_\n", ""),
     "error: the config experiment/copied_template: its defaults list overrides optimizer under the package of its "
     "own group, where that group is no key; allowed: '# @package _global_' as the file's first line (the keys of an "
     "experiment config are those of the whole config)"),
    (lambda text: "model:\n  net:\n    dropout: 0.1\n",  # no header, no defaults: its keys land under experiment.
     "error: experiment: unknown top-level key; allowed: callbacks, ckpt_path, compile, data, hydra, init, logger, "
     "model, objective_on_failure, optimized_metric, optimizer, paths, resume_sweep, scheduler, seed, task_name, test, "
     "trainer; an experiment config needs '# @package _global_' as its first line"),
    (lambda text: text.replace("- override /optimizer: adam", "- /optimizer: adam"),
     "error: optimizer: the defaults list of {conf}/experiment/copied_template.yaml chooses optimizer=adam where "
     "conf/train.yaml chooses from that group already; allowed: '- override /optimizer: adam' in that defaults list"),
    # it said "+optimizer=adam: ... no +", then named no file
])
def test_an_experiment_config_missing_its_header_or_an_override_names_what_to_add(train_in_process, tmp_path, edit,
                                                                                  line):
    (tmp_path / "my_conf" / "experiment").mkdir(parents=True)
    (tmp_path / "my_conf" / "experiment" / "copied_template.yaml").write_text(edit(experiment_template()))
    result = train_in_process("--config-dir", str(tmp_path / "my_conf"), "experiment=copied_template",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line.format(conf=tmp_path / "my_conf")
    assert not (tmp_path / "sweep").exists() and not (tmp_path / "run").exists()


def test_a_missing_option_an_experiment_file_chooses_names_that_file(train_in_process, tmp_path):
    """The command line did not choose optimizer=my_sdg: the line names the file that did (Hydra says "In 'train'")."""
    (tmp_path / "my_conf" / "experiment").mkdir(parents=True)
    (tmp_path / "my_conf" / "experiment" / "copied_template.yaml").write_text(
        experiment_template().replace("- override /optimizer: adam", "- override /optimizer: my_sdg"))
    result = train_in_process("--config-dir", str(tmp_path / "my_conf"), "experiment=copied_template",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    file = tmp_path / "my_conf" / "experiment" / "copied_template.yaml"
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: optimizer=my_sdg (chosen in {file}): no option 'my_sdg' in config group optimizer; allowed: adagrad, ")
    # another experiment choosing it too, which this command does not compose, is not named
    (tmp_path / "my_conf" / "experiment" / "another.yaml").write_text(file.read_text())
    again = train_in_process("--config-dir", str(tmp_path / "my_conf"), "experiment=copied_template",
                             f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert again.stderr.strip().splitlines()[-1].startswith(f"error: optimizer=my_sdg (chosen in {file}): ")
    typed = train_in_process("--config-dir", str(tmp_path / "my_conf"), "optimizer=my_sdg")  # typed: no file named
    assert typed.stderr.strip().splitlines()[-1].startswith("error: optimizer=my_sdg: no option 'my_sdg' in ")
    assert not (tmp_path / "sweep").exists()


def test_the_primary_config_directory_is_searched_for_the_file_that_chose_a_missing_option(tmp_path):
    """Hydra names the primary config directory by its bare path (``--config-dir``'s by ``file://``), so an
    experiment of the checkout's own conf/ that chose a missing option was not named: only --config-dir files were."""
    from trainlab.option_source import chosen_in, search_path_dirs

    conf = tmp_path / "conf"
    (conf / "experiment").mkdir(parents=True)
    (conf / "train.yaml").write_text("defaults:\n  - _self_\n")
    (conf / "experiment" / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - override /optimizer: my_sdg\n")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        assert conf in search_path_dirs()
        chosen = chosen_in("optimizer", "my_sdg", ["experiment=mine"])
        assert chosen == f" (chosen in {conf / 'experiment' / 'mine.yaml'})"
    GlobalHydra.instance().clear()


@pytest.mark.parametrize(("place", "told"), [
    ("optimizers/mine.yaml", "found {dir}/optimizers/mine.yaml, where Hydra does not look for it: move it to "
                             "{dir}/optimizer/mine.yaml"),
    ("optimizer/mine.yml", "found {dir}/optimizer/mine.yml, where Hydra does not look for it: move it to "
                           "{dir}/optimizer/mine.yaml (Hydra reads .yaml files only)"),
    ("mine.yaml", "found {dir}/mine.yaml, where Hydra does not look for it: move it to {dir}/optimizer/mine.yaml")])
def test_a_missing_option_whose_file_is_elsewhere_in_the_config_directory_says_where_to_move_it(
        train_in_process, tmp_path, place, told):
    """``no option 'mine' in config group optimizer`` named neither the misplaced file nor where options are read."""
    conf = tmp_path / "my_conf"
    (conf / place).parent.mkdir(parents=True, exist_ok=True)
    (conf / place).write_text("_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.01\n")
    result = train_in_process("--config-dir", str(conf), "optimizer=mine", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: optimizer=mine: no option 'mine' in config group optimizer; allowed: adagrad, ")
    assert line.endswith("; " + told.format(dir=conf)), line
    assert not (tmp_path / "run").exists()


def test_an_option_of_another_group_is_no_misplaced_file():
    """``scheduler=adam``: conf/optimizer/adam.yaml is the optimizer group's option, in its place."""
    from trainlab.option_source import misplaced_option_file

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        assert misplaced_option_file("scheduler", "adam") == ""
    GlobalHydra.instance().clear()


@pytest.mark.parametrize(("word", "swept"), [
    ("hydra.sweeper.params={trainer.limit_train_batches:'2,3'}", "trainer.limit_train_batches=2,3"),
    ("hydra.sweeper.params.trainer.limit_train_batches='2,3'", "trainer.limit_train_batches=2,3"),
    ("hydra.sweeper.params.optimizer='sgd,adam'", "optimizer=sgd,adam"),  # a key at the null node's root
    ("hydra.sweeper.params={optimizer:[sgd,adam],trainer:{max_epochs:'1,2'}}", "optimizer=sgd,adam "
     "trainer.max_epochs=1,2")])  # a list and a nested node, as the basic sweeper reads them
def test_sweeper_params_set_on_the_command_line_are_one_line_naming_the_overrides_to_give(train_in_process,
                                                                                          tmp_path, word, swept):
    """OmegaConf cannot set a key in the basic sweeper's null params: a traceback of AttributeError or
    AssertionError, exit status 1."""
    result = train_in_process("-m", word, "debug=limit", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {word}: hydra.sweeper.params is null in the basic sweeper's schema and cannot be set on the command "
        f"line; allowed: the swept values as overrides (-m {swept}), or hydra.sweeper.params in a config file (an "
        "experiment config, conf/experiment/README.md)")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "sweep").exists()


def test_a_yaml_error_raised_while_training_is_the_tasks_own_not_a_config_file(train_in_process, tmp_path,
                                                                               monkeypatch):
    """Only a file Hydra reads while composing is reported as a config file that is no YAML."""
    (tmp_path / "user_code").mkdir()
    (tmp_path / "user_code" / "yaml_reading_callback.py").write_text(
        "import lightning as L\nimport yaml\n\n\nclass ReadsBrokenYaml(L.Callback):\n"
        "    def on_train_start(self, trainer, pl_module):\n        yaml.safe_load('a: [1, 2')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "user_code"))
    result = train_in_process("+callbacks.reader._target_=yaml_reading_callback.ReadsBrokenYaml", "debug=limit",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 1  # a traceback: the task's error, recorded as failed
    assert "not valid YAML" not in result.stderr
    assert '"status": "failed"' in (tmp_path / "run" / "status.json").read_text()


@pytest.mark.parametrize(("words", "line"), [
    # a multirun stopped with "Input config does not have a `_target_` field", exit 1; a single run ignored it
    (["-m", "optimizer.lr=0.1,0.01", "hydra.launcher=stacked"],
     "error: hydra.launcher=stacked: a dot sets the key hydra.launcher to a string, where hydra/launcher is a config "
     "group; allowed: hydra/launcher=stacked (a slash: the config group's option)"),
    (["hydra.launcher=stacked"],
     "error: hydra.launcher=stacked: a dot sets the key hydra.launcher to a string, where hydra/launcher is a config "
     "group; allowed: hydra/launcher=stacked (a slash: the config group's option)"),
    (["-m", "optimizer.lr=0.1,0.01", "hydra.sweeper=optuna"],
     "error: hydra.sweeper=optuna: a dot sets the key hydra.sweeper to a string, where hydra/sweeper is a config "
     "group; allowed: hydra/sweeper=basic|trainlab_optuna (a slash: the config group's option)"),
    (["-m", "optimizer.lr=0.1,0.01", "hydra.launcher=stack"],
     "error: hydra.launcher=stack: a dot sets the key hydra.launcher to a string, where hydra/launcher is a config "
     "group; allowed: hydra/launcher=basic|joblib|stacked|submitit_local|submitit_slurm (a slash: the config group's "
     "option); did you mean hydra/launcher=stacked?"),
    # a glob(): its expansion without Hydra's config loader raised "ConfigLoader is not set", a traceback (exit 1)
    (["-m", "hydra.launcher=glob(*)"],
     "error: hydra.launcher=glob(*): a dot sets the key hydra.launcher to a string, where hydra/launcher is a config "
     "group; allowed: hydra/launcher=glob(*) (a slash: the config group's option)"),
])
def test_a_config_group_set_with_a_dot_is_one_line_naming_the_slash(train_in_process, tmp_path, words, line):
    result = train_in_process("debug=limit", *words, f"hydra.run.dir={tmp_path / 'run'}",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])
    assert not (tmp_path / "run").exists() and not (tmp_path / "sweep").exists()


@pytest.mark.parametrize(("override", "line"), [
    ("seed=int(a)", "cannot parse the override 'seed=int(a)': Error parsing override 'seed=int(a)' ValueError while "
                    "evaluating 'int(a)': invalid literal for int() with base 10: 'a' See https://hydra.cc/"),
    ("optimizer.lr=float(x)", "cannot parse the override 'optimizer.lr=float(x)': Error parsing override "),
    ("optimizer.lr=interval(1)", "optimizer.lr=interval(1): TypeError while evaluating 'interval(1)': missing a "
                                 "required argument: 'end'; allowed: interval(a, b), tag(log, interval(a, b)), "),
    ("optimizer.lr=tag(log, interval(1))", "optimizer.lr=tag(log, interval(1)): TypeError while evaluating "
                                           "'interval(1)': missing a required argument: 'end'; allowed: interval("),
    ("optimizer.lr=intervall(1,2)", "optimizer.lr=intervall(1,2): HydraException while evaluating 'intervall(1,2)': "
                                    "Unknown function 'intervall'; allowed: interval(a, b), "),
], ids=["int cast", "float cast", "interval", "tag", "unknown function"])
def test_a_search_rewrites_only_a_sweep_functions_error_and_a_failed_cast_keeps_hydras_line(monkeypatch, override,
                                                                                            line):
    """``hparams_search=random 'seed=int(a)'`` printed the search's forms (interval, tag, ...) for a cast that
    failed, which none of them is a way out of."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    from trainlab.hydra_errors import one_line_message

    monkeypatch.setattr("sys.argv", ["train.py", "hparams_search=random", override])
    with pytest.raises(OverrideParseException) as error:
        OverridesParser.create().parse_overrides([override])
    assert one_line_message(error.value).startswith(line)


@pytest.mark.parametrize(("word", "cause"), [
    ("init.std=${.nowhere}", "Interpolation key 'nowhere' not found"),
    ("trainer.max_epochs=${oc.env:TRAINLAB_TEST_UNSET_VARIABLE}",
     "KeyError raised while resolving interpolation: \"Environment variable 'TRAINLAB_TEST_UNSET_VARIABLE' not "
     "found\"")])
def test_an_interpolation_that_cannot_resolve_is_one_line_before_anything_is_written(train_in_process, tmp_path, word,
                                                                                      cause):
    """Its check raised OmegaConf's error inside the preflight, which Hydra turned into a warning: the run directory
    was made and the run ended with a traceback, exit status 1."""
    result = train_in_process("init=normal", word, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {word}: {cause}; allowed: an interpolation that resolves (of a key the config has: "
        "${model.weight_decay}, ${.lr}; of an environment variable that is set), or a value")
    assert not (tmp_path / "run").exists()


def test_an_interpolation_in_a_list_that_cannot_resolve_is_named_by_its_index():
    """The walk read a list's items resolved, so the check itself raised OmegaConf's error there."""
    from omegaconf import OmegaConf

    from trainlab.config_validation import check_interpolations_name_keys
    from trainlab.errors import ConfigError

    check_interpolations_name_keys(OmegaConf.create({"sizes": [1, "${width}"], "width": 2, "out": "${hydra:x}"}))
    with pytest.raises(ConfigError, match=r"^model\.net\.hidden_sizes\[1\]=\$\{nope\}: Interpolation key 'nope' "
                                          r"not found; allowed: "):
        check_interpolations_name_keys(OmegaConf.create({"model": {"net": {"hidden_sizes": [100, "${nope}"]}}}))


@pytest.mark.parametrize(("file", "text", "line"), [
    ("optimizer/bad8.yaml", "0.1\n",
     "holds a number (0.1), where a config file holds a mapping of keys; allowed: a mapping of keys, one 'key: value' "
     "a line (as the other options of config group optimizer are)"),  # OSError: Invalid loaded object type, rc 1
    ("optimizer/bad8.yaml", "- a\n",
     "holds a list ([a]), where a config file holds a mapping of keys; allowed: a mapping of keys, one 'key: value' "
     "a line (as the other options of config group optimizer are)"),  # "checks ... failed unexpectedly", rc 1
    ("experiment/bad8.yaml", "# @package _global_\noptimizer: [1, 2]\n",
     "optimizer: [1, 2] is a list, where optimizer holds a mapping (the keys of an option of config group optimizer); "
     "allowed: a mapping of optimizer's keys (optimizer: {...}), or an option of config group optimizer chosen in the "
     "defaults list ('- override /optimizer: <option>')"),  # Hydra's "Cannot merge DictConfig with ListConfig"
    ("experiment/bad8.yaml", "# @package _global_\ndefaults:\n  override /optimizer: adam\n",
     "its defaults is a mapping, not a list; allowed: a list, one entry a line ('- _self_', '- override /optimizer: "
     "adam')"),  # ValueError: Invalid defaults list, a traceback
    ("optimizer/bad8.yaml", "# @package\nlr: 0.1\n",
     "its header line '# @package' names no package; allowed: '# @package <package>' with one package: _global_ (the "
     "keys of the whole config), _group_ (those of its config group) or a key (optimizer)"),  # ValueError traceback
    ("experiment/bad8.yaml", "# @package _globl_\noptimizer:\n  lr: 0.1\n",
     "its header '# @package _globl_' puts its keys under _globl_, which is no top-level key; allowed: '# @package "
     "_global_' (the keys of the whole config), or a top-level key: callbacks, ckpt_path, compile, data, hydra, init, "
     "logger, model, objective_on_failure, optimized_metric, optimizer, paths, resume_sweep, scheduler, seed, "
     "task_name, test, trainer; did you mean _global_?"),  # "_globl_: unknown top-level key", neither file nor header
])
def test_a_config_file_of_the_wrong_shape_is_one_line_naming_the_file_and_the_shape_it_takes(train_in_process,
                                                                                            tmp_path, file, text,
                                                                                            line):
    conf = tmp_path / "my_conf"
    (conf / file).parent.mkdir(parents=True)
    (conf / file).write_text(text)
    before = sorted(tmp_path.rglob("*"))
    group = file.partition("/")[0]
    result = train_in_process("--config-dir", str(conf), f"{group}=bad8", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {conf / file}: {line}"]
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: no run directory
    assert (conf / file).read_text() == text


@pytest.mark.parametrize("key", ["logger", "callbacks"])
def test_an_experiment_that_switches_loggers_or_callbacks_off_with_false_is_no_wrong_shape(make_cfg, tmp_path, key):
    """``logger: false`` - Lightning's way to log nothing, which the training task reads as no logger - ran before
    the checks of a file's shape, and was then refused as 'true or false, where logger holds a mapping'."""
    from trainlab.config_file_shapes import check_group_shapes

    cfg = make_cfg()
    cfg[key] = False
    check_group_shapes(cfg)


def test_a_sweep_over_an_option_whose_file_holds_a_single_value_is_one_line_before_anything(train_in_process,
                                                                                          tmp_path):
    """The checks composing the sweep's jobs read it: "trainlab's checks before the run failed unexpectedly
    (OSError: Invalid loaded object type: float)", a traceback and exit 1."""
    (tmp_path / "my_conf" / "optimizer").mkdir(parents=True)
    (tmp_path / "my_conf" / "optimizer" / "bad8.yaml").write_text("0.1\n")
    result = train_in_process("--config-dir", str(tmp_path / "my_conf"), "-m", "optimizer=bad8,adam",
                              f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'my_conf' / 'optimizer' / 'bad8.yaml'}: holds a number (0.1), where a config file holds "
        "a mapping of keys; allowed: a mapping of keys, one 'key: value' a line (as the other options of config group "
        "optimizer are)"]
    assert not (tmp_path / "sweep").exists()
