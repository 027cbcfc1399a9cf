"""Initializers against their formulas, the zeros symmetry, experiment C's statistics and the histogram callback."""

from __future__ import annotations

import math

import pytest
import torch
from tb_events import load_run
from torch import nn

from trainlab.experiments import activations
from trainlab.init import default_init, glorot_init, he_init, normal_init, xavier_init, zeros_init
from trainlab.models.mlp import MLP
from trainlab.train import train

STD_FORMULAS = {
    "he": (he_init, lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    "xavier": (xavier_init, lambda fan_in, fan_out: math.sqrt(1 / fan_in)),
    "glorot": (glorot_init, lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    "normal_0.01": (normal_init, lambda fan_in, fan_out: 0.01),
    "normal_1": (lambda m: normal_init(m, std=1.0), lambda fan_in, fan_out: 1.0),
}


def linears(net):
    return [m for m in net.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize("name", list(STD_FORMULAS))
def test_weight_std_of_every_layer_matches_formula(name):
    init, formula = STD_FORMULAS[name]
    torch.manual_seed(0)
    net = MLP(784, [100] * 4, 10)  # the book's 5-layer net
    init(net)
    for layer in linears(net):
        fan_out, fan_in = layer.weight.shape
        expected = formula(fan_in, fan_out)
        assert abs(layer.weight.std().item() - expected) <= 0.05 * expected, (name, fan_in, fan_out)
        assert abs(layer.weight.mean().item()) < 0.05 * expected
        assert torch.count_nonzero(layer.bias) == 0


def test_he_equals_torch_kaiming_normal():
    a, b = nn.Linear(300, 200), nn.Linear(300, 200)
    torch.manual_seed(3)
    he_init(a)
    torch.manual_seed(3)
    nn.init.kaiming_normal_(b.weight, mode="fan_in", nonlinearity="relu")
    torch.testing.assert_close(a.weight, b.weight)


def test_default_leaves_pytorch_init_untouched():
    torch.manual_seed(0)
    net = MLP()
    before = [p.detach().clone() for p in net.parameters()]
    state = torch.random.get_rng_state()
    default_init(net)
    assert all(torch.equal(x, y) for x, y in zip(before, net.parameters(), strict=True))
    assert torch.equal(state, torch.random.get_rng_state())  # no random numbers consumed
    assert any(torch.count_nonzero(layer.bias) > 0 for layer in linears(net))  # PyTorch's biases are kept


def test_zeros_keeps_every_hidden_unit_identical_under_sgd():
    torch.manual_seed(0)
    net = MLP(20, [8, 8], 3, activation="sigmoid")  # sigmoid(0) = 0.5 lets gradients reach the hidden layers
    zeros_init(net)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(30):
        x, y = torch.randn(16, 20), torch.randint(0, 3, (16,))
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
    first, second, _ = linears(net)
    for layer in (first, second):  # all rows (units) of a hidden layer are the same
        assert torch.allclose(layer.weight, layer.weight[:1].expand_as(layer.weight))
        assert torch.allclose(layer.bias, layer.bias[:1].expand_as(layer.bias))
    assert second.weight.abs().sum() > 0 and first.weight.abs().sum() > 0  # they did learn - in lockstep


def test_normal_rejects_negative_std():
    with pytest.raises(ValueError, match=r"init.std=-1 must be >= 0"):
        normal_init(nn.Linear(2, 2), std=-1)


@pytest.mark.parametrize("init, name", [(he_init, "he_init"), (xavier_init, "xavier_init"),
                                        (glorot_init, "glorot_init")])
@pytest.mark.parametrize("net, layer", [
    (nn.Sequential(nn.Conv2d(1, 8, 0), nn.Flatten(), nn.Linear(8, 10)), "layer 0 (Conv2d, weight shape (8, 1, 0, 0))"),
    (nn.Sequential(nn.Linear(5, 4), nn.Sequential(nn.Linear(0, 3))), "layer 1.0 (Linear, weight shape (3, 0))"),
])
def test_a_layer_with_fan_in_0_is_refused_naming_the_layer_and_the_network(init, name, net, layer):
    """A kernel_size=0 of a network of one's own raised ZeroDivisionError inside he_init, reported as ``init is
    invalid``: the network's arguments are the mistake."""
    from trainlab.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        init(net)
    assert str(refused.value) == f"{name}: {layer} has fan-in 0: check model.net's arguments"


@pytest.mark.parametrize("init", [normal_init, zeros_init, default_init])
def test_initializers_whose_std_needs_no_fan_in_leave_a_layer_with_fan_in_0_alone(init):
    net = nn.Sequential(nn.Linear(0, 3), nn.Linear(3, 2))
    init(net)
    assert net[0].weight.shape == (3, 0)


@pytest.mark.parametrize("init", [he_init, xavier_init, glorot_init, normal_init, zeros_init])
def test_a_layer_with_no_outputs_is_initialised_like_any_other(init):
    """The fans are read from the weight's shape: an empty (0, n) weight raised IndexError (``weight[0]``)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 0), nn.Linear(4, 300))
    init(net)
    assert net[0].weight.shape == (0, 4)
    assert torch.count_nonzero(net[1].bias) == 0


# ---- experiment C ----------------------------------------------------------------------------------------------
def stds(activation, init):
    return [t.std().item() for t in activations.layer_activations(activation, init)]


def test_relu_he_keeps_a_similar_spread_in_every_layer():
    spread = stds("relu", "he")
    assert max(spread) / min(spread) < 1.5


def test_relu_small_std_collapses_with_depth():
    spread = stds("relu", "std=0.01")
    assert all(b < 0.2 * a for a, b in zip(spread, spread[1:], strict=False))
    assert spread[-1] < 1e-4


def test_relu_xavier_shrinks_with_depth_but_he_does_not():
    xavier, he = stds("relu", "xavier"), stds("relu", "he")
    assert xavier[-1] < 0.5 * xavier[0]
    assert he[-1] >= 0.5 * he[0]


def test_sigmoid_std1_piles_activations_at_0_and_1():
    for values in activations.layer_activations("sigmoid", "std=1"):
        saturated = ((values < 0.1) | (values > 0.9)).float().mean().item()
        assert saturated > 0.5


@pytest.mark.slow  # ~8 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_activation_figures_and_table(tmp_path, capsys):
    out = activations.main(["--out", str(tmp_path)])
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) == 13 and "overview.png" in pngs and "relu_he.png" in pngs and "sigmoid_std1.png" in pngs
    assert len((out / "stats.csv").read_text().splitlines()) == 1 + 12 * 5
    printed = capsys.readouterr().out
    assert "relu       he" in printed and "layer 5" in printed


def test_an_activation_the_book_has_no_range_for_is_drawn_over_its_values():
    """docs/extending.md adds ``"gelu": "GELU"`` to ACTIVATIONS: experiment C stopped at ``KeyError: 'gelu'``
    with 12 of its figures written. One range for the row: the central 99 % of the case's values."""
    outputs = [torch.linspace(-1.0, 0.0, 500), torch.cat([torch.linspace(0.0, 1.0, 499), torch.tensor([1e5])])]
    low, high = activations.histogram_range("gelu", outputs)  # the central 99 % of the row's 1,000 values
    assert low == pytest.approx(-0.99, abs=0.01) and high == pytest.approx(0.99, abs=0.01)  # not 1e5's one bin
    assert activations.histogram_range("tanh", outputs) == (-1.0, 1.0)  # the book's, whatever the values
    assert activations.histogram_range("gelu", [torch.zeros(3)]) == (-1.0, 1.0)  # all alike: widened


@pytest.mark.slow  # ~10 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_an_activation_added_to_the_choices_gets_its_row_of_figures(tmp_path, monkeypatch):
    from trainlab.models import net_choices

    monkeypatch.setitem(net_choices.ACTIVATIONS, "gelu", "GELU")
    out = activations.main(["--out", str(tmp_path)])
    assert {f"gelu_{init}.png" for init in ("std1", "std0.01", "xavier", "he")} <= {p.name for p in out.glob("*.png")}
    assert len((out / "stats.csv").read_text().splitlines()) == 1 + 16 * 5


def test_activations_refuse_an_out_below_a_file_in_one_error_line(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        activations.main(["--out", str(a_file / "figures")])
    assert exit_info.value.code == 2
    assert (f"error: --out {a_file / 'figures'} is unusable: {a_file} is a file, not a directory"
            in capsys.readouterr().err)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_activation_figures_are_never_overwritten(tmp_path, capsys):
    (tmp_path / "tanh_xavier.png").write_bytes(b"an earlier figure")
    with pytest.raises(SystemExit) as exit_info:
        activations.main(["--out", str(tmp_path)])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"error: {tmp_path} already holds tanh_xavier.png from an earlier run of activations" in error
    assert [p.name for p in tmp_path.iterdir()] == ["tanh_xavier.png"]
    assert (tmp_path / "tanh_xavier.png").read_bytes() == b"an earlier figure"


# ---- histogram callback ----------------------------------------------------------------------------------------
def test_histogram_callback_writes_readable_histograms(make_cfg, tmp_path):
    out = tmp_path / "hist"
    cfg = make_cfg("debug=limit", "callbacks=histograms", "callbacks.activation_histograms.every_n_steps=4",
                   output_dir=out)
    train(cfg)
    run = load_run(out)
    tags = run.Tags()["histograms"]
    assert {f"activations/layer{i}" for i in range(1, 5)} <= set(tags)
    assert {f"weights/layer{i}" for i in range(1, 6)} <= set(tags)
    events = run.Histograms("activations/layer1")
    assert [e.step for e in events] == [0, 4, 8]  # 10 steps in debug=limit
    assert events[0].histogram_value.num == 100 * 100  # batch 100 x 100 units


def test_histogram_callback_does_not_change_training(make_cfg, tmp_path):
    with_cb = train(make_cfg("debug=limit", "model.net.dropout=0.3", "callbacks=histograms",
                             "callbacks.activation_histograms.every_n_steps=1", output_dir=tmp_path / "a"))
    without = train(make_cfg("debug=limit", "model.net.dropout=0.3", output_dir=tmp_path / "b"))
    assert with_cb == without
