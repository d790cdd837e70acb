"""Off-screen preview of meshes: orthographic ray casting (trimesh; embree when installed),
Lambert shading by face normal, laid out with matplotlib (Agg, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import trimesh  # noqa: E402

# (azimuth, elevation) in degrees of the camera around the unit box.
VIEWS = ((0.0, 10.0), (90.0, 10.0), (45.0, 35.0))


def _camera(azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Viewing direction (towards the scene) and the image's right/up axes; y is up."""
    az, el = np.radians(azimuth), np.radians(elevation)
    eye = np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
    right = np.cross([0.0, 1.0, 0.0], eye)
    right /= np.linalg.norm(right)
    up = np.cross(eye, right)
    return -eye, right, up


def render_view(mesh: trimesh.Trimesh, azimuth: float, elevation: float, size: int = 200) -> np.ndarray:
    """(size, size) gray image in [0, 1] of a unit-box mesh; background 1 (white)."""
    image = np.ones(size * size)
    if len(mesh.faces) == 0:
        return image.reshape(size, size)
    direction, right, up = _camera(azimuth, elevation)
    s = np.linspace(-1.3, 1.3, size)
    u, v = np.meshgrid(s, -s)  # row 0 is the top of the image
    origins = (u.reshape(-1, 1) * right + v.reshape(-1, 1) * up) - 3.0 * direction
    directions = np.broadcast_to(direction, origins.shape)
    _, rays, faces = mesh.ray.intersects_location(origins, directions, multiple_hits=False)
    normals = mesh.face_normals[faces]
    light = -direction + 0.6 * up
    light /= np.linalg.norm(light)
    image[rays] = 0.15 + 0.75 * np.abs(normals @ light)  # two-sided: open scans still shade
    return image.reshape(size, size)


def save_preview(path: Path, meshes: Mapping[str, trimesh.Trimesh], title: str = "", size: int = 200) -> None:
    """One row per mesh (label on the left), one column per view."""
    fig, axes = plt.subplots(len(meshes), len(VIEWS), figsize=(3 * len(VIEWS), 3 * len(meshes)), squeeze=False)
    for row, (label, mesh) in enumerate(meshes.items()):
        for col, (azimuth, elevation) in enumerate(VIEWS):
            ax = axes[row, col]
            ax.imshow(render_view(mesh, azimuth, elevation, size), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(label)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
