"""Coordinate networks (implicit neural representations) shared by every 2D/3D fitting script.

``depth`` counts linear layers: the first layer reads the (encoded) coordinates, ``depth - 2``
hidden layers are square ``width x width`` matrices (the ones Muon trains), and the last layer is
the output head. The paper's default is a 5-layer ReLU MLP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from nerfstudio.field_components.encodings import NeRFEncoding, RFFEncoding
from torch import Tensor, nn

Architecture = Literal["relu", "relu-pe", "relu-fourier"]


@dataclass
class InrConfig:
    """Network architecture."""

    arch: Architecture = "relu"
    """relu: plain ReLU MLP on raw coordinates (the paper's headline); relu-pe: NeRF positional
    encoding first; relu-fourier: random Fourier features first."""
    width: int = 256
    """Hidden width."""
    depth: int = 5
    """Number of linear layers (first + hidden + output); at least 3 so that one layer is hidden."""
    pe_frequencies: int = 8
    """relu-pe: number of octaves: sin/cos(2*pi * 2^k * x) for k = 0 .. n-1, x in [-1, 1]."""
    fourier_features: int = 256
    """relu-fourier: number of random frequencies."""
    fourier_scale: float = 10.0
    """relu-fourier: standard deviation of the random frequencies."""


class CoordinateMLP(nn.Module):
    """encoding -> Linear -> act -> ... -> Linear. The encoding may hold its own parameters."""

    def __init__(
        self,
        encoding: nn.Module | None,
        encoded_dim: int,
        width: int,
        depth: int,
        out_features: int,
        activation: Callable[[], nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        if depth < 3:
            raise ValueError(f"depth must be at least 3 (first, hidden, output layer), got {depth}")
        self.encoding = encoding
        dims = [encoded_dim] + [width] * (depth - 1)
        layers: list[nn.Module] = []
        for d_in, d_out in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(d_in, d_out), activation()]
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, coords: Tensor) -> Tensor:
        x = self.encoding(coords) if self.encoding is not None else coords
        return self.layers(x)


def build_inr(config: InrConfig, in_features: int, out_features: int) -> nn.Module:
    """The network named by ``config.arch`` mapping ``in_features`` coordinates to ``out_features``."""
    if config.arch == "relu":
        encoding, dim = None, in_features
    elif config.arch == "relu-pe":
        encoding = NeRFEncoding(in_features, config.pe_frequencies, 0, config.pe_frequencies - 1, include_input=True)
        dim = encoding.get_out_dim()
    elif config.arch == "relu-fourier":
        encoding = RFFEncoding(in_features, config.fourier_features, config.fourier_scale, include_input=False)
        dim = encoding.get_out_dim()
    else:
        raise ValueError(f"unknown architecture {config.arch!r}; choose one of relu, relu-pe, relu-fourier")
    return CoordinateMLP(encoding, dim, config.width, config.depth, out_features)
