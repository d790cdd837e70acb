"""Training and evaluation points for a mesh, with their targets, cached on disk.

Computing exact distances and containment is the slow part of a run (tens of seconds for a scan),
so the arrays are stored once per (mesh content, sampling settings) in a cache folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from muon_nerf.sdf.inside import inside_mask, signed_distance

CACHE_FORMAT = 1


@dataclass
class SampleConfig:
    """Where the training points are, in the [-1, 1]^3 box the mesh is normalised into."""

    surface_points: int = 300_000
    """Points on the surface, split evenly over --samples.surface-scales and jittered by each."""
    surface_scales: tuple[float, ...] = (0.003, 0.01, 0.05)
    """Standard deviations of the Gaussian jitter of surface points (box units): a fine band
    resolves the zero level set, a wide one shapes the field around it."""
    uniform_points: int = 100_000
    """Points uniform in the box, so that the field is right far from the surface too."""
    eval_points: int = 1_000_000
    """Uniform points (separate from training) for the volumetric IoU."""
    seed: int = 0


@dataclass
class SampleSet:
    """Training points with signed distance (negative inside), and IoU points with containment."""

    points: np.ndarray  # (N, 3) float32
    sdf: np.ndarray  # (N,) float32
    eval_points: np.ndarray  # (M, 3) float32
    eval_inside: np.ndarray  # (M,) bool


def default_cache_dir() -> Path:
    """The user cache (XDG_CACHE_HOME or ~/.cache) / muon-nerf / sdf-samples."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "muon-nerf" / "sdf-samples"


def cache_key(unit_mesh: trimesh.Trimesh, config: SampleConfig) -> str:
    """Hash of the normalised mesh's geometry and the sampling settings."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(unit_mesh.vertices, np.float64).tobytes())
    digest.update(np.ascontiguousarray(unit_mesh.faces, np.int64).tobytes())
    digest.update(json.dumps({"format": CACHE_FORMAT, **dataclasses.asdict(config)}, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def compute_samples(unit_mesh: trimesh.Trimesh, config: SampleConfig) -> SampleSet:
    """Draw the points and compute their targets (slow: exact distances and containment)."""
    rng = np.random.default_rng(config.seed)
    scales = config.surface_scales or (0.0,)
    per_scale = config.surface_points // len(scales)
    surface, _ = trimesh.sample.sample_surface(unit_mesh, per_scale * len(scales), seed=config.seed)
    jitter = np.concatenate([rng.normal(0.0, s, (per_scale, 3)) for s in scales]) if per_scale else np.zeros((0, 3))
    near = np.clip(surface + jitter, -1.0, 1.0)
    uniform = rng.uniform(-1.0, 1.0, (config.uniform_points, 3))
    points = np.concatenate([near, uniform])
    eval_points = rng.uniform(-1.0, 1.0, (config.eval_points, 3))
    return SampleSet(
        points=points.astype(np.float32),
        sdf=signed_distance(unit_mesh, points).astype(np.float32),
        eval_points=eval_points.astype(np.float32),
        eval_inside=inside_mask(unit_mesh, eval_points),
    )


def load_or_compute_samples(unit_mesh: trimesh.Trimesh, config: SampleConfig, cache_dir: Path | None) -> tuple[SampleSet, bool]:
    """The samples for this mesh and config, from ``cache_dir`` if present (None: no cache).
    Returns (samples, whether they came from the cache)."""
    path = None if cache_dir is None else Path(cache_dir) / f"{cache_key(unit_mesh, config)}.npz"
    if path is not None and path.is_file():
        try:
            with np.load(path) as data:
                return SampleSet(**{f.name: data[f.name] for f in dataclasses.fields(SampleSet)}), True
        except (OSError, KeyError, ValueError):
            pass  # unreadable cache entry: recompute and overwrite it
    samples = compute_samples(unit_mesh, config)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **dataclasses.asdict(samples))
        os.replace(tmp, path)  # atomic: concurrent runs never read half a file
    return samples, False
