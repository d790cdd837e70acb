"""Learning-rate schedules. Muon discards the gradient's scale, so only the schedule shrinks its
steps: with a constant rate training oscillates around the optimum instead of settling into it.
Factors are plain Python floats, so checkpoints holding them load under ``weights_only=True``."""

from __future__ import annotations

import math

import torch


def cosine_factor(step: int, total_steps: int, warmup_steps: int = 0, final_ratio: float = 1e-3) -> float:
    """Linear warm-up to 1, then half a cosine down to ``final_ratio`` at ``total_steps``."""
    if step < warmup_steps:
        return float((step + 1) / warmup_steps)
    span = max(total_steps - warmup_steps, 1)
    progress = min(max(step - warmup_steps, 0) / span, 1.0)
    return float(final_ratio + (1.0 - final_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def cosine_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0, final_ratio: float = 1e-3
) -> torch.optim.lr_scheduler.LambdaLR:
    """``LambdaLR`` applying :func:`cosine_factor` to every group's initial learning rate."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cosine_factor(step, total_steps, warmup_steps, final_ratio)
    )
