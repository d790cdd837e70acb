"""Fit an image with a coordinate MLP trained by Muon (hidden layers) + Adam, or by Adam alone.

    python scripts/fit_image.py --optim.optimizer muon --output-dir outputs/astronaut_muon
"""

from __future__ import annotations

import tyro

from muon_nerf.errors import run_cli
from muon_nerf.image_fitting import FitImageConfig, fit_image


def main() -> None:
    config = tyro.cli(FitImageConfig)
    metrics = run_cli(lambda: fit_image(config))
    print(f"PSNR {metrics['psnr']:.2f} dB  SSIM {metrics['ssim']:.4f}  "
          f"mean hidden stable rank {metrics['mean_stable_rank']:.1f}  -> {config.output_dir}")


if __name__ == "__main__":
    main()
