"""One picture of a volume fit: a slice along each axis, ground truth | network | |error|."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_montage(path: Path, target: np.ndarray, prediction: np.ndarray, slices: tuple[int, int, int],
                 heldout_axis: int | None = None, title: str = "") -> None:
    """Rows: axis 0, 1, 2 (for RAS-oriented volumes: sagittal, coronal, axial) at ``slices``;
    a row whose slice was held out from training says so."""
    error = np.abs(prediction - target)
    vmax_error = max(float(error.max()), 1e-6)
    fig, axes = plt.subplots(3, 3, figsize=(9.5, 9))
    for axis in range(3):
        index = slices[axis]
        cut = lambda volume: np.take(volume, index, axis=axis).T  # noqa: E731 - display x right, y up
        held = " (held out)" if axis == heldout_axis else ""
        for col, (image, name) in enumerate([(target, "ground truth"), (prediction, "network")]):
            axes[axis, col].imshow(cut(image), cmap="gray", vmin=0, vmax=1, origin="lower")
            axes[axis, col].set_title(f"{name}, axis {axis} slice {index}{held}", fontsize=8)
        im = axes[axis, 2].imshow(cut(error), cmap="magma", vmin=0, vmax=vmax_error, origin="lower")
        axes[axis, 2].set_title("|error|", fontsize=8)
        fig.colorbar(im, ax=axes[axis, 2], fraction=0.046, pad=0.04)
    for ax in axes.flat:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
