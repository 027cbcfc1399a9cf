"""What a user adds to the template (docs/extending.md): an initializer - the docs' example runs as
written, and the mistakes of a first one (a missing import, a bad argument, an in-place write under autograd, a
missing ``_partial_``) are one error line naming ``init`` -, a callback logging a metric of its own, a callbacks
option, a network config and a LightningModule of one's own; each mistake is one line with exit status 2."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from trainlab.errors import ConfigError
from trainlab.models.mlp import MLP

ROOT = Path(__file__).resolve().parents[1]
EXTENDING = ROOT / "docs" / "extending.md"  # the README's "Extending" section, moved there verbatim


def readme_block(first_line: str) -> str:
    """docs/extending.md's fenced python block that starts with ``first_line``."""
    blocks = re.findall(r"```python\n(.*?)```", EXTENDING.read_text(), re.DOTALL)
    return next(block for block in blocks if block.startswith(first_line))


def test_the_readmes_initializer_runs_as_written_and_draws_what_its_docstring_says():
    namespace: dict = {}
    exec(readme_block("# src/trainlab/init/my_init.py"), namespace)  # noqa: S102 - the docs' own example
    torch.manual_seed(0)
    net = MLP(784, [100, 100], 10)
    namespace["my_init"](net, scale=2.0)
    for layer in [m for m in net.modules() if isinstance(m, torch.nn.Linear)]:
        bound = 2.0 * math.sqrt(3.0 / layer.in_features)
        assert layer.weight.abs().max() <= bound
        assert layer.weight.std().item() == pytest.approx(2.0 / math.sqrt(layer.in_features), rel=0.1)
        assert torch.count_nonzero(layer.bias) == 0


def readme_yaml_block(first_line: str) -> dict:
    blocks = re.findall(r"```yaml\n(.*?)```", EXTENDING.read_text(), re.DOTALL)
    return OmegaConf.to_container(OmegaConf.create(next(block for block in blocks if block.startswith(first_line))))


@pytest.mark.parametrize("foreach", [True, False])
def test_the_readmes_optimizer_runs_as_written_with_its_yamls_keys(foreach):
    """p <- p - lr·sign(g), on either path its yaml lists; the yaml had neither key, so optimizer.foreach=false was
    refused for the example."""
    namespace: dict = {"__name__": "my_sgd"}
    exec(readme_block("# src/trainlab/optim/my_sgd.py"), namespace)  # noqa: S102 - the docs' own example
    keys = readme_yaml_block("# conf/optimizer/my_sgd.yaml")
    assert {"foreach", "compile"} <= set(keys)
    keys = {name: value for name, value in keys.items() if not name.startswith("_")} | {"foreach": foreach}
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = namespace["MySGD"]([weight], **{**keys, "lr": 0.1})
    weight.grad = torch.tensor([0.5, -2.0, 0.0])
    optimizer.step()
    torch.testing.assert_close(weight.detach(), torch.tensor([0.9, 1.1, 1.0]))


@pytest.mark.parametrize("path", ["src/trainlab/optim/my_sgd.py", "src/trainlab/init/my_init.py"])
def test_the_readmes_extension_examples_pass_the_projects_lint(path):
    """Copied as docs/extending.md shows them, they are files of the project: make lint found an unused import and
    unsorted imports in the optimizer's."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--stdin-filename", path, "-"], cwd=ROOT,
                            input=readme_block(f"# {path}"), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def user_modules(tmp_path, monkeypatch):
    folder = tmp_path / "user_code"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def own_init(module: str, *extra: str) -> list[str]:
    return ["init=null", f"+init._target_={module}", "+init._partial_=true", *extra, "trainer.max_epochs=1"]


def test_an_initializer_file_that_fails_to_import_names_the_error_and_its_line(user_modules, train_in_process):
    write_module(user_modules, "init_without_imports", """\
        def my_init(module: nn.Module, scale: float = 1.0) -> None:
            pass
    """)
    result = train_in_process(*own_init("init_without_imports.my_init"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init._target_='init_without_imports.my_init' cannot be imported: NameError: name 'nn' is not "
        f"defined ({user_modules / 'init_without_imports.py'}, line 1)")


@pytest.mark.parametrize(("target", "reason"), [
    ("no_such_module.my_init", "no module named 'no_such_module'"),
    ("trainlab.init.he.no_such_function", "module 'trainlab.init.he' has no attribute 'no_such_function'"),
    ("trainlab.init.he.he_nit", "module 'trainlab.init.he' has no attribute 'he_nit'; did you mean 'he_init'?"),
    # a misspelt module or package is named beside its package's closest module (before: no suggestion at all)
    ("trainlab.inits.he.he_init", "no module named 'trainlab.inits'; did you mean 'trainlab.init'?"),
    ("trainlab.init.hee.he_init", "no module named 'trainlab.init.hee'; did you mean 'trainlab.init.he'?"),
    # the same letters in another case: before, too far apart by spelling to be offered
    ("torch.nn.init.XAVIER_NORMAL_", "module 'torch.nn.init' has no attribute 'XAVIER_NORMAL_'; did you mean "
                                     "'xavier_normal_'?"),
])
def test_an_initializer_that_is_not_there_is_one_line(train_in_process, target, reason):
    result = train_in_process(*own_init(target))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: init._target_='{target}' cannot be imported: {reason}"


def test_an_exception_inside_an_initializer_names_init_not_the_model(user_modules, train_in_process):
    write_module(user_modules, "scaling_init", """\
        import torch
        from torch import nn


        @torch.no_grad()
        def scaled(module: nn.Module, scale=1.0) -> None:  # not annotated: a float is not checked before the run
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.mul_(scale)
    """)
    result = train_in_process(*own_init("scaling_init.scaled", "+init.scale=abc"))
    assert result.returncode == 2
    # it said "model is invalid; trainlab.models.classifier.MLPClassifier raised TypeError"
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: init is invalid; scaling_init.scaled raised TypeError: mul_(): argument 'other'")


def test_an_initializer_writing_weights_under_autograd_is_told_to_use_no_grad(user_modules, train_in_process):
    write_module(user_modules, "autograd_init", """\
        from torch import nn


        def normal(module: nn.Module) -> None:
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.normal_(0.0, 0.1)
    """)
    result = train_in_process(*own_init("autograd_init.normal"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init is invalid; autograd_init.normal raised RuntimeError: a leaf Variable that requires grad is "
        "being used in an in-place operation; write the parameters in place under torch.no_grad() (decorate the "
        "function with @torch.no_grad())")


CALLBACK_LOGGING_A_METRIC = """\
    import lightning as L


    class WeightNorm(L.Callback):
        def on_validation_epoch_end(self, trainer, pl_module):
            pl_module.log("my/weight_norm", sum(p.detach().pow(2).sum() for p in pl_module.parameters()).sqrt())
"""


@pytest.mark.slow  # ~4 s on 2 cores, the Intel Xeon VM (make test-slow; the default run stays short)
def test_a_metric_ones_own_callback_logs_can_be_optimized_and_watched(user_modules, train_in_process, tmp_path):
    """The names were checked against the classifier's own metrics alone: the sweep was refused with "is not a metric
    the sweep's jobs report", though the callback logged it."""
    write_module(user_modules, "my_callbacks", CALLBACK_LOGGING_A_METRIC)
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "+callbacks.norm._target_=my_callbacks.WeightNorm",
                              "optimized_metric=my/weight_norm", "callbacks.model_checkpoint.monitor=my/weight_norm",
                              "optimizer.lr=0.01,0.1",
                              "trainer.max_epochs=1", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert [row["status"] for row in rows] == ["completed", "completed"]
    assert all(float(row["objective"]) == float(row["my/weight_norm"]) > 0 for row in rows)
    # without the callback the name is still refused before anything trains
    refused = train_in_process("-m", "optimized_metric=my/weight_norm", "optimizer.lr=0.01,0.1",
                               f"hydra.sweep.dir={tmp_path / 'refused'}")
    assert refused.returncode == 2
    assert "optimized_metric='my/weight_norm' is not a metric the sweep's jobs report" in refused.stderr
    assert not (tmp_path / "refused").exists()


@pytest.mark.parametrize(("overrides", "line"), [
    (["optimizer=torch_adamw", "~optimizer._partial_"],
     "error: optimizer is invalid; torch.optim.AdamW raised TypeError: AdamW.__init__() missing 1 required positional "
     "argument: 'params'; trainlab passes params itself (the parameters): add _partial_: true to its config"),
    (["init=he", "~init._partial_"],
     "error: init is invalid; trainlab.init.he.he_init raised TypeError: he_init() missing 1 required positional "
     "argument: 'module'; trainlab passes module itself (the network): add _partial_: true to its config"),
])
def test_a_config_without_the_partial_its_caller_needs_is_told_to_add_it(train_in_process, tmp_path, overrides, line):
    result = train_in_process(*overrides, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line


OWN_MODEL = """\
    import lightning as L
    from torch import nn


    class Tiny(L.LightningModule):
        def __init__(self, optimizer, hidden: int = 16, init=None, scheduler=None):
            super().__init__()
            self.layers = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
            self.optimizer = optimizer

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = nn.functional.cross_entropy(self.layers(x), y)
            self.log("train/loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val/acc", (self.layers(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return self.optimizer(self.parameters())


    class NoTraining(Tiny):
        training_step = L.LightningModule.training_step
"""


@pytest.fixture
def own_model_conf(user_modules, tmp_path):
    write_module(user_modules, "own_model", OWN_MODEL)
    conf = tmp_path / "own_conf"
    (conf / "model").mkdir(parents=True)
    (conf / "model" / "tiny.yaml").write_text("_target_: own_model.Tiny\nhidden: 16\n")
    (conf / "model" / "no_training.yaml").write_text("_target_: own_model.NoTraining\nhidden: 16\n")
    return conf


@pytest.mark.parametrize(("model", "overrides", "line"), [
    ("tiny", [], "error: test=true runs Trainer.test after training, and model._target_=own_model.Tiny defines no "
                 "test_step; allowed: test=false, or a test_step in the model"),
    ("no_training", ["test=false"], "error: model._target_=own_model.NoTraining defines no training_step, which "
                                    "Lightning's Trainer.fit calls; allowed: a LightningModule with training_step"),
])
def test_a_model_of_ones_own_lacking_a_method_the_run_calls_is_refused_before_anything(own_model_conf, tmp_path,
                                                                                       train_in_process, model,
                                                                                       overrides, line):
    """Lightning's traceback came after training (test_step) or once fit started, with the run's files written."""
    result = train_in_process("--config-dir", str(own_model_conf), f"model={model}", *overrides,
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line
    assert not (tmp_path / "run").exists()


def test_a_model_of_ones_own_without_a_net_attribute_trains_and_is_not_compiled(own_model_conf, tmp_path,
                                                                               train_in_process):
    result = train_in_process("--config-dir", str(own_model_conf), "model=tiny", "test=false", "trainer.max_epochs=1",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-3000:]  # train.py read model.net: AttributeError
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["status"] == "completed" and 0.0 < status["metrics"]["val/acc"] <= 1.0
    # compile.enabled compiles the classifier's net; Lightning calls a module's training_step, not its forward
    result = train_in_process("--config-dir", str(own_model_conf), "model=tiny", "test=false", "compile.enabled=true",
                              f"hydra.run.dir={tmp_path / 'compiled'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: compile.enabled=true compiles the network of trainlab's classifier (model.net), and "
        "model._target_=own_model.Tiny has none; allowed: compile.enabled=false, with torch.compile inside the "
        "model where it helps")
    assert not (tmp_path / "compiled").exists()


def test_a_network_config_without_its_class_is_named_not_blamed_on_the_initializer(train_in_process, tmp_path):
    """It said "init is invalid; trainlab.init.he.he_init raised ConfigAttributeError: Missing key modules"."""
    result = train_in_process("~model.net._target_", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: model.net: no _target_ names the network's class; allowed: model.net._target_=<an nn.Module class>, "
        "e.g. trainlab.models.mlp.MLP (the book's MLP) in the model's yaml")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # over 4 s on 2 cores: the default run stays near 4 min
def test_a_callbacks_option_of_ones_own_without_the_defaults_is_warned_of(train_in_process, tmp_path):
    """Written without `defaults: [default]` it dropped the checkpoints without a word; a resume then found none."""
    (tmp_path / "my_conf" / "callbacks").mkdir(parents=True)
    (tmp_path / "my_conf" / "callbacks" / "mine.yaml").write_text(
        "lr_monitor:\n  _target_: lightning.pytorch.callbacks.LearningRateMonitor\n")
    (tmp_path / "my_conf" / "callbacks" / "kept.yaml").write_text(
        "defaults:\n  - default\nlr_monitor:\n  _target_: lightning.pytorch.callbacks.LearningRateMonitor\n")
    warning = ("callbacks=mine builds lr_monitor and none of callbacks=default's model_checkpoint, last_checkpoint, "
               "divergence_guard, graceful_shutdown, rng_state: the run keeps no checkpoint (no resume), no divergence "
               "guard and no graceful shutdown; add 'defaults: [default]' at the top of that option's yaml to keep "
               "them")
    for option, warned in (("mine", True), ("kept", False), ("none", False)):
        result = train_in_process("--config-dir", str(tmp_path / "my_conf"), f"callbacks={option}", "debug=limit",
                                  f"hydra.run.dir={tmp_path / option}")
        assert result.returncode == 0, result.stderr[-3000:]
        assert (warning in result.stdout + result.stderr) is warned, option
        assert (tmp_path / option / "checkpoints" / "last.ckpt").is_file() is (option == "kept")
    # an option a stack can train (trainlab's own callbacks only): said once for the stack's members
    (tmp_path / "my_conf" / "callbacks" / "bar_only.yaml").write_text(
        "progress_bar:\n  _target_: trainlab.callbacks.progress_bar.ProgressBar\n")
    stacked = train_in_process("-m", "--config-dir", str(tmp_path / "my_conf"), "callbacks=bar_only", "seed=1,2",
                               "hydra/launcher=stacked", "debug=limit", f"hydra.sweep.dir={tmp_path / 'stacked'}")
    assert stacked.returncode == 0, stacked.stderr[-3000:]
    output = stacked.stdout + stacked.stderr
    assert "one stacked run of 2 jobs" in output
    assert output.count("callbacks=bar_only builds progress_bar and none of callbacks=default's") == 1


def test_an_error_in_the_network_is_not_blamed_on_a_no_grad_initializer(user_modules, train_in_process, tmp_path):
    """Every @torch.no_grad() function shares the decorator's wrapper code: matching it blamed `init` for an error
    raised by any other no_grad function on the way, here the network's own."""
    write_module(user_modules, "no_grad_parts", """\
        import torch
        from torch import nn


        @torch.no_grad()
        def init_weights(module: nn.Module) -> None:
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.normal_(0.0, 0.1)


        class BrokenNet(nn.Module):
            def __init__(self, **settings):
                super().__init__()
                self.reset()

            @torch.no_grad()
            def reset(self):
                raise ValueError("bug in BrokenNet.reset")
    """)
    result = train_in_process(*own_init("no_grad_parts.init_weights"), "model.net._target_=no_grad_parts.BrokenNet",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: model.net is invalid; no_grad_parts.BrokenNet raised ValueError: bug in "
                           "BrokenNet.reset"), line


def test_the_default_callbacks_named_by_the_warning_are_those_of_the_default_option():
    from omegaconf import OmegaConf

    from trainlab.callback_entries import DEFAULT_CALLBACKS

    assert set(DEFAULT_CALLBACKS) <= set(OmegaConf.load(ROOT / "conf" / "callbacks" / "default.yaml"))


@pytest.mark.parametrize(("target", "silent"), [
    ("lightning.pytorch.callbacks.ModelCheckpoint", True),
    ("lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint", True),  # another path to the same class
    ("pytorch_lightning.callbacks.EarlyStopping", True),
    ("trainlab.callbacks.divergence_guard.DivergenceGuard", True),
    ("lightning.pytorch.callbacks.LearningRateMonitor", False),  # logs lr-<optimizer>
    ("my_callbacks.WeightNorm", False),
])
def test_which_callbacks_may_log_metrics_of_their_own(target, silent):
    from trainlab.callback_entries import is_silent_callback

    assert is_silent_callback(target) is silent


def test_a_network_with_convolutions_gets_he_init_and_weight_decay_on_its_kernels_too():
    """init=he left a CNN's kernels at PyTorch's default, and model.weight_decay did not decay them."""
    from torch import nn

    from trainlab.init.he import he_init
    from trainlab.models.classifier import split_decay_groups

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3, groups=4), nn.Flatten(),
                        nn.Linear(64 * 24 * 24, 10))
    he_init(net)
    conv1, conv2, linear = net[0], net[2], net[4]
    for layer, fan_in in ((conv1, 1 * 9), (conv2, 16 * 9), (linear, 64 * 24 * 24)):
        assert layer.weight.std().item() == pytest.approx(math.sqrt(2.0 / fan_in), rel=0.1), layer
        assert torch.count_nonzero(layer.bias) == 0
    decay, no_decay = split_decay_groups(net, 0.1)
    assert {id(p) for p in decay["params"]} == {id(conv1.weight), id(conv2.weight), id(linear.weight)}
    assert {id(p) for p in no_decay["params"]} == {id(conv1.bias), id(conv2.bias), id(linear.bias)}


OWN_DATA = """\
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset


    class Blobs(L.LightningDataModule):
        def __init__(self, noise: float = 4.0, batch_size: int = 50, num_workers: int = 0, source: str = ""):
            super().__init__()
            self.noise, self.batch_size = noise, batch_size

        def setup(self, stage=None):
            g = torch.Generator().manual_seed(0)
            y = torch.randint(0, 10, (200,), generator=g)
            x = torch.randn(200, 784, generator=g) * self.noise + y[:, None].float()
            self.train, self.val = TensorDataset(x[:150], y[:150]), TensorDataset(x[150:], y[150:])

        def train_dataloader(self):
            return DataLoader(self.train, batch_size=self.batch_size, shuffle=True)

        def val_dataloader(self):
            return DataLoader(self.val, batch_size=self.batch_size)

        def test_dataloader(self):
            return DataLoader(self.val, batch_size=self.batch_size)
"""


@pytest.mark.slow  # ~2 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_resume_keeps_the_settings_of_a_data_module_of_ones_own(user_modules, train_in_process, tmp_path):
    """Only the MNIST module's keys were compared: a resume with other data (data.noise=6.0) went on silently."""
    write_module(user_modules, "own_data", OWN_DATA)
    conf = tmp_path / "own_conf"
    (conf / "data").mkdir(parents=True)
    # source: the key the test commands set for the bundled MNIST (tests/conftest.py), ignored by this module
    (conf / "data" / "blobs.yaml").write_text("_target_: own_data.Blobs\nnoise: 4.0\nbatch_size: 50\nnum_workers: 0\n"
                                              "source: bundled\n")
    run = ["--config-dir", str(conf), "data=blobs", f"hydra.run.dir={tmp_path / 'run'}"]
    assert train_in_process(*run, "trainer.max_epochs=1").returncode == 0
    refused = train_in_process(*run, "data.noise=6.0", "trainer.max_epochs=2", "ckpt_path=last")
    assert refused.returncode == 2
    line = refused.stderr.strip().splitlines()[-1]
    assert "does not fit this run: data.noise 4.0 in the checkpoint, 6.0 in the config; resume it with the " \
           "overrides that fit it (" in line
    assert line.endswith(" data=blobs data.noise=4.0 trainer.max_epochs=2)")
    assert "trainlab evaluate" not in line  # which rebuilds trainlab's own data module only
    # how the files are loaded is no setting of the run
    resumed = train_in_process(*run, "data.num_workers=0", "trainer.max_epochs=2", "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]


def test_a_checkpoint_recorded_before_all_data_keys_were_still_resumes_with_its_own_data_module():
    """A checkpoint of a data module of one's own written before the whole ``data`` section was recorded holds the
    MNIST keys only (None where the module has none): compared on those, not refused for the keys it lacks."""
    from trainlab.checkpoint_check import recorded_differences

    cfg = OmegaConf.create({"model": {"_target_": "m.M"}, "optimizer": None, "scheduler": None, "init": None,
                            "seed": 0, "data": {"_target_": "own_data.Blobs", "noise": 4.0, "batch_size": 50}})
    earlier = {"data": {"batch_size": 50, "train_size": None, "val_size": None, "seed": None}}
    assert recorded_differences({"config": earlier}, cfg, "resume") == []
    earlier["data"]["batch_size"] = 100
    assert recorded_differences({"config": earlier}, cfg, "resume") == [("data.batch_size", 100, 50)]


NETWORKS = """\
    import torch
    from torch import nn


    class Out9(nn.Module):
        def __init__(self, **unused):
            super().__init__()
            self.layer = nn.Linear(784, 9)

        def forward(self, x):
            return self.layer(x)


    class Out1x10(Out9):
        def __init__(self, **unused):
            nn.Module.__init__(self)
            self.layer = nn.Linear(784, 10)

        def forward(self, x):
            return self.layer(x).unsqueeze(1)


    class TupleInTraining(Out1x10):
        def forward(self, x):
            logits = self.layer(x)
            return (logits, logits.pow(2).mean()) if self.training else logits


    class WeightNormed(Out1x10):
        def __init__(self, **unused):
            super().__init__()
            self.layer = nn.utils.parametrizations.weight_norm(nn.Linear(784, 10))


    class NoLinear(nn.Module):
        def __init__(self, **unused):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(784, 10) * 0.01)

        def forward(self, x):
            return x @ self.weight
"""


@pytest.mark.parametrize("net, extra, line", [
    ("Out9", [], "error: model.net (nets.Out9) returns (2, 9) in training for a batch of 2 images of 784 pixels; "
                 "allowed: a network returning (batch, 10) logits, one per class (model.num_classes=10)"),
    ("Out1x10", [], "error: model.net (nets.Out1x10) returns (2, 1, 10) in training for a batch of 2 images of 784 "
                    "pixels; allowed: a network returning (batch, 10) logits, one per class (model.num_classes=10)"),
    ("TupleInTraining", [], "error: model.net (nets.TupleInTraining) returns tuple in training for a batch of 2 "
                            "images of 784 pixels; allowed: a network returning (batch, 10) logits, one per class "
                            "(model.num_classes=10)"),
    ("NoLinear", [], "error: init._target_=trainlab.init.he.he_init initialises nn.Linear and convolution layers, and "
                     "model.net (nets.NoLinear) has none; allowed: init=null or init=default (the network keeps its "
                     "own initialisation)"),
    ("WeightNormed", [], "error: init._target_=trainlab.init.he.he_init: the weight of model.net.layer "
                         "(nets.WeightNormed) is computed from other parameters (weight_norm, spectral_norm, a "
                         "parametrization), so what the initializer writes into it is lost; allowed: init=null or "
                         "init=default (the layer's own initialisation)"),
    ("WeightNormed", ["init=default", "model.weight_decay=0.1"],
     "error: model.weight_decay=0.1: the weight of model.net.layer (nets.WeightNormed) is computed from other "
     "parameters (weight_norm, spectral_norm, a parametrization), so the optimizer's decay cannot act on it and the "
     "penalty logged as train/weight_penalty would not be the one trained; allowed: model.weight_decay=0, or the "
     "layer's weight as a parameter"),
    ("NoLinear", ["init=null", "model.weight_decay=0.1"],
     "error: model.weight_decay=0.1: model.net (nets.NoLinear) has no nn.Linear or convolution weights for the decay; "
     "allowed: model.weight_decay=0"),
])
def test_a_network_of_ones_own_that_does_not_fit_the_classifier_is_refused_in_one_line(
        user_modules, train_in_process, tmp_path, net, extra, line):
    """Before: the loss's traceback at the first step ((B, 9), (B, 1, 10)), init=zeros changing nothing and a
    traceback at the first logged step with weight decay (no nn.Linear)."""
    write_module(user_modules, "nets", NETWORKS)
    result = train_in_process(f"model.net._target_=nets.{net}", *extra, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line


@pytest.mark.parametrize("init, refused", [("trainlab.init.he.he_init", True), ("trainlab.init.he_init", True),
                                           ("trainlab.init.glorot_init", True),
                                           ("trainlab.init.my_init.my_init", False), ("own.my_init", False)])
def test_only_trainlabs_layer_initializers_need_layers_to_write(init, refused):
    """An initializer a user adds to trainlab/init/ (docs/extending.md) may act on anything, as one elsewhere:
    every target under trainlab.init was refused for a network without nn.Linear."""
    from torch import nn

    from trainlab.errors import ConfigError
    from trainlab.models.network_check import check_network

    class NoLinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(784, 10))

        def forward(self, x):
            return x @ self.weight

    cfg = OmegaConf.create({"init": {"_target_": init}, "model": {"num_classes": 10, "weight_decay": 0,
                                                                 "net": {"_target_": "own.NoLinear"}}})
    if refused:
        with pytest.raises(ConfigError, match=f"init._target_={init} initialises nn.Linear and convolution layers"):
            check_network(NoLinear(), cfg)
    else:
        check_network(NoLinear(), cfg)


def test_a_network_without_linear_layers_trains_with_its_own_initialisation(user_modules, train_in_process, tmp_path):
    write_module(user_modules, "nets", NETWORKS)
    result = train_in_process("model.net._target_=nets.NoLinear", "init=default", "debug=limit",
                              f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("overrides, line", [
    (["optimizer.lrr=0.1"], "error: optimizer.lrr: unknown key; allowed keys of optimizer: _partial_, _target_, "
                            "compile, foreach, lr; did you mean lr?"),
    (["optimizer=momentum", "optimizer.betas=[0.9,0.9]"], "error: optimizer.betas: optimizer=momentum takes no betas "),
])
def test_a_broken_yaml_of_an_option_not_chosen_does_not_hide_another_mistake(train_in_process, tmp_path, overrides,
                                                                              line):
    """The message for a mistake elsewhere reads every option of the group: a broken file among them turned it
    into a 119-line traceback from the YAML parser."""
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "broken.yaml").write_text("_target_: trainlab.optim.sgd.SGD\n_partial_: true\n  lr: 0.1\n")
    result = train_in_process("--config-dir", str(conf), *overrides, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(line), result.stderr[-2000:]
    assert not (tmp_path / "run").exists()


def test_an_options_own_yaml_setting_a_key_its_class_lacks_is_told_to_change_that_yaml(train_in_process, tmp_path):
    """The way out offered was the option itself (``optimizer=extraarg optimizer.momentum=0.9``), and a sibling
    option's misuse of the key offered it too. The file is named by its path: ``optimizer/extraarg.yaml`` did not
    say that it is the --config-dir's."""
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "extraarg.yaml").write_text(
        "_target_: trainlab.optim.sgd.SGD\n_partial_: true\nlr: 0.1\nmomentum: 0.9\n")
    result = train_in_process("--config-dir", str(conf), "optimizer=extraarg", f"hydra.run.dir={tmp_path / 'a'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: optimizer.momentum: optimizer=extraarg sets momentum in its yaml, but its trainlab.optim.sgd.SGD takes "
        "no momentum (it takes: compile, foreach, lr, weight_decay); allowed: remove momentum from "
        f"{conf / 'optimizer' / 'extraarg.yaml'}, or point its _target_ at a class that takes momentum")
    other = train_in_process("--config-dir", str(conf), "optimizer=sgd", "optimizer.momentum=0.9",
                             f"hydra.run.dir={tmp_path / 'b'}")
    assert other.returncode == 2
    assert "an option that takes momentum - optimizer=momentum, optimizer=nesterov, optimizer=torch_sgd (e.g. " \
           "optimizer=momentum optimizer.momentum=0.9)" in other.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("override, line", [
    ("+model._partial_=true", "error: model._partial_=true: trainlab builds it whole, so it is no partial to call "
                              "later; allowed: _partial_ removed from model (only optimizer, init, scheduler are "
                              "partials)"),
    ("+model.net._partial_=true", "error: model.net._partial_=true: the classifier builds it from its keys, so it is "
                                  "no partial to call later; allowed: _partial_ removed from model.net (only "
                                  "optimizer, init, scheduler are partials)"),
    ("~optimizer._target_", "error: optimizer: no _target_ names the class to build; allowed: optimizer=<option> ("),
])
def test_a_misplaced_partial_or_a_missing_target_is_named_where_it_is(train_in_process, tmp_path, override, line):
    """Before: a traceback ('Expected a parent'), the initializer blamed for the network's _partial_, and the model
    blamed for an optimizer config without a class ('DictConfig' object is not callable)."""
    result = train_in_process(override, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(line), result.stderr[-2000:]
    assert not (tmp_path / "run").exists()


def test_an_initializer_returning_a_new_network_instead_of_writing_in_place_is_refused(user_modules, train_in_process):
    """Its returned module was dropped and the network trained with its own initial weights, without a word; then
    it was refused as ``model is invalid; ...MLPClassifier raised TypeError: init ...``, the model blamed first."""
    write_module(user_modules, "returning_init", """\
        import copy

        import torch


        @torch.no_grad()
        def zero_copy(module):
            new = copy.deepcopy(module)
            for parameter in new.parameters():
                parameter.zero_()
            return new
    """)
    result = train_in_process(*own_init("returning_init.zero_copy"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: init._target_=returning_init.zero_copy returned a value (MLP) and wrote nothing into "
        "the network; an initializer writes the values of "
        "the network's parameters in place (under torch.no_grad(): parameter.copy_(...), "
        "torch.nn.init.normal_(layer.weight)), keeping their shapes and dtypes, and returns None: what it returns is "
        "not used")


def test_a_network_swapped_in_on_the_command_line_is_told_every_key_it_lacks_at_once(train_in_process, tmp_path):
    """The MLP's keys were refused one per run: six runs to learn what to delete."""
    result = train_in_process("model.net._target_=torch.nn.Linear", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: model.net.{input_size, hidden_sizes, num_classes, activation, batch_norm, batch_norm_eps, "
        "batch_norm_running_stats, dropout, dropout_kind}: unknown keys for torch.nn.Linear; allowed: bias, device, "
        "dtype, in_features, out_features; drop them with ~model.net.input_size ~model.net.hidden_sizes "
        "~model.net.num_classes ~model.net.activation ~model.net.batch_norm ~model.net.batch_norm_eps "
        "~model.net.batch_norm_running_stats ~model.net.dropout ~model.net.dropout_kind, or give it a yaml of its own")


FIRST_BATCH_NETWORKS = """\
    import torch
    from torch import nn


    class ActNormNet(nn.Module):
        \"\"\"Sets its scale from the first batch it sees (Glow's ActNorm), and draws noise in forward.\"\"\"

        def __init__(self, **unused):
            super().__init__()
            self.layer = nn.Linear(784, 10)
            self.register_buffer("scale", torch.zeros(()))

        def forward(self, x):
            if self.scale == 0:
                self.scale.fill_(1.0 / (float(x.std()) + 1e-6))
            return self.layer(x) * self.scale + 0.0 * torch.rand(())


    class RowLSTM(nn.Module):
        \"\"\"Sequential MNIST: 28 steps of a 28-pixel row; input_size is the LSTM's own argument.\"\"\"

        def __init__(self, input_size=28, num_classes=10, **unused):
            super().__init__()
            self.lstm = nn.LSTM(input_size, 16, batch_first=True)
            self.out = nn.Linear(16, num_classes)

        def forward(self, x):
            return self.out(self.lstm(x.view(-1, 28, 28))[0][:, -1])


    class BilinearOnly(nn.Module):
        def __init__(self, **unused):
            super().__init__()
            self.layer = nn.Bilinear(784, 784, 10)

        def forward(self, x):
            return self.layer(x, x)


    @torch.no_grad()
    def bilinear_init(module):
        for layer in module.modules():
            if isinstance(layer, nn.Bilinear):
                layer.weight.normal_(0.0, 1e-3)


    def apply_init(module):
        \"\"\"nn.Module.apply returns the module itself.\"\"\"
        return module.apply(lambda layer: None)
"""


def test_the_network_check_leaves_the_network_and_the_random_generators_as_they_were(user_modules, make_cfg):
    """It ran the network itself: a layer set up by its first batch was set up by two zero images (the run then
    diverged), and a network drawing in forward moved the seeded random stream."""
    import torch

    from trainlab.models.network_check import check_network

    write_module(user_modules, "first_batch_nets", FIRST_BATCH_NETWORKS)
    from first_batch_nets import ActNormNet

    net = ActNormNet()
    state = torch.random.get_rng_state()
    check_network(net, make_cfg("model.net._target_=first_batch_nets.ActNormNet"))
    assert float(net.scale) == 0.0 and net.training
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("overrides", [
    ["model.net._target_=first_batch_nets.RowLSTM", "model.net.input_size=28"],  # its own input_size, not 784
    ["model.net._target_=first_batch_nets.BilinearOnly", "init=null", "+init._target_=first_batch_nets.bilinear_init",
     "+init._partial_=true"],  # an initializer of one's own acts on what it knows
    ["init=null", "+init._target_=first_batch_nets.apply_init", "+init._partial_=true"],  # returns the net itself
])
def test_networks_and_initializers_of_ones_own_that_fit_are_not_refused(user_modules, train_in_process, tmp_path,
                                                                         overrides):
    write_module(user_modules, "first_batch_nets", FIRST_BATCH_NETWORKS)
    result = train_in_process(*overrides, "debug=limit", "test=false", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]


CONV_NET = """\
    from torch import nn


    class SmallCNN(nn.Module):
        def __init__(self, channels: int, kernel_size: int = 3):
            super().__init__()
            self.conv = nn.Conv2d(1, channels, kernel_size)
            self.head = nn.Linear(channels * (29 - kernel_size) ** 2, 10)

        def forward(self, x):
            return self.head(self.conv(x.view(-1, 1, 28, 28)).flatten(1))
"""


def test_a_network_whose_arguments_leave_a_layer_no_inputs_is_told_so_not_blamed_on_the_initializer(
        user_modules, train_in_process, tmp_path):
    """``model=cnn model.net.kernel_size=0`` said ``init is invalid; trainlab.init.he.he_init raised
    ZeroDivisionError: float division by zero``."""
    write_module(user_modules, "conv_nets", CONV_NET)
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "cnn.yaml").write_text(
        "_target_: trainlab.models.classifier.MLPClassifier\nweight_decay: 0.0\nnum_classes: 10\n"
        "scheduler_monitor: val/loss\nnet:\n  _target_: conv_nets.SmallCNN\n  channels: 8\n  kernel_size: 3\n")
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(tmp_path / "conf"), "model=cnn", "model.net.kernel_size=0",
                              "init=he", "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: he_init: layer conv (Conv2d, weight shape (8, 1, 0, 0)) has fan-in 0: check model.net's arguments")
    assert not run.exists()


OWN_OPTIMIZERS = """\
    import torch

    from trainlab.optim.book_optimizer import BookOptimizer, check_common
    from trainlab.optim.sgd import SGD


    class ScaledSGD(torch.optim.Optimizer):
        \"\"\"p <- p - lr·rho·g: its rho is a scale (ASAM's rho=2.0); momentum and eps are not the book's.\"\"\"

        def __init__(self, params, lr: float = 0.01, rho: float = 2.0, momentum: float = 1.5, eps: float = 0.0,
                     weight_decay: float = 0.0):
            super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=eps, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(group["lr"] * group["rho"] * (p.grad + group["weight_decay"] * p))


    class NotAnOptimizer:
        \"\"\"Steps well, but is no torch.optim.Optimizer: Lightning's training loop takes none other.\"\"\"

        def __init__(self, params, lr: float = 0.01):
            self.params = [p for g in params for p in (g["params"] if isinstance(g, dict) else [g])]
            self.lr = lr

        def zero_grad(self, set_to_none=True):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self, closure=None):
            for p in self.params:
                if p.grad is not None:
                    p.sub_(self.lr * p.grad)


    class Lion3(BookOptimizer):
        \"\"\"beta1 has no default: a yaml without it cannot build the optimizer.\"\"\"

        state_tensors = ("m",)

        def __init__(self, params, beta1: float, lr: float = 1e-4, beta2: float = 0.99, weight_decay: float = 0.0,
                     foreach: bool = True, compile: bool = False):
            check_common(lr, weight_decay)
            super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay), foreach,
                             compile)

        def rule_scalars(self, group, state):
            return dict(lr=group["lr"], beta1=group["beta1"], beta2=group["beta2"])

        @staticmethod
        def rule(param, grad, m, *, lr, beta1, beta2):
            param.sub_(lr * (beta1 * m + (1 - beta1) * grad).sign())
            m.mul_(beta2).add_((1 - beta2) * grad)


    class MySGD(SGD):
        \"\"\"trainlab's SGD under another name.\"\"\"


    @torch.no_grad()
    def needs_gain(module, gain: float, scale: float = 1.0) -> None:
        pass
"""


@pytest.fixture
def own_optimizer_conf(user_modules, tmp_path):
    """A ``--config-dir`` with options of the module ``own_optim`` (:data:`OWN_OPTIMIZERS`): ``optimizer=scaled``
    (momentum 1.5, rho 2.0, eps 0 - outside the book's ranges), ``optimizer=plain``, ``optimizer=lion3`` (no
    ``beta1``), ``optimizer=mysgd`` and ``init=needs_gain`` (no ``gain``)."""
    write_module(user_modules, "own_optim", OWN_OPTIMIZERS)
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "init").mkdir()
    options = {"scaled": "ScaledSGD\n_partial_: true\nlr: 0.01\nrho: 2.0\nmomentum: 1.5\neps: 0.0\n",
               "plain": "NotAnOptimizer\n_partial_: true\nlr: 0.01\n",
               "lion3": "Lion3\n_partial_: true\nlr: 0.001\nbeta2: 0.99\nforeach: true\ncompile: false\n",
               "mysgd": "MySGD\n_partial_: true\nlr: 0.01\n"}
    for name, rest in options.items():
        (conf / "optimizer" / f"{name}.yaml").write_text(f"_target_: own_optim.{rest}")
    (conf / "init" / "needs_gain.yaml").write_text("_target_: own_optim.needs_gain\n_partial_: true\n")
    return conf


def test_the_books_ranges_bind_trainlabs_optimizers_alone(own_optimizer_conf, make_cfg):
    """``optimizer.momentum``, ``rho``, ``alpha``, ``eps`` and ``betas`` were held to the book's ranges whatever
    the class: a user's ScaledSGD (rho=2.0, momentum=1.5, eps=0) and torch's Adam with eps=0, which it takes, were
    refused, with no way round but renaming the argument."""
    from trainlab.config_validation import check_override_values, check_values, validate_config

    own = ["optimizer=torch_sgd", "optimizer._target_=own_optim.ScaledSGD", "~optimizer.nesterov",
           "+optimizer.rho=2.0", "optimizer.momentum=1.5", "+optimizer.eps=0.0"]
    validate_config(make_cfg(*own), machine=False)
    check_values(make_cfg("optimizer=torch_adam", "optimizer.eps=0.0", "optimizer.betas=[0.0,0.5]"))
    with pytest.raises(ConfigError, match=r"^optimizer.momentum=1.5 is invalid; allowed: a number >= 0.0 and < 1.0$"):
        check_values(make_cfg("optimizer=momentum", "optimizer.momentum=1.5"))
    # a sweep's values: the book's range where every job's optimizer is trainlab's, else each job's own class's
    check_override_values(["optimizer._target_=own_optim.ScaledSGD", "optimizer.momentum=0.5,1.5"])
    with pytest.raises(ConfigError, match=r"^optimizer.momentum=1.5 is invalid"):
        check_override_values(["optimizer._target_=trainlab.optim.momentum.Momentum", "optimizer.momentum=0.5,1.5"])


@pytest.mark.parametrize("launcher", ["basic", "stacked"])
def test_a_sweep_of_ones_own_optimizers_argument_outside_the_books_range_trains(own_optimizer_conf, train_in_process,
                                                                                tmp_path, launcher):
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "--config-dir", str(own_optimizer_conf), "optimizer=scaled",
                              "optimizer.momentum=0.5,1.5", "debug=limit", "test=false",
                              f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(2 completed, 0 diverged, 0 failed)" in result.stdout + result.stderr


def test_a_value_torchs_optimizer_refuses_is_one_line_before_any_job(train_in_process, tmp_path):
    """The book's eps range no longer stands guard for torch's Adam: its own check, in a sweep's second job, is
    found before the first job trains."""
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "optimizer=torch_adam", "optimizer.eps=1e-8,-1.0", "debug=limit",
                              f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: optimizer is invalid; torch.optim.Adam raised ValueError: Invalid epsilon value: "
                           "-1.0 (in job 1_"), line
    assert line.endswith("of the sweep; no job was run)"), line
    assert not sweep.exists()


NOT_AN_OPTIMIZER = ("error: optimizer._target_=own_optim.NotAnOptimizer is not a torch.optim.Optimizer subclass; "
                    "allowed: a subclass of torch.optim.Optimizer (trainlab.optim.book_optimizer.BookOptimizer for an "
                    "update rule of the book's form)")


@pytest.mark.parametrize("sweep", [[], ["-m", "optimizer=plain,sgd", "hydra/launcher=stacked"]])
def test_an_optimizer_class_that_is_no_torch_optimizer_is_refused_before_anything(own_optimizer_conf,
                                                                                 train_in_process, tmp_path, sweep):
    """Its step worked, so the probe passed it; Lightning refused it as training began (MisconfigurationException
    traceback, exit status 1, the run's files written) - and the stacked launcher ran the job though its probe had
    noticed ("no attribute 'param_groups'")."""
    out = tmp_path / "out"
    where = [f"hydra.sweep.dir={out}"] if sweep else ["optimizer=plain", f"hydra.run.dir={out}"]
    result = train_in_process(*sweep, "--config-dir", str(own_optimizer_conf), "debug=limit", *where)
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(NOT_AN_OPTIMIZER), line
    assert not out.exists()


def test_a_required_argument_an_option_lacks_is_named_with_the_file_to_set_it_in(own_optimizer_conf,
                                                                                train_in_process, tmp_path):
    """It was 'fails its first step ... TypeError: Lion3.__init__() missing 1 required positional argument:
    'beta1'; allowed: an optimizer whose step works' - the step never ran, and no key was named."""
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(own_optimizer_conf), "optimizer=lion3", f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: optimizer.beta1: own_optim.Lion3 requires it and optimizer=lion3 does not set it; allowed: add "
        f"beta1: <value> to {own_optimizer_conf / 'optimizer' / 'lion3.yaml'}, or +optimizer.beta1=<value>")
    assert not run.exists()


@pytest.mark.parametrize("overrides, line", [
    (["init=needs_gain"], "error: init.gain: own_optim.needs_gain requires it and init=needs_gain does not set it; "
                          "allowed: add gain: <value> to {conf}/init/needs_gain.yaml, or +init.gain=<value>"),
    (["init=null", "+init._target_=own_optim.needs_gain", "+init._partial_=true"],
     "error: init.gain: own_optim.needs_gain requires it and the config does not set it; allowed: +init.gain=<value>"),
])
def test_a_required_argument_of_an_initializer_is_named(own_optimizer_conf, train_in_process, tmp_path, overrides,
                                                        line):
    """It was ``init is invalid; ... raised TypeError: needs_gain() missing 1 required positional argument:
    'gain'``, with no way out named."""
    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(own_optimizer_conf), *overrides, f"hydra.run.dir={run}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line.format(conf=own_optimizer_conf)
    assert not run.exists()


def test_a_run_evaluates_without_its_optimizers_module(own_optimizer_conf, train_in_process, tmp_path, monkeypatch):
    """The optimizer plays no part in an evaluation, yet ``trainlab evaluate`` built it: a colleague without the
    module (or the module renamed) got ``optimizer is invalid; ... ModuleNotFoundError("No module named ...")``."""
    import importlib

    from trainlab.evaluate import evaluate

    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(own_optimizer_conf), "optimizer=mysgd", "debug=limit",
                              f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    (own_optimizer_conf.parent / "user_code" / "own_optim.py").rename(own_optimizer_conf.parent / "elsewhere.py")
    monkeypatch.delitem(sys.modules, "own_optim")
    importlib.invalidate_caches()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("own_optim")
    results = evaluate(run, "last", ["val"])
    assert 0.0 <= results["val"]["acc"] <= 1.0 and results["val"]["loss"] > 0


BROKEN_INITS = """\
    import torch
    from torch import nn


    @torch.no_grad()
    def transposed(module: nn.Module) -> None:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.data = torch.randn(layer.in_features, layer.out_features) * 0.05


    @torch.no_grad()
    def returns_new(module: nn.Module) -> list:
        return [torch.randn_like(layer.weight) for layer in module.modules() if isinstance(layer, nn.Linear)]


    @torch.no_grad()
    def misspelt(module: nn.Module) -> None:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.normal_(0.0, 1.0 / layer.in_feature)
"""


@pytest.mark.parametrize("launcher", ["basic", "joblib", "stacked"])
@pytest.mark.parametrize("init, line", [
    ("transposed", "error: init._target_=broken_inits.transposed changed model.net.0.weight: its shape from (100, 784) "
                   "to (784, 100); an initializer writes the values of the network's parameters in place"),
    ("returns_new", "error: init._target_=broken_inits.returns_new returned a value (list) and wrote nothing into the "
                    "network; an initializer writes the values"),
    ("misspelt", "error: init is invalid; broken_inits.misspelt raised AttributeError: 'Linear' object has no "
                 "attribute 'in_feature'"),
])
def test_a_sweeps_broken_initializer_is_refused_naming_its_job_before_any_job_trains(
        user_modules, train_in_process, tmp_path, launcher, init, line):
    """The initializer was checked as its job's model was built: ``-m init=he,<broken>`` trained job 0, then
    stopped the sweep at job 1, leaving its ``.hydra/`` and ``train.log`` and no command to finish the sweep (the
    stacked launcher refused before training, without naming the job). docs/extending.md: checked before anything
    is written."""
    write_module(user_modules, "broken_inits", BROKEN_INITS)
    conf = tmp_path / "own_conf"
    (conf / "init").mkdir(parents=True)
    (conf / "init" / f"{init}.yaml").write_text(f"_target_: broken_inits.{init}\n_partial_: true\n")
    sweep = tmp_path / "sweep"
    result = train_in_process("-m", "--config-dir", str(conf), f"init=he,{init}", "debug=limit",
                              "trainer.max_steps=40", f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}")
    assert result.returncode == 2, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(line), last
    assert last.endswith(f"(in job 1_data.source=bundled,init={init},trainer.max_steps=40 of the sweep; no job was "
                         "run)"), last
    assert not sweep.exists()


HEAVY_BALL = """\
    from trainlab.optim.book_optimizer import BookOptimizer, check_common


    class Heavy(BookOptimizer):
        \"\"\"v <- momentum·v - lr·g; p <- p + v, momentum unchecked (1.0 and above, for research).\"\"\"

        state_tensors = ("v",)

        def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0,
                     foreach: bool = True, compile: bool = False):
            check_common(lr, weight_decay)
            super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, foreach, compile)

        def rule_scalars(self, group, state):
            return {"lr": group["lr"], "momentum": group["momentum"]}

        @staticmethod
        def rule(param, grad, v, *, lr, momentum):
            v.mul_(momentum).sub_(lr * grad)
            param.add_(v)
"""


@pytest.fixture
def optimizer_in_trainlab_optim(tmp_path, monkeypatch):
    """``trainlab.optim.my_heavy.Heavy``: a class of one's own in ``src/trainlab/optim/``, where docs/extending.md
    puts it (the package's search path extended to a temporary folder, so the checkout stays as it is), and
    ``optimizer=heavy`` in a ``--config-dir``."""
    import trainlab.optim

    folder = tmp_path / "optim_package"
    folder.mkdir()
    write_module(folder, "my_heavy", HEAVY_BALL)
    monkeypatch.setattr(trainlab.optim, "__path__", [*trainlab.optim.__path__, str(folder)])
    monkeypatch.delitem(sys.modules, "trainlab.optim.my_heavy", raising=False)
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "heavy.yaml").write_text(
        "_target_: trainlab.optim.my_heavy.Heavy\n_partial_: true\nlr: 0.01\nmomentum: 0.9\n")
    return conf


def test_the_books_ranges_do_not_bind_a_class_of_ones_own_in_trainlab_optim(optimizer_in_trainlab_optim,
                                                                          train_in_process, tmp_path):
    """Any ``_target_`` under ``trainlab.optim.`` was taken for trainlab's own: a heavy-ball class put where
    docs/extending.md says was refused ``optimizer.momentum=1.0 is invalid; allowed: a number >= 0.0 and < 1.0``,
    though the docs say those ranges bind trainlab's own optimizers alone."""
    from trainlab.config_validation import check_override_values

    run = tmp_path / "run"
    result = train_in_process("--config-dir", str(optimizer_in_trainlab_optim), "optimizer=heavy",
                              "optimizer.momentum=1.0", "debug=limit", "trainer.max_steps=4", "test=false",
                              f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((run / "status.json").read_text())["status"] == "completed"
    check_override_values(["optimizer._target_=trainlab.optim.my_heavy.Heavy", "optimizer.momentum=0.5,1.0"])
    with pytest.raises(ConfigError, match=r"^optimizer.momentum=1.0 is invalid; allowed: a number >= 0.0 and < 1.0$"):
        check_override_values(["optimizer._target_=trainlab.optim.Momentum", "optimizer.momentum=0.5,1.0"])


def test_the_books_optimizers_are_the_classes_trainlab_optim_exports():
    """What the book's ranges bind (own_targets.BOOK_OPTIMIZERS, named without importing torch), by both paths."""
    import trainlab.optim
    from trainlab.own_targets import BOOK_OPTIMIZERS

    exported = {getattr(trainlab.optim, name) for name in trainlab.optim.__all__}
    assert BOOK_OPTIMIZERS == ({f"{cls.__module__}.{cls.__qualname__}" for cls in exported}
                               | {f"trainlab.optim.{cls.__qualname__}" for cls in exported})


NESTEROV_OF_ONES_OWN = """\
    from trainlab.optim.book_optimizer import BookOptimizer, check_common


    class OwnNAG(BookOptimizer):
        \"\"\"v <- momentum·v + g; p <- p - lr·(g + momentum·v).\"\"\"

        state_tensors = ("velocity",)

        def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0,
                     foreach: bool = True, compile: bool = False):
            check_common(lr, weight_decay)
            super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, foreach, compile)

        def rule_scalars(self, group, state):
            return {"lr": group["lr"], "momentum": group["momentum"]}

        @staticmethod
        def rule(param, grad, velocity, *, lr, momentum):
            velocity.mul_(momentum).add_(grad)
            param.sub_(lr * (grad + momentum * velocity))
"""


def test_a_resume_after_the_optimizers_state_names_changed_is_refused_before_anything(user_modules,
                                                                                     train_in_process, tmp_path,
                                                                                     monkeypatch):
    """The class's ``state_tensors = ("velocity",)`` became ``("buf",)``: the resume failed at its first step with a
    ``KeyError: 'buf'`` traceback, exit status 1, and rewrote the completed run's status.json as failed, its
    metrics gone."""
    write_module(user_modules, "own_nag", NESTEROV_OF_ONES_OWN)
    conf = tmp_path / "own_conf"
    (conf / "optimizer").mkdir(parents=True)
    (conf / "optimizer" / "own_nag.yaml").write_text("_target_: own_nag.OwnNAG\n_partial_: true\nlr: 0.01\n")
    run = tmp_path / "run"
    command = ["--config-dir", str(conf), "optimizer=own_nag", "debug=limit", f"hydra.run.dir={run}"]
    assert train_in_process(*command, "trainer.max_epochs=1").returncode == 0
    before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    write_module(user_modules, "own_nag", NESTEROV_OF_ONES_OWN.replace("velocity", "buf"))
    monkeypatch.delitem(sys.modules, "own_nag")
    result = train_in_process(*command, "trainer.max_epochs=2", "ckpt_path=last")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: ckpt_path=last ({run / 'checkpoints' / 'last.ckpt'}) does not fit this run: its optimizer 0 state "
        "holds velocity for each parameter, and own_nag.OwnNAG now keeps buf (buf missing: its state_tensors changed "
        "since the checkpoint was written); nothing was written. allowed: the class's state names as they were, or a "
        "run trained anew without ckpt_path, or evaluate it: ")
    assert {path: path.read_bytes() for path in run.rglob("*") if path.is_file()} == before
