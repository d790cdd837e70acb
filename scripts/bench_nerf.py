"""Benchmark muon-nerf on a scene, on CPU: Muon vs Adam quality per encoding, speed vs vanilla-nerf.

One process, nerfstudio imported once. For each encoding it trains ``muon-nerf-cpu`` and
``muon-nerf-adam-cpu`` for the same number of steps and evaluates the held-out images; then it times
training iterations of muon-nerf and of nerfstudio's ``vanilla-nerf`` at the same ray batch.

    python scripts/bench_nerf.py                      # defaults: ~12-15 min on 2 idle CPU cores
    python scripts/bench_nerf.py --steps 1500 --encodings none pe fourier hash   # closer to converged
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import psutil
import tyro


@dataclass
class BenchConfig:
    data: Path = Path("data/sample_scene")
    """Scene folder (nerfstudio or Blender format)."""
    output: Path = Path("outputs/bench_nerf/results.json")
    """Where the JSON results go (run folders are created next to it)."""
    encodings: Tuple[str, ...] = ("none", "pe", "hash")
    """Position encodings to compare Muon and Adam on."""
    steps: int = 600
    """Training steps of every quality run (both optimizers get the same)."""
    train_rays: int = 512
    """Ray batch of the quality runs."""
    speed_rays: int = 512
    """Ray batch at which muon-nerf-cpu and vanilla-nerf are timed against each other (the CPU preset's)."""
    speed_iters: int = 12
    """Timed iterations of muon-nerf (after warm-up)."""
    vanilla_iters: int = 3
    """Timed iterations of vanilla-nerf (~12 s each at 512 rays on 2 cores)."""
    eval_images: int = 0
    """Held-out images to evaluate per run (0: all; each costs seconds on a CPU)."""
    threads: int = 0
    """torch threads (0: torch's default)."""
    seed: int = 0


class PeakRss:
    """Samples this process's resident memory in a thread; ``peak_mb`` is the max seen while active."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.process = psutil.Process(os.getpid())
        self.peak = 0

    def __enter__(self) -> "PeakRss":
        self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval_s)

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def quality_run(bench: BenchConfig, method: str, encoding: str) -> Dict[str, float]:
    from muon_nerf.nerf.runs import prepare_config, setup_trainer
    from muon_nerf.rank import layer_rank_stats, mean_stable_rank

    run_dir = bench.output.parent / "runs"
    config = prepare_config(method, bench.data, run_dir, bench.steps, bench.train_rays, encoding, f"{encoding}")
    config.machine.seed = bench.seed
    with PeakRss() as memory:
        trainer = setup_trainer(config)
        start = time.perf_counter()
        trainer.train()
        train_s = time.perf_counter() - start
        metrics = evaluate_held_out(trainer.pipeline, bench.eval_images)
    model = trainer.pipeline.model
    ranks = layer_rank_stats({n: w.detach() for n, w in model.muon_eligible_weights().items()})
    trainer.shutdown()
    return {
        "psnr": float(metrics["psnr"]),
        "ssim": float(metrics["ssim"]),
        "train_s": train_s,
        "train_rays_per_s": bench.steps * bench.train_rays / train_s,
        "mean_stable_rank": mean_stable_rank(ranks),
        "peak_rss_mb": memory.peak_mb,
    }


def evaluate_held_out(pipeline, max_images: int) -> Dict[str, float]:
    """Mean PSNR/SSIM over the eval split (the scene's val/test images), rendered image by image."""
    import torch

    dataset = pipeline.datamanager.eval_dataset
    count = len(dataset) if max_images <= 0 else min(max_images, len(dataset))
    pipeline.eval()
    rows = []
    with torch.no_grad():
        for index in range(count):
            camera = dataset.cameras[index : index + 1].to(pipeline.device)
            outputs = pipeline.model.get_outputs_for_camera(camera)
            metrics, _ = pipeline.model.get_image_metrics_and_images(outputs, dataset[index])
            rows.append(metrics)
    pipeline.train()
    return {key: statistics.mean(row[key] for row in rows) for key in ("psnr", "ssim")}


def _patch_lpips_offline() -> None:
    """vanilla-nerf builds LPIPS (downloads AlexNet) at start-up; only its speed is measured here."""
    import torch
    import torchmetrics.image.lpip as lpip

    from muon_nerf.lpips import alexnet_checkpoint

    if not alexnet_checkpoint().is_file():
        lpip.LearnedPerceptualImagePatchSimilarity = lambda **_: torch.nn.Identity()  # type: ignore


def speed_trainer(method: str, bench: BenchConfig):
    from muon_nerf.nerf.dataparser import AutoFormatDataParserConfig
    from muon_nerf.nerf.runs import prepare_config, setup_trainer

    steps = bench.speed_iters + bench.vanilla_iters + 4
    config = prepare_config(method, bench.data, bench.output.parent / "speed", steps, bench.speed_rays, timestamp=method)
    if not isinstance(config.pipeline.datamanager.dataparser, AutoFormatDataParserConfig):
        config.pipeline.datamanager.dataparser = AutoFormatDataParserConfig(data=bench.data)
    trainer = setup_trainer(config)
    trainer.pipeline.train()
    return trainer


def interleaved_speed(bench: BenchConfig) -> Dict[str, float]:
    """Median s/iteration of muon-nerf and vanilla-nerf, timed in alternation so both see the same
    machine load (shared CPUs make back-to-back timings incomparable)."""
    _patch_lpips_offline()
    with PeakRss() as memory:
        ours, vanilla = speed_trainer("muon-nerf-cpu", bench), speed_trainer("vanilla-nerf", bench)
        ours_steps, vanilla_steps = iter(range(10**9)), iter(range(10**9))
        for _ in range(3):  # warm-up
            ours.train_iteration(next(ours_steps))
        vanilla.train_iteration(next(vanilla_steps))
        ours_s: List[float] = []
        vanilla_s: List[float] = []
        per_round = max(bench.speed_iters // max(bench.vanilla_iters, 1), 1)
        for _ in range(max(bench.vanilla_iters, 1)):
            for _ in range(per_round):
                start = time.perf_counter()
                ours.train_iteration(next(ours_steps))
                ours_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            vanilla.train_iteration(next(vanilla_steps))
            vanilla_s.append(time.perf_counter() - start)
    ours.shutdown()
    vanilla.shutdown()
    ours_median, vanilla_median = statistics.median(ours_s), statistics.median(vanilla_s)
    return {
        "rays": bench.speed_rays,
        "muon_nerf_s_per_iter": ours_median,
        "vanilla_nerf_s_per_iter": vanilla_median,
        "muon_nerf_rays_per_s": bench.speed_rays / ours_median,
        "vanilla_nerf_rays_per_s": bench.speed_rays / vanilla_median,
        "speedup": vanilla_median / ours_median,
        "peak_rss_mb_both_models": memory.peak_mb,
    }


def print_table(results: dict) -> None:
    header = f"{'encoding':9} {'optimizer':9} {'PSNR':>7} {'SSIM':>6} {'rank':>6} {'rays/s':>7} {'train s':>8} {'RSS MB':>7}"
    print(header)
    print("-" * len(header))
    for row in results["quality"]:
        print(
            f"{row['encoding']:9} {row['optimizer']:9} {row['psnr']:7.2f} {row['ssim']:6.3f} {row['mean_stable_rank']:6.2f} "
            f"{row['train_rays_per_s']:7.0f} {row['train_s']:8.1f} {row['peak_rss_mb']:7.0f}"
        )
    speed = results["speed"]
    print(
        f"\ntrain rays/s at {speed['rays']} rays/batch: muon-nerf-cpu {speed['muon_nerf_rays_per_s']:.0f}, "
        f"vanilla-nerf {speed['vanilla_nerf_rays_per_s']:.1f} -> {speed['speedup']:.1f}x"
    )


def main(bench: BenchConfig) -> dict:
    import torch

    if bench.threads:
        torch.set_num_threads(bench.threads)
    bench.output.parent.mkdir(parents=True, exist_ok=True)
    results: dict = {"config": {k: str(v) for k, v in dataclasses.asdict(bench).items()}, "quality": []}
    for encoding in bench.encodings:
        for optimizer, method in (("muon", "muon-nerf-cpu"), ("adam", "muon-nerf-adam-cpu")):
            row = {"encoding": encoding, "optimizer": optimizer, **quality_run(bench, method, encoding)}
            print(json.dumps(row))
            results["quality"].append(row)

    results["speed"] = interleaved_speed(bench)
    bench.output.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nresults written to {bench.output}")
    return results


if __name__ == "__main__":
    main(tyro.cli(BenchConfig))
