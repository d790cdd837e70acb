"""Single-image super-resolution: fit the low-resolution image through the downsampling operator,
then read the network out on the high-resolution grid.

The forward model is area averaging over ``factor x factor`` blocks (``area_downsample``) of the
network evaluated on the HR pixel grid. The LR target is made from the HR ground truth by the very
same operator, so the fit is consistent; for integer factors it equals OpenCV's INTER_AREA and
scikit-image's ``downscale_local_mean`` (anti-aliased box filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio

from muon_nerf.config import OptimConfig
from muon_nerf.errors import InputError
from muon_nerf.inr import InrConfig
from muon_nerf.metrics import image_metrics
from muon_nerf.tasks2d.common import Problem, TaskConfig, pixel_grid
from muon_nerf.tasks2d.sources import load_task_image


def area_downsample(image: torch.Tensor, factor: int) -> torch.Tensor:
    """Mean over non-overlapping ``factor x factor`` blocks of an H x W x C tensor (H, W divisible)."""
    return F.avg_pool2d(image.permute(2, 0, 1)[None], factor)[0].permute(1, 2, 0)


@dataclass
class SuperResolutionConfig(TaskConfig):
    """Fit the x factor area-downsampled image through the same downsampling; score at full resolution.
    Defaults follow the paper's SISR script (4 layers of 256, Muon 0.1, Adam 1e-2, 2000 steps)."""

    task: ClassVar[str] = "sisr"
    output_dir: Path = Path("outputs/sisr")
    model: InrConfig = field(default_factory=lambda: InrConfig(depth=4))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(muon_lr=0.1, adam_lr=1e-2))
    image: Path | None = None
    """High-resolution PNG/JPEG/TIFF. Default: scikit-image's astronaut."""
    resize: int | None = 256
    """Resize the high-resolution image so its shorter side has this many pixels."""
    crop: int | None = None
    """Centre-crop the high-resolution image to a crop x crop square after resizing."""
    factor: int = 4
    """Downsampling factor; the HR image is trimmed to a multiple of it."""

    def build_problem(self, device: torch.device) -> Problem:
        if self.factor < 2:
            raise InputError(f"--factor {self.factor}: must be at least 2")
        target, source = load_task_image(self.image, self.resize, self.crop, self.model, device)
        height, width = (s - s % self.factor for s in target.shape[:2])
        if min(height, width) // self.factor < 1:
            raise InputError(f"a {target.shape[0]}x{target.shape[1]} image is smaller than --factor {self.factor}")
        target = np.ascontiguousarray(target[:height, :width])
        channels = target.shape[2]
        low = area_downsample(torch.from_numpy(target), self.factor)
        coords = pixel_grid(height, width, device)
        low_device = low.to(device)

        def make_loss(model: torch.nn.Module):
            def loss_at(step: int) -> torch.Tensor:
                prediction = model(coords).reshape(height, width, channels)
                return F.mse_loss(area_downsample(prediction, self.factor), low_device)
            return loss_at

        low_np = low.numpy()
        bicubic = cv2.resize(low_np, (width, height), interpolation=cv2.INTER_CUBIC).reshape(height, width, channels)

        def extra_metrics(reconstruction: np.ndarray) -> dict:
            down = area_downsample(torch.from_numpy(reconstruction), self.factor).numpy()
            return {"factor": self.factor, "psnr_low_resolution": peak_signal_noise_ratio(low_np, np.clip(down, 0, 1), data_range=1.0)}

        return Problem(target, make_loss, height * width, source, inputs={"low_resolution": low_np},
                       extra_metrics=extra_metrics,
                       baselines={"bicubic_psnr": image_metrics(target, bicubic)["psnr"]})
