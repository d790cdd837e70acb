"""Intensity normalisation: clip to the [0.5, 99.5] percentiles and map linearly to [0, 1], so a
few hot voxels (or a black background) do not decide the network's output range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class IntensityWindow:
    """``normalised = clip((value - low) / (high - low), 0, 1)``."""

    low: float
    high: float

    @classmethod
    def from_percentiles(cls, data: np.ndarray, lower: float = 0.5, upper: float = 99.5) -> "IntensityWindow":
        low, high = np.percentile(data, [lower, upper])
        if high <= low:  # (nearly) constant volume: use the full range, or a unit window
            low, high = float(data.min()), float(data.max())
            high = high if high > low else low + 1.0
        return cls(float(low), float(high))

    def normalise(self, data: np.ndarray) -> np.ndarray:
        return np.clip((data - self.low) / (self.high - self.low), 0.0, 1.0).astype(np.float32)

    def restore(self, normalised: np.ndarray) -> np.ndarray:
        return (np.asarray(normalised, np.float32) * (self.high - self.low) + self.low).astype(np.float32)
