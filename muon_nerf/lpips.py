"""LPIPS (AlexNet) when, and only when, its weights are already on this machine.

Runs must never download at run time, so we look for torchvision's AlexNet checkpoint in the torch
hub cache first and report why LPIPS was skipped otherwise. The small LPIPS linear heads ship
inside torchmetrics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

MIN_SIDE = 32
"""AlexNet's five pooling stages need at least this many pixels per side."""


def alexnet_checkpoint() -> Path:
    """Where torchvision keeps (or would keep) the ImageNet AlexNet weights."""
    from torchvision.models import AlexNet_Weights

    return Path(torch.hub.get_dir()) / "checkpoints" / Path(AlexNet_Weights.DEFAULT.url).name


def lpips_skip_reason(shape: tuple[int, ...]) -> str | None:
    """Why LPIPS cannot be computed for an image of ``shape`` here, or None if it can."""
    if min(shape[:2]) < MIN_SIDE:
        return f"image smaller than {MIN_SIDE} pixels per side"
    try:
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity  # noqa: F401
    except ImportError:
        return "torchmetrics/torchvision not installed"
    if not alexnet_checkpoint().is_file():
        return "AlexNet weights not in the torch hub cache"
    return None


@torch.no_grad()
def lpips_alex(target: np.ndarray, prediction: np.ndarray) -> float:
    """LPIPS distance (lower is better) of two H x W x C images in [0, 1]; gray is repeated to RGB."""
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    def as_batch(image: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.clip(image, 0, 1).astype(np.float32)).permute(2, 0, 1)[None]
        return t.expand(1, 3, *t.shape[2:]) if t.shape[1] == 1 else t

    metric = LearnedPerceptualImagePatchSimilarity(net_type="alex", normalize=True)
    return float(metric(as_batch(prediction), as_batch(target)))


def lpips_metrics(target: np.ndarray, prediction: np.ndarray, enabled: bool = True) -> dict:
    """``{"lpips": value}`` or ``{"lpips": None, "lpips_skipped": reason}``."""
    reason = "disabled (--no-lpips)" if not enabled else lpips_skip_reason(target.shape)
    if reason is not None:
        return {"lpips": None, "lpips_skipped": reason}
    return {"lpips": lpips_alex(target, prediction)}
