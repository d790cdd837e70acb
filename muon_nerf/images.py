"""Reading and writing images as float arrays in [0, 1], with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from muon_nerf.errors import InputError


def load_image(path: Path) -> np.ndarray:
    """H x W x C float32 in [0, 1], RGB order (C = 1 for grayscale). 16-bit images keep their
    precision; an alpha channel is composited onto white."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such image file")
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise InputError(f"{path}: not a readable image (OpenCV could not decode it)")
    if raw.dtype == np.uint8:
        image = raw.astype(np.float32) / 255.0
    elif raw.dtype == np.uint16:
        image = raw.astype(np.float32) / 65535.0
    elif raw.dtype in (np.float32, np.float64):
        image = np.clip(raw.astype(np.float32), 0.0, 1.0)
    else:
        raise InputError(f"{path}: unsupported pixel type {raw.dtype}")
    if image.ndim == 2:
        return image[..., None]
    if image.shape[2] == 4:
        rgb, alpha = image[..., 2::-1], image[..., 3:4]
        return np.ascontiguousarray(rgb * alpha + (1.0 - alpha))
    return np.ascontiguousarray(image[..., ::-1])  # BGR -> RGB


def default_image() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, NASA; public domain): ships with the package."""
    from skimage import data

    return data.astronaut().astype(np.float32) / 255.0


def resize_image(image: np.ndarray, size: int) -> np.ndarray:
    """Resize so the shorter side is ``size`` pixels, with area averaging (anti-aliased)."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    out = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    return np.clip(out.reshape(new_h, new_w, image.shape[2]), 0.0, 1.0)


def save_image(path: Path, image: np.ndarray) -> None:
    """Write an H x W x C [0, 1] array as an 8-bit PNG."""
    array = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if array.shape[2] == 3:
        array = array[..., ::-1]
    if not cv2.imwrite(str(path), array):
        raise InputError(f"{path}: could not write image")
