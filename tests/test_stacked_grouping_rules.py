"""Which jobs ``hydra/launcher=stacked`` may train as one model (``trainlab.stacked.grouping``): interpolated values,
fp16 loss scaling and checkpoint callbacks a stack would honour differently from a lone run. Composed configs only:
nothing trains here."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf, open_dict

from trainlab.stacked.grouping import (
    callback_plan,
    group_key,
    no_partner_reasons,
    plan_stacks,
    stack_notes,
    why_alone,
)


def stacks_of(make_cfg, *jobs: list[str]) -> list[list[int]]:
    return plan_stacks([make_cfg(*overrides) for overrides in jobs], max_members=128)[0]


# ---- interpolations: shared settings by the value they give the job, per-member ones as written -------------------
def test_a_stackable_key_interpolated_into_a_shared_setting_splits_the_group(make_cfg):
    # `-m seed=1,2 data.seed='${seed}'`: the members' data orders differ, so they cannot share batches
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${seed}"], ["seed=2", "data.seed=${seed}"]) == [[0], [1]]
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${ seed }"], ["seed=2", "data.seed=${ seed }"]) == [[0], [1]]
    assert stacks_of(make_cfg, ["seed=1"], ["seed=2"]) == [[0, 1]]  # nothing interpolated: one stack
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${trainer.max_epochs}"],
                     ["seed=3", "data.seed=${trainer.max_epochs}"]) == [[0, 1]]  # the same value for both


@pytest.mark.parametrize("tag", ["run_${seed}", "${oc.select:seed,0}", "${model.net}", "${..seed}"])
def test_interpolations_in_text_through_resolvers_of_parents_and_relative_ones_resolve(make_cfg, tag):
    stacked = ["model.net.dropout=0.1", "model.net.dropout=0.2"] if tag == "${model.net}" else ["seed=1", "seed=2"]
    cfgs = [make_cfg(swept) for swept in stacked]
    for cfg in cfgs:
        with open_dict(cfg):
            cfg.data.tag = tag  # (${..seed} in data: the root's seed)
    assert group_key(cfgs[0]) != group_key(cfgs[1])
    with open_dict(cfgs[1]):
        cfgs[1].data.tag = "plain"
    assert group_key(cfgs[0]) != group_key(cfgs[1])  # (the tag is in the key at all)


def test_per_member_settings_are_compared_as_written_and_still_stack(make_cfg):
    # each member builds its own loggers and directories: a name that interpolates a swept key does not split
    assert stacks_of(make_cfg, ["optimizer.lr=0.01", "logger.tensorboard.name=lr_${optimizer.lr}"],
                     ["optimizer.lr=0.02", "logger.tensorboard.name=lr_${optimizer.lr}"]) == [[0, 1]]
    cfgs = [make_cfg(f"seed={seed}") for seed in (1, 2)]
    for cfg in cfgs:  # what the launcher's jobs hold: their directories come from Hydra's resolver
        with open_dict(cfg):
            cfg.paths.output_dir = "${hydra:runtime.output_dir}"
    key = group_key(cfgs[0])  # no HydraConfig is set here: the per-job paths could not resolve
    assert "${paths.output_dir}/checkpoints" in key and "${hydra:runtime.output_dir}" in key
    assert plan_stacks(cfgs, max_members=128) == ([[0, 1]], {})


def test_a_shared_setting_from_the_jobs_hydra_context_runs_alone(make_cfg):
    cfg = make_cfg("data.seed=${hydra:job.num}")
    assert why_alone(cfg) == ("data.seed=${hydra:job.num} is a value of the job's own Hydra context, in a setting "
                              "the members of a stack share")
    assert stacks_of(make_cfg, ["seed=1", "data.seed=${hydra:job.num}"], ["seed=2", "data.seed=${hydra:job.num}"]) \
        == [[0], [1]]


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


@pytest.mark.parametrize("through", [["+paths.job_seed=${hydra:job.num}", "data.seed=${paths.job_seed}"],
                                     ["+paths.job_seed=${hydra:job.num}", "data.seed=${..paths.job_seed}"]])
def test_a_shared_setting_reaching_the_hydra_context_through_other_keys_runs_alone(make_cfg, through):
    reason = why_alone(make_cfg(*through))
    assert reason is not None and reason.endswith("is a value of the job's own Hydra context, in a setting the "
                                                  "members of a stack share")
    assert why_alone(make_cfg("data.seed=${trainer.max_epochs}")) is None  # other keys: fine
    assert why_alone(make_cfg("+paths.job_seed=${hydra:job.num}")) is None  # per-member settings: fine


def test_jobs_with_different_environments_never_share_a_stack(make_cfg):
    cfgs = [make_cfg(f"optimizer.lr={lr}") for lr in (0.01, 0.02, 0.03)]
    assert plan_stacks(cfgs, max_members=8) == ([[0, 1, 2]], {})
    assert plan_stacks(cfgs, max_members=8, apart_by=["A=1", "A=2", "A=1"]) == ([[0, 2], [1]], {})


def test_stacks_cut_by_max_members_run_in_the_sweeps_order(make_cfg):
    """A group's members are ordered by optimizer class before the cut (a block of one class steps as one), and the
    stacks ran in that order: -m optimizer=sgd,momentum hydra.launcher.max_members=1 trained job 1 first, and with
    five optimizers and max_members=2 job 0 came last."""
    cfgs = [make_cfg(f"optimizer={name}") for name in ("sgd", "momentum")]
    assert plan_stacks(cfgs, max_members=1)[0] == [[0], [1]]
    cfgs = [make_cfg(f"optimizer={name}") for name in ("sgd", "momentum", "adagrad", "adam", "sgd")]
    # cut from adagrad, adam, momentum, sgd, sgd (by class); each stack's members stay in that order
    assert plan_stacks(cfgs, max_members=2)[0] == [[1, 0], [2, 3], [4]]


def test_a_stack_after_another_says_why_its_jobs_did_not_join_it(make_cfg):
    """Only jobs that run alone were told why; -m 'model.net.hidden_sizes=[50],[100,100]' seed=1,2 logged two
    stacks with no word of what set them apart."""
    cfgs = [make_cfg(f"model.net.hidden_sizes={sizes}", f"seed={seed}")
            for sizes in ("[50]", "[100,100]") for seed in (1, 2, 3)]
    stacks, _ = plan_stacks(cfgs, max_members=2)
    assert stacks == [[0, 1], [2], [3, 4], [5]]
    environments = [""] * len(cfgs)
    numbers = [10 + index for index in range(len(cfgs))]  # the sweep's numbers (a search's later batch)
    assert stack_notes(cfgs, stacks, 2, environments, numbers) == {2: "apart from #10,11 by model.net.hidden_sizes"}
    assert stack_notes(cfgs[:3], [[0, 1], [2]], 2, environments, numbers) == {}  # a lone job is told elsewhere
    assert stack_notes(cfgs[:3], [[0], [1, 2]], 2, environments, numbers) == {}  # the first stack of several
    assert stack_notes(cfgs, [[3, 4], [0, 1]], 2, environments, numbers) == {
        1: "apart from #13,14 by model.net.hidden_sizes"}
    cfgs = [make_cfg(f"optimizer.lr={lr}") for lr in (0.1, 0.2, 0.3, 0.4)]
    assert stack_notes(cfgs, [[0, 1], [2, 3]], 2, environments, numbers) == {
        1: "its group outgrew hydra.launcher.max_members=2"}
    assert stack_notes(cfgs, [[0, 1], [2, 3]], 8, ["A=1", "A=1", "A=2", "A=2"], numbers) == {
        1: "its hydra.job.env_set differs from the earlier stack's of its group"}
    cfgs = [make_cfg(*overrides) for overrides in (["data.seed=1", "data.batch_size=50", "model.net.dropout=0.1"],
                                                   ["data.seed=1", "data.batch_size=50", "model.net.dropout=0.2"],
                                                   ["data.seed=2", "data.batch_size=60", "model.net.activation=tanh",
                                                    "model.net.hidden_sizes=[7]"],
                                                   ["data.seed=2", "data.batch_size=60", "model.net.activation=tanh",
                                                    "model.net.hidden_sizes=[7]"])]
    assert stack_notes(cfgs, [[0, 1], [2, 3]], 8, environments, numbers) == {
        1: "apart from #10,11 by data.batch_size, data.seed, model.net.activation and 1 more keys"}


def test_a_stackable_job_that_runs_alone_is_told_why(make_cfg):
    """The launcher's log line: not 'no other job shares its architecture, data, ...' when max_members cut the
    group, and the key that differs when one does."""
    cfgs = [make_cfg(f"optimizer.lr={lr}") for lr in (0.1, 0.2, 0.3)]
    stacks, alone = plan_stacks(cfgs, max_members=2)
    assert stacks == [[0, 1], [2]]
    assert no_partner_reasons(cfgs, stacks, alone, 2) == {
        2: "the other 2 jobs of its group filled stacks of hydra.launcher.max_members=2"}
    cfgs = [make_cfg(f"seed={seed}", "data.seed=${seed}") for seed in (1, 2)]
    stacks, alone = plan_stacks(cfgs, max_members=8)
    assert stacks == [[0], [1]]
    assert no_partner_reasons(cfgs, stacks, alone, 8) == {
        0: "no other job shares its data.seed=1 (the closest other job: 2)",
        1: "no other job shares its data.seed=2 (the closest other job: 1)"}
    stacks, alone = plan_stacks(cfgs[:1], max_members=8)
    assert no_partner_reasons(cfgs[:1], stacks, alone, 8) == {0: "it is the only job of the batch that can be stacked"}
    cfgs = [make_cfg("optimizer.lr=0.1"), make_cfg("optimizer.lr=0.2")]
    stacks, alone = plan_stacks(cfgs, max_members=8, apart_by=["A=1", "A=2"])
    assert no_partner_reasons(cfgs, stacks, alone, 8, apart_by=["A=1", "A=2"]) == {
        0: "its hydra.job.env_set differs from those of the jobs it would stack with",
        1: "its hydra.job.env_set differs from those of the jobs it would stack with"}


@pytest.mark.parametrize(("overrides", "reason"), [
    (["trainer.devices=2"], "trainer.devices=2"),
    (["+trainer.num_nodes=2"], "trainer.num_nodes=2: a stack trains in one process"),  # it was stacked
])
def test_a_job_of_several_processes_runs_alone(make_cfg, overrides, reason):
    assert why_alone(make_cfg(*overrides)) == reason


def test_a_gradient_clip_val_of_0_clips_nothing_and_stacks_as_null_does(make_cfg):
    """Lightning clips nothing at ``gradient_clip_val=0``; a sweep of ``0,0.5`` ("none" against clipping) ran its
    ``0`` job alone, saying it "clips each run's own gradients", and in Lightning's slower automatic loop."""
    from trainlab.models.classifier import MLPClassifier

    assert why_alone(make_cfg("trainer.gradient_clip_val=0")) is None
    assert why_alone(make_cfg("trainer.gradient_clip_val=0.5")) == "trainer.gradient_clip_val clips each run's own " \
        "gradients"
    model = MLPClassifier.__new__(MLPClassifier)
    for clip, automatic in ((0, False), (0.0, False), (None, False), (0.5, True)):
        object.__setattr__(model, "_trainer", type("Trainer", (), {"gradient_clip_val": clip,
                                                                    "accumulate_grad_batches": 1})())
        assert MLPClassifier.automatic_optimization.fget(model) is automatic, clip
