"""Inpainting: fit a random subset of the pixels, judge the network on the pixels it never saw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from muon_nerf.errors import InputError
from muon_nerf.tasks2d.common import Problem, TaskConfig, masked_psnr, mse_on_points, pixel_grid
from muon_nerf.tasks2d.sources import load_task_image


@dataclass
class InpaintTaskConfig(TaskConfig):
    """Train on a random fraction of the pixels; report PSNR on all, the training and the held-out pixels."""

    task: ClassVar[str] = "inpaint"
    output_dir: Path = Path("outputs/inpaint")
    image: Path | None = None
    """PNG/JPEG/TIFF (8/16-bit, gray, RGB or RGBA). Default: scikit-image's astronaut."""
    resize: int | None = 256
    """Resize so the shorter side has this many pixels (None: keep the original size)."""
    crop: int | None = None
    """Centre-crop to a crop x crop square after resizing."""
    keep_fraction: float = 0.25
    """Fraction of pixels the network is trained on, drawn at random with --seed."""

    def build_problem(self, device: torch.device) -> Problem:
        if not 0.0 < self.keep_fraction < 1.0:
            raise InputError(f"--keep-fraction {self.keep_fraction}: must be between 0 and 1 (exclusive)")
        target, source = load_task_image(self.image, self.resize, self.crop, self.model, device)
        height, width, channels = target.shape
        train_index, heldout_index = split_pixels(height * width, self.keep_fraction, self.seed)
        coords = pixel_grid(height, width, device)[train_index.to(device)]
        values = torch.from_numpy(target.reshape(-1, channels))[train_index].to(device)
        train_mask = np.zeros(height * width, bool)
        train_mask[train_index.numpy()] = True
        train_mask = train_mask.reshape(height, width)
        observed = np.where(train_mask[..., None], target, 0.0).astype(np.float32)

        def extra_metrics(reconstruction: np.ndarray) -> dict:
            return {
                "psnr_heldout": masked_psnr(target, reconstruction, ~train_mask),
                "psnr_train": masked_psnr(target, reconstruction, train_mask),
                "keep_fraction": self.keep_fraction,
                "train_pixels": int(train_mask.sum()),
                "heldout_pixels": int((~train_mask).sum()),
            }

        return Problem(target, lambda model: mse_on_points(model, coords, values), len(coords), source,
                       inputs={"observed": observed, "mask": train_mask[..., None].astype(np.float32)},
                       extra_metrics=extra_metrics)


def split_pixels(count: int, keep_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted (train, held-out) flat pixel indices: a seeded random permutation cut at the fraction."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    n_train = max(1, min(count - 1, round(keep_fraction * count)))
    return order[:n_train].sort().values, order[n_train:].sort().values
