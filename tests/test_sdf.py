"""fit_sdf pieces against analytic shapes, one tiny end-to-end fit, and user mistakes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from muon_nerf.config import OptimConfig
from muon_nerf.errors import InputError
from muon_nerf.inr import InrConfig
from muon_nerf.sdf.extraction import grid_points, marching_cubes
from muon_nerf.sdf.fitting import FitSdfConfig, fit_sdf
from muon_nerf.sdf.inside import inside_mask, signed_distance, winding_number
from muon_nerf.sdf.mesh_io import UnitBoxTransform, load_mesh
from muon_nerf.sdf.mesh_metrics import surface_metrics, volumetric_iou
from muon_nerf.sdf.samples import SampleConfig, load_or_compute_samples

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)


def box_sdf(points: np.ndarray, half: float) -> np.ndarray:
    """Exact SDF of the axis-aligned cube [-half, half]^3."""
    q = np.abs(points) - half
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)


def test_sphere_sign_and_distance():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    points = RNG.uniform(-1.5, 1.5, (3000, 3))
    exact = np.linalg.norm(points, axis=1) - 1.0
    clear = np.abs(exact) > 0.01  # the faceted sphere lies within ~0.003 of the true one
    sdf = signed_distance(sphere, points)
    assert np.array_equal(np.sign(sdf[clear]), np.sign(exact[clear]))
    assert np.abs(sdf - exact).max() < 0.01


def test_cube_sign_and_distance():
    cube = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    points = RNG.uniform(-1.0, 1.0, (3000, 3))
    exact = box_sdf(points, 0.5)
    sdf = signed_distance(cube, points)
    assert np.array_equal(sdf < 0, exact < 0)
    assert np.allclose(sdf, exact, atol=1e-6)


def test_open_mesh_uses_winding_number():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    open_sphere = trimesh.Trimesh(sphere.vertices, sphere.faces[3:])  # three triangles missing
    assert not open_sphere.is_watertight
    points = RNG.uniform(-1.4, 1.4, (400, 3))
    radius = np.linalg.norm(points, axis=1)
    clear = np.abs(radius - 1) > 0.1
    assert np.array_equal(inside_mask(open_sphere, points)[clear], radius[clear] < 1)
    assert np.allclose(winding_number(sphere, np.zeros((1, 3))), 1.0, atol=1e-5)


def test_iou_self_and_shifted_cube():
    cube = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    shifted = cube.copy().apply_translation([0.5, 0.0, 0.0])
    points = RNG.uniform(-1.0, 1.5, (400_000, 3))
    inside = inside_mask(cube, points)
    assert volumetric_iou(inside, inside) == 1.0
    # overlap 0.5 x 1 x 1, union 1.5: IoU 1/3 (Monte Carlo: ~0.003 standard error here)
    assert volumetric_iou(inside, inside_mask(shifted, points)) == pytest.approx(1 / 3, abs=0.015)


def test_marching_cubes_export_round_trip(tmp_path):
    """Analytic sphere SDF -> marching cubes -> original coordinates -> PLY -> Chamfer vs sphere."""
    resolution, radius = 64, 0.6
    field = (np.linalg.norm(grid_points(resolution), axis=1) - radius).reshape((resolution,) * 3)
    transform = UnitBoxTransform(center=np.array([1.0, -2.0, 3.0]), scale=2.5)
    transform.mesh_to_original(marching_cubes(field)).export(tmp_path / "sphere.ply")
    mesh = load_mesh(tmp_path / "sphere.ply")
    assert mesh.is_watertight and mesh.volume > 0, "faces must point outwards"
    truth = trimesh.creation.icosphere(subdivisions=5, radius=radius * transform.scale)
    truth.apply_translation(transform.center)
    voxel = 2 / (resolution - 1) * transform.scale
    radii = np.linalg.norm(mesh.vertices - transform.center, axis=1)
    assert np.abs(radii - radius * transform.scale).max() < 0.05 * voxel
    metrics = surface_metrics(mesh, truth, points=20_000)
    floor = surface_metrics(truth, truth, points=20_000)["chamfer_l1"]  # point-sampling spacing alone
    assert metrics["chamfer_l1"] < floor + 0.02 * voxel, (metrics, floor)
    assert metrics["normal_consistency"] > 0.99
    assert marching_cubes(np.ones((8, 8, 8))).faces.shape == (0, 3)


def test_samples_are_cached(tmp_path):
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=0.8)
    config = SampleConfig(surface_points=300, uniform_points=100, eval_points=1000)
    first, cached_first = load_or_compute_samples(mesh, config, tmp_path)
    second, cached_second = load_or_compute_samples(mesh, config, tmp_path)
    assert (cached_first, cached_second) == (False, True)
    assert np.array_equal(first.sdf, second.sdf) and np.array_equal(first.eval_inside, second.eval_inside)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    other, cached = load_or_compute_samples(mesh, SampleConfig(surface_points=300, uniform_points=100, eval_points=1000, seed=1), tmp_path)
    assert not cached


def tiny_config(tmp_path: Path, mesh: Path, **overrides) -> FitSdfConfig:
    options = dict(
        mesh=mesh, output_dir=tmp_path / "out", steps=60, batch_size=2048, resolution=32,
        samples=SampleConfig(surface_points=6000, uniform_points=2000, eval_points=20_000),
        surface_points=5000, cache_dir=tmp_path / "cache", rank_every=20, progress=False,
        model=InrConfig(width=64, depth=4), optim=OptimConfig(optimizer="muon"),
    )
    options.update(overrides)
    return FitSdfConfig(**options)


def test_fit_sdf_end_to_end(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=2.0).apply_translation([10.0, 0.0, -5.0])
    sphere.export(tmp_path / "sphere.obj")
    metrics = fit_sdf(tiny_config(tmp_path, tmp_path / "sphere.obj"))
    out = tmp_path / "out"
    for name in ["mesh.ply", "preview.png", "stable_rank.png", "metrics.json", "rank_history.json"]:
        assert (out / name).is_file(), name
    assert metrics["iou"] > 0.8, metrics["iou"]
    fitted = trimesh.load(out / "mesh.ply", force="mesh")
    assert np.allclose(fitted.bounds, sphere.bounds, atol=0.3), "mesh is written in the input's coordinates"
    written = json.loads((out / "metrics.json").read_text())
    assert written["iou"] == pytest.approx(metrics["iou"]) and written["target"] == "sdf"
    assert written["transform"]["scale"] == pytest.approx(2.0 / 0.9)


def test_occupancy_target(tmp_path):
    trimesh.creation.box(extents=(1, 2, 1)).export(tmp_path / "box.stl")
    metrics = fit_sdf(tiny_config(tmp_path, tmp_path / "box.stl", target="occupancy"))
    assert metrics["iou"] > 0.6 and metrics["target"] == "occupancy"


@pytest.mark.parametrize("name, content, message", [
    ("points.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces"),
    ("notes.obj", "just some words\n", "no faces"),
    ("image.ply", "\x89PNG\r\n\x1a\n binary junk", "not a readable mesh"),
    ("nan.obj", "v 0 0 0\nv 1 0 0\nv 0 nan 0\nf 1 2 3\n", "NaN"),
    ("mesh.xyz", "0 0 0\n", "unsupported mesh type"),
])
def test_bad_meshes_fail_cleanly(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=message):
        fit_sdf(tiny_config(tmp_path, tmp_path / name))
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*")), "nothing half-written"


def test_cli_prints_one_line_error(tmp_path):
    (tmp_path / "empty.obj").write_text("")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_sdf.py"), "--mesh", str(tmp_path / "empty.obj"),
                          "--output-dir", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and run.stderr.startswith("error:"), run.stderr
