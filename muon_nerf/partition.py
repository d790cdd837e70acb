"""Decide which parameters Muon trains, by following the data flow of one forward pass.

Muon is for *hidden* weight matrices: linear layers that read another linear layer's features and
whose output feeds yet another linear layer. The first layer (reading raw coordinates or an
encoding) and the output heads map between spaces of very different meaning and size, and stay on
Adam, like biases, norms, scalars, embeddings and hash tables (McGinnis et al., 2025; Jordan 2024).

Declaration order proves nothing about data flow (``self.head`` may be declared before the trunk),
so we run the module once and walk the autograd graph from each linear layer's input back to the
weights that produced it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class ParamDecision:
    name: str
    shape: tuple[int, ...]
    use_muon: bool
    reason: str


@dataclass
class Partition:
    """The outcome: which named parameters go to Muon and which to Adam, and why."""

    decisions: list[ParamDecision]
    params: dict[str, nn.Parameter] = field(repr=False)

    @property
    def muon_names(self) -> list[str]:
        return [d.name for d in self.decisions if d.use_muon]

    @property
    def adam_names(self) -> list[str]:
        return [d.name for d in self.decisions if not d.use_muon]

    @property
    def muon_params(self) -> list[nn.Parameter]:
        return [self.params[n] for n in self.muon_names]

    @property
    def adam_params(self) -> list[nn.Parameter]:
        return [self.params[n] for n in self.adam_names]

    def table(self) -> str:
        """A plain-text table (name, shape, optimizer, reason) for logs."""
        rows = [("parameter", "shape", "optimizer", "why")]
        rows += [(d.name, "x".join(map(str, d.shape)) or "scalar", "Muon" if d.use_muon else "Adam", d.reason)
                 for d in self.decisions]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        n_muon = sum(self.params[n].numel() for n in self.muon_names)
        n_all = sum(p.numel() for p in self.params.values())
        lines.append(f"{len(self.muon_names)} Muon tensors ({n_muon:,} of {n_all:,} weights), "
                     f"{len(self.adam_names)} Adam tensors")
        return "\n".join(lines)


def _upstream_params(roots: Sequence[Any]) -> set[int]:
    """ids of the leaf tensors that the autograd nodes ``roots`` depend on."""
    found: set[int] = set()
    stack = [r for r in roots if r is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if isinstance(variable, Tensor):
            found.add(id(variable))
        stack.extend(n for n, _ in getattr(node, "next_functions", ()) if n is not None)
    return found


def _linear_data_flow(module: nn.Module, run_forward: Callable[[], Any]) -> dict[str, set[str]]:
    """For each nn.Linear the forward pass calls (by module name), the linear layers upstream of its input."""
    linears = {name: m for name, m in module.named_modules() if isinstance(m, nn.Linear)}
    weight_owner = {id(m.weight): name for name, m in linears.items()}
    inputs: dict[str, list[Any]] = {name: [] for name in linears}

    def make_hook(name: str):
        def hook(_module, args):
            if args and isinstance(args[0], Tensor):
                inputs[name].append(args[0].grad_fn)
        return hook

    handles = [m.register_forward_pre_hook(make_hook(name)) for name, m in linears.items()]
    frozen = [m.weight for m in linears.values() if not m.weight.requires_grad]
    for w in frozen:  # autograd only records what requires grad; frozen layers still pass data on
        w.requires_grad_(True)
    try:
        with torch.enable_grad():
            run_forward()
    finally:
        for h in handles:
            h.remove()
        for w in frozen:
            w.requires_grad_(False)
    upstream = {}
    for name, grad_fns in inputs.items():
        if grad_fns:  # layers the forward pass never called have no data flow to judge
            ids = _upstream_params(grad_fns)
            upstream[name] = {weight_owner[i] for i in ids if i in weight_owner and weight_owner[i] != name}
    return upstream


def partition_parameters(
    module: nn.Module,
    example_input: Tensor | tuple | Callable[[], Any],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    allow_empty_muon: bool = False,
) -> Partition:
    """Split ``module``'s trainable parameters into Muon (hidden linear weights) and Adam (the rest).

    ``example_input`` is a tensor (or tuple of positional args) for ``module(...)``, or a callable
    that runs the forward pass itself (for models with richer signatures). ``include``/``exclude``
    are glob patterns on parameter names that override the automatic decision.
    """
    if callable(example_input) and not isinstance(example_input, Tensor):
        run_forward = example_input
    else:
        args = example_input if isinstance(example_input, tuple) else (example_input,)
        run_forward = lambda: module(*args)  # noqa: E731
    flow = _linear_data_flow(module, run_forward)
    downstream: dict[str, set[str]] = {name: set() for name in flow}
    for name, ups in flow.items():
        for up in ups:
            if up in downstream:
                downstream[up].add(name)

    params = {n: p for n, p in module.named_parameters() if p.requires_grad}
    weight_name = lambda layer: f"{layer}.weight" if layer else "weight"  # noqa: E731
    linear_weights = {weight_name(n): n for n in flow}
    all_linear_weights = {weight_name(n) for n, m in module.named_modules() if isinstance(m, nn.Linear)}
    decisions = []
    for name, p in params.items():
        if any(fnmatch.fnmatchcase(name, pat) for pat in exclude):
            decisions.append(ParamDecision(name, tuple(p.shape), False, "excluded by user"))
            continue
        if any(fnmatch.fnmatchcase(name, pat) for pat in include):
            if p.ndim < 2:
                raise ValueError(f"--include pattern selects {name} of shape {tuple(p.shape)}; Muon needs a matrix")
            decisions.append(ParamDecision(name, tuple(p.shape), True, "included by user"))
            continue
        layer = linear_weights.get(name)
        if layer is None and name in all_linear_weights:
            decisions.append(ParamDecision(name, tuple(p.shape), False, "linear layer the forward never called"))
        elif layer is None:
            kind = "bias" if name.endswith("bias") else ("vector/scalar" if p.ndim < 2 else "not a linear weight")
            decisions.append(ParamDecision(name, tuple(p.shape), False, kind))
        elif not flow[layer]:
            decisions.append(ParamDecision(name, tuple(p.shape), False, "first layer (reads the input)"))
        elif not downstream[layer]:
            decisions.append(ParamDecision(name, tuple(p.shape), False, "output head"))
        else:
            decisions.append(ParamDecision(name, tuple(p.shape), True, "hidden layer"))
    partition = Partition(decisions, params)
    if not partition.muon_names and not allow_empty_muon:
        raise ValueError(
            f"the partition of {type(module).__name__} leaves Muon with no parameters: it has no hidden "
            "linear layer (one fed by a linear layer and feeding another); add depth or --include a weight"
        )
    return partition
