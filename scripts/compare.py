"""Run one 2D task with Adam and with Muon (optionally for several architectures) and write one
report: report.md (PSNR/SSIM, Muon - Adam in dB, seconds), grid.png, per-architecture rank plots.

    python scripts/compare.py --archs relu siren --output-dir outputs/compare task:image --task.steps 500
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import tyro

from muon_nerf.config import OptimizerName
from muon_nerf.errors import InputError, run_cli
from muon_nerf.inr import Architecture
from muon_nerf.outputs import check_output_dir, staged_output_dir
from muon_nerf.tasks2d import TaskChoice
from muon_nerf.tasks2d.compare import run_grid, write_report


@dataclass
class CompareConfig:
    task: TaskChoice
    """The task and its settings; --task.model.arch / --task.optim.optimizer are overridden per cell."""
    output_dir: Path = Path("outputs/compare")
    archs: tuple[Architecture, ...] = ()
    """Architectures to compare (empty: the task's --task.model.arch)."""
    optimizers: tuple[OptimizerName, ...] = ("adam", "muon")
    overwrite: bool = False
    """Replace an existing, non-empty --output-dir."""


def compare(config: CompareConfig) -> list[dict]:
    check_output_dir(config.output_dir, config.overwrite)
    if not config.optimizers:
        raise InputError("--optimizers: name at least one optimizer")
    archs = config.archs or (config.task.model.arch,)
    with staged_output_dir(config.output_dir, config.overwrite) as out:
        cells = run_grid(config.task, archs, config.optimizers, out / "runs")
        title = f"{config.task.task}: {' vs '.join(config.optimizers)}"
        command = "python scripts/compare.py " + shlex.join(sys.argv[1:])
        return write_report(out, cells, config.optimizers, title, command)


def main() -> None:
    config = tyro.cli(CompareConfig)
    run_cli(lambda: compare(config))
    print((config.output_dir / "report.md").read_text())


if __name__ == "__main__":
    main()
