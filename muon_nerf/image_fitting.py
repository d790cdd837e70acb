"""Fit one image with a coordinate network: the paper's first experiment, and our first demo."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from muon_nerf.config import OptimConfig, build_optimizer, build_scheduler, partition_model
from muon_nerf.errors import InputError
from muon_nerf.fitting import FitResult, fit
from muon_nerf.images import default_image, load_image, resize_image, save_image
from muon_nerf.inr import InrConfig, build_inr
from muon_nerf.metrics import image_metrics
from muon_nerf.outputs import check_output_dir, staged_output_dir, write_json
from muon_nerf.plots import save_comparison, save_rank_plot


@dataclass
class FitImageConfig:
    """Fit an image with a coordinate MLP, Muon or Adam; write the reconstruction, an error map,
    per-layer rank curves and metrics.json into --output-dir."""

    image: Path | None = None
    """PNG/JPEG/TIFF to fit (8/16-bit, gray, RGB or RGBA). Default: scikit-image's astronaut."""
    output_dir: Path = Path("outputs/fit_image")
    resize: int | None = 256
    """Resize so the shorter side has this many pixels (None: keep the original size)."""
    steps: int = 2000
    batch_size: int | None = None
    """Pixels per step; None = full batch (every pixel every step, as in the paper)."""
    model: InrConfig = field(default_factory=InrConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    rank_every: int = 100
    """Record the hidden layers' rank every this many steps."""
    seed: int = 0
    device: str = "auto"
    """auto: cuda if available, else cpu."""
    overwrite: bool = False
    """Replace an existing, non-empty --output-dir."""
    progress: bool = True


def pixel_grid(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(H*W, 2) coordinates (x, y) in [-1, 1], row-major like the image."""
    ys = torch.linspace(-1, 1, height, device=device)
    xs = torch.linspace(-1, 1, width, device=device)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([grid_x, grid_y], dim=-1).reshape(-1, 2)


@torch.no_grad()
def predict(model: torch.nn.Module, coords: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    return torch.cat([model(coords[i : i + chunk]) for i in range(0, len(coords), chunk)])


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_target(config: FitImageConfig) -> tuple[np.ndarray, str]:
    image = default_image() if config.image is None else load_image(config.image)
    if config.resize is not None:
        if config.resize < 8:
            raise InputError(f"--resize {config.resize}: too small (need at least 8 pixels for SSIM)")
        image = resize_image(image, config.resize)
    return image, "skimage.data.astronaut" if config.image is None else str(config.image)


def fit_image(config: FitImageConfig) -> dict:
    """Run the fit; returns the metrics that were written to metrics.json."""
    check_output_dir(config.output_dir, config.overwrite)
    target, source = load_target(config)
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    height, width, channels = target.shape
    coords = pixel_grid(height, width, device)
    values = torch.from_numpy(target.reshape(-1, channels)).to(device)
    try:
        model = build_inr(config.model, 2, channels).to(device)
        partition = partition_model(model, coords[:16], config.optim)
    except ValueError as e:
        raise InputError(str(e)) from None
    optimizer = build_optimizer(partition, config.optim)
    scheduler = build_scheduler(optimizer, config.optim, config.steps)
    if config.progress:
        print(partition.table())
    generator = torch.Generator(device=device).manual_seed(config.seed)

    def loss_at(step: int) -> torch.Tensor:
        if config.batch_size is None or config.batch_size >= len(coords):
            return torch.nn.functional.mse_loss(model(coords), values)
        index = torch.randint(len(coords), (config.batch_size,), device=device, generator=generator)
        return torch.nn.functional.mse_loss(model(coords[index]), values[index])

    result: FitResult = fit(
        partition, optimizer, scheduler, config.steps, loss_at, config.rank_every,
        description=f"{config.optim.optimizer} {config.model.arch}", progress=config.progress,
    )
    reconstruction = predict(model, coords).clamp(0, 1).reshape(height, width, channels).cpu().numpy()
    metrics = {
        **image_metrics(target, reconstruction),
        "optimizer": config.optim.optimizer,
        "arch": config.model.arch,
        "steps": config.steps,
        "seconds": result.seconds,
        "final_loss": result.losses[-1] if result.losses else None,
        "image": source,
        "image_size": [height, width, channels],
        "device": str(device),
        "mean_stable_rank": result.ranks.mean_final("stable_rank"),
        "stable_rank": result.ranks.final("stable_rank"),
        "effective_rank": result.ranks.final("effective_rank"),
        "partition": {"muon": partition.muon_names, "adam": partition.adam_names},
        "config": dataclasses.asdict(config),
    }
    with staged_output_dir(config.output_dir, config.overwrite) as out:
        save_image(out / "reconstruction.png", reconstruction)
        save_image(out / "ground_truth.png", target)
        title = f"{config.optim.optimizer} · {config.model.arch} · PSNR {metrics['psnr']:.2f} dB"
        save_comparison(out / "comparison.png", target, reconstruction, title)
        save_rank_plot(out / "stable_rank.png", {config.optim.optimizer: result.ranks})
        write_json(out / "rank_history.json", result.ranks)
        (out / "partition.txt").write_text(partition.table() + "\n")
        write_json(out / "metrics.json", metrics)
    return metrics
