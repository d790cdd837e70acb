"""The main job on the embedded sample scene: train muon-nerf (CPU preset on a CPU), evaluate it on
the held-out views, render a short video, and say where everything is.

It runs exactly the nerfstudio commands a user would type (ns-train, ns-eval, ns-render), so the
printed commands can be copied for your own scenes.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import tyro

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DemoConfig:
    """Train, evaluate and render muon-nerf on a scene (default: the embedded sample)."""

    data: Path = ROOT / "data" / "sample_scene"
    output_dir: Path = ROOT / "outputs" / "demo"
    method: str | None = None
    """nerfstudio method; default muon-nerf-cpu on a CPU, muon-nerf on a GPU."""
    max_num_iterations: int | None = None
    """Training steps; default: the method's own."""
    timestamp: str = "demo"
    """Run name under output_dir/<scene>/<method>/ (a re-run replaces it)."""


def run(command: list[str]) -> None:
    print(f"\n$ {shlex.join(command)}", flush=True)
    subprocess.run(command, check=True)


def main(config: DemoConfig) -> None:
    bin_dir = Path(sys.executable).parent
    method = config.method or ("muon-nerf" if torch.cuda.is_available() else "muon-nerf-cpu")
    if not config.data.is_dir():
        raise SystemExit(f"error: {config.data}: no such scene folder")
    run_dir = config.output_dir / config.data.name / method / config.timestamp
    started = time.perf_counter()
    train = [str(bin_dir / "ns-train"), method, "--data", str(config.data), "--output-dir", str(config.output_dir),
             "--timestamp", config.timestamp, "--vis", "tensorboard"]
    if config.max_num_iterations is not None:
        train += ["--max-num-iterations", str(config.max_num_iterations)]
    run(train)
    config_yml = run_dir / "config.yml"
    eval_json = run_dir / "eval.json"
    run([str(bin_dir / "ns-eval"), "--load-config", str(config_yml), "--output-path", str(eval_json),
         "--render-output-path", str(run_dir / "eval_images")])
    video = run_dir / "renders" / "interpolate.mp4"
    run([str(bin_dir / "ns-render"), "interpolate", "--load-config", str(config_yml), "--output-path", str(video),
         "--rendered-output-names", "rgb", "depth", "--interpolation-steps", "4", "--frame-rate", "12",
         "--order-poses", "True"])
    results = json.loads(eval_json.read_text())["results"]
    minutes = (time.perf_counter() - started) / 60
    print(f"\nmuon-nerf demo finished in {minutes:.1f} min")
    print(f"  held-out views: PSNR {results['psnr']:.2f} dB, SSIM {results['ssim']:.4f}")
    print(f"  run folder:     {run_dir}")
    print(f"  checkpoint:     {run_dir / 'nerfstudio_models'}")
    print(f"  metrics:        {eval_json}")
    print(f"  eval images:    {run_dir / 'eval_images'}")
    print(f"  video:          {video}")
    print(f"  rank curves:    {bin_dir / 'tensorboard'} --logdir {run_dir}")
    print(f"  live viewer:    {bin_dir / 'ns-viewer'} --load-config {config_yml}")


if __name__ == "__main__":
    main(tyro.cli(DemoConfig))
