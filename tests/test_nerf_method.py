"""The muon-nerf nerfstudio plugin: registration, training, optimizer split, checkpoints, eval, render."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch

pytest.importorskip("nerfstudio")

from nerf_fixtures import tiny_trainer_config, train_in_process  # noqa: E402

from muon_nerf.nerf.errors import TrainingDivergedError  # noqa: E402


def test_methods_and_dataparser_are_registered():
    from nerfstudio.configs.dataparser_configs import all_dataparsers
    from nerfstudio.configs.method_configs import all_methods

    for name in ("muon-nerf", "muon-nerf-adam", "muon-nerf-cpu", "muon-nerf-adam-cpu"):
        assert name in all_methods
        assert all_methods[name].vis in ("viewer+tensorboard", "tensorboard")
    assert "muon-nerf-data" in all_dataparsers
    assert "blender-data" in all_dataparsers and "nerfstudio-data" in all_dataparsers


def _hidden_weight_names(model):
    return set(model._partition.muon_names)


def test_muon_group_holds_only_hidden_weights(trained_muon):
    model = trained_muon.pipeline.model
    groups = trained_muon.optimizers.parameters
    field_names = {id(p): n for n, p in model.field.named_parameters()}
    muon_names = {field_names[id(p)] for p in groups["muon"]}
    assert muon_names == _hidden_weight_names(model)
    assert muon_names, "muon-nerf must train some hidden layer with Muon"
    for name in muon_names:
        assert name.endswith(".weight") and not name.startswith(("trunk.0.", "density_head", "rgb_head"))
    from muon_nerf.optim import MuonAdam

    assert isinstance(trained_muon.optimizers.optimizers["muon"], MuonAdam)
    assert all(g["use_muon"] for g in trained_muon.optimizers.optimizers["muon"].param_groups)
    assert not isinstance(trained_muon.optimizers.optimizers["fields"], MuonAdam)


def test_adam_baseline_with_hash_has_no_muon_and_tables_on_adam(trained_adam_blender):
    model = trained_adam_blender.pipeline.model
    groups = trained_adam_blender.optimizers.parameters
    assert "muon" not in groups
    tables = [n for n, _ in model.field.named_parameters() if n.startswith("position_encoding.")]
    assert tables, "hash encoding should have trainable tables"
    assert not set(tables) & set(model._partition.muon_names)
    assert model._partition.muon_names, "the eligible hidden layers are still tracked for rank logging"


def test_learning_rates_decay_and_rank_is_logged(trained_muon):
    for name, optimizer in trained_muon.optimizers.optimizers.items():
        scheduler = trained_muon.optimizers.schedulers[name]
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs):
            assert group["lr"] < base, f"{name} did not decay"
    assert trained_muon.pipeline.model.live_rank.mean_stable_rank.value > 1.0


def test_checkpoint_loads_with_weights_only(trained_muon):
    checkpoints = sorted(trained_muon.checkpoint_dir.glob("*.ckpt"))
    state = torch.load(checkpoints[-1], map_location="cpu", weights_only=True)
    assert state["step"] == 3


def test_resume_continues_from_saved_step(trained_muon, nerfstudio_scene, nerf_workdir):
    config = tiny_trainer_config("muon-nerf-cpu", nerfstudio_scene, nerf_workdir / "resumed", steps=2)
    config.load_dir = trained_muon.checkpoint_dir
    trainer = train_in_process(config)
    assert trainer._start_step == 4
    assert trainer.step == 5
    assert (trainer.checkpoint_dir / "step-000000005.ckpt").exists()


def test_outputs_have_rgb_accumulation_depth(trained_muon):
    pipeline = trained_muon.pipeline
    pipeline.eval()
    camera = pipeline.datamanager.eval_dataset.cameras[0:1].to(pipeline.device)
    with torch.no_grad():
        outputs = pipeline.model.get_outputs_for_camera(camera)
    for key in ("rgb", "accumulation", "depth"):
        assert key in outputs and torch.isfinite(outputs[key]).all()
    assert outputs["rgb"].shape[-1] == 3
    pipeline.train()


def test_ns_eval_writes_psnr_ssim(trained_muon, nerf_workdir):
    from nerfstudio.scripts.eval import ComputePSNR

    output = nerf_workdir / "eval.json"
    ComputePSNR(load_config=trained_muon.base_dir / "config.yml", output_path=output).main()
    results = json.loads(output.read_text())["results"]
    assert math.isfinite(results["psnr"]) and 0.0 <= results["ssim"] <= 1.0
    assert "lpips" in results or results.get("lpips_skipped") == 1.0


def test_ns_render_interpolate_writes_video_and_frames(trained_muon, nerf_workdir):
    from nerfstudio.scripts.render import RenderInterpolated

    assert shutil.which("ffmpeg"), "importing the plugin should have put an ffmpeg on PATH"
    config_path = trained_muon.base_dir / "config.yml"
    video = nerf_workdir / "render" / "interp.mp4"
    RenderInterpolated(load_config=config_path, output_path=video, pose_source="train", interpolation_steps=2, frame_rate=4).main()
    assert video.exists() and video.stat().st_size > 0
    frames = nerf_workdir / "render" / "frames"
    RenderInterpolated(
        load_config=config_path, output_path=frames, pose_source="train", interpolation_steps=1, output_format="images",
        rendered_output_names=["rgb", "depth"],
    ).main()
    assert list(frames.rglob("*.jpg"))


def test_blender_scene_trains_via_auto_detection(trained_adam_blender):
    outputs = trained_adam_blender.pipeline.datamanager.train_dataparser_outputs
    assert len(outputs.image_filenames) == 6
    assert trained_adam_blender.pipeline.datamanager.eval_dataset is not None


def test_nan_stops_training_without_checkpoint(nerfstudio_scene, nerf_workdir):
    config = tiny_trainer_config("muon-nerf-cpu", nerfstudio_scene, nerf_workdir / "diverged", steps=3)
    config.steps_per_save = 1
    trainer = config.setup(local_rank=0, world_size=1)
    trainer.setup()
    with torch.no_grad():
        trainer.pipeline.model.field.trunk[1].weight.fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match="step 0.*learning rate"):
        trainer.train()
    assert not list(trainer.checkpoint_dir.glob("*.ckpt"))


@pytest.mark.parametrize("encoding", ["pe", "fourier"])
def test_other_encodings_train_with_first_layer_on_adam(encoding, nerfstudio_scene, nerf_workdir):
    config = tiny_trainer_config("muon-nerf-cpu", nerfstudio_scene, nerf_workdir / f"enc-{encoding}", steps=2, encoding=encoding)
    trainer = train_in_process(config)
    model = trainer.pipeline.model
    assert "trunk.0.weight" in model._partition.adam_names
    assert "trunk.1.weight" in model._partition.muon_names
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_viewer_finds_live_rank_panel(trained_muon):
    from nerfstudio.viewer.utils import parse_object
    from nerfstudio.viewer.viewer_elements import ViewerElement

    elements = dict(parse_object(trained_muon.pipeline, ViewerElement, "Custom Elements"))
    rank_paths = [path for path in elements if "/live_rank/" in path]
    hidden = trained_muon.pipeline.model._partition.muon_names
    assert len(rank_paths) == 1 + 2 * len(hidden)  # mean + stable/effective per hidden layer
    values = [elements[p].value for p in rank_paths]
    assert all(v > 0 for v in values)
