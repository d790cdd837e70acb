"""Benchmark: PSNR of Adam vs Muon per architecture on images that ship with scikit-image.

Protocol (defaults; every flag shrinks it for a small machine and is recorded in bench.json):
  images   astronaut (RGB) and camera (gray), each 512 x 512, area-resized to --size (256) squares
  model    --depth 5 linear layers of --width 256, architectures --archs (relu, relu-pe, siren)
  training full batch, MSE, --steps 2000, cosine decay to 1e-3 of the peak, seed 0;
           Muon lr 0.1 on hidden weights (divided by the activation frequency for sine/gauss/wire
           networks), Adam lr 1e-3 on everything else / everything for the baseline
  targets  relu: Muon >= Adam + 6 dB; relu-pe and siren: Muon >= Adam (checked and printed)

    python scripts/bench_2d.py --size 64 --steps 300 --width 128 --output-dir outputs/bench_small
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import tyro

from muon_nerf.config import OptimConfig
from muon_nerf.errors import InputError, run_cli
from muon_nerf.inr import Architecture, InrConfig
from muon_nerf.outputs import check_output_dir, staged_output_dir, write_json
from muon_nerf.tasks2d.compare import run_grid, write_report
from muon_nerf.tasks2d.image import ImageTaskConfig

BenchImage = Literal["astronaut", "camera"]
TARGETS_DB = {"relu": 6.0, "relu-pe": 0.0, "siren": 0.0}
"""Minimum Muon - Adam PSNR gain (dB) the protocol expects per architecture."""


@dataclass
class BenchConfig:
    output_dir: Path = Path("outputs/bench_2d")
    images: tuple[BenchImage, ...] = ("astronaut", "camera")
    size: int = 256
    archs: tuple[Architecture, ...] = ("relu", "relu-pe", "siren")
    steps: int = 2000
    width: int = 256
    depth: int = 5
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Learning rates etc.; --optim.optimizer is ignored (both are run)."""
    progress: bool = False
    overwrite: bool = False


def save_bench_image(name: str, folder: Path) -> Path:
    """Write the scikit-image picture as a PNG the image task can read (RGB or gray)."""
    from skimage import data

    from muon_nerf.images import save_image

    picture = getattr(data, name)().astype(np.float32) / 255.0
    path = folder / f"{name}.png"
    save_image(path, picture if picture.ndim == 3 else picture[..., None])
    return path


def bench(config: BenchConfig) -> dict:
    check_output_dir(config.output_dir, config.overwrite)
    if not config.images or not config.archs:
        raise InputError("--images and --archs must each name at least one entry")
    command = "python scripts/bench_2d.py " + shlex.join(sys.argv[1:])
    results: dict = {"protocol": dataclasses.asdict(config), "command": command, "images": {}}
    with staged_output_dir(config.output_dir, config.overwrite) as out:
        lines = []
        for name in config.images:
            base = ImageTaskConfig(image=save_bench_image(name, out), resize=config.size, crop=config.size,
                                   steps=config.steps, model=InrConfig(width=config.width, depth=config.depth),
                                   optim=config.optim, progress=config.progress, rank_every=max(1, config.steps // 10))
            cells = run_grid(base, config.archs, ("adam", "muon"), out / "runs", label=f"{name}-")
            (out / name).mkdir()
            rows = write_report(out / name, cells, ("adam", "muon"), f"{name} {config.size}²", command)
            results["images"][name] = rows
            for row in rows:
                target = TARGETS_DB.get(row["arch"])
                verdict = "" if target is None else ("pass" if row["delta_db"] >= target else "FAIL")
                lines.append(f"{name:<10} {row['arch']:<13} {row['adam']['psnr']:>9.2f} {row['muon']['psnr']:>9.2f} "
                             f"{row['delta_db']:>+8.2f} {'' if target is None else f'>= {target:+.0f}':>7} {verdict}")
        header = f"{'image':<10} {'arch':<13} {'Adam dB':>9} {'Muon dB':>9} {'Δ dB':>8} {'target':>7}"
        table = "\n".join([header, "-" * len(header), *lines])
        results["table"] = table
        (out / "bench.md").write_text(f"# 2D benchmark\n\nCommand: `{command}`\n\n```\n{table}\n```\n")
        write_json(out / "bench.json", results)
    print(table)
    return results


def main() -> None:
    config = tyro.cli(BenchConfig)
    run_cli(lambda: bench(config))


if __name__ == "__main__":
    main()
