"""Reading a 3-D scalar volume (NIfTI and other nibabel formats, a DICOM series folder, or .npy)
and writing a reconstruction back in a matching format.

Output formats: NIfTI input -> NIfTI with the input's affine and header (float32 data); other
nibabel formats and DICOM series -> NIfTI (.nii.gz) with the affine read from the input;
.npy -> .npy. Reconstructions are written in the input's intensity units.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nibabel as nib
import numpy as np

from muon_nerf.errors import InputError
from muon_nerf.volume.dicom import load_dicom_series

VolumeKind = Literal["nifti", "nibabel", "dicom", "npy"]


@dataclass
class Volume:
    data: np.ndarray  # 3-D float32, input units
    kind: VolumeKind
    source: str
    affine: np.ndarray | None = None  # voxel index -> world (RAS mm), None for .npy
    header: Any = None  # the nibabel header of NIfTI input
    image_class: type | None = None  # Nifti1Image or Nifti2Image for NIfTI input


def default_volume_path() -> Path:
    """A small T1 MRI (33 x 41 x 25) shipped with nibabel's test data."""
    from nibabel.testing import data_path

    return Path(data_path) / "anatomical.nii"


def _to_3d(data: np.ndarray, source: str, frame: int | None) -> np.ndarray:
    """Squeeze trailing singleton axes; pick ``frame`` of a 4-D series; refuse 2-D data."""
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 4:
        if frame is None:
            raise InputError(f"{source}: 4-D data {data.shape}; choose one volume with --frame (0 .. {data.shape[3] - 1})")
        if not 0 <= frame < data.shape[3]:
            raise InputError(f"{source}: --frame {frame} out of range 0 .. {data.shape[3] - 1}")
        data = data[..., frame]
    if data.ndim != 3 or min(data.shape) < 2:
        raise InputError(f"{source}: data of shape {data.shape} is not a 3-D volume (use fit_image for 2-D images)")
    data = np.asarray(data, np.float32)
    if not np.isfinite(data).all():
        raise InputError(f"{source}: volume contains NaN or infinite values")
    return data


def load_volume(path: Path, frame: int | None = None) -> Volume:
    """The volume at ``path``: a DICOM folder, a .npy array, or a file nibabel can read."""
    path = Path(path)
    if path.is_dir():
        data, affine = load_dicom_series(path)
        return Volume(_to_3d(data, str(path), frame), "dicom", str(path), affine)
    if not path.is_file():
        raise InputError(f"{path}: no such volume file or DICOM folder")
    if path.suffix.lower() == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as e:
            raise InputError(f"{path}: not a readable .npy array ({e})") from None
        if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
            raise InputError(f"{path}: array of type {data.dtype} is not real-valued")
        return Volume(_to_3d(data, str(path), frame), "npy", str(path))
    try:
        image = nib.load(path)
        data = np.asanyarray(image.dataobj)
    except Exception as e:  # nibabel raises ImageFileError, ValueError, ... for unreadable files
        raise InputError(f"{path}: not a readable volume ({type(e).__name__}: {e})") from None
    if np.iscomplexobj(data) or data.dtype.fields is not None:
        raise InputError(f"{path}: data of type {data.dtype} is not a real scalar volume")
    is_nifti = isinstance(image, (nib.Nifti1Image, nib.Nifti2Image))
    return Volume(_to_3d(data, str(path), frame), "nifti" if is_nifti else "nibabel", str(path),
                  np.asarray(image.affine, float), image.header if is_nifti else None, type(image) if is_nifti else None)


def save_volume(folder: Path, stem: str, data: np.ndarray, like: Volume) -> Path:
    """Write ``data`` (same shape as ``like.data``) next to the format of ``like``; returns the path."""
    data = np.asarray(data, np.float32)
    if like.kind == "npy":
        path = folder / f"{stem}.npy"
        np.save(path, data)
        return path
    if like.kind == "nifti":
        header = like.header.copy()
        header.set_data_dtype(np.float32)
        header.set_data_shape(data.shape)
        image = like.image_class(data, like.affine, header)
        image.header.set_slope_inter(1.0, 0.0)
        suffix = ".nii" if like.source.lower().endswith(".nii") else ".nii.gz"
    else:
        image = nib.Nifti1Image(data, like.affine)
        suffix = ".nii.gz"
    path = folder / f"{stem}{suffix}"
    nib.save(image, path)
    return path
