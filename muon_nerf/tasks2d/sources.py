"""Ground-truth images for the 2D tasks: load, check the size fits, resize, crop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from muon_nerf.errors import InputError
from muon_nerf.images import default_image, load_image, resize_image
from muon_nerf.inr import InrConfig
from muon_nerf.tasks2d.common import ensure_fits

MIN_SIDE = 8
"""SSIM's 7 x 7 window needs at least this many pixels per side."""


def planned_shape(shape: tuple[int, ...], resize: int | None, crop: int | None) -> tuple[int, int]:
    """(H, W) after resizing the shorter side to ``resize`` and centre-cropping to ``crop``."""
    h, w = shape[:2]
    if resize is not None:
        scale = resize / min(h, w)
        h, w = max(1, round(h * scale)), max(1, round(w * scale))
    if crop is not None:
        if crop > min(h, w):
            raise InputError(f"--crop {crop} is larger than the {h}x{w} image")
        h, w = crop, crop
    return h, w


def center_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(image[top : top + size, left : left + size])


def load_task_image(path: Path | None, resize: int | None, crop: int | None, model: InrConfig,
                    device: torch.device, default=default_image, default_name: str = "skimage.data.astronaut",
                    ) -> tuple[np.ndarray, str]:
    """H x W x C float image in [0, 1] and its source; refuses sizes that cannot be trained."""
    for flag, value in (("--resize", resize), ("--crop", crop)):
        if value is not None and value < MIN_SIDE:
            raise InputError(f"{flag} {value}: too small (need at least {MIN_SIDE} pixels for SSIM)")
    image = default() if path is None else load_image(path)
    h, w = planned_shape(image.shape, resize, crop)
    if min(h, w) < MIN_SIDE:
        raise InputError(f"{path}: a {h}x{w} image is too small (need at least {MIN_SIDE} pixels per side)")
    ensure_fits(h * w, model, image.shape[2], device, what=f"a {h}x{w} image")
    if resize is not None:
        image = resize_image(image, resize)
    if crop is not None:
        image = center_crop(image, crop)
    return image.astype(np.float32), default_name if path is None else str(path)
