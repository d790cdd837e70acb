"""Image quality numbers, computed by scikit-image on arrays in [0, 1]."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def image_metrics(target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """PSNR (dB, data range 1) and SSIM of H x W x C images."""
    prediction = np.clip(prediction, 0.0, 1.0).astype(np.float64)
    target = target.astype(np.float64)
    return {
        "psnr": float(peak_signal_noise_ratio(target, prediction, data_range=1.0)),
        "ssim": float(structural_similarity(target, prediction, data_range=1.0, channel_axis=-1)),
    }
