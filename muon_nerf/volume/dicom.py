"""A DICOM series folder as one 3-D array plus a NIfTI-style (RAS) affine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from muon_nerf.errors import InputError


def _read_images(folder: Path) -> list[pydicom.Dataset]:
    """Every readable DICOM file with pixel data in ``folder`` (not recursive); others are skipped."""
    datasets = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            ds = pydicom.dcmread(path)
        except (InvalidDicomError, OSError, EOFError):
            continue
        if "PixelData" in ds:
            datasets.append(ds)
    return datasets


def _slice_position(ds: pydicom.Dataset, normal: np.ndarray) -> float:
    if "ImagePositionPatient" in ds:
        return float(np.dot(np.asarray(ds.ImagePositionPatient, float), normal))
    return float(ds.get("InstanceNumber", 0))


def load_dicom_series(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(volume, affine): volume indexed (column, row, slice) like NIfTI, in stored units after
    RescaleSlope/Intercept; affine maps voxel indices to RAS millimetres (DICOM is LPS).
    Slices are ordered by position along the slice normal (InstanceNumber when there is none)."""
    datasets = _read_images(folder)
    if not datasets:
        raise InputError(f"{folder}: no DICOM images in this folder")
    series = sorted({str(ds.get("SeriesInstanceUID", "?")) for ds in datasets})
    if len(series) > 1:
        raise InputError(f"{folder}: {len(series)} DICOM series mixed in one folder "
                         f"({', '.join(series[:3])}{', ...' if len(series) > 3 else ''}); put each series in its own folder")
    first = datasets[0]
    orientation = np.asarray(first.get("ImageOrientationPatient", [1, 0, 0, 0, 1, 0]), float)
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    datasets.sort(key=lambda ds: _slice_position(ds, normal))
    try:
        frames = [ds.pixel_array.astype(np.float32) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
                  for ds in datasets]
    except Exception as e:  # pixel decoding: missing codec, truncated data
        raise InputError(f"{folder}: cannot decode DICOM pixel data ({type(e).__name__}: {e})") from None
    if len({f.shape for f in frames}) > 1:
        raise InputError(f"{folder}: DICOM images have different sizes {sorted({f.shape for f in frames})}")
    if frames[0].ndim == 3 and len(frames) == 1:  # one multi-frame file: (frame, row, col)
        stack = frames[0]
    elif frames[0].ndim == 2:
        stack = np.stack(frames)  # (slice, row, col)
    else:
        raise InputError(f"{folder}: expected one image per file (or one multi-frame file), got shape {frames[0].shape}")
    row_spacing, col_spacing = (float(v) for v in first.get("PixelSpacing", [1, 1]))
    positions = [_slice_position(ds, normal) for ds in datasets]
    slice_spacing = float(np.mean(np.diff(positions))) if len(positions) > 1 and np.ptp(positions) > 0 \
        else float(first.get("SpacingBetweenSlices", first.get("SliceThickness", 1.0)) or 1.0)
    origin = np.asarray(datasets[0].get("ImagePositionPatient", [0, 0, 0]), float)
    affine = np.eye(4)
    # Column index moves along the row direction by the column spacing, and vice versa.
    affine[:3, 0], affine[:3, 1], affine[:3, 2], affine[:3, 3] = row_dir * col_spacing, col_dir * row_spacing, normal * slice_spacing, origin
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine  # LPS -> RAS
    return np.ascontiguousarray(stack.transpose(2, 1, 0)), affine
