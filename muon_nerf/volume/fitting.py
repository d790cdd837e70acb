"""Fit a 3-D scalar volume with a coordinate network, Muon or Adam (the paper's medical-data
experiment), optionally holding out slices to measure slice interpolation."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from muon_nerf.config import OptimConfig, build_optimizer, build_scheduler, partition_model
from muon_nerf.errors import InputError
from muon_nerf.fitting import fit, predict, resolve_device
from muon_nerf.inr import InrConfig, build_inr
from muon_nerf.outputs import check_output_dir, staged_output_dir, write_json
from muon_nerf.plots import save_rank_outputs
from muon_nerf.volume.holdout import linear_interpolation, split_voxels, voxel_coordinates
from muon_nerf.volume.intensity import IntensityWindow
from muon_nerf.volume.montage import save_montage
from muon_nerf.volume.volume_io import default_volume_path, load_volume, save_volume


@dataclass
class FitVolumeConfig:
    """Fit a 3-D volume (intensity at x, y, z) with a coordinate MLP, Muon or Adam; write the
    reconstruction, a slice montage, per-layer rank curves and metrics.json into --output-dir.
    Intensities are clipped to their [0.5, 99.5] percentiles and mapped to [0, 1]; metrics are
    computed there, the saved reconstruction is mapped back to the input's units."""

    volume: Path | None = None
    """NIfTI (.nii/.nii.gz) or other nibabel format, a folder holding one DICOM series, or a 3-D
    .npy array. Default: nibabel's small test MRI (anatomical.nii)."""
    output_dir: Path = Path("outputs/fit_volume")
    frame: int | None = None
    """For 4-D input: which volume of the series to fit."""
    holdout_slices: int = 0
    """Hold out every k-th slice along --holdout-axis (k >= 2; 0: none) and report PSNR/SSIM on
    those slices alone (slice interpolation / super-resolution)."""
    holdout_axis: int = 2
    """Slice axis: 2 is the slice direction of NIfTI volumes and of DICOM series."""
    steps: int = 2000
    batch_size: int | None = 32768
    """Voxels per step; None: every training voxel every step."""
    model: InrConfig = field(default_factory=InrConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    rank_every: int = 100
    seed: int = 0
    device: str = "auto"
    """auto: cuda if available, else cpu."""
    overwrite: bool = False
    progress: bool = True


def validate(config: FitVolumeConfig) -> None:
    check_output_dir(config.output_dir, config.overwrite)
    if config.steps < 1 or (config.batch_size is not None and config.batch_size < 1):
        raise InputError(f"--steps and --batch-size must be positive (got {config.steps}, {config.batch_size})")
    if config.holdout_slices == 1 or config.holdout_slices < 0:
        raise InputError(f"--holdout-slices {config.holdout_slices}: use 0 (none) or k >= 2")
    if config.holdout_axis not in (0, 1, 2):
        raise InputError(f"--holdout-axis {config.holdout_axis}: use 0, 1 or 2")


def _ssim(target: np.ndarray, prediction: np.ndarray) -> float:
    """SSIM with the largest odd window (<= 7) that fits the smallest axis; NaN if none does."""
    window = min(7, min(target.shape) - (1 - min(target.shape) % 2))
    if window < 3:
        return float("nan")
    return float(structural_similarity(target, prediction, data_range=1.0, win_size=window))


def volume_metrics(target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """PSNR (dB, data range 1) and 3-D SSIM of volumes in [0, 1]."""
    return {"psnr": float(peak_signal_noise_ratio(target, prediction, data_range=1.0)), "ssim": _ssim(target, prediction)}


def slice_metrics(target: np.ndarray, prediction: np.ndarray, axis: int, slices: list[int]) -> dict[str, float]:
    """PSNR over all voxels of ``slices`` and the mean 2-D SSIM of those slices."""
    target_slices = np.take(target, slices, axis=axis)
    predicted_slices = np.take(prediction, slices, axis=axis)
    ssims = [_ssim(np.take(target_slices, i, axis=axis), np.take(predicted_slices, i, axis=axis)) for i in range(len(slices))]
    return {"psnr": float(peak_signal_noise_ratio(target_slices, predicted_slices, data_range=1.0)),
            "ssim": float(np.mean(ssims))}


def fit_volume(config: FitVolumeConfig) -> dict:
    """Run the fit; returns the metrics that were written to metrics.json."""
    validate(config)
    volume = load_volume(config.volume if config.volume is not None else default_volume_path(), config.frame)
    window = IntensityWindow.from_percentiles(volume.data)
    target = window.normalise(volume.data)
    split = split_voxels(target.shape, config.holdout_axis, config.holdout_slices)
    if config.holdout_slices and not split.slices:
        raise InputError(f"{volume.source}: axis {config.holdout_axis} has {target.shape[config.holdout_axis]} slices, "
                         f"too few to hold out every {config.holdout_slices}th")

    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    coords = torch.from_numpy(voxel_coordinates(target.shape)).to(device)
    # Only training voxels are moved to the training tensors: held-out slices cannot leak in.
    train_index = torch.from_numpy(split.train).to(device)
    train_coords = coords[train_index]
    train_values = torch.from_numpy(target.reshape(-1, 1)).to(device)[train_index]
    try:
        model = build_inr(config.model, 3, 1).to(device)
        partition = partition_model(model, coords[:16], config.optim)
    except ValueError as e:
        raise InputError(str(e)) from None
    optimizer = build_optimizer(partition, config.optim)
    scheduler = build_scheduler(optimizer, config.optim, config.steps)
    if config.progress:
        print(partition.table())
    generator = torch.Generator(device=device).manual_seed(config.seed)

    def loss_at(step: int) -> torch.Tensor:
        if config.batch_size is None or config.batch_size >= len(train_coords):
            return torch.nn.functional.mse_loss(model(train_coords), train_values)
        index = torch.randint(len(train_coords), (config.batch_size,), device=device, generator=generator)
        return torch.nn.functional.mse_loss(model(train_coords[index]), train_values[index])

    result = fit(partition, optimizer, scheduler, config.steps, loss_at, config.rank_every,
                 description=f"{config.optim.optimizer} {config.model.arch}", progress=config.progress)
    prediction = predict(model, coords).clamp(0, 1).reshape(target.shape).cpu().numpy()

    metrics: dict = {**volume_metrics(target, prediction)}
    if split.slices:
        baseline = linear_interpolation(target, split.axis, split.slices)
        held_target = np.moveaxis(target, split.axis, 0)[split.slices]
        metrics["heldout"] = {
            **slice_metrics(target, prediction, split.axis, split.slices),
            "linear_interpolation_psnr": float(peak_signal_noise_ratio(held_target, baseline, data_range=1.0)),
            "axis": split.axis,
            "slices": split.slices,
        }
    metrics.update({
        "optimizer": config.optim.optimizer,
        "arch": config.model.arch,
        "steps": config.steps,
        "volume": volume.source,
        "volume_kind": volume.kind,
        "volume_shape": list(target.shape),
        "intensity_window": dataclasses.asdict(window),
        "device": str(device),
        **result.summary(partition),
        "config": dataclasses.asdict(config),
    })
    centre = [n // 2 for n in target.shape]
    if split.slices:  # show the held-out slice closest to the centre
        centre[split.axis] = min(split.slices, key=lambda i: abs(i - centre[split.axis]))
    with staged_output_dir(config.output_dir, config.overwrite) as out:
        metrics["reconstruction"] = save_volume(out, "reconstruction", window.restore(prediction), volume).name
        title = f"{config.optim.optimizer} · {config.model.arch} · PSNR {metrics['psnr']:.2f} dB"
        if split.slices:
            title += f" · held-out slices {metrics['heldout']['psnr']:.2f} dB"
        save_montage(out / "montage.png", target, prediction, tuple(centre), split.axis if split.slices else None, title)
        save_rank_outputs(out, config.optim.optimizer, result.ranks, partition)
        write_json(out / "metrics.json", metrics)
    return metrics
