"""Overfit one image: the paper's first experiment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from muon_nerf.tasks2d.common import Problem, TaskConfig, pixel_grid
from muon_nerf.tasks2d.sources import load_task_image


@dataclass
class ImageTaskConfig(TaskConfig):
    """Fit an image with a coordinate network, Muon or Adam; write the reconstruction, an error map,
    per-layer rank curves and metrics.json into --output-dir."""

    task: ClassVar[str] = "image"
    output_dir: Path = Path("outputs/image")
    image: Path | None = None
    """PNG/JPEG/TIFF to fit (8/16-bit, gray, RGB or RGBA). Default: scikit-image's astronaut."""
    resize: int | None = 256
    """Resize so the shorter side has this many pixels (None: keep the original size)."""
    crop: int | None = None
    """Centre-crop to a crop x crop square after resizing (None: keep the whole image)."""
    batch_size: int | None = None
    """Pixels per step; None = full batch (every pixel every step, as in the paper)."""

    def build_problem(self, device: torch.device) -> Problem:
        target, source = load_task_image(self.image, self.resize, self.crop, self.model, device)
        height, width, channels = target.shape
        coords = pixel_grid(height, width, device)
        values = torch.from_numpy(target.reshape(-1, channels)).to(device)
        full_batch = self.batch_size is None or self.batch_size >= len(coords)
        generator = torch.Generator(device=device).manual_seed(self.seed)

        def make_loss(model: torch.nn.Module):
            def loss_at(step: int) -> torch.Tensor:
                if full_batch:
                    return torch.nn.functional.mse_loss(model(coords), values)
                index = torch.randint(len(coords), (self.batch_size,), device=device, generator=generator)
                return torch.nn.functional.mse_loss(model(coords[index]), values[index])
            return loss_at

        points = len(coords) if full_batch else self.batch_size
        return Problem(target, make_loss, points, source)
