"""The optimizer settings every entry point shares, and the one function that turns them into an
optimizer + schedule for a model. Scripts and the nerfstudio method build optimizers only here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from muon_nerf.optim import MuonAdam, NsDtype, Orthogonalizer, UpdateScale
from muon_nerf.partition import Partition, partition_parameters
from muon_nerf.schedules import cosine_scheduler

OptimizerName = Literal["muon", "adam"]
OPTIMIZER_NAMES = ("muon", "adam")


@dataclass
class OptimConfig:
    """Optimizer: Muon on hidden layers + Adam on the rest, or Adam on everything (the baseline)."""

    optimizer: OptimizerName = "muon"
    """muon: hidden 2-D weights with Muon, everything else with Adam. adam: Adam for all."""
    muon_lr: float = 0.1
    """Peak learning rate of the Muon group (the update has unit singular values, so this is the
    step length in spectral norm)."""
    adam_lr: float = 1e-3
    """Peak learning rate of the Adam parameters (and of every parameter with --optimizer adam)."""
    momentum: float = 0.95
    nesterov: bool = True
    ns_steps: int = 5
    """Newton-Schulz / Polar Express iterations."""
    orthogonalizer: Orthogonalizer = "newton-schulz"
    ns_dtype: NsDtype = "auto"
    """auto: bfloat16 on CUDA, float32 on CPU (where bf16 matmuls are emulated and slow)."""
    update_scale: UpdateScale = "shape"
    muon_weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    adam_weight_decay: float = 0.0
    schedule: Literal["cosine", "constant"] = "cosine"
    """cosine decay to final_lr_ratio over the run. Keep it for Muon: a constant rate oscillates."""
    warmup_steps: int = 0
    final_lr_ratio: float = 1e-3
    muon_include: tuple[str, ...] = ()
    """Glob patterns of parameter names forced onto Muon (must be matrices)."""
    muon_exclude: tuple[str, ...] = ()
    """Glob patterns of parameter names kept on Adam."""


def partition_model(model: nn.Module, example_input: Any, config: OptimConfig) -> Partition:
    """Muon/Adam split of ``model``. Also computed for the Adam baseline: its "Muon" layers are the
    hidden layers whose rank we track."""
    return partition_parameters(
        model,
        example_input,
        include=config.muon_include,
        exclude=config.muon_exclude,
        allow_empty_muon=config.optimizer == "adam",
    )


def build_optimizer(partition: Partition, config: OptimConfig) -> MuonAdam:
    """One optimizer object for the partitioned model."""
    adam_group = dict(
        use_muon=False,
        lr=config.adam_lr,
        betas=tuple(config.adam_betas),
        eps=config.adam_eps,
        weight_decay=config.adam_weight_decay,
    )
    if config.optimizer == "adam":
        groups = [dict(params=partition.muon_params + partition.adam_params, **adam_group)]
    elif config.optimizer == "muon":
        groups = [
            dict(params=partition.muon_params, use_muon=True, lr=config.muon_lr, weight_decay=config.muon_weight_decay),
            dict(params=partition.adam_params, **adam_group),
        ]
    else:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZER_NAMES)}")
    groups = [g for g in groups if g["params"]]
    return MuonAdam(
        groups,
        momentum=config.momentum,
        nesterov=config.nesterov,
        ns_steps=config.ns_steps,
        orthogonalizer=config.orthogonalizer,
        ns_dtype=config.ns_dtype,
        update_scale=config.update_scale,
    )


def build_scheduler(optimizer: torch.optim.Optimizer, config: OptimConfig, total_steps: int):
    """The learning-rate schedule named by ``config.schedule``."""
    if config.schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return cosine_scheduler(optimizer, total_steps, config.warmup_steps, config.final_lr_ratio)
