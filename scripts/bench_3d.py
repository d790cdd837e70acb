"""Adam vs Muon on the paper's 3D tasks with a plain ReLU MLP (5 layers x 256, no encoding):
volumetric IoU / Chamfer-L1 on the Stanford bunny (shipped in pymeshlab's test data) and PSNR on a
small MRI volume (shipped in nibabel's test data). Every run's outputs go under --output-dir.

The defaults are a reduced protocol sized for a CPU (fewer steps and points than the paper);
raise --sdf-steps / --volume-steps / --batch-size on a GPU.

    python scripts/bench_3d.py --output-dir outputs/bench_3d
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import tyro

from muon_nerf.config import OptimConfig
from muon_nerf.errors import run_cli
from muon_nerf.inr import InrConfig
from muon_nerf.outputs import check_output_dir, write_json
from muon_nerf.sdf.fitting import SDF_MUON_LR, FitSdfConfig, fit_sdf
from muon_nerf.sdf.samples import SampleConfig
from muon_nerf.volume.fitting import FitVolumeConfig, fit_volume


@dataclass
class Bench3dConfig:
    """Adam vs Muon, same network, same steps, same samples."""

    output_dir: Path = Path("outputs/bench_3d")
    optimizers: tuple[str, ...] = ("adam", "muon")
    sdf_steps: int = 1000
    volume_steps: int = 1000
    batch_size: int = 8192
    """Points per step, for both tasks."""
    resolution: int = 128
    """Marching-cubes grid for the extracted bunny."""
    sdf_muon_lr: float = SDF_MUON_LR
    """Muon rate for the SDF task (fit_sdf.py's default; the image default 0.1 overshoots on SDFs)."""
    holdout_slices: int = 2
    """Volume: hold out every k-th axial slice (0: fit every slice)."""
    model: InrConfig = field(default_factory=lambda: InrConfig(arch="relu", width=256, depth=5))
    samples: SampleConfig = field(default_factory=SampleConfig)
    skip_sdf: bool = False
    skip_volume: bool = False
    overwrite: bool = False


def bench(config: Bench3dConfig) -> dict:
    check_output_dir(config.output_dir, config.overwrite)
    results: dict = {}
    for name in config.optimizers:
        optim = OptimConfig(optimizer=name)
        if not config.skip_sdf:
            sdf_optim = replace(optim, muon_lr=config.sdf_muon_lr)
            sdf = fit_sdf(FitSdfConfig(
                output_dir=config.output_dir / f"bunny_{name}", steps=config.sdf_steps, batch_size=config.batch_size,
                resolution=config.resolution, samples=config.samples, model=config.model, optim=sdf_optim,
                overwrite=True, progress=False,
            ))
            results[f"bunny_{name}"] = {k: sdf[k] for k in ("iou", "chamfer_l1", "normal_consistency", "mean_stable_rank", "seconds")}
            print(f"bunny   {name:5s} IoU {sdf['iou']:.4f}  Chamfer-L1 {sdf['chamfer_l1']:.5f}  "
                  f"NC {sdf['normal_consistency']:.4f}  stable rank {sdf['mean_stable_rank']:.1f}  ({sdf['seconds']:.0f} s)", flush=True)
        if not config.skip_volume:
            vol = fit_volume(FitVolumeConfig(
                output_dir=config.output_dir / f"volume_{name}", steps=config.volume_steps, batch_size=config.batch_size,
                holdout_slices=config.holdout_slices, model=config.model, optim=optim, overwrite=True, progress=False,
            ))
            held = vol.get("heldout", {})
            results[f"volume_{name}"] = {"psnr": vol["psnr"], "ssim": vol["ssim"], "heldout_psnr": held.get("psnr"),
                                         "linear_interpolation_psnr": held.get("linear_interpolation_psnr"),
                                         "mean_stable_rank": vol["mean_stable_rank"], "seconds": vol["seconds"]}
            line = f"volume  {name:5s} PSNR {vol['psnr']:.2f} dB  SSIM {vol['ssim']:.4f}"
            if held:
                line += f"  held-out PSNR {held['psnr']:.2f} dB (linear {held['linear_interpolation_psnr']:.2f})"
            print(f"{line}  stable rank {vol['mean_stable_rank']:.1f}  ({vol['seconds']:.0f} s)", flush=True)
    write_json(config.output_dir / "bench.json", {"results": results, "config": config})
    return results


def main() -> None:
    config = tyro.cli(Bench3dConfig)
    run_cli(lambda: bench(replace(config)))


if __name__ == "__main__":
    main()
