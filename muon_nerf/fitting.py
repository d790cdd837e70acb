"""The training loop every fitting script shares: step, cosine schedule, NaN guard, rank logging,
progress bar. The task (what a batch is, what the loss compares) comes in as ``loss_at(step)``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor
from tqdm.auto import tqdm

from muon_nerf.errors import TrainingDiverged
from muon_nerf.partition import Partition
from muon_nerf.rank import layer_rank_stats


def resolve_device(name: str) -> torch.device:
    """``auto``: CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@torch.no_grad()
def predict(model: torch.nn.Module, coords: Tensor, chunk: int = 65536) -> Tensor:
    """Evaluate a coordinate network on many points in chunks that fit in memory."""
    return torch.cat([model(coords[i : i + chunk]) for i in range(0, len(coords), chunk)])


@dataclass
class RankHistory:
    """Per-layer rank numbers over training: ``layers[name][metric]`` is aligned with ``steps``."""

    steps: list[int] = field(default_factory=list)
    layers: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def record(self, step: int, weights: dict[str, Tensor]) -> None:
        self.steps.append(step)
        for name, stats in layer_rank_stats(weights).items():
            per_metric = self.layers.setdefault(name, {})
            for metric, value in stats.as_dict().items():
                per_metric.setdefault(metric, []).append(value)

    def final(self, metric: str = "stable_rank") -> dict[str, float]:
        return {name: values[metric][-1] for name, values in self.layers.items()}

    def mean_final(self, metric: str = "stable_rank") -> float:
        final = self.final(metric)
        return sum(final.values()) / max(len(final), 1)


@dataclass
class FitResult:
    losses: list[float]
    ranks: RankHistory
    seconds: float
    steps: int

    def summary(self, partition: Partition) -> dict:
        """The training facts every metrics.json carries: time, last loss, ranks, the partition."""
        return {
            "seconds": self.seconds,
            "final_loss": self.losses[-1] if self.losses else None,
            "mean_stable_rank": self.ranks.mean_final("stable_rank"),
            "stable_rank": self.ranks.final("stable_rank"),
            "effective_rank": self.ranks.final("effective_rank"),
            "partition": {"muon": partition.muon_names, "adam": partition.adam_names},
        }


def fit(
    partition: Partition,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    steps: int,
    loss_at: Callable[[int], Tensor],
    rank_every: int = 100,
    description: str = "fitting",
    loss_is_mse: bool = True,
    progress: bool = True,
) -> FitResult:
    """Run ``steps`` optimizer steps on ``loss_at(step)``; record the ranks of the hidden layers
    (the partition's Muon layers) at step 0, every ``rank_every`` steps and at the end."""
    hidden = {name: partition.params[name] for name in partition.muon_names}
    history = RankHistory()
    losses: list[float] = []
    bar = tqdm(range(steps), desc=description, disable=not progress, dynamic_ncols=True)
    start = time.perf_counter()
    for step in bar:
        if hidden and step % rank_every == 0:
            history.record(step, hidden)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_at(step)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"loss became {value} at step {step}; the learning rate is probably too high "
                "(lower --optim.muon-lr / --optim.adam-lr)"
            )
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(value)
        if step % 10 == 0 or step == steps - 1:
            postfix = {"loss": f"{value:.2e}"}
            if loss_is_mse:
                postfix["psnr"] = f"{-10 * math.log10(max(value, 1e-12)):.2f}"
            bar.set_postfix(postfix)
    seconds = time.perf_counter() - start
    if hidden:
        history.record(steps, hidden)
    return FitResult(losses, history, seconds, steps)
