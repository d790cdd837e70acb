"""Slice super-resolution: hold out every k-th slice along one axis, train on the rest, and
measure how well the network interpolates the missing slices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def heldout_slices(count: int, every: int) -> list[int]:
    """Slices ``k//2, k//2 + k, ...`` of ``count``, interior only (first and last slices are always
    trained, so held-out slices are interpolated, never extrapolated). ``every`` <= 1: none."""
    if every <= 1:
        return []
    return [i for i in range(count) if i % every == every // 2 and 0 < i < count - 1]


@dataclass
class VoxelSplit:
    """Flat (C-order) voxel indices used for training and held out for evaluation."""

    train: np.ndarray
    heldout: np.ndarray
    axis: int
    slices: list[int]


def split_voxels(shape: tuple[int, int, int], axis: int, every: int) -> VoxelSplit:
    """All voxels of the held-out slices on one side, every other voxel on the other."""
    slices = heldout_slices(shape[axis], every)
    slice_index = np.indices(shape)[axis].reshape(-1)
    held = np.isin(slice_index, slices)
    return VoxelSplit(np.flatnonzero(~held), np.flatnonzero(held), axis, slices)


def voxel_coordinates(shape: tuple[int, int, int]) -> np.ndarray:
    """(N, 3) float32 coordinates in [-1, 1] per axis (voxel centres, C order)."""
    axes = [np.linspace(-1.0, 1.0, n, dtype=np.float32) for n in shape]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def linear_interpolation(volume: np.ndarray, axis: int, slices: list[int]) -> np.ndarray:
    """Baseline for held-out slices: the mean of the two trained neighbours (each held-out slice
    has trained neighbours on both sides when every >= 2)."""
    moved = np.moveaxis(volume, axis, 0)
    return np.stack([(moved[i - 1] + moved[i + 1]) / 2 for i in slices]) if slices else moved[:0]
