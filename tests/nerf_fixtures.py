"""Shared helpers for the NeRF tests: tiny synthetic scenes and in-process nerfstudio training.

nerfstudio takes tens of seconds to import, so tests train inside the pytest process with a shrunken
config instead of spawning ``ns-train``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import List, Optional

import numpy as np
from PIL import Image


def look_at_origin(angle: float, elevation: float = 0.5, distance: float = 4.0) -> List[List[float]]:
    """OpenGL camera-to-world (x right, y up, looking down -z) on a circle, looking at the origin."""
    eye = np.array([math.cos(angle) * math.cos(elevation), math.sin(angle) * math.cos(elevation), math.sin(elevation)])
    eye = eye * distance
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -forward, eye
    return pose.tolist()


def _write_image(path: Path, size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pixels = np.full((size, size, 3), 255, np.uint8)
    lo, hi = size // 4, 3 * size // 4
    pixels[lo:hi, lo:hi] = rng.integers(0, 255, 3, dtype=np.uint8)  # a coloured square on white
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def make_nerfstudio_scene(root: Path, views: int = 10, size: int = 16) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    focal = 0.5 * size / math.tan(0.5 * 0.7)
    frames = []
    for i in range(views):
        _write_image(root / "images" / f"frame_{i:03d}.png", size, i)
        frames.append({"file_path": f"images/frame_{i:03d}.png", "transform_matrix": look_at_origin(2 * math.pi * i / views)})
    meta = {"camera_model": "OPENCV", "fl_x": focal, "fl_y": focal, "cx": size / 2, "cy": size / 2, "w": size, "h": size,
            "frames": frames}
    (root / "transforms.json").write_text(json.dumps(meta))
    return root


def make_blender_scene(root: Path, views: int = 6, size: int = 16, splits=("train", "val", "test")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for s, split in enumerate(splits):
        frames = []
        for i in range(views):
            _write_image(root / split / f"r_{i}.png", size, 100 * s + i)
            angle = 2 * math.pi * (i + 0.5 * s) / views
            frames.append({"file_path": f"./{split}/r_{i}", "transform_matrix": look_at_origin(angle)})
        (root / f"transforms_{split}.json").write_text(json.dumps({"camera_angle_x": 0.7, "frames": frames}))
    return root


def tiny_trainer_config(method: str, data: Path, output_dir: Path, steps: int = 4, encoding: Optional[str] = None):
    """The registered method's config, shrunk to seconds on a CPU, with no viewer and no eval during training."""
    from muon_nerf.nerf.runs import prepare_config

    config = prepare_config(
        method,
        data,
        output_dir,
        steps,
        train_rays=64,
        encoding=encoding,
        timestamp=f"{method}-{encoding or 'default'}-{steps}",
        trunk_depth=3,
        trunk_width=32,
        skip_connections=(2,),
        color_width=16,
        num_nerf_samples_per_ray=8,
        num_proposal_samples_per_ray=(16,),
        num_proposal_iterations=1,
        proposal_net_args_list=[{"hidden_dim": 8, "log2_hashmap_size": 10, "num_levels": 2, "max_res": 32}],
        eval_num_rays_per_chunk=1024,
        rank_log_every=2,
    )
    if encoding == "hash":
        model = config.pipeline.model
        model.encoding = dataclasses.replace(model.encoding, hash_num_levels=2, hash_max_res=32, hash_log2_size=10)
    config.steps_per_save = 1000
    return config


def train_in_process(config):
    """What ``ns-train`` does after parsing the CLI: set up the trainer and run it."""
    from muon_nerf.nerf.runs import train

    return train(config)
