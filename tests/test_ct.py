"""The CT projector against scikit-image, its adjoint, slice loading and the CT task's errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.data import shepp_logan_phantom
from skimage.transform import radon, resize

from muon_nerf.ct import ParallelBeamProjector, load_slice, projection_angles
from muon_nerf.errors import InputError
from muon_nerf.inr import InrConfig
from muon_nerf.tasks2d import CtTaskConfig, run_task

ROOT = Path(__file__).resolve().parents[1]


def phantom(size: int) -> np.ndarray:
    return resize(shepp_logan_phantom(), (size, size), anti_aliasing=True).astype(np.float32)


@pytest.mark.parametrize("size", [64, 65])
@pytest.mark.parametrize("circle", [True, False])
def test_projector_matches_skimage_radon(size, circle):
    """Same geometry and interpolation as skimage: relative L2 error below 1e-5 (measured ~1e-7,
    float32 rounding of the sampling grid)."""
    image = phantom(size)
    angles = projection_angles(40)
    reference = radon(image.astype(np.float64), angles, circle=circle)  # detector x angles
    ours = ParallelBeamProjector(size, angles, circle)(torch.from_numpy(image)).double().numpy().T
    assert ours.shape == reference.shape
    assert np.linalg.norm(ours - reference) / np.linalg.norm(reference) < 1e-5


@pytest.mark.parametrize("circle", [True, False])
def test_backprojector_is_the_adjoint(circle):
    """Dot-product test <A x, y> = <x, A^T y> with random x and y."""
    generator = torch.Generator().manual_seed(0)
    projector = ParallelBeamProjector(48, projection_angles(30), circle)
    x = torch.rand(48, 48, generator=generator)
    y = torch.rand(30, projector.detector_bins, generator=generator)
    forward = (projector(x) * y).sum().double()
    adjoint = (x * projector.backproject(y)).sum().double()
    assert abs(forward - adjoint) / abs(forward) < 1e-5
    assert projector.backproject(y).shape == (48, 48)


def test_too_few_angles_is_a_user_error(tmp_path):
    with pytest.raises(InputError, match="at least 2 projection angles"):
        projection_angles(1)
    out = tmp_path / "ct"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_2d.py"), "ct", "--angles", "1",
                          "--output-dir", str(out)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["error: --angles 1: a CT reconstruction needs at least 2 projection angles"]
    assert not out.exists()


def test_dicom_slices_load_and_dicom_without_pixels_is_refused(tmp_path):
    import pydicom
    from pydicom.data import get_testdata_file

    path = Path(get_testdata_file("CT_small.dcm"))
    values = load_slice(path)
    assert values.shape == (128, 128) and values.min() == 0.0 and values.max() == 1.0
    dataset = pydicom.dcmread(path)
    raw = dataset.pixel_array.astype(np.float32) * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
    assert np.allclose(values, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)
    del dataset.PixelData
    empty = tmp_path / "empty.dcm"
    dataset.save_as(empty)
    with pytest.raises(InputError, match="no pixel data"):
        load_slice(empty)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_2d.py"), "ct", "--image", str(empty),
                          "--output-dir", str(out)], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [f"error: {empty}: DICOM file has no pixel data"]
    assert not out.exists()


def test_numpy_and_image_slices(tmp_path):
    array = np.arange(12 * 16, dtype=np.float64).reshape(12, 16)
    np.save(tmp_path / "s.npy", array)
    values = load_slice(tmp_path / "s.npy")
    assert values.shape == (12, 12) and values.min() == 0.0 and values.max() == 1.0  # centre-cropped square
    np.save(tmp_path / "flat.npy", np.ones((8, 8)))
    with pytest.raises(InputError, match="constant"):
        load_slice(tmp_path / "flat.npy")
    np.save(tmp_path / "vol.npy", np.ones((2, 8, 8)))
    with pytest.raises(InputError, match="2-D array"):
        load_slice(tmp_path / "vol.npy")


def test_ct_task_end_to_end(tmp_path):
    config = CtTaskConfig(resize=24, angles=12, steps=40, rank_every=20, progress=False, output_dir=tmp_path / "ct",
                          model=InrConfig(width=32, depth=4))
    metrics = run_task(config).metrics
    out = tmp_path / "ct"
    for name in ["reconstruction.png", "comparison.png", "stable_rank.png", "metrics.json", "config.json",
                 "input_sinogram.png", "input_fbp.png"]:
        assert (out / name).is_file(), name
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["task"] == "ct" and saved["angles"] == 12 and saved["image_size"] == [24, 24, 1]
    assert 0 < saved["baselines"]["fbp_psnr"] < 60
    assert saved["lpips"] is None and saved["lpips_skipped"]
    assert 0 < metrics["sinogram_relative_residual"] < 1
    assert metrics["psnr"] > 10
