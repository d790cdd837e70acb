"""Catch unusable scenes before training: each problem becomes one line naming the file at fault.

nerfstudio's parsers fail late and obscurely (a KeyError mid-load, a shape error in the collate,
NaN rays after minutes of training); these checks read only the JSON and image headers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Literal, Optional, Tuple

from PIL import Image

from muon_nerf.nerf.errors import InvalidSceneError

SceneFormat = Literal["nerfstudio", "blender"]


def detect_scene_format(data: Path) -> SceneFormat:
    """nerfstudio if ``transforms.json`` is there (or ``data`` is a .json file), Blender if ``transforms_train.json``."""
    if not data.exists():
        raise InvalidSceneError(f"data folder {data} does not exist")
    if data.is_file():
        if data.suffix == ".json":
            return "nerfstudio"
        raise InvalidSceneError(f"{data} is a file; pass the scene folder or its transforms.json")
    if (data / "transforms.json").exists():
        return "nerfstudio"
    if (data / "transforms_train.json").exists():
        return "blender"
    raise InvalidSceneError(
        f"{data} has neither transforms.json (nerfstudio format) nor transforms_train.json (Blender format)"
    )


def _load_json(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidSceneError(f"cannot read {path}: {error}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("frames"), list) or not meta["frames"]:
        raise InvalidSceneError(f"{path} has no 'frames' list (or it is empty)")
    return meta


def _check_pose(frame: dict, index: int, source: Path) -> None:
    matrix = frame.get("transform_matrix")
    rows = matrix if isinstance(matrix, list) else None
    ok_shape = rows is not None and len(rows) in (3, 4) and all(isinstance(r, list) and len(r) == 4 for r in rows)
    if not ok_shape:
        raise InvalidSceneError(f"frame {index} of {source} has no 3x4/4x4 transform_matrix")
    try:
        values = [float(v) for row in rows for v in row]
    except (TypeError, ValueError):
        raise InvalidSceneError(f"frame {index} of {source} has a non-numeric transform_matrix") from None
    if not all(math.isfinite(v) for v in values):
        raise InvalidSceneError(f"frame {index} of {source} has a non-finite (NaN/inf) transform_matrix")


def _check_images(
    frames: Iterable[Tuple[int, Path, Optional[Tuple[int, int]]]], source: Path
) -> None:
    """Every image exists, matches its declared (w, h) if any, and all undeclared ones share one size."""
    first: Optional[Tuple[Path, Tuple[int, int]]] = None
    for index, image_path, declared in frames:
        if not image_path.is_file():
            raise InvalidSceneError(f"frame {index} of {source} names {image_path}, which does not exist")
        try:
            with Image.open(image_path) as image:
                size = image.size
        except OSError as error:
            raise InvalidSceneError(f"cannot read image {image_path}: {error}") from None
        if declared is not None and size != declared:
            raise InvalidSceneError(
                f"image {image_path} is {size[0]}x{size[1]} but {source.name} says {declared[0]}x{declared[1]}"
            )
        if declared is None:
            if first is None:
                first = (image_path, size)
            elif size != first[1]:
                raise InvalidSceneError(
                    f"images of inconsistent size: {image_path} is {size[0]}x{size[1]}, "
                    f"{first[0]} is {first[1][0]}x{first[1][1]}"
                )


def _declared_size(frame: dict, meta: dict) -> Optional[Tuple[int, int]]:
    w, h = frame.get("w", meta.get("w")), frame.get("h", meta.get("h"))
    return (int(w), int(h)) if w is not None and h is not None else None


def check_nerfstudio_scene(data: Path) -> None:
    transforms = data if data.is_file() else data / "transforms.json"
    meta = _load_json(transforms)
    root = transforms.parent
    for index, frame in enumerate(meta["frames"]):
        if "file_path" not in frame:
            raise InvalidSceneError(f"frame {index} of {transforms} has no file_path")
        _check_pose(frame, index, transforms)
    # With w/h declared everywhere nerfstudio allows per-frame sizes; otherwise all must agree.
    declared_everywhere = all(_declared_size(f, meta) is not None for f in meta["frames"])
    _check_images(
        (
            (i, root / f["file_path"], _declared_size(f, meta) if declared_everywhere else None)
            for i, f in enumerate(meta["frames"])
        ),
        transforms,
    )


def blender_split_file(data: Path, split: str) -> Path:
    """The transforms file for a split; evaluation during training ("val") falls back to the test split."""
    candidates = ["val", "test"] if split == "val" else [split]
    for name in candidates:
        path = data / f"transforms_{name}.json"
        if path.exists():
            return path
    if split == "train":
        raise InvalidSceneError(f"{data} has no transforms_train.json")
    raise InvalidSceneError(f"Blender evaluation needs transforms_test.json in {data} (found none)")


def blender_image_path(data: Path, file_path: str) -> Path:
    """Where nerfstudio's Blender parser looks: ``file_path`` without './', plus '.png'."""
    return data / Path(file_path.replace("./", "") + ".png")


def check_blender_split(data: Path, transforms: Path) -> None:
    meta = _load_json(transforms)
    if "camera_angle_x" not in meta:
        raise InvalidSceneError(f"{transforms} has no camera_angle_x")
    for index, frame in enumerate(meta["frames"]):
        if "file_path" not in frame:
            raise InvalidSceneError(f"frame {index} of {transforms} has no file_path")
        _check_pose(frame, index, transforms)
    _check_images(((i, blender_image_path(data, f["file_path"]), None) for i, f in enumerate(meta["frames"])), transforms)


