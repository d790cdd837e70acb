"""Parallel-beam computed tomography in torch: a differentiable Radon transform and slice loading.

The projector follows ``skimage.transform.radon`` exactly (same rotation centre, bilinear
interpolation, detector = one bin per pixel column of the square, optionally zero-padded, image),
so sinograms and filtered back-projection from scikit-image are interchangeable with ours. Being
built from ``grid_sample`` and a sum, it is linear and autograd gives its exact adjoint (the
back-projector).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from muon_nerf.errors import InputError
from muon_nerf.images import load_image


def projection_angles(count: int) -> np.ndarray:
    """``count`` equally spaced angles in degrees over [0, 180), as in a parallel-beam scan."""
    if count < 2:
        raise InputError(f"--angles {count}: a CT reconstruction needs at least 2 projection angles")
    return np.linspace(0.0, 180.0, count, endpoint=False)


def padding(size: int, circle: bool) -> tuple[int, int]:
    """Zero padding (before, after) of a square image: none if the object lies inside the inscribed
    circle, else enough for the diagonal (scikit-image's rule, to match its detector)."""
    if circle:
        return 0, 0
    pad = int(math.ceil(math.sqrt(2) * size - size))
    before = (size + pad) // 2 - size // 2
    return before, pad - before


class ParallelBeamProjector:
    """A x D sinogram (angles x detector bins) of an N x N image; D = N (+ padding)."""

    def __init__(self, size: int, angles_deg: np.ndarray, circle: bool = True, device: torch.device | None = None):
        self.size, self.circle = size, circle
        self.pad = padding(size, circle)
        padded = size + sum(self.pad)
        self.detector_bins = padded
        center = padded // 2
        theta = torch.deg2rad(torch.as_tensor(np.asarray(angles_deg), dtype=torch.float64))
        cos, sin = theta.cos()[:, None, None], theta.sin()[:, None, None]
        rows, cols = torch.meshgrid(torch.arange(padded, dtype=torch.float64) - center,
                                    torch.arange(padded, dtype=torch.float64) - center, indexing="ij")
        src_col = cos * cols + sin * rows + center  # where each rotated pixel samples the image
        src_row = -sin * cols + cos * rows + center
        to_unit = lambda p: 2 * p / (padded - 1) - 1  # noqa: E731  (align_corners=True convention)
        self.grid = torch.stack([to_unit(src_col), to_unit(src_row)], dim=-1).float().to(device)

    @staticmethod
    def memory_bytes(size: int, angles: int, circle: bool) -> int:
        padded = size + sum(padding(size, circle))
        return angles * padded * padded * 4 * 5  # grid (2) + samples + their gradient + slack

    def __call__(self, image: Tensor) -> Tensor:
        """Line integrals of an N x N image (unit pixel spacing) at every angle: A x D."""
        if image.shape != (self.size, self.size):
            raise ValueError(f"projector built for {self.size}x{self.size}, got {tuple(image.shape)}")
        padded = F.pad(image, (self.pad[0], self.pad[1], self.pad[0], self.pad[1]))
        angles = self.grid.shape[0]
        rotated = F.grid_sample(padded[None, None].expand(angles, 1, -1, -1), self.grid,
                                mode="bilinear", padding_mode="zeros", align_corners=True)
        return rotated[:, 0].sum(dim=1)

    def backproject(self, sinogram: Tensor) -> Tensor:
        """The adjoint A^T y, computed as the vector-Jacobian product of the (linear) projector."""
        image = torch.zeros(self.size, self.size, dtype=sinogram.dtype, device=sinogram.device, requires_grad=True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self(image), image, sinogram)
        return grad


def is_dicom(path: Path) -> bool:
    if path.suffix.lower() in (".dcm", ".dicom"):
        return True
    with open(path, "rb") as f:
        header = f.read(132)
    return header[128:132] == b"DICM"


def read_dicom(path: Path) -> np.ndarray:
    """Pixel values in the modality's units (Hounsfield units for CT); middle frame of a volume."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(str(path))
    except (InvalidDicomError, OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable DICOM file ({e})") from None
    if "PixelData" not in dataset:
        raise InputError(f"{path}: DICOM file has no pixel data")
    try:
        pixels = dataset.pixel_array.astype(np.float32)
    except Exception as e:  # pydicom raises many kinds for unsupported transfer syntaxes
        raise InputError(f"{path}: cannot decode the DICOM pixel data ({e})") from None
    if pixels.ndim == 3 and "NumberOfFrames" in dataset:
        pixels = pixels[len(pixels) // 2]
    if pixels.ndim != 2:
        raise InputError(f"{path}: expected a single gray slice, got pixel data of shape {pixels.shape}")
    slope, intercept = float(dataset.get("RescaleSlope", 1)), float(dataset.get("RescaleIntercept", 0))
    return pixels * slope + intercept


def normalise(values: np.ndarray, path: Path) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if not np.isfinite([low, high]).all() or high <= low:
        raise InputError(f"{path}: the slice is constant or not finite; nothing to reconstruct")
    return ((values - low) / (high - low)).astype(np.float32)


def load_slice(path: Path) -> np.ndarray:
    """A CT slice as an N x N float array in [0, 1]: DICOM, NumPy (.npy) or an image (PNG/TIFF/...).
    Non-square slices are centre-cropped to a square; DICOM and NumPy values are then scaled
    min..max to 0..1 (images are already in [0, 1])."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        try:
            values = np.load(path, allow_pickle=False).astype(np.float32)
        except ValueError as e:
            raise InputError(f"{path}: not a numeric NumPy array ({e})") from None
        if values.ndim == 3 and values.shape[-1] == 1:
            values = values[..., 0]
        if values.ndim != 2:
            raise InputError(f"{path}: expected a 2-D array, got shape {values.shape}")
    elif is_dicom(path):
        values = read_dicom(path)
    else:
        return square(load_image(path).mean(axis=-1))
    return normalise(square(values), path)


def square(values: np.ndarray) -> np.ndarray:
    """Centre crop to the largest square."""
    h, w = values.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return np.ascontiguousarray(values[top : top + side, left : left + side])
