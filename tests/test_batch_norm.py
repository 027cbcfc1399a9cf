"""trainlab.nn.batch_norm.BatchNorm against torch.nn.BatchNorm1d and numerical gradients (experiment E)."""

from __future__ import annotations

import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from trainlab.models.mlp import MLP
from trainlab.nn.batch_norm import BatchNorm, BatchNormFunction


def twin_modules(features=6, **kwargs):
    ours, theirs = BatchNorm(features, **kwargs), nn.BatchNorm1d(features, **kwargs)
    if ours.affine:
        with torch.no_grad():
            for module in (ours, theirs):
                module.weight.copy_(torch.linspace(0.5, 2.0, features))
                module.bias.copy_(torch.linspace(-1.0, 1.0, features))
    return ours, theirs


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch_in_training_over_several_steps_then_in_eval(affine, momentum):
    torch.manual_seed(0)
    ours, theirs = twin_modules(affine=affine, momentum=momentum)
    for step in range(5):
        x = (torch.randn(32, 6) * 3 + step).requires_grad_()
        x2 = x.detach().clone().requires_grad_()
        upstream = torch.randn(32, 6)
        y_ours, y_theirs = ours(x), theirs(x2)
        torch.testing.assert_close(y_ours, y_theirs)
        y_ours.backward(upstream)
        y_theirs.backward(upstream)
        torch.testing.assert_close(x.grad, x2.grad)
        if affine:
            torch.testing.assert_close(ours.weight.grad, theirs.weight.grad)
            torch.testing.assert_close(ours.bias.grad, theirs.bias.grad)
        torch.testing.assert_close(ours.running_mean, theirs.running_mean)
        torch.testing.assert_close(ours.running_var, theirs.running_var)
        assert ours.num_batches_tracked == theirs.num_batches_tracked == step + 1
    if affine:  # eval with a learned-looking γ and β: the same values in both
        with torch.no_grad():
            for name in ("weight", "bias"):
                value = torch.randn(6) * 2
                getattr(ours, name).copy_(value)
                getattr(theirs, name).copy_(value)
    ours.eval()
    theirs.eval()
    x = torch.randn(10, 6) * 3
    torch.testing.assert_close(ours(x), theirs(x))
    # and the closed form, in float64: y = γ·(x − μ)/√(σ² + ε) + β with the running statistics
    x64 = x.double()
    expected = (x64 - ours.running_mean.double()) / (ours.running_var.double() + ours.eps).sqrt()
    if affine:
        expected = expected * ours.weight.double() + ours.bias.double()
    torch.testing.assert_close(ours(x).double(), expected, rtol=1e-5, atol=1e-5)


def test_without_running_stats_eval_uses_the_batch():
    ours, theirs = twin_modules(track_running_stats=False)
    ours.eval()
    theirs.eval()
    x = torch.randn(16, 6)
    torch.testing.assert_close(ours(x), theirs(x))
    assert ours.running_mean is None


@pytest.mark.parametrize("n", [2, 7, 64])
def test_gradcheck_float64(n):
    torch.manual_seed(n)
    x = torch.randn(n, 5, dtype=torch.float64, requires_grad=True)
    gamma = torch.rand(5, dtype=torch.float64, requires_grad=True) + 0.5
    beta = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: BatchNormFunction.apply(*a, 1e-5)[0], (x, gamma, beta))
    assert torch.autograd.gradcheck(lambda a: BatchNormFunction.apply(a, None, None, 1e-5)[0], (x,))


def test_explicit_backward_equals_autograd_of_the_formula():
    torch.manual_seed(1)
    x = torch.randn(9, 4, dtype=torch.float64, requires_grad=True)
    gamma = torch.rand(4, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(4, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(9, 4, dtype=torch.float64)
    explicit = torch.autograd.grad(BatchNormFunction.apply(x, gamma, beta, 1e-5)[0], (x, gamma, beta), upstream)
    mean, var = x.mean(0), x.var(0, unbiased=False)
    formula = gamma * (x - mean) / torch.sqrt(var + 1e-5) + beta
    automatic = torch.autograd.grad(formula, (x, gamma, beta), upstream)
    for a, b in zip(explicit, automatic, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_gradcheck_through_the_whole_mlp():
    torch.manual_seed(0)
    net = MLP(12, [8, 8], 3, batch_norm="custom").double()
    x = torch.randn(6, 12, dtype=torch.float64, requires_grad=True)
    params = tuple(net.parameters())

    def loss_of(x, *params):
        out = torch.func.functional_call(net, dict(zip([n for n, _ in net.named_parameters()], params, strict=True)), x)
        return out.pow(2).sum()

    assert torch.autograd.gradcheck(loss_of, (x, *params))
    assert sum(isinstance(m, BatchNorm) for m in net.modules()) == 2


def test_batch_of_one_in_training_raises_clearly():
    bn = BatchNorm(4)
    expected = r"Expected more than 1 value per channel when training, got input size \(1, 4\)"
    with pytest.raises(ValueError, match=expected):
        bn(torch.randn(1, 4))
    bn.eval()
    assert bn(torch.randn(1, 4)).shape == (1, 4)  # eval uses running statistics: fine


def test_wrong_shape_raises_naming_it():
    with pytest.raises(ValueError, match=r"BatchNorm\(4\) expects input of shape \(N, 4\), got \(3, 5\)"):
        BatchNorm(4)(torch.randn(3, 5))


def test_state_dict_holds_running_stats_and_reproduces_eval_exactly(tmp_path):
    torch.manual_seed(0)
    bn = BatchNorm(6)
    for _ in range(3):
        bn(torch.randn(20, 6) * 2 + 1)
    state = bn.state_dict()
    assert set(state) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    assert not torch.equal(state["running_mean"], torch.zeros(6))
    torch.save(state, tmp_path / "bn.pt")
    restored = BatchNorm(6)
    restored.load_state_dict(torch.load(tmp_path / "bn.pt"))
    bn.eval()
    restored.eval()
    x = torch.randn(5, 6)
    assert torch.equal(bn(x), restored(x))
    torch_bn = nn.BatchNorm1d(6)  # and the state dicts are interchangeable with torch's
    torch_bn.load_state_dict(state)
    torch_bn.eval()
    torch.testing.assert_close(torch_bn(x), bn(x))


@pytest.mark.parametrize("kind,cls", [("custom", BatchNorm), ("torch", nn.BatchNorm1d)])
def test_mlp_places_batch_norm_between_linear_and_activation(kind, cls):
    net = MLP(784, [100, 100], 10, batch_norm=kind, dropout=0.2)
    names = [type(m).__name__ for m in net]
    assert names == ["Linear", cls.__name__, "ReLU", "Dropout"] * 2 + ["Linear"]


@pytest.mark.parametrize("kind,cls", [("custom", BatchNorm), ("torch", nn.BatchNorm1d)])
def test_mlp_gives_its_batch_norm_layers_the_configured_eps_and_the_config_the_books(kind, cls, make_cfg):
    net = MLP(20, [8, 8], 3, batch_norm=kind, batch_norm_eps=1e-6)
    assert [m.eps for m in net if isinstance(m, cls)] == [1e-6, 1e-6]
    assert [m.eps for m in MLP(20, [8], 3, batch_norm=kind) if isinstance(m, cls)] == [1e-5]  # older runs' value
    cfg = make_cfg(f"model.net.batch_norm={kind}")
    assert cfg.model.net.batch_norm_eps == 1e-6  # the book's 10e-7
    built = instantiate(cfg.model.net)
    assert [m.eps for m in built if isinstance(m, cls)] == [1e-6] * len(cfg.model.net.hidden_sizes)
    # where the batch variance is tiny, ε decides the output: x̂ = (x − μ)/√(σ² + ε)
    x = torch.tensor([[1e-3], [-1e-3]])
    for eps in (1e-5, 1e-6):
        layer = cls(1, eps=eps)
        torch.testing.assert_close(layer(x), x / (1e-6 + eps) ** 0.5)


@pytest.mark.parametrize("eps", [0, -1e-6, "small", True])
def test_mlp_rejects_a_batch_norm_eps_that_is_not_a_positive_number(eps):
    with pytest.raises(ValueError, match=rf"model.net.batch_norm_eps={eps!r} must be a number > 0 \(the book: 1e-6"):
        MLP(batch_norm="custom", batch_norm_eps=eps)


def test_mlp_rejects_unknown_batch_norm():
    with pytest.raises(ValueError, match=r"model.net.batch_norm='yes' is unknown; allowed: none, custom, torch"):
        MLP(batch_norm="yes")


def test_gradcheck_command_reports_small_errors(capsys):
    from trainlab.experiments import batchnorm_gradcheck

    results = batchnorm_gradcheck.main(["--sizes", "2", "7"])
    assert set(results) == {2, 7}
    assert all(error < 1e-6 for errors in results.values() for error in errors.values())
    assert "gradcheck through MLP(12, [8, 8], 3, batch_norm=custom), float64: passed" in capsys.readouterr().out


def test_bf16_autocast_input_is_normalised_in_float32_and_keeps_its_dtype_like_torch():
    """trainer.precision=bf16-mixed: a Linear under autocast hands BatchNorm a bf16 batch, its stats stay float32."""
    torch.manual_seed(0)
    x, probe = torch.randn(64, 20), torch.randn(64, 8)
    linear = nn.Linear(20, 8)
    results = {}
    for name, norm in (("custom", BatchNorm(8)), ("torch", nn.BatchNorm1d(8))):
        layer = nn.Linear(20, 8)
        layer.load_state_dict(linear.state_dict())
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = norm(layer(x))
        (y.float() * probe).sum().backward()
        norm.eval()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y_eval = norm(layer(x))
        results[name] = (y, y_eval, norm.running_mean, norm.running_var, layer.weight.grad, norm.weight.grad)
    custom, reference = results["custom"], results["torch"]
    assert custom[0].dtype == custom[1].dtype == torch.bfloat16  # as torch: the output has the input's dtype
    assert custom[2].dtype == custom[3].dtype == torch.float32
    for mine, theirs in zip(custom, reference, strict=True):  # equal up to bf16 rounding (8 mantissa bits)
        assert mine.dtype == theirs.dtype
        assert torch.allclose(mine.float(), theirs.float(), rtol=2e-2, atol=2e-2 * theirs.float().abs().max().item())


def test_bf16_module_trains_with_bf16_state_like_torch():
    """trainer.precision=bf16-true: parameters and running statistics are bf16 too."""
    torch.manual_seed(1)
    x = torch.randn(64, 8, dtype=torch.bfloat16)
    outputs = []
    for norm in (BatchNorm(8).to(torch.bfloat16), nn.BatchNorm1d(8).to(torch.bfloat16)):
        inputs = x.clone().requires_grad_()
        y = norm(inputs)
        y.float().sum().backward()
        assert y.dtype == inputs.grad.dtype == norm.weight.grad.dtype == norm.running_var.dtype == torch.bfloat16
        outputs.append((y.float(), norm.running_mean.float(), norm.running_var.float()))
    for mine, theirs in zip(*outputs, strict=True):
        assert torch.allclose(mine, theirs, rtol=2e-2, atol=2e-2)


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_batch_norm_experiment_measures_the_training_set_it_plots_and_nothing_else(make_cfg, tmp_path):
    """Experiment F (the book's Fig. 6-19) plots training accuracy per epoch: it evaluates the training set only,
    as the book's script does, and is a comparison without an objective."""
    from tb_events import load_run, scalar_values

    from trainlab.train import train

    run_dir = tmp_path / "F"
    cfg = make_cfg("experiment=compare_batchnorm", "init.std=0.05", "model.net.batch_norm=custom",
                   "trainer.max_epochs=2", output_dir=run_dir)
    assert cfg.optimized_metric is None and list(cfg.data.eval_splits) == ["train"]
    assert cfg.data.train_size == 1000 and list(cfg.model.net.hidden_sizes) == [100] * 5
    train(cfg)
    assert len(scalar_values(run_dir, "eval/train_acc")) == 2  # every epoch
    assert "val/acc" not in load_run(run_dir).Tags()["scalars"]


@pytest.mark.slow  # ~8 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_at_experiment_fs_smallest_weight_scale_the_books_eps_lets_batch_norm_learn(make_cfg, tmp_path):
    """With W std 1e-4 the pre-activations' batch variance is ~1e-8, and ε decides what BatchNorm makes of them: the
    book's 1e-6 (its code's 10e-7) learns - its own script on the bundled split ends at 0.515 training accuracy, this
    run at ~0.5 - where torch's 1e-5, the value before model.net.batch_norm_eps existed, stayed at chance (0.108)."""
    from trainlab.run_status import read_status
    from trainlab.train import train

    final = {}
    for eps in ("1e-6", "1e-5"):
        run_dir = tmp_path / eps
        train(make_cfg("experiment=compare_batchnorm", "init.std=0.0001", "model.net.batch_norm=custom",
                       f"model.net.batch_norm_eps={eps}", "trainer.enable_progress_bar=false", output_dir=run_dir))
        final[eps] = read_status(run_dir)["metrics"]["eval/train_acc"]
    assert final["1e-6"] > 0.35, final
    assert final["1e-5"] < 0.2, final


def book_running_statistics(batches, momentum=0.9):
    """The book's BatchNormalization (common/layers.py) as it keeps its running statistics, in float64: both start at
    zero, and each training batch moves them by ``momentum`` toward its mean and its biased variance."""
    running_mean = running_var = torch.zeros(batches[0].shape[1], dtype=torch.float64)
    for x in batches:
        x = x.double()
        mu = x.mean(dim=0)
        var = ((x - mu) ** 2).mean(dim=0)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    return running_mean, running_var


def test_the_books_running_statistics_start_at_zero_and_average_the_biased_variance():
    torch.manual_seed(0)
    norm = BatchNorm(6, eps=1e-6, running_stats="book")
    assert torch.equal(norm.running_mean, torch.zeros(6)) and torch.equal(norm.running_var, torch.zeros(6))
    batches = [torch.randn(8, 6) * (step + 1) + step for step in range(4)]
    for x in batches:
        norm(x)
    mean, var = book_running_statistics(batches)
    torch.testing.assert_close(norm.running_mean.double(), mean)
    torch.testing.assert_close(norm.running_var.double(), var)
    torch_kind = nn.BatchNorm1d(6)  # from variance 1, averaging N/(N − 1) = 8/7 of σ²: another value
    for x in batches:
        torch_kind(x)
    assert (torch_kind.running_var.double() - var).abs().min() > 0.05
    norm.eval()  # inference normalises with them: y = γ·(x − μ)/√(σ² + ε) + β
    x = torch.randn(5, 6)
    torch.testing.assert_close(norm(x).double(), (x.double() - mean) / (var + 1e-6).sqrt(), rtol=1e-5, atol=1e-5)


def test_the_running_statistics_kind_leaves_training_mode_unchanged():
    torch.manual_seed(1)
    book, torch_kind = BatchNorm(6, running_stats="book"), BatchNorm(6)
    x = torch.randn(16, 6, requires_grad=True)
    torch.testing.assert_close(book(x), torch_kind(x))


def test_an_unknown_running_statistics_kind_is_refused_naming_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^running_stats='keras' is unknown; allowed: torch, book$"):
        BatchNorm(6, running_stats="keras")
    with pytest.raises(ValueError, match=r"^model.net.batch_norm_running_stats=book needs model.net.batch_norm=custom"):
        MLP(batch_norm="torch", batch_norm_running_stats="book")


def test_mlp_gives_its_batch_norm_layers_the_running_statistics_kind():
    net = MLP(hidden_sizes=[4, 4], batch_norm="custom", batch_norm_running_stats="book")
    norms = [module for module in net if isinstance(module, BatchNorm)]
    assert [norm.running_stats for norm in norms] == ["book", "book"]
    assert all(torch.equal(norm.running_var, torch.zeros(4)) for norm in norms)
    assert all(norm.running_stats == "torch" for norm in MLP(batch_norm="custom") if isinstance(norm, BatchNorm))


def test_at_small_weight_scales_the_books_running_statistics_let_eval_mode_show_what_training_learned(make_cfg,
                                                                                                       tmp_path):
    """Experiment F plots eval/train_acc, measured in eval mode with BatchNorm's running statistics. Started at
    torch's variance 1, they still outweighed the batch variance (~1e-6 at W std 0.0022) after two epochs: the BN
    network's eval-mode accuracy sat at chance (0.118) while it trained; started at 0, as the book's, it shows it."""
    from trainlab.run_status import read_status
    from trainlab.train import train

    cfg = make_cfg("experiment=compare_batchnorm", output_dir=tmp_path)
    assert cfg.model.net.batch_norm_running_stats == "book"
    final = {}
    for kind in ("book", "torch"):
        run_dir = tmp_path / kind
        train(make_cfg("experiment=compare_batchnorm", "init.std=0.0022", "model.net.batch_norm=custom",
                       f"model.net.batch_norm_running_stats={kind}", "trainer.max_epochs=2",
                       "trainer.enable_progress_bar=false", output_dir=run_dir))
        final[kind] = read_status(run_dir)["metrics"]["eval/train_acc"]
    assert final["book"] > 0.4, final
    assert final["torch"] < 0.15, final


@pytest.mark.parametrize("overrides, message", [
    (["model.net.batch_norm=torch", "model.net.batch_norm_running_stats=book"],
     "error: model.net.batch_norm_running_stats=book is kept by the project's own BatchNorm, and "
     "model.net.batch_norm=torch (nn.BatchNorm1d) keeps torch's running statistics; allowed: "
     "model.net.batch_norm=custom, or model.net.batch_norm_running_stats=torch"),
    (["model.net.batch_norm_running_stats=zero"],
     "error: model.net.batch_norm_running_stats='zero' is invalid; allowed: one of torch, book"),
    (["model.net.dropout_kind=scaled"],
     "error: model.net.dropout_kind='scaled' is invalid; allowed: one of inverted, book"),
])
def test_running_statistics_and_dropout_kinds_a_network_cannot_have_are_refused_before_anything(
        train_in_process, tmp_path, overrides, message):
    result = train_in_process(*overrides, f"hydra.run.dir={tmp_path / 'run'}")
    assert (result.returncode, result.stderr.splitlines()) == (2, [message])
    assert not (tmp_path / "run").exists()
