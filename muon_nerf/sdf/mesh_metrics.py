"""Shape accuracy: volumetric IoU on uniform points, and Chamfer-L1 / normal consistency on
surface samples (the definitions of Occupancy Networks, Mescheder et al. 2019)."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree


def volumetric_iou(inside_a: np.ndarray, inside_b: np.ndarray) -> float:
    """|A and B| / |A or B| over the same points; 1.0 when both are empty."""
    union = np.logical_or(inside_a, inside_b).sum()
    return float(np.logical_and(inside_a, inside_b).sum() / union) if union else 1.0


def surface_metrics(prediction: trimesh.Trimesh, target: trimesh.Trimesh, points: int = 100_000, seed: int = 0) -> dict[str, float]:
    """Chamfer-L1 = (accuracy + completeness) / 2, where accuracy is the mean distance from points
    on ``prediction`` to the nearest point on ``target`` and completeness the reverse; normal
    consistency = mean |cos| between the face normals of nearest-neighbour pairs, both ways.
    Distances are in the meshes' units. An empty prediction gives infinite distances."""
    if len(prediction.faces) == 0:
        return {"chamfer_l1": float("inf"), "accuracy": float("inf"), "completeness": float("inf"), "normal_consistency": 0.0}
    pred_points, pred_faces = trimesh.sample.sample_surface(prediction, points, seed=seed)
    true_points, true_faces = trimesh.sample.sample_surface(target, points, seed=seed + 1)
    pred_normals = prediction.face_normals[pred_faces]
    true_normals = target.face_normals[true_faces]
    to_target, nearest_true = cKDTree(true_points).query(pred_points)
    to_prediction, nearest_pred = cKDTree(pred_points).query(true_points)
    accuracy, completeness = float(to_target.mean()), float(to_prediction.mean())
    cos_pred = np.abs((pred_normals * true_normals[nearest_true]).sum(-1)).mean()
    cos_true = np.abs((true_normals * pred_normals[nearest_pred]).sum(-1)).mean()
    return {
        "chamfer_l1": (accuracy + completeness) / 2,
        "accuracy": accuracy,
        "completeness": completeness,
        "normal_consistency": float((cos_pred + cos_true) / 2),
    }
