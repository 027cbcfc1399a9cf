"""``StackedMLP``: K of the book's MLPs with one architecture, as one module whose tensors lead with K.

Member k of the stack computes exactly what its own :class:`~trainlab.models.mlp.MLP` computes: for an input
batch ``x`` of shape (B, 784) shared by all members, the output ``logits[k]`` (shape (K, B, C) in all) is
``nets[k](x)``. Per hidden layer, as in the MLP: Linear -> [BatchNorm] -> activation -> [Dropout].

* **Linear** (:class:`StackedLinear`): weights (K, O, I), biases (K, O); ``h_k ← h_k W_kᵀ + b_k``, computed
  *feature-major* as ``h_kᵀ ← W_k h_kᵀ + b_k``: the activations are (K, B, H) tensors whose memory is laid out
  (K, H, B). The first layer multiplies all K weight matrices by the shared input at once,
  ``[W_1; ...; W_K] · xᵀ``, one matrix product; later layers are one batched product (``baddbmm``). In this layout
  every product of the backward pass writes its gradient in the layout of its parameter: the weight gradients
  ``∂L/∂W_k = (∂L/∂h_kᵀ) · h_k`` come out contiguous (K, O, I), where the batch-major layout produced them
  transposed and autograd copied each one into the parameter's layout (16 % of a K = 16 stack's step).
* **BatchNorm** (:class:`StackedBatchNorm`): the project's own BatchNorm (or ``nn.BatchNorm1d``) over K·C
  features. Batch normalisation treats every feature column on its own, so the (B, K·C) matrix whose column
  block k is member k's (B, C) activations gives each member its own batch statistics and running statistics -
  the same module and math as a lone run, no second copy. γ, β and the running statistics are held as (K, C).
* **Activation**: the lone run's module, applied to the (K, B, H) tensor.
* **Dropout** (:class:`StackedDropout`): the members' kind of dropout - inverted (``nn.Dropout``) or the book's
  (:class:`~trainlab.nn.dropout.BookDropout`), one kind per stack - with a drop probability per member (0 for
  members without dropout). The masks are drawn for the whole (K, B, H) tensor at once, so they are independent across
  members and reproducible from the seed, but they are not the masks the lone run would draw. They come from the
  global generator seeded with the stack's first member's ``seed`` (its drawn seed for ``seed=null``), so a
  member's masks - and with them its results - also depend on which members share its stack (the sweep's other
  jobs, ``hydra.launcher.max_members``, members skipped by ``resume_sweep=true``); the same sweep run again draws
  the same masks.

Members may differ in their weights, initialisation, dropout probability and optimizer; they share the layer
sizes, the activation and the BatchNorm kind (the group key of :mod:`trainlab.stacked.grouping`).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import functional_call

from trainlab.models.mlp import MLP
from trainlab.nn.dropout import BookDropout, book_dropout


def is_batch_norm(module: nn.Module) -> bool:
    from trainlab.nn.batch_norm import BatchNorm

    return isinstance(module, BatchNorm | nn.BatchNorm1d)


def hidden_blocks(net: MLP) -> tuple[list[nn.Linear], list[nn.Module | None], list[nn.Module], nn.Module | None]:
    """A lone MLP's Linear layers, the BatchNorm after each hidden Linear (or None), the activation modules, and
    one of its Dropout layers (None without dropout)."""
    linears, norms, activations, dropout = [], [], [], None
    for module in net:
        if isinstance(module, nn.Linear):
            linears.append(module)
            norms.append(None)
        elif is_batch_norm(module):
            norms[-1] = module
        elif isinstance(module, nn.Dropout | BookDropout):
            dropout = module
        else:
            activations.append(module)
    return linears, norms[:-1], activations, dropout


class StackedLinear(nn.Module):
    """K Linear layers of one shape: ``weight`` (K, O, I), ``bias`` (K, O)."""

    def __init__(self, layers: list[nn.Linear]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in layers]).clone())
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]).clone())

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(B, I) shared by all members, or (K, B, I) -> (K, B, O) laid out (K, O, B) (see the module docstring)."""
        members, out_features = self.weight.shape[:2]
        if h.dim() == 2:  # the shared input: one (K·O, I) x (I, B) product, the biases added by the same call
            product = torch.addmm(self.bias.reshape(-1, 1), self.weight.flatten(0, 1), h.T)
            return product.view(members, out_features, h.shape[0]).transpose(1, 2)
        return torch.baddbmm(self.bias.unsqueeze(2), self.weight, h.transpose(1, 2)).transpose(1, 2)

    def load_into(self, member: int, layer: nn.Linear) -> None:
        with torch.no_grad():
            layer.weight.copy_(self.weight[member])
            layer.bias.copy_(self.bias[member])


class StackedBatchNorm(nn.Module):
    """K BatchNorm layers of C features as one of K·C features (see the module docstring)."""

    def __init__(self, norms: list[nn.Module]) -> None:
        super().__init__()
        members, first = len(norms), norms[0]
        # the layer that computes: the members' own class and settings, K·C wide, its tensors replaced at each call
        object.__setattr__(self, "kernel", copy.deepcopy(first))
        self.kernel.num_features = members * first.num_features
        for name, tensor in [*first.named_parameters(recurse=False), *first.named_buffers(recurse=False)]:
            values = [getattr(norm, name).detach() for norm in norms]
            stacked = torch.stack(values).clone() if tensor.dim() == 1 else values[0].clone()
            if isinstance(tensor, nn.Parameter):
                self.register_parameter(name, nn.Parameter(stacked))
            else:
                self.register_buffer(name, stacked)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(K, B, C) -> (K, B, C), each member normalised with its own statistics."""
        members, batch, features = h.shape
        tensors = {name: value.reshape(-1) if value.dim() == 2 else value
                   for name, value in [*self.named_parameters(recurse=False), *self.named_buffers(recurse=False)]}
        self.kernel.train(self.training)
        wide = h.transpose(0, 1).reshape(batch, members * features)
        out = functional_call(self.kernel, tensors, (wide,))
        return out.view(batch, members, features).transpose(0, 1)

    def load_into(self, member: int, norm: nn.Module) -> None:
        with torch.no_grad():
            for name, tensor in [*norm.named_parameters(recurse=False), *norm.named_buffers(recurse=False)]:
                stacked = getattr(self, name)
                tensor.copy_(stacked[member] if stacked.dim() == 2 else stacked)


class StackedDropout(nn.Module):
    """Dropout with member k's probability ``p[k]``, inverted (``book=False``: survivors scaled by 1 / (1 - p_k) in
    training, nothing at inference) or the book's (``book=True``: survivors unscaled, the layer scaled by 1 - p_k at
    inference)."""

    def __init__(self, probabilities: list[float], book: bool) -> None:
        super().__init__()
        self.same, self.book = len(set(probabilities)) == 1, book
        self.p = probabilities[0]
        self.register_buffer("keep", torch.tensor([1.0 - p for p in probabilities]).view(-1, 1, 1), persistent=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.book:  # the lone layer's math (trainlab.nn.dropout); one p for all: its very number
            return book_dropout(h, 1.0 - self.p if self.same else self.keep, self.training)
        if not self.training:
            return h
        if self.same:
            return nn.functional.dropout(h, self.p, training=True)
        keep = self.keep.to(h.dtype)
        return h * (torch.rand_like(h) < keep) / keep


class StackedMLP(nn.Module):
    """K :class:`~trainlab.models.mlp.MLP` of one architecture as one module (see the module docstring).

    Args:
        nets: the members' networks, already initialised; their values are copied, the nets are left as they are.
    """

    def __init__(self, nets: list[MLP]) -> None:
        super().__init__()
        members = [hidden_blocks(net) for net in nets]
        linears, norms, activations, _ = members[0]
        self.num_members = len(nets)
        self.linears = nn.ModuleList(StackedLinear([m[0][i] for m in members]) for i in range(len(linears)))
        self.norms = nn.ModuleList(
            StackedBatchNorm([m[1][i] for m in members]) if norms[i] is not None else nn.Identity()
            for i in range(len(norms)))
        self.activations = nn.ModuleList(copy.deepcopy(activation) for activation in activations)
        dropouts = [m[3] for m in members]
        probabilities = [0.0 if dropout is None else dropout.p for dropout in dropouts]
        self.dropout = nn.Identity() if all(dropout is None for dropout in dropouts) else StackedDropout(
            probabilities, book=any(isinstance(dropout, BookDropout) for dropout in dropouts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_size) -> logits (K, B, num_classes)."""
        h = x
        for linear, norm, activation in zip(self.linears, self.norms, self.activations, strict=False):
            h = self.dropout(activation(norm(linear(h))))
        return self.linears[-1](h)

    def load_into(self, member: int, net: MLP) -> None:
        """Copy member ``member``'s weights and statistics into ``net`` (a lone MLP of the member's architecture)."""
        linears, norms, _, _ = hidden_blocks(net)
        for stacked, layer in zip(self.linears, linears, strict=True):
            stacked.load_into(member, layer)
        for stacked, norm in zip(self.norms, norms, strict=True):
            if norm is not None:
                stacked.load_into(member, norm)

    def member_parameters(self, net: MLP) -> list[nn.Parameter]:
        """The parameters of a lone MLP ``net`` that this module's parameters stack, in ``parameters()`` order."""
        linears, norms, _, _ = hidden_blocks(net)
        lone = {f"linears.{i}.{name}": getattr(layer, name) for i, layer in enumerate(linears)
                for name in ("weight", "bias")}
        lone.update({f"norms.{i}.{name}": param for i, norm in enumerate(norms) if norm is not None
                     for name, param in norm.named_parameters(recurse=False)})
        return [lone[name] for name, _ in self.named_parameters()]

    def decay_parameters(self) -> list[nn.Parameter]:
        """The Linear weights: what the book's weight decay applies to (never biases or BatchNorm γ/β)."""
        return [linear.weight for linear in self.linears]
