"""From a field network to a mesh: evaluate it on a grid over [-1, 1]^3 and run marching cubes."""

from __future__ import annotations

import mcubes
import numpy as np
import torch
import trimesh


def grid_points(resolution: int) -> np.ndarray:
    """(R^3, 3) points of a regular grid over [-1, 1]^3, index order (x, y, z)."""
    axis = np.linspace(-1.0, 1.0, resolution, dtype=np.float32)
    return np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)


@torch.no_grad()
def evaluate_field(model: torch.nn.Module, points: np.ndarray, device: torch.device, chunk: int = 131_072) -> np.ndarray:
    """The network's scalar output at ``points`` (unit-box coordinates), in chunks."""
    out = np.empty(len(points), np.float32)
    for start in range(0, len(points), chunk):
        batch = torch.from_numpy(points[start : start + chunk]).to(device)
        out[start : start + chunk] = model(batch).reshape(-1).float().cpu().numpy()
    return out


def marching_cubes(field: np.ndarray, level: float = 0.0) -> trimesh.Trimesh:
    """The ``level`` set of a (R, R, R) grid of a field that is below ``level`` inside, as a mesh in
    unit-box coordinates with outward normals. Empty if the field never crosses ``level``."""
    resolution = field.shape[0]
    if not (field.min() < level < field.max()):
        return trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), np.int64), process=False)
    # mcubes orients faces toward increasing values; negate so they point outside (positive SDF).
    vertices, faces = mcubes.marching_cubes(-field.astype(np.float64), -level)
    vertices = vertices / (resolution - 1) * 2.0 - 1.0
    return trimesh.Trimesh(vertices, faces.astype(np.int64), process=True)


def extract_mesh(model: torch.nn.Module, resolution: int, device: torch.device, level: float = 0.0) -> trimesh.Trimesh:
    """Marching cubes of the network's field at ``resolution``^3 (unit-box coordinates)."""
    field = evaluate_field(model, grid_points(resolution), device).reshape(resolution, resolution, resolution)
    return marching_cubes(field, level)
