"""Render the small multi-view sample scene that ``make demo`` trains on.

The object is the textured Stanford bunny that ships with pymeshlab
(``pymeshlab/tests/sample_meshes/bunny10k_textured.obj``), so no download is needed. It is
scaled into the unit sphere at the origin (z up) and rendered with mitsuba 3 on the CPU
(``scalar_rgb``) from cameras on a Fibonacci sphere around it, under a hidden ambient light plus
a sun, composited on a plain background. Output is a nerfstudio dataset (``transforms.json`` with
explicit ``train/val/test_filenames`` and 8-bit RGB PNGs) that ``nerfstudio-data`` reads with
its default flags: the full sphere of cameras keeps their mean at the object's centre, so the
default ``center_method=poses`` does not shift the object off the origin.

Example: ``python scripts/make_sample_scene.py --resolution 100 --spp 32``
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

MESH_NAME = "bunny10k_textured.obj"
TEXTURE_NAME = "TextureDouble_A.png"
# A mitsuba look_at camera-to-world has columns [left, up, forward, origin]; NeRF/OpenGL cameras
# use [right, up, backward, origin], so flip the x and z columns.
MITSUBA_TO_OPENGL = np.diag([-1.0, 1.0, -1.0, 1.0])


@dataclass
class SampleSceneConfig:
    """Render the textured bunny from pymeshlab's sample data into a nerfstudio dataset."""

    output_dir: Path = Path("data/sample_scene")
    """Dataset folder; replaced atomically once every view is rendered."""
    resolution: int = 100
    """Width and height of the square images, in pixels."""
    spp: int = 32
    """Samples per pixel (independent sampler, box pixel filter)."""
    num_train: int = 50
    """Training views, on one Fibonacci sphere."""
    num_eval: int = 10
    """Evaluation views (val = test), on a second, rotated Fibonacci sphere."""
    camera_distance: float = 4.0
    """Camera distance from the origin, in object radii (NeRF-synthetic cameras sit at ~4)."""
    fov_deg: float = 35.0
    """Horizontal field of view in degrees; 35 frames the unit sphere at distance 4 with ~20% margin."""
    background: Literal["white", "black"] = "white"
    """Colour composited behind the object (the PNGs have no alpha channel)."""
    seed: int = 0
    """Base sampler seed; view i uses seed + i, so renders are reproducible."""


def find_mesh() -> Path:
    """Path of the textured bunny inside the installed pymeshlab package."""
    try:
        import pymeshlab
    except ImportError as err:
        raise SystemExit(f"error: pymeshlab is not installed ({err}); `pip install pymeshlab`") from None
    path = Path(pymeshlab.__file__).parent / "tests" / "sample_meshes" / MESH_NAME
    if not path.is_file() or not (path.parent / TEXTURE_NAME).is_file():
        raise SystemExit(f"error: {MESH_NAME} or {TEXTURE_NAME} not found in {path.parent}")
    return path


def load_obj(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (V,3), uvs (V,2) and triangles (F,3) of a textured OBJ.

    Mitsuba's OBJ loader rejects this file's negative (relative) indices, so parse it here;
    vertices are split wherever one position carries several uvs (texture seams).
    """
    v, vt, corners = [], [], []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            v.append([float(x) for x in parts[1:4]])
        elif parts[0] == "vt":
            vt.append([float(x) for x in parts[1:3]])
        elif parts[0] == "f":
            if len(parts) != 4:
                raise ValueError(f"{path.name}: only triangles are supported, got {line!r}")
            for corner in parts[1:]:
                iv, it = (int(i) for i in corner.split("/")[:2])
                # OBJ indices are 1-based, negative ones count back from the last vertex so far.
                corners.append((iv - 1 if iv > 0 else len(v) + iv, it - 1 if it > 0 else len(vt) + it))
    pairs, inverse = np.unique(np.array(corners), axis=0, return_inverse=True)
    positions = np.asarray(v, dtype=np.float64)[pairs[:, 0]]
    uvs = np.asarray(vt, dtype=np.float64)[pairs[:, 1]]
    return positions, uvs, inverse.reshape(-1, 3)


def mesh_to_world(positions: np.ndarray) -> np.ndarray:
    """4x4 transform putting the mesh in the unit sphere at the origin, with its up (+y) on +z.

    nerfstudio's ``orientation_method=up`` and its viewer treat +z as up.
    """
    y_up_to_z_up = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    center = 0.5 * (positions.min(0) + positions.max(0))
    scale = 1.0 / np.linalg.norm(positions - center, axis=1).max()
    transform = np.eye(4)
    transform[:3, :3] = scale * y_up_to_z_up
    transform[:3, 3] = -scale * y_up_to_z_up @ center
    return transform


def vertex_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted normals, shared by split copies of a position so seams shade smoothly."""
    _, key = np.unique(positions.round(6), axis=0, return_inverse=True)
    key = key.reshape(-1)
    tri = positions[faces]
    face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    acc = np.zeros((key.max() + 1, 3))
    for k in range(3):
        np.add.at(acc, key[faces[:, k]], face_n)
    normals = acc[key]
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


def fibonacci_directions(n: int, azimuth_offset: float = 0.0) -> np.ndarray:
    """n well-spread unit vectors over the whole sphere; their mean is ~0 (z sums to exactly 0)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = math.pi * (3.0 - math.sqrt(5.0)) * i + azimuth_offset
    r = np.sqrt(1.0 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def camera_positions(cfg: SampleSceneConfig) -> np.ndarray:
    """Train positions, then eval positions turned by half a golden angle so none repeats a train view."""
    train = fibonacci_directions(cfg.num_train)
    evals = fibonacci_directions(cfg.num_eval, azimuth_offset=0.5 * math.pi * (3.0 - math.sqrt(5.0)))
    return cfg.camera_distance * np.concatenate([train, evals])


def focal_length(cfg: SampleSceneConfig) -> float:
    """Pinhole focal length in pixels for the horizontal field of view."""
    return 0.5 * cfg.resolution / math.tan(math.radians(cfg.fov_deg) / 2.0)


def build_scene(cfg: SampleSceneConfig, mesh_path: Path):
    """Mitsuba scene: the textured bunny, a hidden ambient light and a sun from above."""
    import mitsuba as mi

    mi.set_variant("scalar_rgb")
    positions, uvs, faces = load_obj(mesh_path)
    transform = mesh_to_world(positions)
    world = positions @ transform[:3, :3].T + transform[:3, 3]
    normals = vertex_normals(world, faces)

    props = mi.Properties()
    props["bsdf"] = mi.load_dict(
        {
            "type": "diffuse",
            "reflectance": {"type": "bitmap", "filename": str(mesh_path.parent / TEXTURE_NAME)},
        }
    )
    mesh = mi.Mesh("bunny", len(world), len(faces), props, has_vertex_normals=True, has_vertex_texcoords=True)
    params = mi.traverse(mesh)
    params["vertex_positions"] = world.astype(np.float32).ravel()
    params["vertex_normals"] = normals.astype(np.float32).ravel()
    # OBJ puts v=0 at the texture's bottom row, mitsuba at its top (its own OBJ loader flips v too).
    params["vertex_texcoords"] = np.stack([uvs[:, 0], 1.0 - uvs[:, 1]], 1).astype(np.float32).ravel()
    params["faces"] = faces.astype(np.uint32).ravel()
    params.update()

    scene = mi.load_dict(
        {
            "type": "scene",
            # hide_emitters: background pixels get rgb=0, alpha=0, so the output is premultiplied.
            "integrator": {"type": "path", "max_depth": 4, "hide_emitters": True},
            "ambient": {"type": "constant", "radiance": {"type": "rgb", "value": 0.45}},
            "sun": {"type": "directional", "direction": [-0.4, -0.3, -1.0], "irradiance": {"type": "rgb", "value": 2}},
            "bunny": mesh,
        }
    )
    return scene, transform


def mitsuba_c2w(position: np.ndarray) -> np.ndarray:
    """Mitsuba camera-to-world for a camera at ``position`` looking at the origin, z up."""
    import mitsuba as mi

    up = [0.0, 0.0, 1.0]
    return np.array(mi.ScalarTransform4f.look_at(origin=position.tolist(), target=[0.0, 0.0, 0.0], up=up).matrix)


def render_view(scene, c2w: np.ndarray, cfg: SampleSceneConfig, seed: int) -> np.ndarray:
    """One (H, W, 3) uint8 sRGB image on the configured background."""
    import mitsuba as mi

    sensor = mi.load_dict(
        {
            "type": "perspective",
            "fov": cfg.fov_deg,
            "fov_axis": "x",
            "to_world": mi.ScalarTransform4f(c2w.tolist()),
            "film": {
                "type": "hdrfilm",
                "width": cfg.resolution,
                "height": cfg.resolution,
                "pixel_format": "rgba",
                "rfilter": {"type": "box"},  # a NeRF pixel averages rays over its own square only
            },
            "sampler": {"type": "independent", "sample_count": cfg.spp},
        }
    )
    rgba = np.array(mi.render(scene, sensor=sensor, seed=seed), dtype=np.float64)
    background = 1.0 if cfg.background == "white" else 0.0
    linear = np.clip(rgba[..., :3] + (1.0 - rgba[..., 3:]) * background, 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 255.0).astype(np.uint8)


def write_scene(cfg: SampleSceneConfig, out_dir: Path) -> dict:
    """Render every view into ``out_dir`` and write its transforms.json; returns the json dict."""
    from PIL import Image
    from tqdm import tqdm

    mesh_path = find_mesh()
    scene, transform = build_scene(cfg, mesh_path)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    frames, names = [], []
    for i, position in enumerate(tqdm(camera_positions(cfg), desc="rendering views", unit="view")):
        c2w = mitsuba_c2w(position)
        name = f"images/r_{i:03d}.png"
        Image.fromarray(render_view(scene, c2w, cfg, cfg.seed + i)).save(out_dir / name, optimize=True)
        frames.append({"file_path": name, "transform_matrix": np.round(c2w @ MITSUBA_TO_OPENGL, 8).tolist()})
        names.append(name)

    focal = focal_length(cfg)
    eval_names = names[cfg.num_train :]
    meta = {
        "camera_model": "OPENCV",
        "fl_x": focal,
        "fl_y": focal,
        "cx": cfg.resolution / 2.0,
        "cy": cfg.resolution / 2.0,
        "w": cfg.resolution,
        "h": cfg.resolution,
        "k1": 0.0,
        "k2": 0.0,
        "p1": 0.0,
        "p2": 0.0,
        "frames": frames,
        "train_filenames": names[: cfg.num_train],
        "val_filenames": eval_names,
        "test_filenames": eval_names,
        "muon_nerf_sample": {
            "generator": "scripts/make_sample_scene.py",
            "renderer": "mitsuba 3 scalar_rgb, path tracer",
            "mesh": f"pymeshlab/tests/sample_meshes/{MESH_NAME}",
            "mesh_to_world": np.round(transform, 10).tolist(),
            "spp": cfg.spp,
            "resolution": [cfg.resolution, cfg.resolution],
            "fov_deg": cfg.fov_deg,
            "camera_distance": cfg.camera_distance,
            "object_radius": 1.0,
            "background": cfg.background,
            "seed": cfg.seed,
        },
    }
    (out_dir / "transforms.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def main(cfg: SampleSceneConfig) -> None:
    """Render into a temporary sibling folder, then swap it in so a crash never leaves half a dataset."""
    out = cfg.output_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it owner-only
    start = time.perf_counter()
    try:
        meta = write_scene(cfg, tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{tmp.name.rsplit('-', 1)[-1]}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    size_kb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1024
    seconds = time.perf_counter() - start
    print(f"wrote {len(meta['frames'])} views to {out} ({size_kb:.0f} KiB) in {seconds:.1f} s")


def entrypoint() -> None:
    """tyro CLI."""
    import tyro

    main(tyro.cli(SampleSceneConfig))


if __name__ == "__main__":
    entrypoint()
