"""Sparse-view CT: the network is the slice; the loss compares its parallel-beam projections with
sinograms measured at a few angles. Filtered back-projection from the same data is the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from skimage.transform import iradon

from muon_nerf.config import OptimConfig
from muon_nerf.ct import ParallelBeamProjector, load_slice, projection_angles
from muon_nerf.errors import InputError
from muon_nerf.images import resize_image
from muon_nerf.metrics import image_metrics
from muon_nerf.tasks2d.common import Problem, TaskConfig, ensure_fits, pixel_grid
from muon_nerf.tasks2d.sources import MIN_SIDE


def shepp_logan() -> np.ndarray:
    """scikit-image's 400 x 400 Shepp-Logan head phantom, values in [0, 1]."""
    from skimage.data import shepp_logan_phantom

    return shepp_logan_phantom().astype(np.float32)


@dataclass
class CtTaskConfig(TaskConfig):
    """Reconstruct a CT slice from its parallel-beam sinogram at --angles angles.
    Defaults follow the paper's CT script (Muon 5e-2, Adam 1e-2)."""

    task: ClassVar[str] = "ct"
    output_dir: Path = Path("outputs/ct")
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(muon_lr=5e-2, adam_lr=1e-2))
    image: Path | None = None
    """Slice: DICOM (.dcm), NumPy (.npy, 2-D) or PNG/TIFF (averaged to gray); values scaled to [0, 1].
    Default: the Shepp-Logan phantom."""
    resize: int | None = 256
    """Resize the (square) slice to resize x resize pixels (None: keep)."""
    angles: int = 100
    """Number of projection angles, equally spaced over [0, 180) degrees."""
    circle: bool = False
    """Assume the object lies inside the inscribed circle (detector as wide as the image); otherwise
    the detector covers the diagonal, so the corners are measured too."""
    noise: float = 0.0
    """Standard deviation of Gaussian noise added to the sinogram, relative to its maximum."""

    def build_problem(self, device: torch.device) -> Problem:
        angles_deg = projection_angles(self.angles)
        if self.noise < 0:
            raise InputError(f"--noise {self.noise}: must be non-negative")
        if self.resize is not None and self.resize < MIN_SIDE:
            raise InputError(f"--resize {self.resize}: too small (need at least {MIN_SIDE} pixels for SSIM)")
        slice_ = shepp_logan() if self.image is None else load_slice(self.image)
        size = self.resize or slice_.shape[0]
        if size < MIN_SIDE:
            raise InputError(f"{self.image}: a {size}x{size} slice is too small (need at least {MIN_SIDE} pixels)")
        ensure_fits(size * size, self.model, 1, device, what=f"a {size}x{size} slice with {self.angles} angles",
                    extra_bytes=ParallelBeamProjector.memory_bytes(size, self.angles, self.circle))
        if self.resize is not None:
            slice_ = resize_image(slice_[..., None], size)[..., 0]
        target = slice_[..., None].astype(np.float32)
        projector = ParallelBeamProjector(size, angles_deg, self.circle, device)
        sinogram = projector(torch.from_numpy(slice_).to(device))
        if self.noise > 0:
            generator = torch.Generator(device=device).manual_seed(self.seed)
            noise = torch.randn(sinogram.shape, generator=generator, device=device)
            sinogram = sinogram + self.noise * sinogram.abs().max() * noise
        # Line integrals grow with the path length; dividing by the detector width keeps the loss
        # on the scale of pixel values, so learning rates transfer from the image tasks.
        scale = float(projector.detector_bins)
        measured = sinogram / scale
        coords = pixel_grid(size, size, device)

        def make_loss(model: torch.nn.Module):
            def loss_at(step: int) -> torch.Tensor:
                image = model(coords).reshape(size, size)
                return F.mse_loss(projector(image) / scale, measured)
            return loss_at

        sinogram_np = sinogram.cpu().numpy()
        fbp = iradon(sinogram_np.T.astype(np.float64), angles_deg, circle=self.circle, filter_name="ramp")
        fbp = np.clip(fbp, 0, 1).astype(np.float32)[..., None]
        picture = (sinogram_np - sinogram_np.min()) / max(float(np.ptp(sinogram_np)), 1e-12)
        source = "skimage.data.shepp_logan_phantom" if self.image is None else str(self.image)

        def extra_metrics(reconstruction: np.ndarray) -> dict:
            with torch.no_grad():
                ours = projector(torch.from_numpy(reconstruction[..., 0]).to(device))
            residual = float(torch.linalg.norm(ours - sinogram) / torch.linalg.norm(sinogram))
            return {"angles": self.angles, "circle": self.circle, "noise": self.noise,
                    "sinogram_relative_residual": residual}

        fbp_scores = image_metrics(target, fbp)
        return Problem(target, make_loss, size * size, source,
                       inputs={"sinogram": picture[..., None].astype(np.float32), "fbp": fbp},
                       extra_metrics=extra_metrics,
                       baselines={"fbp_psnr": fbp_scores["psnr"], "fbp_ssim": fbp_scores["ssim"]})
