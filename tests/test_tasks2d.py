"""The 2D tasks end to end on tiny images: inpainting never sees held-out pixels, SISR's operator is
the standard area downsampling, user mistakes are one-line errors, compare/bench write reports."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from skimage.transform import downscale_local_mean

from muon_nerf.errors import InputError
from muon_nerf.inr import InrConfig
from muon_nerf.lpips import alexnet_checkpoint, lpips_metrics
from muon_nerf.tasks2d import ImageTaskConfig, InpaintTaskConfig, SuperResolutionConfig, run_task
from muon_nerf.tasks2d.common import pixel_grid
from muon_nerf.tasks2d.inpaint import split_pixels
from muon_nerf.tasks2d.sisr import area_downsample

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(steps=20, rank_every=10, progress=False, lpips=False, model=InrConfig(width=24, depth=4))


def test_inpainting_split_is_a_seeded_partition():
    train, heldout = split_pixels(400, 0.25, seed=3)
    assert len(train) == 100 and len(heldout) == 300
    assert set(train.tolist()).isdisjoint(heldout.tolist())
    assert sorted(train.tolist() + heldout.tolist()) == list(range(400))
    assert torch.equal(split_pixels(400, 0.25, seed=3)[0], train)
    assert not torch.equal(split_pixels(400, 0.25, seed=4)[0], train)


class RecordingModel(torch.nn.Module):
    """Remembers every coordinate it is evaluated at."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(3))
        self.seen: list[torch.Tensor] = []

    def forward(self, coords):
        self.seen.append(coords.detach().clone())
        return coords[:, :1].expand(-1, 3) * 0 + self.bias


def test_inpainting_never_trains_on_heldout_pixels():
    config = InpaintTaskConfig(resize=20, keep_fraction=0.3, seed=5, **TINY)
    problem = config.build_problem(torch.device("cpu"))
    model = RecordingModel()
    loss_at = problem.make_loss(model)
    loss_at(0).backward()
    seen = torch.cat(model.seen)
    h, w = problem.ground_truth.shape[:2]
    col = torch.round((seen[:, 0] + 1) / 2 * (w - 1)).long()
    row = torch.round((seen[:, 1] + 1) / 2 * (h - 1)).long()
    assert torch.allclose(pixel_grid(h, w, torch.device("cpu"))[row * w + col], seen)
    seen_index = set((row * w + col).tolist())
    train, heldout = split_pixels(h * w, 0.3, seed=5)
    assert seen_index == set(train.tolist())
    assert seen_index.isdisjoint(heldout.tolist())


def test_inpainting_end_to_end(tmp_path):
    metrics = run_task(InpaintTaskConfig(resize=16, keep_fraction=0.5, output_dir=tmp_path / "ip", **TINY)).metrics
    assert metrics["train_pixels"] == 128 and metrics["heldout_pixels"] == 128
    assert metrics["psnr_train"] > 0 and metrics["psnr_heldout"] > 0
    assert (tmp_path / "ip" / "input_observed.png").is_file() and (tmp_path / "ip" / "input_mask.png").is_file()
    with pytest.raises(InputError, match="between 0 and 1"):
        run_task(InpaintTaskConfig(resize=16, keep_fraction=1.0, output_dir=tmp_path / "bad", **TINY))
    assert not (tmp_path / "bad").exists()


def test_sisr_operator_is_area_downsampling():
    image = np.random.default_rng(0).random((32, 24, 3)).astype(np.float32)
    ours = area_downsample(torch.from_numpy(image), 4).numpy()
    assert ours.shape == (8, 6, 3)
    assert np.allclose(ours, downscale_local_mean(image, (4, 4, 1)), atol=1e-6)
    assert np.allclose(ours, cv2.resize(image, (6, 8), interpolation=cv2.INTER_AREA), atol=1e-6)


def test_sisr_end_to_end(tmp_path):
    metrics = run_task(SuperResolutionConfig(resize=34, factor=4, output_dir=tmp_path / "sr", **TINY)).metrics
    assert metrics["image_size"] == [32, 32, 3], "trimmed to a multiple of the factor, scored at full resolution"
    assert cv2.imread(str(tmp_path / "sr" / "input_low_resolution.png")).shape == (8, 8, 3)
    assert cv2.imread(str(tmp_path / "sr" / "reconstruction.png")).shape == (32, 32, 3)
    assert 5 < metrics["baselines"]["bicubic_psnr"] < 40 and metrics["psnr_low_resolution"] > 0


def test_image_crop_and_huge_resize(tmp_path):
    metrics = run_task(ImageTaskConfig(resize=20, crop=12, output_dir=tmp_path / "crop", **TINY)).metrics
    assert metrics["image_size"] == [12, 12, 3]
    with pytest.raises(InputError, match="larger than"):
        run_task(ImageTaskConfig(resize=20, crop=40, output_dir=tmp_path / "c2", **TINY))
    with pytest.raises(InputError, match="GiB for full-batch training"):
        run_task(ImageTaskConfig(resize=200_000, output_dir=tmp_path / "huge", **TINY))
    assert not (tmp_path / "c2").exists() and not (tmp_path / "huge").exists()


@pytest.mark.parametrize("args, needle", [(["nope"], "nope"), (["image", "--model.arch", "mlp"], "mlp")])
def test_cli_rejects_unknown_task_and_architecture(tmp_path, args, needle):
    command = [sys.executable, str(ROOT / "scripts" / "fit_2d.py"), *args, "--output-dir", str(tmp_path / "o")]
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode != 0 and needle in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_lpips_is_skipped_without_local_weights_and_computed_with_them(tmp_path, monkeypatch):
    image = np.random.default_rng(0).random((40, 40, 1)).astype(np.float32)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    skipped = lpips_metrics(image, image)
    assert skipped == {"lpips": None, "lpips_skipped": "AlexNet weights not in the torch hub cache"}
    assert lpips_metrics(image[:16, :16], image[:16, :16])["lpips"] is None
    import torchvision

    checkpoint = alexnet_checkpoint()
    checkpoint.parent.mkdir(parents=True)
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), checkpoint)  # stand-in, not ImageNet
    same = lpips_metrics(image, image)["lpips"]
    different = lpips_metrics(image, np.clip(image + 0.3 * np.random.default_rng(1).random(image.shape), 0, 1))["lpips"]
    assert same == pytest.approx(0.0, abs=1e-6) and different > same


def test_compare_writes_one_report(tmp_path):
    out = tmp_path / "cmp"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare.py"), "--archs", "relu", "siren",
                          "--output-dir", str(out), "task:image", "--task.resize", "12", "--task.steps", "5",
                          "--task.model.width", "16", "--task.model.depth", "3", "--task.no-progress"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    report = (out / "report.md").read_text()
    assert "Δ dB (muon − adam)" in report and "| siren |" in report and "| relu |" in report
    rows = json.loads((out / "report.json").read_text())["rows"]
    for row in rows:
        assert row["delta_db"] == pytest.approx(row["muon"]["psnr"] - row["adam"]["psnr"])
    for name in ["grid.png", "stable_rank_relu.png", "stable_rank_siren.png", "runs/siren-muon/metrics.json"]:
        assert (out / name).is_file(), name


def test_bench_reports_a_table(tmp_path):
    out = tmp_path / "bench"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_2d.py"), "--images", "camera", "--archs",
                          "relu", "--size", "12", "--steps", "3", "--width", "8", "--depth", "3",
                          "--output-dir", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "camera" in run.stdout and "relu" in run.stdout and ">= +6" in run.stdout
    bench = json.loads((out / "bench.json").read_text())
    assert bench["protocol"]["size"] == 12 and set(bench["images"]) == {"camera"}
    assert (out / "camera" / "report.md").is_file()
