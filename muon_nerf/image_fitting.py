"""Fit one image with a coordinate network: the paper's first experiment, and our first demo.

This is the ``image`` task of the 2D suite (``muon_nerf.tasks2d``) under its original name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from muon_nerf.tasks2d.common import run_task
from muon_nerf.tasks2d.image import ImageTaskConfig

__all__ = ["FitImageConfig", "fit_image"]


@dataclass
class FitImageConfig(ImageTaskConfig):
    """Fit an image with a coordinate network, Muon or Adam; write the reconstruction, an error map,
    per-layer rank curves and metrics.json into --output-dir."""

    output_dir: Path = Path("outputs/fit_image")


def fit_image(config: ImageTaskConfig) -> dict:
    """Run the fit; returns the metrics that were written to metrics.json."""
    return run_task(config).metrics
