"""Rank diagnostics for weight matrices: the paper's explanation, and our users' debugging tool.

Under Adam the stable rank of hidden layers collapses (a few directions carry all the energy);
under Muon it stays high. One ``svdvals`` per layer gives every number here, cheap enough to log
every few hundred steps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping

import torch
from torch import Tensor


@dataclass(frozen=True)
class RankStats:
    stable_rank: float  # ||W||_F^2 / ||W||_2^2: how many directions carry the energy, robust to noise
    effective_rank: float  # exp(entropy of sigma^2 / sum sigma^2)
    spectral_norm: float  # largest singular value
    condition_number: float  # sigma_max / sigma_min (inf when singular)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _as_matrix(weight: Tensor) -> Tensor:
    w = weight.detach()
    w = w if w.dtype == torch.float64 else w.float()
    if w.ndim < 2:
        raise ValueError(f"rank needs a matrix, got shape {tuple(weight.shape)}")
    return w.reshape(w.size(0), -1)


def _stats_from_singular_values(s: Tensor) -> RankStats:
    s = s.double()
    top = s[0].item()
    if top == 0.0:
        return RankStats(0.0, 0.0, 0.0, math.inf)
    energy = s.square()
    p = energy / energy.sum()
    p = p[p > 0]
    return RankStats(
        stable_rank=(energy.sum() / energy[0]).item(),
        effective_rank=torch.exp(-(p * p.log()).sum()).item(),
        spectral_norm=top,
        condition_number=top / s[-1].item() if s[-1].item() > 0 else math.inf,
    )


def rank_stats(weight: Tensor) -> RankStats:
    """All rank numbers of one weight matrix (conv kernels are flattened to out x in*k*k)."""
    return _stats_from_singular_values(torch.linalg.svdvals(_as_matrix(weight)))


def stable_rank(weight: Tensor) -> float:
    return rank_stats(weight).stable_rank


def effective_rank(weight: Tensor) -> float:
    return rank_stats(weight).effective_rank


def spectral_norm(weight: Tensor) -> float:
    return rank_stats(weight).spectral_norm


def condition_number(weight: Tensor) -> float:
    return rank_stats(weight).condition_number


def layer_rank_stats(weights: Mapping[str, Tensor]) -> dict[str, RankStats]:
    """Rank numbers for each named matrix; same-shaped ones share one batched SVD."""
    names = list(weights)
    by_shape: dict[tuple, list[str]] = {}
    for name in names:
        by_shape.setdefault(tuple(_as_matrix(weights[name]).shape), []).append(name)
    out: dict[str, RankStats] = {}
    for group in by_shape.values():
        values = torch.linalg.svdvals(torch.stack([_as_matrix(weights[n]) for n in group]))
        for name, s in zip(group, values):
            out[name] = _stats_from_singular_values(s)
    return {name: out[name] for name in names}


def mean_stable_rank(stats: Mapping[str, RankStats]) -> float:
    return sum(s.stable_rank for s in stats.values()) / max(len(stats), 1)
