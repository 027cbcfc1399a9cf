"""Which jobs ``hydra/launcher=stacked`` may train as one model (``trainlab.stacked.grouping``): interpolated values,
fp16 loss scaling and checkpoint callbacks a stack would honour differently from a lone run. Composed configs only:
nothing trains here."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf, open_dict

from trainlab.stacked.grouping import callback_plan, group_key, plan_stacks, resolve_key_interpolations, why_alone


def stacks_of(make_cfg, *jobs: list[str]) -> list[list[int]]:
    return plan_stacks([make_cfg(*overrides) for overrides in jobs], max_members=128)[0]


# ---- interpolations are compared by the value they give the job ------------------------------------------------------
def test_a_stackable_key_interpolated_into_another_key_splits_the_group(make_cfg):
    # `-m seed=1,2 data.seed='${seed}'`: the members' data orders differ, so they cannot share batches
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${seed}"], ["seed=2", "data.seed=${seed}"]) == [[0], [1]]
    assert stacks_of(make_cfg, ["seed=1"], ["seed=2"]) == [[0, 1]]  # nothing interpolated: one stack
    # an interpolation of a key that is part of the group key is compared as written: that key decides
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${trainer.max_epochs}"],
                     ["seed=3", "data.seed=${trainer.max_epochs}"]) == [[0, 1]]
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${trainer.max_epochs}", "trainer.max_epochs=2"],
                     ["seed=3", "data.seed=${trainer.max_epochs}", "trainer.max_epochs=3"]) == [[0], [1]]


def test_interpolations_inside_text_and_relative_ones_resolve(make_cfg):
    text = [make_cfg(f"seed={seed}", "+data.tag=run_${seed}") for seed in (1, 2)]
    assert group_key(text[0]) != group_key(text[1])
    relative = [make_cfg(f"seed={seed}", "data.seed=${..seed}") for seed in (1, 2)]
    assert group_key(relative[0]) != group_key(relative[1])


def test_resolver_calls_stay_as_written_and_per_job_paths_still_stack(make_cfg):
    cfgs = [make_cfg(f"seed={seed}") for seed in (1, 2, 3)]
    with open_dict(cfgs[2]):  # what the launcher's jobs hold: their directories come from Hydra's resolver
        cfgs[2].paths.output_dir = "${hydra:runtime.output_dir}"
        cfgs[2].paths.root_dir = "${oc.env:TRAINLAB_ROOT_FOR_NO_TEST,.}"
        cfgs[2].paths.data_dir = "${paths.root_dir}/data"  # (the tests' configs name the data directory itself)
        cfgs[2].task_name = "train_${now:%H-%M-%S}"
    for cfg in cfgs:  # per-job paths: interpolations of paths.output_dir, which the launcher leaves to Hydra
        with open_dict(cfg):
            cfg.paths.output_dir = "${hydra:runtime.output_dir}"
    key = group_key(cfgs[2])  # no HydraConfig is set: ${hydra:...} does not resolve, and stays as written
    assert "${paths.output_dir}/checkpoints" in key and "${now:%H-%M-%S}" in key
    assert '"data_dir": "${paths.root_dir}/data"' in key  # paths.root_dir is in the key itself
    assert group_key(cfgs[0]) == group_key(cfgs[1])
    assert plan_stacks(cfgs[:2], max_members=128)[0] == [[0, 1]]


def test_values_interpolating_keys_the_group_key_leaves_out_resolve_as_omegaconf_resolves_them():
    values = {"seed": 3, "optimizer": {"lr": 0.5, "betas": [0.9, 0.99]}, "hydra": {"job": {"num": 7}},
              "model": {"net": {"dropout": 0.2}},
              "data": {"seed": "${seed}", "tag": "run_${seed}_${optimizer.lr}", "rel": "${..seed}",
                       "b": "${optimizer.betas}", "beta": "${optimizer.betas.1}", "num": "${hydra.job.num}",
                       "p": "${model.net.dropout}",
                       "other": "${data.size}", "size": 10, "nested": "${optimizer.${data.key}}", "key": "lr"},
              "when": "${now:%H}_${seed}", "env": "${oc.env:TRAINLAB_UNSET_FOR_TEST,d}", "gone": "${seed.nowhere}"}
    cfg = OmegaConf.create(values)
    container = OmegaConf.to_container(cfg, resolve=False)
    resolve_key_interpolations(cfg, container)
    assert container["data"] == {"seed": 3, "tag": "run_3_0.5", "rel": 3, "b": [0.9, 0.99], "beta": 0.99, "num": 7,
                                 "p": 0.2, "other": "${data.size}", "size": 10, "nested": 0.5, "key": "lr"}
    # resolver calls and what cannot resolve stay as written; so does a key of the group key (data.size)
    assert (container["when"], container["env"], container["gone"]) == (values["when"], values["env"],
                                                                        values["gone"])


def test_an_interpolation_that_cannot_resolve_is_compared_as_written(make_cfg):
    cfgs = [make_cfg(f"seed={seed}", "+data.tag=${no.such.key}") for seed in (1, 2)]
    assert group_key(cfgs[0]) == group_key(cfgs[1])
    assert "${no.such.key}" in group_key(cfgs[0])


# ---- fp16 loss scaling -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("precision", ["16-mixed", "16", 16])
def test_fp16_mixed_precision_runs_alone(make_cfg, precision):
    reason = why_alone(make_cfg(f"trainer.precision={precision}"))
    assert reason is not None and reason.startswith(f"trainer.precision={precision}: ")
    assert "GradScaler" in reason
    assert stacks_of(make_cfg, ["trainer.precision=16-mixed", "seed=1"], ["trainer.precision=16-mixed", "seed=2"]) \
        == [[0], [1]]


@pytest.mark.parametrize("precision", ["32-true", "64-true", "bf16-mixed", "bf16-true", "16-true"])
def test_precisions_without_a_grad_scaler_stack(make_cfg, precision):
    assert why_alone(make_cfg(f"trainer.precision={precision}")) is None


# ---- checkpoint callbacks --------------------------------------------------------------------------------------------
def test_the_default_last_checkpoint_stacks_and_saves_every_epoch(make_cfg, tmp_path):
    cfg = make_cfg()
    plan, reason = callback_plan(cfg)
    assert reason is None and why_alone(cfg) is None
    assert plan.last_checkpoint == (tmp_path / "run" / "checkpoints" / "last.ckpt", 1)


@pytest.mark.parametrize(("overrides", "every"), [
    (["callbacks.last_checkpoint.every_n_epochs=0"], None),  # Lightning: no epoch-end saves, and nothing else
    (["callbacks.last_checkpoint.every_n_epochs=null", "+callbacks.last_checkpoint.every_n_train_steps=0"], None),
    (["callbacks.last_checkpoint.every_n_epochs=null"], 1),  # no trigger at all: Lightning's every_n_epochs=1
    (["callbacks.last_checkpoint.every_n_epochs=3"], 3),
])
def test_the_stack_saves_last_ckpt_when_lightning_would(make_cfg, overrides, every):
    cfg = make_cfg(*overrides)
    plan, reason = callback_plan(cfg)
    assert reason is None and why_alone(cfg) is None
    assert (plan.last_checkpoint and plan.last_checkpoint[1]) == every
    lone = instantiate(cfg.callbacks.last_checkpoint)  # what the lone run's callback does
    assert (lone.every_n_epochs or None) == every and lone._every_n_train_steps == 0
    assert lone._train_time_interval is None and not lone.save_last


@pytest.mark.parametrize(("overrides", "reason"), [
    (["callbacks.last_checkpoint.save_on_train_epoch_end=false"],
     "callbacks.last_checkpoint.save_on_train_epoch_end=false: Lightning saves it after validation, the stack at the"
     " end of the training epoch"),
    (["callbacks.last_checkpoint.save_on_train_epoch_end=null", "trainer.check_val_every_n_epoch=2"],
     "callbacks.last_checkpoint.save_on_train_epoch_end=null with trainer.check_val_every_n_epoch=2: Lightning saves"
     " it after validation, the stack at the end of the training epoch"),
    (["callbacks.last_checkpoint.save_on_train_epoch_end=null", "+trainer.val_check_interval=0.5"],
     "callbacks.last_checkpoint.save_on_train_epoch_end=null with trainer.val_check_interval=0.5: Lightning saves"
     " it after validation, the stack at the end of the training epoch"),
    (["+callbacks.last_checkpoint.save_on_exception=true"],
     "callbacks.last_checkpoint.save_on_exception=true: the stack saves no checkpoint when an exception stops it"),
])
def test_a_checkpoint_saved_after_validation_runs_alone(make_cfg, overrides, reason):
    cfg = make_cfg(*overrides)
    assert why_alone(cfg) == reason
    assert callback_plan(cfg) == (None, reason)


@pytest.mark.parametrize("overrides", [
    ["callbacks.last_checkpoint.save_on_train_epoch_end=null"],  # validation every epoch: Lightning saves at its end
    ["callbacks.last_checkpoint.save_on_train_epoch_end=null", "+trainer.val_check_interval=1.0"],
    ["callbacks.last_checkpoint.save_on_train_epoch_end=true", "trainer.check_val_every_n_epoch=2"],
    # the default model_checkpoint saves nothing, whenever it would save
    ["+callbacks.model_checkpoint.save_on_train_epoch_end=false", "trainer.check_val_every_n_epoch=2"],
    ["callbacks.last_checkpoint.every_n_epochs=0", "callbacks.last_checkpoint.save_on_train_epoch_end=false"],
])
def test_checkpoints_saved_where_the_stack_saves_them_still_stack(make_cfg, overrides):
    assert why_alone(make_cfg(*overrides)) is None


def test_the_group_key_of_the_default_config_is_a_plain_value(make_cfg):
    cfg = make_cfg("data.seed=${seed}")
    key = group_key(cfg)
    assert '"seed": 0' in key and "${seed}" not in key
    assert OmegaConf.to_container(cfg, resolve=False)["data"]["seed"] == "${seed}"  # the job's config is untouched
