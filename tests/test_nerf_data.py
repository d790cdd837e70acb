"""Scene detection and the one-line errors for unusable scenes, raised before any training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("nerfstudio")

from nerf_fixtures import make_blender_scene, make_nerfstudio_scene  # noqa: E402
from PIL import Image  # noqa: E402

from muon_nerf.nerf.dataparser import AutoFormatDataParserConfig  # noqa: E402
from muon_nerf.nerf.errors import InvalidSceneError  # noqa: E402
from muon_nerf.nerf.scene_checks import detect_scene_format  # noqa: E402


def _parse(data: Path, split: str = "train"):
    return AutoFormatDataParserConfig(data=data).setup().get_dataparser_outputs(split=split)


def test_detects_both_formats(tmp_path):
    assert detect_scene_format(make_nerfstudio_scene(tmp_path / "ns")) == "nerfstudio"
    assert detect_scene_format(make_blender_scene(tmp_path / "bl")) == "blender"
    assert detect_scene_format(tmp_path / "ns" / "transforms.json") == "nerfstudio"


def test_parses_both_formats(tmp_path):
    assert len(_parse(make_nerfstudio_scene(tmp_path / "ns")).image_filenames) == 9
    blender = make_blender_scene(tmp_path / "bl")
    assert len(_parse(blender).image_filenames) == 6
    assert len(_parse(blender, "test").image_filenames) == 6


def test_blender_val_falls_back_to_test_but_eval_needs_test(tmp_path):
    only_test = make_blender_scene(tmp_path / "a", splits=("train", "test"))
    assert len(_parse(only_test, "val").image_filenames) == 6
    no_test = make_blender_scene(tmp_path / "b", splits=("train", "val"))
    with pytest.raises(InvalidSceneError, match="transforms_test.json"):
        _parse(no_test, "test")


def _one_line(error: InvalidSceneError) -> str:
    message = str(error)
    assert "\n" not in message and message.startswith("muon-nerf: invalid scene")
    return message


def test_missing_folder(tmp_path):
    with pytest.raises(InvalidSceneError, match="does not exist") as info:
        _parse(tmp_path / "nope")
    _one_line(info.value)


def test_no_transforms_file(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidSceneError, match="neither transforms.json") as info:
        _parse(tmp_path / "empty")
    _one_line(info.value)


def _edit_transforms(scene: Path, edit) -> None:
    path = scene / "transforms.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def test_missing_image(tmp_path):
    scene = make_nerfstudio_scene(tmp_path / "s")
    (scene / "images" / "frame_003.png").unlink()
    with pytest.raises(InvalidSceneError, match="frame_003.png, which does not exist") as info:
        _parse(scene)
    _one_line(info.value)


def test_missing_image_blender(tmp_path):
    scene = make_blender_scene(tmp_path / "s")
    (scene / "train" / "r_2.png").unlink()
    with pytest.raises(InvalidSceneError, match="r_2.png, which does not exist"):
        _parse(scene)


def test_inconsistent_image_sizes(tmp_path):
    scene = make_nerfstudio_scene(tmp_path / "s")
    Image.new("RGB", (20, 16), "white").save(scene / "images" / "frame_005.png")
    with pytest.raises(InvalidSceneError, match="20x16") as info:
        _parse(scene)
    _one_line(info.value)


def test_inconsistent_image_sizes_without_declared_size(tmp_path):
    scene = make_blender_scene(tmp_path / "s")
    Image.new("RGB", (20, 16), "white").save(scene / "train" / "r_1.png")
    with pytest.raises(InvalidSceneError, match="inconsistent size"):
        _parse(scene)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_pose(tmp_path, bad):
    scene = make_nerfstudio_scene(tmp_path / "s")
    _edit_transforms(scene, lambda meta: meta["frames"][4]["transform_matrix"][0].__setitem__(3, bad))
    with pytest.raises(InvalidSceneError, match="frame 4 .*non-finite") as info:
        _parse(scene)
    _one_line(info.value)
