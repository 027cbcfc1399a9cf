"""A sweep's jobs composed from templates are the configs Hydra composes from the YAML files, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import OmegaConf

from trainlab.sweep.composed_configs import compose_from_templates

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.fixture()
def loader_and_master(tmp_path):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        master = loader.load_configuration("train", [f"hydra.sweep.dir={tmp_path}", "hydra.mode=MULTIRUN"],
                                           RunMode.MULTIRUN)
        yield loader, master


def counting(loader):
    """Counts the full compositions the loader's own ``load_sweep_config`` does."""
    compose, calls = loader.load_sweep_config, []

    def load_sweep_config(master_config, sweep_overrides):
        calls.append(list(sweep_overrides))
        return compose(master_config, sweep_overrides)

    loader.load_sweep_config = load_sweep_config
    return calls


def as_data(config):
    return OmegaConf.to_container(config, resolve=False)


JOBS = [
    ["optimizer=adam", "optimizer.lr=0.003", "seed=4"],
    ["optimizer=adam", "optimizer.lr=0.0001", "model.weight_decay=0.01"],
    ["init=normal", "init.std=0.5", "model.net.batch_norm=custom", "model.net.dropout=0.2"],
    ["experiment=compare_batchnorm", "init.std=0.25", "model.net.batch_norm=none"],
    ["model.net.hidden_sizes=[50,50]", "data.batch_size=64"],
    ["optimizer.lr=1e-3", "trainer.max_epochs=2"],
    ["model.weight_decay=null"],
    ["+extra_key=1", "seed=3"],  # an addition: composed in full
    ["hydra.job.chdir=true", "seed=3"],  # a hydra key: composed in full
    [],
]


@pytest.mark.parametrize("overrides", JOBS, ids=[" ".join(job) or "none" for job in JOBS])
def test_a_job_composed_from_its_template_equals_hydras_own_composition(loader_and_master, overrides):
    loader, master = loader_and_master
    expected = loader.load_sweep_config(master, overrides)
    compose_from_templates(loader)
    loader.load_sweep_config(master, ["seed=99", *overrides])  # another job of the same template comes first
    composed = loader.load_sweep_config(master, overrides)
    assert as_data(composed) == as_data(expected)
    assert OmegaConf.is_struct(composed)
    assert composed.hydra.overrides.task == [o for o in overrides if not o.startswith("hydra.")]
    assert composed.hydra.job.override_dirname == expected.hydra.job.override_dirname


def test_jobs_that_differ_in_values_only_are_composed_from_yaml_once_per_group_choice(loader_and_master):
    loader, master = loader_and_master
    compositions = counting(loader)
    compose_from_templates(loader)
    compose_from_templates(loader)  # installing twice wraps once
    rates = [f"optimizer.lr={lr}" for lr in (0.1, 0.01, 0.001)]
    configs = [loader.load_sweep_config(master, [choice, rate]) for choice in ("optimizer=sgd", "optimizer=adam")
               for rate in rates]
    assert compositions == [["optimizer=sgd"], ["optimizer=adam"]]
    assert [c.optimizer.lr for c in configs] == [0.1, 0.01, 0.001] * 2
    assert [c.optimizer._target_.rsplit(".", 1)[-1] for c in configs] == ["SGD"] * 3 + ["Adam"] * 3
    configs[0].optimizer.lr = 5.0  # a caller's changes never reach the template or another job
    assert loader.load_sweep_config(master, ["optimizer=sgd", rates[0]]).optimizer.lr == 0.1
    assert len(compositions) == 2


def test_a_config_handed_over_is_the_answer_to_the_next_call_for_the_same_overrides_and_to_that_call_only(
        loader_and_master):
    loader, master = loader_and_master
    compose_from_templates(loader)
    trial = ["optimizer.lr=0.004", "model.weight_decay=1e-06"]
    read = loader.load_sweep_config(master, trial)  # what a sweeper composes to learn the job's directory
    loader.load_sweep_config.hand_over(master, trial, read)
    other = loader.load_sweep_config(master, ["optimizer.lr=0.005", "model.weight_decay=1e-06"])
    assert other is not read and other.optimizer.lr == 0.005  # other overrides: composed as before
    assert loader.load_sweep_config(master, trial) is read  # the launcher's call: no second composition
    again = loader.load_sweep_config(master, trial)  # handed over once: composed anew, equal and independent
    assert again is not read and as_data(again) == as_data(read)


def test_configs_handed_over_are_dropped_after_a_launch_and_never_sent_to_worker_processes(loader_and_master):
    import copy

    loader, master = loader_and_master
    compose_from_templates(loader)
    composer = loader.load_sweep_config
    trials = [[f"optimizer.lr={lr}"] for lr in (0.1, 0.2)]
    for trial in trials:
        composer.hand_over(master, trial, loader.load_sweep_config(master, trial))
    # what joblib's and submitit's workers get: the composer's pickled state (copy.copy takes the same state; a
    # pickle of the loader itself fails in a pytest worker where Hydra's plugin scan re-imported its classes)
    shipped = copy.copy(composer)
    assert len(composer.handed_over) == 2 and len(shipped.handed_over) == 0
    assert shipped.templates == composer.templates  # the templates still travel: workers compose from them
    composer.forget_handed_over()  # the Optuna search does it when a launch returns
    assert loader.load_sweep_config(master, trials[0]).optimizer.lr == 0.1 and not composer.handed_over


def test_a_search_launches_each_trial_with_the_config_composed_for_its_directory(train_in_process, tmp_path,
                                                                                  monkeypatch):
    """The Optuna sweeper composes a trial to learn its job directory; the launcher ran that composition again."""
    from trainlab.sweep.composed_configs import TemplateComposer

    call, answers = TemplateComposer.__call__, []

    def recording(self, master_config, sweep_overrides):
        config = call(self, master_config, sweep_overrides)
        answers.append((tuple(sweep_overrides), config))
        return config

    monkeypatch.setattr(TemplateComposer, "__call__", recording)
    result = train_in_process("hparams_search=random", "hydra.sweeper.n_trials=3", "trainer.max_epochs=1")
    assert result.returncode == 0, result.stderr[-3000:]
    asked: dict[tuple, list] = {}
    for overrides, config in answers:
        asked.setdefault(overrides, []).append(config)
    trials = [overrides for overrides, configs in asked.items() if len(configs) == 2]  # its directory, its launch
    assert len(trials) == 3  # (the search also composes its bounds, once each, to check them)
    assert all(len(configs) == 1 for overrides, configs in asked.items() if overrides not in trials)
    for overrides in trials:
        first, second = asked[overrides]
        assert first is second
    (sweep_dir,) = (tmp_path / "outputs" / "multiruns").iterdir()
    saved = {OmegaConf.load(path).optimizer.lr for path in sweep_dir.glob("*/.hydra/config.yaml")}
    assert saved == {float(o.split("=")[1]) for overrides in trials for o in overrides
                     if o.startswith("optimizer.lr=")}


def test_an_unknown_key_fails_as_it_does_when_hydra_composes_it(loader_and_master):
    loader, master = loader_and_master
    with pytest.raises(ConfigCompositionException) as hydra_error:
        loader.load_sweep_config(master, ["optimizer.lrr=0.1"])
    compose_from_templates(loader)
    with pytest.raises(ConfigCompositionException) as template_error:
        loader.load_sweep_config(master, ["optimizer.lrr=0.1"])
    assert str(template_error.value) == str(hydra_error.value)
    assert "Could not override 'optimizer.lrr'" in str(template_error.value)


def test_copies_of_a_template_are_equal_independent_and_keep_the_flags(loader_and_master):
    from trainlab.sweep.composed_configs import Template, config_copy

    loader, master = loader_and_master
    composed = loader.load_sweep_config(master, ["optimizer=adam"])
    template = Template.of(composed)
    assert template.pickled is not None
    first, second = template.copy(), config_copy(composed)
    for copied in (first, second):
        assert copied is not composed and as_data(copied) == as_data(composed)
        assert OmegaConf.is_struct(copied)
        assert OmegaConf.get_type(copied, "hydra") is OmegaConf.get_type(composed, "hydra")
    first.optimizer.lr = 5.0
    assert composed.optimizer.lr != 5.0 and second.optimizer.lr != 5.0


def test_a_config_that_does_not_pickle_is_deep_copied():
    from trainlab.sweep.composed_configs import Template, config_copy

    config = OmegaConf.create({"hook": lambda: 1, "n": 2}, flags={"allow_objects": True})  # a lambda: no pickle
    template = Template.of(config)
    assert template.pickled is None
    copied = config_copy(config)
    assert copied is not config and copied.n == 2 and copied.hook() == 1


def test_lines_and_keys_are_asked_of_hydra_once_and_a_bad_line_fails_as_hydra_fails(loader_and_master):
    from hydra.errors import OverrideParseException

    loader, master = loader_and_master
    with pytest.raises(OverrideParseException) as hydra_error:
        loader.load_sweep_config(master, ["seed=1", "optimizer.lr=[1,"])
    compose_from_templates(loader)
    composer = loader.load_sweep_config
    parsed_lines, group_lookups = [], []
    parse, repository = composer.parser.parse_overrides, composer.repository

    class CountingRepository:
        def group_exists(self, name):
            group_lookups.append(name)
            return repository.group_exists(name)

    composer.parser.parse_overrides = lambda lines: parsed_lines.extend(lines) or parse(lines)
    composer.repository = CountingRepository()
    try:
        configs = [loader.load_sweep_config(master, ["optimizer=adam", "seed=3", f"optimizer.lr={lr}"])
                   for lr in (0.1, 0.01, 0.1)]
        assert [c.optimizer.lr for c in configs] == [0.1, 0.01, 0.1]
        assert configs[2].hydra.overrides.task == ["optimizer=adam", "seed=3", "optimizer.lr=0.1"]
        assert parsed_lines == ["optimizer=adam", "seed=3", "optimizer.lr=0.1", "optimizer.lr=0.01"]
        assert sorted(group_lookups) == ["optimizer", "optimizer.lr", "seed"]
        assert composer.templates[next(iter(composer.templates))].value_keys == {"seed": True, "optimizer.lr": True}
        with pytest.raises(OverrideParseException) as template_error:
            loader.load_sweep_config(master, ["seed=1", "optimizer.lr=[1,"])
        assert str(template_error.value) == str(hydra_error.value)
    finally:
        composer.parser.parse_overrides, composer.repository = parse, repository


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_a_basic_sweep_composes_its_jobs_from_one_template(train_in_process, tmp_path, monkeypatch, launcher):
    """The basic sweeper composes every job to check it and its launcher composes it again to run it: 2 x 0.25 s a
    job from the YAML files. With hydra.callbacks.compose_from_templates the files are composed once for the three
    jobs (the multirun's own config aside), and each job's saved config holds its own value."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    compose, job_compositions = ConfigLoaderImpl.load_configuration, []

    def load_configuration(self, config_name, overrides, run_mode, *args, **kwargs):
        if run_mode == RunMode.RUN and "seed=1,2,3" not in overrides:  # not the multirun's own (hydra_mode_composition)
            job_compositions.append(list(overrides))
        return compose(self, config_name, overrides, run_mode, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", load_configuration)
    sweep = tmp_path / "sweep"
    joblib_options = ["hydra.launcher.n_jobs=1"] if launcher == "joblib" else []
    result = train_in_process("-m", "seed=1,2,3", "debug=fast_dev_run", f"hydra/launcher={launcher}",
                              f"hydra.sweep.dir={sweep}", *joblib_options)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(job_compositions) == 1, job_compositions  # the template (seed=... is a value, set on a copy)
    job_files = sorted(sweep.glob("*/.hydra/config.yaml"))
    assert [OmegaConf.load(path).seed for path in job_files] == [1, 2, 3]
    overrides = [list(OmegaConf.load(path.parent / "overrides.yaml")) for path in job_files]
    assert [[line for line in lines if line.startswith("seed=")] for lines in overrides] == [["seed=1"], ["seed=2"],
                                                                                            ["seed=3"]]
