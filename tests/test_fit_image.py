"""fit_image end to end: the paper's mechanism on a tiny image, outputs, and user mistakes."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from muon_nerf.config import OptimConfig
from muon_nerf.errors import InputError
from muon_nerf.image_fitting import FitImageConfig, fit_image
from muon_nerf.images import load_image
from muon_nerf.inr import InrConfig

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, name: str, optimizer: str, **overrides) -> dict:
    config = FitImageConfig(
        resize=32, steps=400, rank_every=100, progress=False, output_dir=tmp_path / name,
        model=InrConfig(width=128, depth=5), optim=OptimConfig(optimizer=optimizer), **overrides,
    )
    return fit_image(config)


@pytest.fixture(scope="module")
def adam_and_muon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    return tmp, run(tmp, "adam", "adam"), run(tmp, "muon", "muon")


def test_muon_keeps_rank_high_and_fits_better(adam_and_muon):
    """The paper's mechanism: Adam's hidden layers collapse in stable rank, Muon's do not."""
    _, adam, muon = adam_and_muon
    assert adam["mean_stable_rank"] < 0.5 * muon["mean_stable_rank"], (adam["mean_stable_rank"], muon["mean_stable_rank"])
    assert muon["psnr"] > adam["psnr"] + 6.0, (adam["psnr"], muon["psnr"])


def test_outputs_are_written(adam_and_muon):
    tmp, _, muon = adam_and_muon
    out = tmp / "muon"
    for name in ["reconstruction.png", "comparison.png", "stable_rank.png", "metrics.json", "rank_history.json"]:
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["psnr"] == pytest.approx(muon["psnr"])
    assert metrics["optimizer"] == "muon" and metrics["steps"] == 400
    assert metrics["config"]["optim"]["muon_lr"] == OptimConfig().muon_lr
    assert set(metrics["stable_rank"]) == {"layers.2.weight", "layers.4.weight", "layers.6.weight"}
    assert cv2.imread(str(out / "reconstruction.png")).shape == (32, 32, 3)
    history = json.loads((out / "rank_history.json").read_text())
    assert history["steps"] == [0, 100, 200, 300, 400]
    assert not list(tmp.glob(".*partial")), "no staging folder may be left behind"


def test_minibatch_and_encodings_train(tmp_path):
    for arch in ["relu-pe", "relu-fourier"]:
        m = fit_image(FitImageConfig(resize=16, steps=20, batch_size=64, progress=False, output_dir=tmp_path / arch,
                                     model=InrConfig(arch=arch, width=32, depth=4)))
        assert m["psnr"] > 5 and m["arch"] == arch


def test_image_formats(tmp_path):
    gray16 = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), gray16)
    img = load_image(tmp_path / "g16.png")
    assert img.shape == (64, 64, 1) and img.dtype == np.float32 and img.max() == pytest.approx(1.0)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGR(A) order, fully transparent
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    assert np.allclose(load_image(tmp_path / "rgba.png"), 1.0), "transparent pixels composite onto white"
    rgba[..., 3] = 255
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    assert np.allclose(load_image(tmp_path / "rgba.png")[0, 0], [1, 0, 0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.png", "no such image file"),
        (lambda p: (p / "notes.txt").write_text("hello") and p / "notes.txt", "not a readable image"),
    ],
)
def test_bad_image_paths(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        fit_image(FitImageConfig(image=make(tmp_path), output_dir=tmp_path / "out", progress=False))
    assert not (tmp_path / "out").exists()


def test_partition_without_hidden_layer_is_a_user_error(tmp_path):
    with pytest.raises(InputError, match="no parameters"):
        fit_image(FitImageConfig(resize=16, steps=1, progress=False, output_dir=tmp_path / "x",
                                 model=InrConfig(width=16, depth=3), optim=OptimConfig(muon_exclude=("*",))))
    assert not (tmp_path / "x").exists()


def test_cli_errors_are_one_line(tmp_path):
    script = str(ROOT / "scripts" / "fit_image.py")
    bad_path = subprocess.run([sys.executable, script, "--image", str(tmp_path / "nope.png"),
                               "--output-dir", str(tmp_path / "o")], capture_output=True, text=True)
    assert bad_path.returncode == 2
    assert bad_path.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.png'}: no such image file"]
    bad_optimizer = subprocess.run([sys.executable, script, "--optim.optimizer", "sgd"], capture_output=True, text=True)
    assert bad_optimizer.returncode != 0 and "sgd" in bad_optimizer.stderr and "Traceback" not in bad_optimizer.stderr
    assert not (tmp_path / "o").exists()
