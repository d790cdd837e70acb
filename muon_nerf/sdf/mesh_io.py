"""Loading user meshes with errors that name the file, and the map into the [-1, 1]^3 box the
network sees (kept so that results can be written back in the mesh's own coordinates)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from muon_nerf.errors import InputError

MESH_SUFFIXES = (".obj", ".ply", ".stl", ".off", ".glb", ".gltf")


def default_mesh_path() -> Path:
    """The Stanford bunny that ships with pymeshlab's test data (a watertight 28k-vertex scan)."""
    import pymeshlab

    return Path(pymeshlab.__file__).parent / "tests" / "sample_meshes" / "bunny.obj"


def load_mesh(path: Path) -> trimesh.Trimesh:
    """A triangle mesh with finite vertices and at least one face; scenes are merged into one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such mesh file")
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise InputError(f"{path}: unsupported mesh type {path.suffix or '(none)'}; use one of {', '.join(MESH_SUFFIXES)}")
    try:
        mesh = trimesh.load(path, force="mesh", process=False)
    except Exception as e:  # trimesh raises many types for unparsable files
        raise InputError(f"{path}: not a readable mesh ({type(e).__name__}: {e})") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise InputError(f"{path}: mesh has no faces (a point cloud or not a mesh file)")
    if not np.isfinite(mesh.vertices).all():
        raise InputError(f"{path}: mesh has NaN or infinite vertex coordinates")
    mesh = trimesh.Trimesh(mesh.vertices, mesh.faces, process=True)  # merge duplicate vertices, drop bad faces
    if len(mesh.faces) == 0 or float(mesh.extents.max()) <= 0:
        raise InputError(f"{path}: mesh is degenerate (no face has a non-zero area)")
    return mesh


@dataclass
class UnitBoxTransform:
    """``original = unit * scale + center``: the mesh's bounding box, centred and scaled so its
    longest side spans ``[-fill, fill]`` inside the [-1, 1]^3 box."""

    center: np.ndarray
    scale: float

    @classmethod
    def fit(cls, mesh: trimesh.Trimesh, fill: float = 0.9) -> "UnitBoxTransform":
        lo, hi = mesh.bounds
        return cls(center=(lo + hi) / 2, scale=float((hi - lo).max() / 2 / fill))

    def to_unit(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64) - self.center) / self.scale

    def to_original(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, np.float64) * self.scale + self.center

    def mesh_to_unit(self, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.to_unit(mesh.vertices), mesh.faces, process=False)

    def mesh_to_original(self, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.to_original(mesh.vertices), mesh.faces, process=False)

    def as_dict(self) -> dict:
        return {"center": [float(c) for c in self.center], "scale": self.scale,
                "meaning": "original = unit * scale + center"}
