"""nerfstudio optimizer and scheduler configs around our ``MuonAdam`` and ``cosine_factor``.

nerfstudio builds one optimizer per parameter group from these configs; the Muon group gets
``MuonOptimizerConfig``, Adam groups nerfstudio's ``AdamOptimizerConfig``, and every group decays with
``CosineSchedulerConfig`` (plain-float factors, so checkpoints load under ``weights_only=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Type

import torch
from nerfstudio.engine.optimizers import OptimizerConfig
from nerfstudio.engine.schedulers import Scheduler, SchedulerConfig
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from muon_nerf.optim import MuonAdam
from muon_nerf.schedules import cosine_factor


@dataclass
class MuonOptimizerConfig(OptimizerConfig):
    """Muon for one group of hidden weight matrices (``lr`` is the Muon learning rate)."""

    _target: Type = MuonAdam
    lr: float = 0.02
    momentum: float = 0.95
    nesterov: bool = True
    ns_steps: int = 5
    orthogonalizer: Literal["newton-schulz", "polar-express", "svd"] = "newton-schulz"
    ns_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    update_scale: Literal["shape", "match-adam"] = "shape"
    weight_decay: float = 0.0

    def setup(self, params) -> torch.optim.Optimizer:
        return MuonAdam(
            [{"params": list(params), "use_muon": True, "lr": self.lr}],
            momentum=self.momentum,
            nesterov=self.nesterov,
            ns_steps=self.ns_steps,
            orthogonalizer=self.orthogonalizer,
            ns_dtype=self.ns_dtype,
            update_scale=self.update_scale,
            eps=self.eps,
            weight_decay=self.weight_decay,
        )


class CosineFactor:
    """Picklable lr multiplier; ``LambdaLR`` saves its ``__dict__`` (plain numbers) in checkpoints.

    ``total_steps=None`` means "not known yet": the model's training callback fills in the trainer's
    iteration count, so ``--max-num-iterations`` alone sets the schedule length.
    """

    def __init__(self, total_steps: Optional[int], warmup_steps: int, final_ratio: float) -> None:
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.final_ratio = final_ratio

    def __call__(self, step: int) -> float:
        if self.total_steps is None:
            return float((step + 1) / self.warmup_steps) if step < self.warmup_steps else 1.0
        return cosine_factor(step, self.total_steps, self.warmup_steps, self.final_ratio)


@dataclass
class CosineSchedulerConfig(SchedulerConfig):
    """Warm-up then cosine decay to ``final_ratio`` x the initial rate, for any optimizer."""

    _target: Type = field(default_factory=lambda: CosineScheduler)
    max_steps: Optional[int] = None
    """Schedule length; None follows the trainer's --max-num-iterations."""
    warmup_steps: int = 0
    final_ratio: float = 1e-3


class CosineScheduler(Scheduler):
    config: CosineSchedulerConfig

    def get_scheduler(self, optimizer: Optimizer, lr_init: float) -> LambdaLR:
        factor = CosineFactor(self.config.max_steps, self.config.warmup_steps, self.config.final_ratio)
        return LambdaLR(optimizer, lr_lambda=factor)


def set_unknown_schedule_lengths(schedulers: dict, total_steps: int) -> None:
    """Give every cosine schedule still waiting for a length the run's total step count."""
    for scheduler in schedulers.values():
        for factor in getattr(scheduler, "lr_lambdas", []):
            if isinstance(factor, CosineFactor) and factor.total_steps is None:
                factor.total_steps = int(total_steps)
