"""fit_volume: formats and their geometry, held-out slices, a tiny end-to-end fit, user mistakes."""

import json
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

import muon_nerf.volume.fitting as volume_fitting
from muon_nerf.config import OptimConfig
from muon_nerf.errors import InputError
from muon_nerf.inr import InrConfig
from muon_nerf.volume.fitting import FitVolumeConfig, fit_volume
from muon_nerf.volume.holdout import heldout_slices, split_voxels, voxel_coordinates
from muon_nerf.volume.intensity import IntensityWindow
from muon_nerf.volume.volume_io import load_volume, save_volume

ROOT = Path(__file__).resolve().parents[1]
AFFINE = np.array([[0.0, -1.2, 0.0, 30.0], [0.9, 0.0, 0.0, -20.0], [0.0, 0.0, 2.5, 7.0], [0, 0, 0, 1]])


def phantom(shape=(20, 18, 12)) -> np.ndarray:
    """A smooth blob plus a ramp: easy to fit, with structure along every axis."""
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    return (100 * np.exp(-3 * (grid**2).sum(0)) + 20 * grid[2]).astype(np.float32)


def write_dicom_series(folder: Path, volume: np.ndarray, series_uid: str | None = None, start: int = 0) -> None:
    """One MR file per slice of ``volume`` (slice, row, col), stacked along +z, in shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    for k in np.random.default_rng(0).permutation(len(volume)):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = MRImageStorage, generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID, ds.Modality, ds.InstanceNumber = series_uid, "MR", int(k) + 1
        ds.ImagePositionPatient = [-10.0, 5.0, 3.0 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.RescaleSlope, ds.RescaleIntercept = [0.5, 0.8], 2, -100
        ds.Rows, ds.Columns = volume.shape[1:]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = volume[k].astype(np.uint16).tobytes()
        ds.save_as(folder / f"img{start + k:03d}.dcm", enforce_file_format=True)


def tiny_config(tmp_path: Path, volume: Path, **overrides) -> FitVolumeConfig:
    options = dict(volume=volume, output_dir=tmp_path / "out", steps=40, batch_size=1024, rank_every=20,
                   progress=False, model=InrConfig(width=32, depth=4), optim=OptimConfig(optimizer="muon"))
    options.update(overrides)
    return FitVolumeConfig(**options)


def test_nifti_affine_and_data_round_trip(tmp_path):
    data = phantom()
    nib.save(nib.Nifti1Image(data.astype(np.int16), AFFINE), tmp_path / "scan.nii.gz")
    volume = load_volume(tmp_path / "scan.nii.gz")
    path = save_volume(tmp_path, "copy", volume.data, volume)
    assert path.name == "copy.nii.gz"
    again = nib.load(path)
    assert np.allclose(again.affine, AFFINE) and np.allclose(again.header.get_best_affine(), AFFINE)
    assert np.array_equal(again.get_fdata(), data.astype(np.int16))


def test_fit_volume_end_to_end_keeps_affine(tmp_path):
    nib.save(nib.Nifti1Image(phantom(), AFFINE), tmp_path / "scan.nii")
    metrics = fit_volume(tiny_config(tmp_path, tmp_path / "scan.nii", holdout_slices=3))
    out = tmp_path / "out"
    for name in ["reconstruction.nii", "montage.png", "stable_rank.png", "metrics.json", "rank_history.json"]:
        assert (out / name).is_file(), name
    recon = nib.load(out / "reconstruction.nii")
    assert np.allclose(recon.affine, AFFINE) and recon.shape == phantom().shape
    assert metrics["psnr"] > 15 and metrics["heldout"]["slices"] == [1, 4, 7, 10]
    assert json.loads((out / "metrics.json").read_text())["heldout"]["psnr"] == pytest.approx(metrics["heldout"]["psnr"])


def test_heldout_slices_split():
    assert heldout_slices(12, 2) == [1, 3, 5, 7, 9] and heldout_slices(12, 3) == [1, 4, 7, 10]
    assert heldout_slices(12, 0) == []
    split = split_voxels((5, 6, 12), axis=2, every=2)
    slice_of = np.unravel_index(split.train, (5, 6, 12))[2]
    assert not np.isin(slice_of, split.slices).any()
    assert set(np.unravel_index(split.heldout, (5, 6, 12))[2]) == set(split.slices)
    assert len(split.train) + len(split.heldout) == 5 * 6 * 12


def test_heldout_slices_are_never_trained_on(tmp_path, monkeypatch):
    """Spy on every coordinate the network sees while gradients are on (training only)."""
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, coords):
            if torch.is_grad_enabled():
                seen.append(coords.detach().clone())
            return self.inner(coords)

    build = volume_fitting.build_inr
    monkeypatch.setattr(volume_fitting, "build_inr", lambda *a: Spy(build(*a)))
    np.save(tmp_path / "vol.npy", phantom())
    fit_volume(tiny_config(tmp_path, tmp_path / "vol.npy", holdout_slices=2, holdout_axis=1, steps=10, batch_size=512))
    trained = torch.cat(seen[1:]).numpy()  # seen[0]: the partition's structural probe
    axis_values = np.linspace(-1, 1, 18, dtype=np.float32)
    held_values = axis_values[heldout_slices(18, 2)]
    assert len(trained) == 10 * 512
    assert not np.isin(trained[:, 1], held_values).any()
    all_coords = voxel_coordinates((20, 18, 12))
    assert np.isin(all_coords[:, 1], held_values).sum() == 20 * 12 * 8


def test_dicom_series_loads_in_order_with_geometry(tmp_path):
    slices = np.random.default_rng(1).integers(0, 1000, (5, 7, 6)).astype(np.uint16)
    write_dicom_series(tmp_path / "series", slices)
    volume = load_volume(tmp_path / "series")
    assert volume.kind == "dicom" and volume.data.shape == (6, 7, 5)  # (column, row, slice)
    assert np.allclose(volume.data, slices.transpose(2, 1, 0) * 2.0 - 100)
    expected = np.array([[-0.8, 0, 0, 10.0], [0, -0.5, 0, -5.0], [0, 0, 3.0, 0.0], [0, 0, 0, 1]])
    assert np.allclose(volume.affine, expected)
    assert save_volume(tmp_path, "recon", volume.data, volume).name == "recon.nii.gz"


def test_mixed_dicom_series_refused(tmp_path):
    slices = np.zeros((3, 4, 4), np.uint16)
    write_dicom_series(tmp_path / "mixed", slices, start=0)
    write_dicom_series(tmp_path / "mixed", slices, start=10)
    with pytest.raises(InputError, match="2 DICOM series mixed"):
        fit_volume(tiny_config(tmp_path, tmp_path / "mixed"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p / "flat.npy", np.zeros((16, 16), np.float32)) or p / "flat.npy", "not a 3-D volume"),
    (lambda p: np.save(p / "thin.npy", np.zeros((16, 16, 1), np.float32)) or p / "thin.npy", "not a 3-D volume"),
    (lambda p: nib.save(nib.Nifti1Image(np.zeros((8, 8), np.float32), np.eye(4)), p / "2d.nii") or p / "2d.nii", "not a 3-D volume"),
    (lambda p: nib.save(nib.Nifti1Image(np.zeros((8, 8, 8, 3), np.float32), np.eye(4)), p / "4d.nii") or p / "4d.nii", "--frame"),
    (lambda p: (p / "x.nii").write_text("not nifti") and p / "x.nii", "not a readable volume"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no DICOM images"),
    (lambda p: p / "missing.nii", "no such volume"),
])
def test_bad_volumes_fail_cleanly(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        fit_volume(tiny_config(tmp_path, make(tmp_path)))
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_frame_of_4d_and_intensity_window(tmp_path):
    data = np.stack([phantom(), phantom() * 2], axis=-1)
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "4d.nii.gz")
    assert np.allclose(load_volume(tmp_path / "4d.nii.gz", frame=1).data, phantom() * 2)
    window = IntensityWindow.from_percentiles(np.arange(1001, dtype=np.float32))
    assert (window.low, window.high) == pytest.approx((5.0, 995.0))
    assert np.allclose(window.restore(window.normalise(np.array([5.0, 500.0]))), [5.0, 500.0])


def test_cli_prints_one_line_error(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((4, 4)))
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_volume.py"), "--volume", str(tmp_path / "flat.npy"),
                          "--output-dir", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and run.stderr.startswith("error:"), run.stderr
