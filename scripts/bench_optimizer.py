"""How much does a Muon+Adam step cost next to the network's own forward+backward?

Times, in one run on the same model (a 5-layer ReLU MLP, hidden width 256, 2-D coordinates in,
RGB out): one Muon+Adam optimizer step, one Adam step, one forward+backward pass at several batch
sizes; prints medians and ratios. Targets (CPU): Muon+Adam step <= 0.35 x fwd+bwd at 4096
coordinates and <= 0.05 x at 65536.

    python scripts/bench_optimizer.py --batch-sizes 4096 65536
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import tyro

from muon_nerf.config import OptimConfig, build_optimizer, partition_model
from muon_nerf.inr import InrConfig, build_inr
from muon_nerf.outputs import write_json


@dataclass
class BenchOptimizerConfig:
    """Time Muon+Adam and Adam steps against forward+backward."""

    batch_sizes: tuple[int, ...] = (4096, 65536)
    width: int = 256
    depth: int = 5
    repeats: int = 20
    """Timed repetitions per measurement (median reported), after 3 warm-up runs."""
    ns_dtype: str = "auto"
    """Newton-Schulz precision (auto: fp32 on CPU, bf16 on CUDA); bfloat16 shows the CPU penalty."""
    device: str = "cpu"
    json_out: Path | None = None
    """Also write the numbers here as JSON."""


def interleaved_medians(fns: dict[str, Callable[[], None]], repeats: int, device: torch.device) -> dict[str, float]:
    """Median seconds of each function, timed round-robin so that load from other processes
    hits every measurement alike (the ratios are what we report)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for fn in fns.values():
        for _ in range(3):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(config: BenchOptimizerConfig) -> dict:
    device = torch.device(config.device)
    torch.manual_seed(0)
    model = build_inr(InrConfig(width=config.width, depth=config.depth), 2, 3).to(device)
    optim_muon = OptimConfig(optimizer="muon", ns_dtype=config.ns_dtype)  # type: ignore[arg-type]
    partition = partition_model(model, torch.zeros(4, 2, device=device), optim_muon)
    muon = build_optimizer(partition, optim_muon)
    adam = build_optimizer(partition, OptimConfig(optimizer="adam"))
    rows = []
    print(f"{config.depth}-layer ReLU MLP, width {config.width}, {device}, threads={torch.get_num_threads()}, "
          f"Newton-Schulz dtype {config.ns_dtype}")
    print(f"{'batch':>7} {'fwd+bwd ms':>11} {'muon+adam ms':>13} {'adam ms':>8} {'muon/fwdbwd':>12} {'adam/fwdbwd':>12}")
    for batch in config.batch_sizes:
        x = torch.rand(batch, 2, device=device) * 2 - 1
        y = torch.rand(batch, 3, device=device)

        def forward_backward() -> None:
            model.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(x), y).backward()

        # Each step reuses the gradients left by the last forward+backward; the weights move,
        # which does not change the cost.
        timing = interleaved_medians(
            {"fwd_bwd": forward_backward, "muon": muon.step, "adam": adam.step}, config.repeats, device
        )
        fwd_bwd, muon_step, adam_step = timing["fwd_bwd"], timing["muon"], timing["adam"]
        row = dict(batch=batch, forward_backward_s=fwd_bwd, muon_adam_step_s=muon_step, adam_step_s=adam_step,
                   muon_over_fwd_bwd=muon_step / fwd_bwd, adam_over_fwd_bwd=adam_step / fwd_bwd)
        rows.append(row)
        print(f"{batch:>7} {fwd_bwd * 1e3:>11.2f} {muon_step * 1e3:>13.2f} {adam_step * 1e3:>8.2f} "
              f"{row['muon_over_fwd_bwd']:>12.3f} {row['adam_over_fwd_bwd']:>12.3f}")
    targets = {4096: 0.35, 65536: 0.05}
    for row in rows:
        if row["batch"] in targets:
            ok = row["muon_over_fwd_bwd"] <= targets[row["batch"]]
            print(f"target at {row['batch']}: muon+adam <= {targets[row['batch']]} x fwd+bwd: "
                  f"{'met' if ok else 'MISSED'} ({row['muon_over_fwd_bwd']:.3f})")
    result = {"config": config, "rows": rows, "threads": torch.get_num_threads()}
    if config.json_out:
        write_json(config.json_out, result)
    return result


if __name__ == "__main__":
    main(tyro.cli(BenchOptimizerConfig))
