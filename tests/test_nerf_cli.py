"""ns-train's command line resolves our methods and dataparsers (parsed in-process, no subprocess)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("nerfstudio")

from nerf_fixtures import make_blender_scene, make_nerfstudio_scene  # noqa: E402


def _parse(args):
    import tyro
    from nerfstudio.configs.method_configs import AnnotatedBaseConfigUnion

    return tyro.cli(AnnotatedBaseConfigUnion, args=args)


def test_default_dataparser_is_auto_detecting(tmp_path):
    from muon_nerf.nerf.dataparser import AutoFormatDataParserConfig

    scene = make_nerfstudio_scene(tmp_path / "s")
    config = _parse(["muon-nerf", "--data", str(scene)])
    assert isinstance(config.pipeline.datamanager.dataparser, AutoFormatDataParserConfig)
    assert config.method_name == "muon-nerf"
    assert config.optimizers["muon"]["optimizer"].lr > 0


def test_explicit_nerfstudio_and_blender_subcommands_still_work(tmp_path):
    from nerfstudio.data.dataparsers.blender_dataparser import BlenderDataParserConfig
    from nerfstudio.data.dataparsers.nerfstudio_dataparser import NerfstudioDataParserConfig

    ns_scene = make_nerfstudio_scene(tmp_path / "ns")
    config = _parse(["muon-nerf-adam", "--data", str(ns_scene), "nerfstudio-data"])
    assert type(config.pipeline.datamanager.dataparser) is NerfstudioDataParserConfig
    blender = make_blender_scene(tmp_path / "bl")
    config = _parse(["muon-nerf-cpu", "--data", str(blender), "blender-data"])
    assert type(config.pipeline.datamanager.dataparser) is BlenderDataParserConfig
    # and those parsers really load the scenes
    config.pipeline.datamanager.dataparser.data = blender
    assert len(config.pipeline.datamanager.dataparser.setup().get_dataparser_outputs("train").image_filenames) == 6


def test_plugin_import_puts_ffmpeg_on_path():
    import muon_nerf.nerf  # noqa: F401
    from muon_nerf.nerf.ffmpeg import ensure_ffmpeg_on_path

    assert ensure_ffmpeg_on_path() is not None
    assert shutil.which("ffmpeg") is not None
