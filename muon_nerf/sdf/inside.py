"""Inside/outside and signed distance of points with respect to a triangle mesh.

Watertight meshes: ray-parity containment (trimesh, with embree when installed). Meshes with holes
have no well-defined inside; for them we use the generalized winding number (Jacobson et al. 2013),
which is ~1 inside, ~0 outside and degrades gracefully near holes, at O(points x faces) cost.
Signed distances are negative inside.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import trimesh


def winding_number(mesh: trimesh.Trimesh, points: np.ndarray, pairs_per_chunk: int = 1_000_000) -> np.ndarray:
    """Generalized winding number of each point: the sum of the signed solid angles of the faces
    (Van Oosterom & Strackee's formula) divided by 4*pi."""
    triangles = torch.tensor(np.asarray(mesh.triangles), dtype=torch.float32)
    query = torch.tensor(np.asarray(points), dtype=torch.float32)
    chunk = max(1, pairs_per_chunk // max(len(triangles), 1))
    out = []
    for start in range(0, len(query), chunk):
        rel = triangles[None] - query[start : start + chunk, None, None]  # P, F, 3 corners, 3
        a, b, c = rel.unbind(dim=2)
        la, lb, lc = a.norm(dim=-1), b.norm(dim=-1), c.norm(dim=-1)
        det = (a * torch.cross(b, c, dim=-1)).sum(-1)
        denom = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
        out.append(torch.atan2(det, denom).sum(-1) / (2 * torch.pi))
    return torch.cat(out).double().numpy() if out else np.zeros(0)


def inside_mask(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """True where a point is inside the mesh (see module docstring for the method)."""
    points = np.asarray(points, np.float64)
    if mesh.is_watertight:
        return np.asarray(mesh.contains(points), bool)
    return winding_number(mesh, points) >= 0.5


def warn_if_open(mesh: trimesh.Trimesh, name: str) -> None:
    """Open meshes fall back to the (slower) winding number; say so once, up front."""
    if not mesh.is_watertight:
        warnings.warn(
            f"{name}: mesh is not watertight; inside/outside comes from the generalized winding "
            f"number (>= 0.5 is inside), which is slow for large meshes and approximate near holes",
            stacklevel=2,
        )


def signed_distance(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Exact distance to the closest triangle, negative inside."""
    _, distance, _ = trimesh.proximity.closest_point(mesh, np.asarray(points, np.float64))
    return np.where(inside_mask(mesh, points), -distance, distance)
