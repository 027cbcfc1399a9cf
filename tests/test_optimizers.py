"""The book's optimizers: closed-form float64 references, torch.optim oracles, state_dict, schedulers, checks."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from trainlab.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp
from trainlab.optim.book_optimizer import BookOptimizer

EPS = 1e-7
SHAPES = [(7, 5), (5,), (3, 4, 2)]
STEPS = 60


# ---- closed-form references: the book's formulas in NumPy float64, one class per rule -------------------------
class RefSGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, p, g):
        return p - self.lr * g


class RefMomentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.mu, self.v = lr, momentum, 0.0

    def update(self, p, g):
        self.v = self.mu * self.v - self.lr * g
        return p + self.v


class RefNesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.mu, self.v = lr, momentum, 0.0

    def update(self, p, g):
        p = p + self.mu * self.mu * self.v - (1 + self.mu) * self.lr * g
        self.v = self.mu * self.v - self.lr * g
        return p


class RefAdaGrad:
    def __init__(self, lr=0.01, eps=EPS):
        self.lr, self.eps, self.h = lr, eps, 0.0

    def update(self, p, g):
        self.h = self.h + g * g
        return p - self.lr * g / (np.sqrt(self.h) + self.eps)


class RefRMSProp:
    def __init__(self, lr=0.01, rho=0.99, eps=EPS):
        self.lr, self.rho, self.eps, self.h = lr, rho, eps, 0.0

    def update(self, p, g):
        self.h = self.rho * self.h + (1 - self.rho) * g * g
        return p - self.lr * g / (np.sqrt(self.h) + self.eps)


class RefAdam:
    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=EPS):
        self.lr, (self.b1, self.b2), self.eps, self.t, self.m, self.v = lr, betas, eps, 0, 0.0, 0.0

    def update(self, p, g):
        self.t += 1
        lr_t = self.lr * math.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        self.m = self.m + (1 - self.b1) * (g - self.m)
        self.v = self.v + (1 - self.b2) * (g * g - self.v)
        return p - lr_t * self.m / (np.sqrt(self.v) + self.eps)


CASES = {  # custom class, its kwargs, the reference's kwargs
    "sgd": (SGD, {"lr": 0.05}, RefSGD),
    "momentum": (Momentum, {"lr": 0.05, "momentum": 0.8}, RefMomentum),
    "nesterov": (Nesterov, {"lr": 0.05, "momentum": 0.8}, RefNesterov),
    "adagrad": (AdaGrad, {"lr": 0.05}, RefAdaGrad),
    "rmsprop": (RMSProp, {"lr": 0.02, "rho": 0.9}, RefRMSProp),
    "adam": (Adam, {"lr": 0.01, "betas": (0.8, 0.99)}, RefAdam),
}
# the closed-form runs: every case with the book's ε, and those with an ε again at another value (an ε of the
# group ignored, e.g. a hard-coded 1e-7, passes at the default alone)
CLOSED_FORM_RUNS = [pytest.param(name, {}, id=name) for name in CASES] + [
    pytest.param(name, {"eps": 1e-2}, id=f"{name}-eps_1e-2") for name in ("adagrad", "rmsprop", "adam")
]
PATHS = [  # the three ways to run a step (a test using them sets compile_backend to aot_eager: it traces only)
    pytest.param({"foreach": True}, id="foreach"),
    pytest.param({"foreach": False}, id="per_tensor"),
    pytest.param({"compile": True}, id="compiled", marks=pytest.mark.slow),  # 1-5 s each on 2 cores (compiling)
]


def random_params(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in SHAPES]


def run_steps(optimizer, params, steps, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)
        optimizer.step()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name,eps", CLOSED_FORM_RUNS)
def test_matches_closed_form_reference(name, eps, path, monkeypatch):
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")
    cls, kwargs, ref_cls = CASES[name]
    kwargs = {**kwargs, **eps}
    params = random_params()
    expected = [p.detach().numpy().copy() for p in params]
    refs = [ref_cls(**kwargs) for _ in params]
    optimizer = cls(params, **path, **kwargs)
    g = torch.Generator().manual_seed(1)
    for _ in range(STEPS):
        for i, p in enumerate(params):
            p.grad = torch.randn(p.shape, generator=g, dtype=torch.float64)
            expected[i] = refs[i].update(expected[i], p.grad.numpy())
        optimizer.step()
    for p, e in zip(params, expected, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_foreach_and_per_tensor_paths_agree_with_weight_decay(name):
    cls, kwargs, _ = CASES[name]
    a, b = random_params(), random_params()
    run_steps(cls(a, foreach=True, weight_decay=0.1, **kwargs), a, 20)
    run_steps(cls(b, foreach=False, weight_decay=0.1, **kwargs), b, 20)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", list(CASES))
def test_weight_decay_is_l2_gradient(name):
    """weight_decay λ behaves as if λ·p were added to every gradient."""
    cls, kwargs, _ = CASES[name]
    a, b = random_params(), random_params()
    opt_a = cls(a, weight_decay=0.3, **kwargs)
    opt_b = cls(b, **kwargs)
    g = torch.Generator().manual_seed(1)
    for _ in range(10):
        for x, y in zip(a, b, strict=True):
            grad = torch.randn(x.shape, generator=g, dtype=x.dtype)
            x.grad = grad.clone()
            y.grad = grad + 0.3 * y.detach()
        opt_a.step()
        opt_b.step()
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-13)


ORACLES = {  # a case of CASES -> the torch.optim configuration that computes the same rule with its kwargs
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05),
    "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0),
    "nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.05, eps=EPS),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=EPS),
}


@pytest.mark.parametrize("name", list(ORACLES))
@pytest.mark.parametrize("foreach", [True, False], ids=["foreach", "per_tensor"])
def test_matches_torch_oracle(name, foreach):
    cls, kwargs, _ = CASES[name]
    ours, theirs = random_params(), random_params()
    run_steps(cls(ours, foreach=foreach, weight_decay=0.01, **kwargs), ours, 50)
    torch_optimizer = ORACLES[name](theirs)
    for group in torch_optimizer.param_groups:
        group["weight_decay"] = 0.01
    run_steps(torch_optimizer, theirs, 50)
    for x, y in zip(ours, theirs, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("foreach", [True, False], ids=["foreach", "per_tensor"])
def test_adam_matches_torch_adam_with_zero_eps(foreach):
    ours, theirs = random_params(), random_params()
    adam = Adam(ours, lr=0.01, betas=(0.8, 0.99), foreach=foreach)
    adam.param_groups[0]["eps"] = 0.0  # the constructor insists on eps > 0; the oracle needs exactly 0
    run_steps(adam, ours, 50)
    run_steps(torch.optim.Adam(theirs, lr=0.01, betas=(0.8, 0.99), eps=0.0), theirs, 50)
    for x, y in zip(ours, theirs, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("foreach", [True, False], ids=["foreach", "per_tensor"])
def test_adam_eps_is_torch_eps_times_the_root_of_the_second_bias_correction(foreach):
    """After step 1, ε = e here is torch's eps = e / √(1 − β2): torch's ε is the larger for the same update.
    Gradients of order 1e-4 keep √v near ε, so the wrong ε shows."""
    eps, beta2 = 1e-5, 0.999

    def one_step(optimizer_class, **kwargs):
        params = random_params()
        optimizer = optimizer_class(params, lr=0.01, betas=(0.9, beta2), **kwargs)
        g = torch.Generator().manual_seed(1)
        for p in params:
            p.grad = 1e-4 * torch.randn(p.shape, generator=g, dtype=p.dtype)
        optimizer.step()
        return params

    ours = one_step(Adam, eps=eps, foreach=foreach)
    for x, y in zip(ours, one_step(torch.optim.Adam, eps=eps / math.sqrt(1 - beta2)), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-15)
    for x, y in zip(ours, one_step(torch.optim.Adam, eps=eps), strict=True):
        assert not torch.allclose(x, y, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip_continues_exactly(name):
    cls, kwargs, _ = CASES[name]
    params = random_params()
    optimizer = cls(params, **kwargs)
    run_steps(optimizer, params, 10, seed=1)
    saved_params = [p.detach().clone() for p in params]
    saved_state = copy.deepcopy(optimizer.state_dict())
    run_steps(optimizer, params, 10, seed=2)  # the uninterrupted continuation

    resumed = [p.clone().detach().requires_grad_() for p in saved_params]
    new_optimizer = cls(resumed, **kwargs)
    new_optimizer.load_state_dict(saved_state)
    run_steps(new_optimizer, resumed, 10, seed=2)
    for x, y in zip(params, resumed, strict=True):
        assert torch.equal(x, y)


@pytest.mark.parametrize("name", list(CASES))
def test_params_without_grad_are_skipped_and_groups_keep_their_settings(name):
    cls, kwargs, _ = CASES[name]
    a, b, frozen = random_params()
    a0, frozen0 = a.detach().clone(), frozen.detach().clone()
    optimizer = cls([{"params": [a], "lr": 0.0}, {"params": [b, frozen]}], **kwargs)
    a.grad, b.grad = torch.ones_like(a), torch.ones_like(b)
    optimizer.step()
    assert torch.equal(a.detach(), a0)  # lr 0 in its own group
    assert torch.equal(frozen.detach(), frozen0)  # no grad: skipped
    assert not torch.equal(b.detach(), random_params()[1].detach())  # updated
    assert frozen not in optimizer.state


@pytest.mark.parametrize("name", list(CASES))
def test_sparse_gradient_is_refused_naming_the_optimizer_and_nothing_moves(name):
    cls, kwargs, _ = CASES[name]
    dense, sparse = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(4, 2))
    dense.grad = torch.ones(3)
    sparse.grad = torch.sparse_coo_tensor([[0, 2]], torch.ones(2, 2), (4, 2), check_invariants=True)  # no warning
    optimizer = cls([dense, sparse], **kwargs)
    with pytest.raises(RuntimeError, match=f"^{cls.__name__} does not support sparse gradients$"):
        optimizer.step()
    assert torch.equal(dense.detach(), torch.ones(3)) and torch.equal(sparse.detach(), torch.ones(4, 2))


def test_step_returns_the_closure_loss():
    (p, *_) = random_params()
    optimizer = SGD([p], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    before = (p.detach() ** 2).sum()
    loss = optimizer.step(closure)
    assert torch.equal(loss.detach(), before)
    assert (p.detach() ** 2).sum() < before


@pytest.mark.parametrize("name", list(CASES))
def test_scheduler_changes_the_effective_lr(name):
    """Halving lr with a scheduler gives exactly the run of an optimizer built with half the lr."""
    cls, kwargs, _ = CASES[name]
    scheduled, halved = random_params(), random_params()
    optimizer = cls(scheduled, **kwargs)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.5)
    assert optimizer.param_groups[0]["lr"] == kwargs["lr"] * 0.5
    run_steps(optimizer, scheduled, 5)
    scheduler.step()
    run_steps(cls(halved, **{**kwargs, "lr": kwargs["lr"] * 0.5}), halved, 5)
    for x, y in zip(scheduled, halved, strict=True):
        assert torch.equal(x, y)
    full = random_params()
    run_steps(cls(full, **kwargs), full, 5)
    assert not torch.equal(full[0], scheduled[0])


@pytest.mark.parametrize(
    "factory,message",
    [
        (lambda p: SGD(p, lr=-0.1), "Invalid lr: -0.1 (allowed: lr >= 0)"),
        (lambda p: SGD(p, weight_decay=-1), "Invalid weight_decay: -1 (allowed: weight_decay >= 0)"),
        (lambda p: Momentum(p, momentum=1.0), "Invalid momentum: 1.0 (allowed: 0 <= momentum < 1)"),
        (lambda p: Nesterov(p, momentum=-0.5), "Invalid momentum: -0.5 (allowed: 0 <= momentum < 1)"),
        (lambda p: AdaGrad(p, eps=0.0), "Invalid eps: 0.0 (allowed: eps > 0)"),
        (lambda p: RMSProp(p, rho=1.5), "Invalid rho: 1.5 (allowed: 0 <= rho < 1)"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), "Invalid beta2: 1.0 (allowed: 0 <= beta2 < 1)"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), "Invalid beta1: -0.1 (allowed: 0 <= beta1 < 1)"),
    ],
)
def test_bad_arguments_raise_naming_them(factory, message):
    with pytest.raises(ValueError) as error:
        factory(random_params())
    assert str(error.value) == message


BOOK_DEFAULTS = {  # SPEC's update-rule table (ε = 1e-7 wherever there is one)
    SGD: {"lr": 0.01},
    Momentum: {"lr": 0.01, "momentum": 0.9},
    Nesterov: {"lr": 0.01, "momentum": 0.9},
    AdaGrad: {"lr": 0.01, "eps": 1e-7},
    RMSProp: {"lr": 0.01, "rho": 0.99, "eps": 1e-7},
    Adam: {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-7},
}


def test_book_defaults():
    """Every default of every optimizer: the book's hyper-parameters, no weight decay, the foreach path."""
    p = random_params()
    assert {cls.__name__: cls(p).defaults for cls in BOOK_DEFAULTS} == {
        cls.__name__: {**book, "weight_decay": 0.0, "foreach": True, "compile": False}
        for cls, book in BOOK_DEFAULTS.items()
    }


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(CASES))
def test_cuda_paths_match_cpu(name):
    """foreach and compiled (Inductor/Triton) steps on the GPU agree with the CPU foreach path."""
    cls, kwargs, _ = CASES[name]
    cpu = random_params()
    gpu = [p.detach().cuda().requires_grad_() for p in random_params()]
    gpu_compiled = [p.detach().cuda().requires_grad_() for p in random_params()]
    for params, path in ((cpu, {}), (gpu, {}), (gpu_compiled, {"compile": True})):
        optimizer = cls(params, **path, **kwargs)
        g = torch.Generator().manual_seed(1)
        for _ in range(10):
            for p in params:
                p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype).to(p.device)
            optimizer.step()
    for x, y, z in zip(cpu, gpu, gpu_compiled, strict=True):
        torch.testing.assert_close(x, y.cpu(), rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(x, z.cpu(), rtol=1e-10, atol=1e-10)


# ---- compile=True: the per-tensor rule through torch.compile ----------------------------------------------------
def run_scheduled_two_group_steps(cls, kwargs, params, **path):
    """12 steps on two groups (weight decay on the first), the lr halved by a scheduler after 4 and 8 steps."""
    optimizer = cls([{"params": params[:2], "weight_decay": 0.1}, {"params": params[2:]}], **kwargs, **path)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for seed in (1, 2, 3):
        run_steps(optimizer, params, 4, seed=seed)
        scheduler.step()
    return optimizer


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.slow  # ~4 s each on 2 cores (make test-slow; the default run stays ~4 min)
def test_compiled_path_traces_the_per_tensor_rule(name, monkeypatch):
    """compile=True runs the same rule as foreach=False: with a backend that only traces (aot_eager) the float64
    values agree to 1e-12 (rounding of the traced scalars aside), through weight decay, two groups and scheduler
    changes."""
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")
    cls, kwargs, _ = CASES[name]
    compiled, plain = random_params(), random_params()
    compiled_optimizer = run_scheduled_two_group_steps(cls, kwargs, compiled, compile=True)
    run_scheduled_two_group_steps(cls, kwargs, plain, foreach=False)
    for x, y in zip(compiled, plain, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)
    assert len(compiled_optimizer._compiled_updates) == 2  # one compiled function per parameter group


@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_inductor_compiled_adam_matches_foreach_and_recompiles_once_for_new_scalars():
    """Inductor fuses the rule; changing lr (and with it Adam's lr_t, every step) costs one recompilation per
    group, not one per value."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    torch.manual_seed(0)
    fused = [torch.randn(100, 50, requires_grad=True), torch.randn(50, requires_grad=True)]
    reference = [p.detach().clone().requires_grad_() for p in fused]
    graphs_before = counters["stats"]["unique_graphs"]
    optimizers = [Adam(fused, lr=0.01, compile=True), Adam(reference, lr=0.01)]
    schedulers = [torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5) for o in optimizers]
    for seed in range(1, 6):
        for optimizer, scheduler, params in zip(optimizers, schedulers, (fused, reference), strict=True):
            run_steps(optimizer, params, 3, seed=seed)
            scheduler.step()
    assert counters["stats"]["unique_graphs"] - graphs_before <= 2
    for x, y in zip(fused, reference, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)


def test_state_dict_moves_between_paths_and_the_path_stays_the_instances(monkeypatch):
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")
    params = random_params()
    saved = Adam(params, lr=0.01)
    run_steps(saved, params, 5)
    state = copy.deepcopy(saved.state_dict())
    resumed_params = [p.detach().clone().requires_grad_() for p in params]
    resumed = Adam(resumed_params, lr=0.01, compile=True)
    resumed.load_state_dict(state)
    assert resumed.param_groups[0]["compile"] is True and resumed.param_groups[0]["foreach"] is True
    run_steps(saved, params, 5, seed=2)
    run_steps(resumed, resumed_params, 5, seed=2)
    for x, y in zip(params, resumed_params, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)
    assert resumed.state[resumed_params[0]]["step"] == 10


@pytest.mark.parametrize("flag", ["foreach", "compile"])
def test_path_flags_must_be_booleans(flag):
    with pytest.raises(ValueError) as error:
        SGD(random_params(), **{flag: "yes"})
    assert str(error.value) == f"Invalid {flag}: 'yes' (allowed: True or False)"


class SignSGD(BookOptimizer):
    """A new optimizer written the documented way, with only ``init_state``, ``rule_scalars`` and ``rule``:
    p <- p - lr·sign(g), keeping the last sign as its state."""

    state_tensors = ("last_sign",)

    def __init__(self, params, lr=0.1, weight_decay=0.0, foreach=True, compile=False):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay}, foreach, compile)

    def init_state(self, param):
        return {"last_sign": torch.zeros_like(param)}

    def rule_scalars(self, group, state):
        return {"lr": group["lr"]}

    @staticmethod
    def rule(param, grad, last_sign, *, lr):
        last_sign.copy_(grad.sign())
        param.sub_(lr * last_sign)


@pytest.mark.parametrize("path", [{}, {"foreach": False}, {"compile": True}], ids=["foreach", "per_tensor", "compiled"])
def test_an_optimizer_with_only_a_rule_runs_on_every_path(path, monkeypatch):
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")
    params = random_params()
    expected = [p.detach().clone() for p in params]
    optimizer = SignSGD(params, lr=0.1, weight_decay=0.5, **path)
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        signs = []
        for p, e in zip(params, expected, strict=True):
            p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)
            signs.append((p.grad + 0.5 * e).sign())  # the gradient with weight decay λ·p
            e -= 0.1 * signs[-1]
        optimizer.step()
    for p, e, sign in zip(params, expected, signs, strict=True):
        assert torch.equal(p.detach(), e)
        assert torch.equal(optimizer.state[p]["last_sign"], sign)


def test_a_failing_compilation_names_the_option_and_keeps_the_cause(monkeypatch):
    from torch._dynamo import register_backend

    @register_backend(name="trainlab_test_broken_compiler")
    def broken(graph_module, example_inputs):
        raise OSError("c++: command not found")

    torch._dynamo.reset()
    monkeypatch.setattr(BookOptimizer, "compile_backend", "trainlab_test_broken_compiler")
    params = random_params()
    before = [p.detach().clone() for p in params]
    optimizer = Momentum(params, compile=True)
    for p in params:
        p.grad = torch.ones_like(p)
    with pytest.raises(RuntimeError) as error:
        optimizer.step()
    message = str(error.value)
    assert message.startswith("Momentum(compile=True): torch.compile (trainlab_test_broken_compiler) could not build")
    assert "c++: command not found" in message and "optimizer.compile=false" in message
    assert all(torch.equal(p.detach(), b) for p, b in zip(params, before, strict=True))  # nothing half-applied


@pytest.mark.parametrize("path", PATHS)
def test_adam_keeps_a_step_count_per_parameter(path, monkeypatch):
    """A parameter without a gradient for a while has taken fewer steps: its lr_t differs from the others' (the
    closed form with one counter per parameter)."""
    monkeypatch.setattr(BookOptimizer, "compile_backend", "aot_eager")
    params = random_params()
    expected = [p.detach().numpy().copy() for p in params]
    refs = [RefAdam(lr=0.01) for _ in params]
    optimizer = Adam(params, lr=0.01, **path)
    g = torch.Generator().manual_seed(3)
    for step in range(6):
        for index, p in enumerate(params):
            p.grad = None if (index == 1 and step < 3) else torch.randn(p.shape, generator=g, dtype=p.dtype)
            if p.grad is not None:
                expected[index] = refs[index].update(expected[index], p.grad.numpy())
        optimizer.step()
    assert [optimizer.state[p]["step"] for p in params] == [6, 3, 6]
    for p, e in zip(params, expected, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=0, atol=1e-12)
