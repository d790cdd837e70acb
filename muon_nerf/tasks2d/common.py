"""What every 2D task shares: build the network, split it for Muon/Adam, train it on the task's
loss, score the reconstruction and write one output folder of the same shape for every task.

A task only says what the network is fitted to: a ``Problem`` (ground truth, the loss, pictures of
the measurements, task-specific metrics). Everything else lives here once.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from muon_nerf.config import OptimConfig, build_optimizer, build_scheduler, partition_model
from muon_nerf.errors import InputError
from muon_nerf.fitting import FitResult, RankHistory, fit, predict, resolve_device
from muon_nerf.images import save_image
from muon_nerf.inr import InrConfig, activation_bytes_per_point, build_inr
from muon_nerf.lpips import lpips_metrics
from muon_nerf.metrics import image_metrics
from muon_nerf.outputs import check_output_dir, staged_output_dir, write_json
from muon_nerf.plots import save_comparison, save_rank_outputs

LossAt = Callable[[int], Tensor]


@dataclass
class TaskConfig:
    """Settings every 2D task shares."""

    task: ClassVar[str] = "task"
    output_dir: Path = Path("outputs/2d")
    steps: int = 2000
    model: InrConfig = field(default_factory=InrConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    scale_muon_lr: bool = True
    """Divide --optim.muon-lr by the activation's frequency (siren/finer: omega0, gauss: s,
    wire: max(w, s)). Muon steps have a fixed spectral norm; the activation multiplies the
    pre-activation by that frequency, so without this a Muon step is 10-30x too long for them."""
    rank_every: int = 100
    """Record the hidden layers' rank every this many steps."""
    seed: int = 0
    device: str = "auto"
    """auto: cuda if available, else cpu."""
    overwrite: bool = False
    """Replace an existing, non-empty --output-dir."""
    progress: bool = True
    lpips: bool = True
    """Report LPIPS if torchvision's AlexNet weights are already cached (they are never downloaded)."""

    def build_problem(self, device: torch.device) -> "Problem":
        raise NotImplementedError


@dataclass
class Problem:
    """One task instance: what the network must reproduce and how it is measured."""

    ground_truth: np.ndarray
    """H x W x C in [0, 1]; the network is evaluated on this pixel grid and scored against it."""
    make_loss: Callable[[nn.Module], LossAt]
    """Given the network, the per-step loss (the task's measurements vs the network's prediction)."""
    points_per_step: int
    """Coordinates the network sees per training step (for the memory estimate)."""
    source: str
    """Where the ground truth came from (a path or a scikit-image data set)."""
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    """Pictures of what the network was fitted to (H x W x C in [0, 1]), saved as input_<name>.png."""
    extra_metrics: Callable[[np.ndarray], dict] = lambda reconstruction: {}
    """Task-specific numbers computed from the reconstruction (e.g. PSNR on held-out pixels)."""
    baselines: dict[str, float] = field(default_factory=dict)
    """Classical reconstructions' scores for context (bicubic upsampling, filtered back-projection)."""


@dataclass
class TaskResult:
    metrics: dict
    reconstruction: np.ndarray
    ground_truth: np.ndarray
    ranks: RankHistory


def pixel_grid(height: int, width: int, device: torch.device) -> Tensor:
    """(H*W, 2) coordinates (x, y) in [-1, 1], row-major like the image."""
    ys = torch.linspace(-1, 1, height, device=device)
    xs = torch.linspace(-1, 1, width, device=device)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([grid_x, grid_y], dim=-1).reshape(-1, 2)


def available_bytes(device: torch.device) -> int:
    """Free memory on ``device`` (GPU: free device memory; CPU: the kernel's MemAvailable)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def ensure_fits(points: int, model: InrConfig, channels: int, device: torch.device, extra_bytes: int = 0,
                what: str = "this image size") -> None:
    """Refuse, before any work, a full-batch problem whose activations cannot fit in memory."""
    need = points * activation_bytes_per_point(model, 2, channels) + extra_bytes
    have = available_bytes(device)
    if need > 0.8 * have:
        raise InputError(
            f"{what} needs about {need / 2**30:.1f} GiB for full-batch training "
            f"({points:,} points x width {model.width} x depth {model.depth}), more than the "
            f"{have / 2**30:.1f} GiB available on {device}; use a smaller --resize or a narrower model"
        )


def muon_lr_factor(model: InrConfig) -> float:
    """1 / the activation's frequency: how much a unit change of a pre-activation is amplified."""
    frequency = {"siren": model.omega0, "finer": model.omega0, "gauss": model.gauss_scale,
                 "wire": max(model.wire_omega, model.wire_scale)}.get(model.arch, 1.0)
    return 1.0 / frequency


def effective_optim(config: TaskConfig) -> OptimConfig:
    if not config.scale_muon_lr:
        return config.optim
    return dataclasses.replace(config.optim, muon_lr=config.optim.muon_lr * muon_lr_factor(config.model))


def run_task(config: TaskConfig) -> TaskResult:
    """Fit the task's problem, write the output folder, return the metrics and arrays."""
    check_output_dir(config.output_dir, config.overwrite)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    problem = config.build_problem(device)
    height, width, channels = problem.ground_truth.shape
    ensure_fits(problem.points_per_step, config.model, channels, device)
    optim = effective_optim(config)
    coords = pixel_grid(height, width, device)
    try:
        model = build_inr(config.model, 2, channels).to(device)
        partition = partition_model(model, coords[:16], optim)
    except ValueError as e:
        raise InputError(str(e)) from None
    optimizer = build_optimizer(partition, optim)
    scheduler = build_scheduler(optimizer, optim, config.steps)
    if config.progress:
        print(partition.table())
    result: FitResult = fit(
        partition, optimizer, scheduler, config.steps, problem.make_loss(model), config.rank_every,
        description=f"{config.task} {optim.optimizer} {config.model.arch}", progress=config.progress,
    )
    reconstruction = predict(model, coords).clamp(0, 1).reshape(height, width, channels).cpu().numpy()
    target = problem.ground_truth
    metrics = {
        "task": config.task,
        **image_metrics(target, reconstruction),
        **lpips_metrics(target, reconstruction, config.lpips),
        **problem.extra_metrics(reconstruction),
        "baselines": problem.baselines,
        "optimizer": optim.optimizer,
        "arch": config.model.arch,
        "steps": config.steps,
        "muon_lr_effective": optim.muon_lr,
        "adam_lr": optim.adam_lr,
        "image": problem.source,
        "image_size": [height, width, channels],
        "device": str(device),
        **result.summary(partition),
        "config": dataclasses.asdict(config),
    }
    with staged_output_dir(config.output_dir, config.overwrite) as out:
        save_image(out / "reconstruction.png", reconstruction)
        save_image(out / "ground_truth.png", target)
        for name, picture in problem.inputs.items():
            save_image(out / f"input_{name}.png", picture)
        title = f"{config.task} · {optim.optimizer} · {config.model.arch} · PSNR {metrics['psnr']:.2f} dB"
        save_comparison(out / "comparison.png", target, reconstruction, title)
        save_rank_outputs(out, optim.optimizer, result.ranks, partition)
        write_json(out / "config.json", {"task": config.task, **dataclasses.asdict(config)})
        write_json(out / "metrics.json", metrics)
    return TaskResult(metrics, reconstruction, target, result.ranks)


def masked_psnr(target: np.ndarray, prediction: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (data range 1) over the pixels where ``mask`` (H x W) is true."""
    error = (np.clip(prediction, 0, 1).astype(np.float64) - target)[mask]
    mse = float(np.mean(error**2))
    return float("inf") if mse == 0 else float(-10 * np.log10(mse))


def mse_on_points(model: nn.Module, coords: Tensor, values: Tensor) -> LossAt:
    """Full-batch MSE of the network at ``coords`` against ``values``."""
    return lambda step: torch.nn.functional.mse_loss(model(coords), values)
