"""Fit a 2D signal with a coordinate network trained by Muon (hidden layers) + Adam, or by Adam alone.

    python scripts/fit_2d.py image   --model.arch siren --optim.optimizer muon
    python scripts/fit_2d.py inpaint --keep-fraction 0.2
    python scripts/fit_2d.py sisr    --factor 4
    python scripts/fit_2d.py ct      --angles 100 --image slice.dcm

Every run writes the same folder: reconstruction.png, ground_truth.png, input_*.png, comparison.png
(with error map), stable_rank.png, rank_history.json, partition.txt, config.json, metrics.json.
"""

from __future__ import annotations

import tyro

from muon_nerf.errors import run_cli
from muon_nerf.tasks2d import TaskChoice, run_task


def main() -> None:
    config = tyro.cli(TaskChoice)
    metrics = run_cli(lambda: run_task(config)).metrics
    print(f"{metrics['task']}: PSNR {metrics['psnr']:.2f} dB  SSIM {metrics['ssim']:.4f}  "
          f"mean hidden stable rank {metrics['mean_stable_rank']:.1f}  -> {config.output_dir}")


if __name__ == "__main__":
    main()
