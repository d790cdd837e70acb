"""Fit a 3-D volume (NIfTI, DICOM series folder, .npy) with a coordinate MLP trained by Muon
(hidden layers) + Adam, or by Adam alone; optionally hold out slices to test interpolation.

    python scripts/fit_volume.py --volume scan.nii.gz --holdout-slices 2 --output-dir outputs/scan_muon
"""

from __future__ import annotations

import tyro

from muon_nerf.errors import run_cli
from muon_nerf.volume.fitting import FitVolumeConfig, fit_volume


def main() -> None:
    config = tyro.cli(FitVolumeConfig)
    metrics = run_cli(lambda: fit_volume(config))
    line = f"PSNR {metrics['psnr']:.2f} dB  SSIM {metrics['ssim']:.4f}"
    if "heldout" in metrics:
        held = metrics["heldout"]
        line += f"  held-out slices PSNR {held['psnr']:.2f} dB (linear interpolation {held['linear_interpolation_psnr']:.2f} dB)"
    print(f"{line}  mean hidden stable rank {metrics['mean_stable_rank']:.1f}  -> {config.output_dir}")


if __name__ == "__main__":
    main()
