"""Stacked members compute what their lone runs compute: the network, BatchNorm, dropout and the optimizers."""

from __future__ import annotations

import copy
import functools

import pytest
import torch
from torch import nn

from trainlab.models.classifier import split_decay_groups
from trainlab.models.mlp import MLP
from trainlab.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp
from trainlab.optim.book_optimizer import BookOptimizer
from trainlab.stacked.stacked_mlp import StackedMLP
from trainlab.stacked.stacked_optimizer import StackedOptimizer

# every book optimizer, twice with different hyper-parameters, and two of torch's: one stack of 14 members
MEMBERS = [
    (SGD, {"lr": 0.1}, 0.0), (SGD, {"lr": 0.01}, 0.2),
    (Momentum, {"lr": 0.05, "momentum": 0.8}, 0.1), (Momentum, {"lr": 0.01, "momentum": 0.9}, 0.0),
    (Nesterov, {"lr": 0.02, "momentum": 0.7}, 0.0), (Nesterov, {"lr": 0.01}, 0.3),
    (AdaGrad, {"lr": 0.1, "eps": 1e-6}, 0.0), (AdaGrad, {"lr": 0.01}, 0.1),
    (RMSProp, {"lr": 0.01, "rho": 0.9}, 0.1), (RMSProp, {"lr": 0.001}, 0.0),
    (Adam, {"lr": 0.01, "betas": (0.8, 0.99)}, 0.0), (Adam, {"lr": 0.001, "eps": 1e-6}, 0.2),
    (torch.optim.Adam, {"lr": 0.01}, 0.0), (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, 0.05),
]


def small_nets(count: int, seed: int = 0, **kwargs) -> list[MLP]:
    torch.manual_seed(seed)
    return [MLP(12, [8, 6], 4, **kwargs).double() for _ in range(count)]


def stack_and_lone(members, paths=None):
    """(stacked net, its optimizer, lone nets, their optimizers) for ``members`` = [(class, kwargs, λ)]."""
    nets = small_nets(len(members))
    lone = copy.deepcopy(nets)
    factories = [functools.partial(cls, **{**kwargs, **(paths or {})}) if issubclass(cls, BookOptimizer)
                 else functools.partial(cls, **kwargs) for cls, kwargs, _ in members]
    decays = [wd for _, _, wd in members]
    stacked = StackedMLP(nets)
    decay = stacked.decay_parameters()
    others = [p for p in stacked.parameters() if all(p is not d for d in decay)]
    optimizer = StackedOptimizer(decay, others, factories, decays)
    lone_optimizers = [f(split_decay_groups(net, wd)) for f, net, wd in zip(factories, lone, decays, strict=True)]
    return stacked, optimizer, lone, lone_optimizers


def train_both(stacked, optimizer, lone, lone_optimizers, steps=25, seed=1):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 12, generator=generator, dtype=torch.float64)
        y = torch.randint(0, 4, (16,), generator=generator)
        logits = stacked(x)
        losses = torch.stack([nn.functional.cross_entropy(member, y) for member in logits])
        optimizer.zero_grad()
        losses.sum().backward()
        optimizer.step()
        for net, lone_optimizer in zip(lone, lone_optimizers, strict=True):
            lone_optimizer.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            lone_optimizer.step()


def assert_members_equal_lone(stacked, lone, atol):
    for member, net in enumerate(lone):
        exported = copy.deepcopy(net)
        stacked.load_into(member, exported)
        for (name, got), expected in zip(exported.state_dict().items(), net.state_dict().values(), strict=True):
            torch.testing.assert_close(got, expected, rtol=0, atol=atol, msg=f"member {member} {name}")


@pytest.mark.parametrize("paths", [{"foreach": True}, {"foreach": False}], ids=["foreach", "per_tensor"])
def test_each_member_steps_as_its_lone_optimizer(paths):
    """All six book optimizers with per-member hyper-parameters and weight decay, plus torch's, in one stack."""
    stacked, optimizer, lone, lone_optimizers = stack_and_lone(MEMBERS, paths)
    train_both(stacked, optimizer, lone, lone_optimizers)
    assert_members_equal_lone(stacked, lone, atol=1e-12)


def test_members_with_different_learning_rates_are_not_averaged():
    stacked, optimizer, lone, lone_optimizers = stack_and_lone([(SGD, {"lr": 0.5}, 0.0), (SGD, {"lr": 0.001}, 0.0)])
    start = copy.deepcopy(stacked.linears[0].weight.detach())
    train_both(stacked, optimizer, lone, lone_optimizers, steps=3)
    moved = (stacked.linears[0].weight.detach() - start).abs().sum(dim=(1, 2))
    assert moved[0] > 100 * moved[1]  # lr 0.5 against 0.001: each member moved with its own step size
    assert_members_equal_lone(stacked, lone, atol=1e-12)


def test_blocks_follow_optimizer_classes_and_hyper_parameters_become_per_member_tensors():
    _, optimizer, _, _ = stack_and_lone(MEMBERS)
    blocks = [(b.start, b.stop, type(b.optimizer).__name__) for b in optimizer.blocks]
    assert blocks == [(0, 2, "SGD"), (2, 4, "Momentum"), (4, 6, "Nesterov"), (6, 8, "AdaGrad"), (8, 10, "RMSProp"),
                      (10, 12, "Adam"), (12, 13, "Adam"), (13, 14, "SGD")]
    adam = optimizer.blocks[5].optimizer.param_groups
    assert adam[0]["per_member"] and torch.equal(adam[0]["lr"], torch.tensor([0.01, 0.001], dtype=torch.float64))
    beta1, beta2 = adam[0]["betas"]
    assert beta1.tolist() == [0.8, 0.9] and beta2.tolist() == [0.99, 0.999]
    assert adam[0]["weight_decay"].tolist() == [0.0, 0.2] and adam[1]["weight_decay"] == 0.0  # the no-decay group


def test_a_member_hyper_parameter_is_checked_by_its_own_optimizer():
    with pytest.raises(ValueError, match=r"Invalid momentum: 1\.5 \(allowed: 0 <= momentum < 1\)"):
        stack_and_lone([(Momentum, {"lr": 0.1}, 0.0), (Momentum, {"lr": 0.1, "momentum": 1.5}, 0.0)])


@pytest.mark.parametrize("pair", [MEMBERS[i:i + 2] for i in range(0, 12, 2)], ids=lambda p: p[0][0].__name__)
@pytest.mark.slow  # ~5 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_compiled_path_steps_each_member_as_its_lone_optimizer(monkeypatch, pair):
    """Two members of one class with different hyper-parameters and weight decays, through torch.compile."""
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")  # traces without generating C++: quick
    stacked, optimizer, lone, lone_optimizers = stack_and_lone(pair, {"compile": True})
    assert optimizer.blocks[0].optimizer.param_groups[0]["per_member"]
    train_both(stacked, optimizer, lone, lone_optimizers, steps=3)
    assert_members_equal_lone(stacked, lone, atol=1e-12)


def test_member_state_dict_is_the_lone_optimizers():
    stacked, optimizer, lone, lone_optimizers = stack_and_lone(MEMBERS)
    train_both(stacked, optimizer, lone, lone_optimizers, steps=4)
    for member in (1, 5, 11, 13):
        template = MEMBERS[member][0]
        net = copy.deepcopy(lone[member])
        fresh = lone_optimizers[member].__class__(split_decay_groups(net, MEMBERS[member][2]), **MEMBERS[member][1])
        assert isinstance(fresh, template)
        lone_params = dict(zip(stacked.parameters(), stacked.member_parameters(net), strict=True))
        got = optimizer.member_state_dict(member, fresh, lone_params)
        expected = lone_optimizers[member].state_dict()
        assert got["param_groups"] == expected["param_groups"]
        assert got["state"].keys() == expected["state"].keys()
        for index, state in expected["state"].items():
            for name, value in state.items():
                torch.testing.assert_close(torch.as_tensor(got["state"][index][name]), torch.as_tensor(value),
                                           rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch_norm", ["none", "custom", "torch"])
def test_stacked_network_computes_each_members_forward_backward_and_statistics(batch_norm):
    nets = small_nets(3, batch_norm=batch_norm)
    lone = copy.deepcopy(nets)
    stacked = StackedMLP(nets)
    x = torch.randn(10, 12, dtype=torch.float64)
    logits = stacked(x)
    assert logits.shape == (3, 10, 4)
    expected = torch.stack([net(x) for net in lone])
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-12)
    logits.square().sum().backward()
    expected.square().sum().backward()
    for member, net in enumerate(lone):
        for stacked_param, lone_param in zip(stacked.parameters(), stacked.member_parameters(net), strict=True):
            torch.testing.assert_close(stacked_param.grad[member], lone_param.grad, rtol=0, atol=1e-12)
    assert_members_equal_lone(stacked, lone, atol=1e-12)  # running statistics after one training batch
    stacked.eval()
    for net in lone:
        net.eval()
    torch.testing.assert_close(stacked(x), torch.stack([net(x) for net in lone]), rtol=0, atol=1e-12)


def test_dropout_masks_are_independent_across_members_reproducible_and_use_each_probability():
    nets = small_nets(3, dropout=0.5)
    nets[2] = MLP(12, [8, 6], 4, dropout=0.2).double()
    stacked = StackedMLP(nets)
    x = torch.randn(4000, 12, dtype=torch.float64)

    def masks(seed):
        torch.manual_seed(seed)
        hidden = stacked.activations[0](stacked.linears[0](x))
        return hidden, stacked.dropout(hidden)

    hidden, dropped = masks(7)
    alive = hidden != 0
    kept = [(dropped[k][alive[k]] != 0).double().mean().item() for k in range(3)]
    assert kept[0] == pytest.approx(0.5, abs=0.02) and kept[2] == pytest.approx(0.8, abs=0.02)
    both = alive[0] & alive[1]
    assert not torch.equal(dropped[0][both] != 0, dropped[1][both] != 0)  # members draw their own masks
    scale = dropped[2][dropped[2] != 0] / hidden[2][dropped[2] != 0]
    torch.testing.assert_close(scale, torch.full_like(scale, 1 / 0.8))  # inverted dropout, member's own p
    assert torch.equal(masks(7)[1], dropped) and not torch.equal(masks(8)[1], dropped)
    stacked.eval()
    assert torch.equal(stacked.dropout(hidden), hidden)


def test_activations_are_feature_major_so_weight_gradients_need_no_copy():
    """Each Linear's (K, B, O) output is laid out (K, O, B): the backward products then write every weight
    gradient in its parameter's own (K, O, I) layout (a batch-major layout made autograd copy each one)."""
    stacked = StackedMLP(small_nets(3))
    x = torch.randn(10, 12, dtype=torch.float64)
    first = stacked.linears[0](x)
    second = stacked.linears[1](stacked.activations[0](first))
    for out in (first, second):
        assert out.shape[:2] == (3, 10) and out.transpose(1, 2).is_contiguous()
    seen = []
    for linear in stacked.linears:
        linear.weight.register_hook(lambda grad: seen.append(grad.is_contiguous()))
    stacked(x).sum().backward()
    assert seen == [True] * len(stacked.linears)


def test_member_losses_and_correct_counts_are_each_members_own_on_the_stacks_layout():
    from trainlab.stacked.stacked_classifier import member_correct, member_cross_entropy

    stacked = StackedMLP(small_nets(3))
    x, y = torch.randn(10, 12, dtype=torch.float64), torch.randint(0, 4, (10,))
    logits = stacked(x)  # (3, 10, 4) laid out (3, 4, 10)
    expected_loss = torch.stack([nn.functional.cross_entropy(member, y) for member in logits.contiguous()])
    torch.testing.assert_close(member_cross_entropy(logits, y), expected_loss, rtol=0, atol=1e-12)
    expected_correct = [int((member.argmax(dim=-1) == y).sum()) for member in logits.contiguous()]
    assert member_correct(logits, y).tolist() == expected_correct


def test_member_stacked_decay_is_added_to_the_gradient_in_place_and_an_ordinary_groups_gradient_is_left_alone():
    """A member-stacked group (one λ per member) adds λ_k·p to ``.grad`` in place - the stack's gradients are read
    by nothing after its step - and steps with it; an ordinary group with weight decay leaves ``.grad`` as it was."""
    stacked = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64))
    optimizer = SGD([{"params": [stacked], "per_member": True, "lr": torch.tensor([0.5, 0.25], dtype=torch.float64),
                      "weight_decay": torch.tensor([0.1, 0.2], dtype=torch.float64)}], foreach=False)
    stacked.grad = torch.ones_like(stacked)
    optimizer.step()
    expected_grad = torch.tensor([[1.1, 1.2], [1.6, 1.8]], dtype=torch.float64)  # 1 + λ_k·p
    torch.testing.assert_close(stacked.grad, expected_grad, rtol=0, atol=1e-15)
    torch.testing.assert_close(stacked.detach(), torch.tensor([[0.45, 1.4], [2.6, 3.55]], dtype=torch.float64),
                               rtol=0, atol=1e-15)  # p - lr_k·(1 + λ_k·p)
    lone = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    lone.grad = torch.ones_like(lone)
    SGD([lone], lr=0.5, weight_decay=0.1, foreach=False).step()
    assert lone.grad.tolist() == [1.0, 1.0]
    torch.testing.assert_close(lone.detach(), torch.tensor([0.45, 1.4], dtype=torch.float64), rtol=0, atol=1e-15)
