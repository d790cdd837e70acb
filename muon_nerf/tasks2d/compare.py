"""Side by side: the same task with each optimizer (and architecture), one report for all.

Each cell is an ordinary run (its own output folder under runs/); the report adds a Markdown table
(PSNR/SSIM per cell, the Muon - Adam gain in dB, wall seconds), a figure grid of reconstructions
and rank curves, and report.json.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from muon_nerf.outputs import write_json  # noqa: E402
from muon_nerf.plots import save_rank_plot  # noqa: E402
from muon_nerf.tasks2d.common import TaskConfig, TaskResult, run_task  # noqa: E402


@dataclass
class Cell:
    arch: str
    optimizer: str
    result: TaskResult


def run_grid(base: TaskConfig, archs: Sequence[str], optimizers: Sequence[str], runs_dir: Path,
             label: str = "") -> list[Cell]:
    """Run ``base`` once per (architecture, optimizer), every run with the same seed and data."""
    cells = []
    for arch in archs:
        for optimizer in optimizers:
            config = dataclasses.replace(
                base,
                model=dataclasses.replace(base.model, arch=arch),
                optim=dataclasses.replace(base.optim, optimizer=optimizer),
                output_dir=runs_dir / f"{label}{arch}-{optimizer}",
                overwrite=True,
            )
            cells.append(Cell(arch, optimizer, run_task(config)))
    return cells


def summary_rows(cells: Sequence[Cell]) -> list[dict]:
    """One row per architecture: each optimizer's numbers and the Muon - Adam PSNR gain."""
    rows: dict[str, dict] = {}
    for cell in cells:
        m = cell.result.metrics
        row = rows.setdefault(cell.arch, {"arch": cell.arch})
        row[cell.optimizer] = {"psnr": m["psnr"], "ssim": m["ssim"], "seconds": m["seconds"],
                               "mean_stable_rank": m["mean_stable_rank"], "lpips": m["lpips"]}
    for row in rows.values():
        if "adam" in row and "muon" in row:
            row["delta_db"] = row["muon"]["psnr"] - row["adam"]["psnr"]
    return list(rows.values())


def markdown_table(rows: Sequence[dict], optimizers: Sequence[str]) -> str:
    header = ["arch"]
    for opt in optimizers:
        header += [f"{opt} PSNR", f"{opt} SSIM", f"{opt} s", f"{opt} stable rank"]
    with_delta = any("delta_db" in row for row in rows)
    if with_delta:
        header.append("Δ dB (muon − adam)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cols = [row["arch"]]
        for opt in optimizers:
            r = row[opt]
            cols += [f"{r['psnr']:.2f}", f"{r['ssim']:.4f}", f"{r['seconds']:.1f}", f"{r['mean_stable_rank']:.1f}"]
        if with_delta:
            cols.append(f"{row['delta_db']:+.2f}" if "delta_db" in row else "")
        lines.append("| " + " | ".join(cols) + " |")
    return "\n".join(lines)


def _show(ax, image: np.ndarray, title: str) -> None:
    ax.imshow(np.clip(image.squeeze(), 0, 1), cmap="gray" if image.shape[-1] == 1 else None, vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def save_grid_figure(path: Path, cells: Sequence[Cell], optimizers: Sequence[str]) -> None:
    """Rows: architectures. Columns: ground truth, one reconstruction per optimizer, and the mean
    hidden-layer stable rank against step for every optimizer."""
    archs = list(dict.fromkeys(c.arch for c in cells))
    by_key = {(c.arch, c.optimizer): c for c in cells}
    cols = len(optimizers) + 2
    fig, axes = plt.subplots(len(archs), cols, figsize=(3 * cols, 3 * len(archs)), squeeze=False)
    for i, arch in enumerate(archs):
        _show(axes[i][0], cells[0].result.ground_truth, f"{arch}: ground truth")
        rank_ax = axes[i][-1]
        for j, opt in enumerate(optimizers):
            cell = by_key[(arch, opt)]
            _show(axes[i][j + 1], cell.result.reconstruction, f"{opt}: {cell.result.metrics['psnr']:.2f} dB")
            ranks = cell.result.ranks
            if ranks.layers:
                mean = np.mean([values["stable_rank"] for values in ranks.layers.values()], axis=0)
                rank_ax.plot(ranks.steps, mean, label=opt)
        rank_ax.set_yscale("log")
        rank_ax.set_title("mean hidden stable rank", fontsize=8)
        rank_ax.set_xlabel("step", fontsize=8)
        rank_ax.legend(fontsize=7)
        rank_ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(out: Path, cells: Sequence[Cell], optimizers: Sequence[str], title: str, command: str = "") -> list[dict]:
    """report.md, report.json, grid.png and one stable_rank_<arch>.png per architecture into ``out``."""
    rows = summary_rows(cells)
    table = markdown_table(rows, optimizers)
    text = f"# {title}\n\n" + (f"Command: `{command}`\n\n" if command else "") + table + "\n\n![grid](grid.png)\n"
    (out / "report.md").write_text(text)
    write_json(out / "report.json", {"title": title, "command": command, "rows": rows,
                                     "cells": [c.result.metrics for c in cells]})
    save_grid_figure(out / "grid.png", cells, optimizers)
    for arch in dict.fromkeys(c.arch for c in cells):
        histories = {c.optimizer: c.result.ranks for c in cells if c.arch == arch and c.result.ranks.layers}
        if histories:
            save_rank_plot(out / f"stable_rank_{arch}.png", histories)
    return rows
