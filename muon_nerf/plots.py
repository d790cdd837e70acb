"""Pictures people would rather look at than read: error maps and rank curves (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from muon_nerf.fitting import RankHistory  # noqa: E402
from muon_nerf.outputs import write_json  # noqa: E402
from muon_nerf.partition import Partition  # noqa: E402


def _show(ax, image: np.ndarray, title: str) -> None:
    ax.imshow(np.clip(image.squeeze(), 0, 1), cmap="gray" if image.shape[-1] == 1 else None, vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")


def save_comparison(path: Path, target: np.ndarray, prediction: np.ndarray, title: str = "") -> None:
    """ground truth | reconstruction | absolute error (mean over channels), with a colour bar."""
    error = np.abs(np.clip(prediction, 0, 1) - target).mean(axis=-1)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
    _show(axes[0], target, "ground truth")
    _show(axes[1], prediction, "reconstruction")
    im = axes[2].imshow(error, cmap="magma", vmin=0, vmax=max(float(error.max()), 1e-6))
    axes[2].set_title("|error|")
    axes[2].axis("off")
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_rank_plot(path: Path, histories: Mapping[str, RankHistory], metric: str = "stable_rank") -> None:
    """One line per hidden layer and run (runs told apart by line style), rank against step."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    styles = ["-", "--", ":", "-."]
    for i, (label, history) in enumerate(histories.items()):
        for j, (layer, values) in enumerate(history.layers.items()):
            ax.plot(history.steps, values[metric], styles[i % len(styles)], color=f"C{j % 10}",
                    label=f"{label}: {layer}")
    ax.set_xlabel("step")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_yscale("log")
    ax.set_title(f"{metric.replace('_', ' ')} of hidden layers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=1 + len(histories) // 2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_rank_outputs(folder: Path, label: str, history: RankHistory, partition: Partition) -> None:
    """What every fitting run leaves about its hidden layers: stable_rank.png, rank_history.json
    and partition.txt (which tensor went to which optimizer, and why)."""
    save_rank_plot(folder / "stable_rank.png", {label: history})
    write_json(folder / "rank_history.json", history)
    (folder / "partition.txt").write_text(partition.table() + "\n")
