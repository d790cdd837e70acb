"""Session fixtures for the NeRF tests (pytest shares them with every test module; helpers are in nerf_fixtures)."""

from __future__ import annotations

import pytest

from nerf_fixtures import make_blender_scene, make_nerfstudio_scene, tiny_trainer_config, train_in_process


@pytest.fixture(scope="session")
def nerf_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("nerf")


@pytest.fixture(scope="session")
def nerfstudio_scene(nerf_workdir):
    return make_nerfstudio_scene(nerf_workdir / "ns_scene")


@pytest.fixture(scope="session")
def blender_scene(nerf_workdir):
    return make_blender_scene(nerf_workdir / "blender_scene")


@pytest.fixture(scope="session")
def trained_muon(nerfstudio_scene, nerf_workdir):
    """muon-nerf-cpu shrunk to 4 steps on the nerfstudio scene; its checkpoint serves eval/render/resume."""
    config = tiny_trainer_config("muon-nerf-cpu", nerfstudio_scene, nerf_workdir / "outputs", steps=4)
    return train_in_process(config)


@pytest.fixture(scope="session")
def trained_adam_blender(blender_scene, nerf_workdir):
    """The Adam baseline on the Blender scene with a hash encoding (tables must stay on Adam)."""
    config = tiny_trainer_config("muon-nerf-adam-cpu", blender_scene, nerf_workdir / "outputs", steps=3, encoding="hash")
    return train_in_process(config)
