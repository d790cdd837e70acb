"""The committed sample scene (data/sample_scene) as nerfstudio's ``nerfstudio-data`` parser sees it.

Checks the explicit split, the image sizes, and, most importantly, the camera convention: mesh
vertices projected through the parsed OpenGL poses must land on the object in the images.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "data" / "sample_scene"
META = json.loads((SCENE / "transforms.json").read_text())
INFO = META["muon_nerf_sample"]
RES = INFO["resolution"][0]


def load_script():
    """Import scripts/make_sample_scene.py (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_sample_scene", ROOT / "scripts" / "make_sample_scene.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def parse(split: str, data: Path = SCENE):
    """nerfstudio-data outputs with every flag at its default, as ``ns-train`` would use them."""
    from nerfstudio.data.dataparsers.nerfstudio_dataparser import NerfstudioDataParserConfig

    return NerfstudioDataParserConfig(data=data).setup().get_dataparser_outputs(split)


@pytest.fixture(scope="module")
def outputs():
    return {split: parse(split) for split in ("train", "val", "test")}


def project(points: torch.Tensor, outputs) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates (N_cam, P, 2) and depths (N_cam, P) of world points (P, 3).

    OpenGL cameras look down -z with +y up, while pixel rows grow downwards.
    """
    cams = outputs.cameras
    c2w = cams.camera_to_worlds  # (N, 3, 4)
    local = torch.einsum("nji,npj->npi", c2w[:, :, :3], points[None] - c2w[:, None, :, 3])
    depth = -local[..., 2]
    u = cams.cx + cams.fx * local[..., 0] / depth
    v = cams.cy - cams.fy * local[..., 1] / depth
    return torch.stack([u, v], -1), depth


def to_dataparser_frame(points: np.ndarray, outputs) -> torch.Tensor:
    """Apply nerfstudio's auto-orient/centre transform and scale to points in transforms.json's frame."""
    pts = torch.as_tensor(points, dtype=torch.float32)
    transform = outputs.dataparser_transform
    return (pts @ transform[:, :3].T + transform[:, 3]) * outputs.dataparser_scale


def test_split_is_explicit_and_disjoint(outputs):
    train = {p.name for p in outputs["train"].image_filenames}
    val = {p.name for p in outputs["val"].image_filenames}
    test = {p.name for p in outputs["test"].image_filenames}
    assert len(train) == len(META["train_filenames"]) >= 40
    assert len(test) == len(META["test_filenames"]) >= 8
    assert val == test
    assert not train & test
    assert len(train) + len(test) == len(META["frames"])


def test_images_match_cameras(outputs):
    for out in outputs.values():
        assert (out.cameras.width == RES).all() and (out.cameras.height == RES).all()
        for path in out.image_filenames:
            with Image.open(path) as image:
                assert image.size == (RES, RES) and image.mode == "RGB"
    size = sum(f.stat().st_size for f in SCENE.rglob("*") if f.is_file())
    assert size <= 3 * 1024**2


def test_poses_are_finite_rotations(outputs):
    for out in outputs.values():
        c2w = out.cameras.camera_to_worlds
        assert torch.isfinite(c2w).all()
        rot = c2w[:, :, :3]
        assert torch.allclose(rot.transpose(1, 2) @ rot, torch.eye(3).expand_as(rot), atol=1e-4)


def test_cameras_look_at_object_centre(outputs):
    """The object centre (origin of transforms.json) projects to the image centre, in front of every camera."""
    for out in outputs.values():
        centre = to_dataparser_frame(np.zeros((1, 3)), out)
        assert centre.norm() < 0.05  # default centre_method=poses keeps the object at the origin
        uv, depth = project(centre, out)
        assert (depth > 0).all()
        assert ((uv - RES / 2).abs() < 0.02 * RES).all(), uv


def test_eval_views_are_new_viewpoints(outputs):
    """Eval cameras must not duplicate train cameras, or eval PSNR would measure memorisation."""
    train = torch.nn.functional.normalize(outputs["train"].cameras.camera_to_worlds[:, :, 3], dim=-1)
    test = torch.nn.functional.normalize(outputs["test"].cameras.camera_to_worlds[:, :, 3], dim=-1)
    closest = torch.rad2deg(torch.acos((test @ train.T).clamp(-1, 1).max(dim=1).values))
    assert (closest > 3.0).all(), closest


def test_mesh_vertices_land_on_object(outputs):
    """Verifies the mitsuba -> OpenGL pose conversion: a wrong axis flip mirrors the projection off the bunny."""
    pytest.importorskip("pymeshlab")
    script = load_script()
    positions, _, _ = script.load_obj(script.find_mesh())
    to_world = np.asarray(INFO["mesh_to_world"])
    world = positions[::10] @ to_world[:3, :3].T + to_world[:3, 3]
    background = 255 if INFO["background"] == "white" else 0
    for out in outputs.values():
        uv, depth = project(to_dataparser_frame(world, out), out)
        assert (depth > 0).all()
        pix = uv.floor().long()
        assert ((pix >= 0) & (pix < RES)).all()
        hits, mirrored_hits = [], []
        for i, path in enumerate(out.image_filenames):
            foreground = torch.from_numpy((np.abs(np.asarray(Image.open(path), dtype=int) - background) > 8).any(-1))
            hits.append(foreground[pix[i, :, 1], pix[i, :, 0]].float().mean())
            mirrored_hits.append(foreground[pix[i, :, 1], RES - 1 - pix[i, :, 0]].float().mean())
        assert min(hits) > 0.97, hits
        assert sum(mirrored_hits) / len(mirrored_hits) < 0.9  # the check can tell a mirrored camera apart


def test_script_renders_a_tiny_scene(tmp_path):
    """The generator runs end to end (16x16, 4 spp, 3 views) and nerfstudio parses its output."""
    pytest.importorskip("mitsuba")
    pytest.importorskip("pymeshlab")
    script = load_script()
    cfg = script.SampleSceneConfig(output_dir=tmp_path / "scene", resolution=16, spp=4, num_train=2, num_eval=1)
    script.main(cfg)
    image = np.asarray(Image.open(cfg.output_dir / "images" / "r_000.png"))
    assert image.shape == (16, 16, 3)
    assert (image[0, 0] == 255).all() and (image[8, 8] < 250).any()  # white corner, bunny in the middle
    assert len(parse("train", cfg.output_dir).image_filenames) == 2
    assert len(parse("test", cfg.output_dir).image_filenames) == 1
    assert math.isclose(json.loads((cfg.output_dir / "transforms.json").read_text())["cx"], 8.0)
