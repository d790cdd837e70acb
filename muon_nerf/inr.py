"""Coordinate networks (implicit neural representations) shared by every 2D/3D fitting script.

``depth`` counts linear layers: the first layer reads the (encoded) coordinates, ``depth - 2``
hidden layers are square ``width x width`` matrices (the ones Muon trains), and the last layer is
the output head. The paper's default is a 5-layer ReLU MLP.

Every architecture is the same stack ``encoding -> (nn.Linear -> activation) * (depth-1) -> nn.Linear``;
only the encoding, the elementwise activation and the initialisation differ. Keeping the weights in
plain ``nn.Linear`` modules is what lets ``partition_parameters`` find the hidden layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal, get_args

import torch
from nerfstudio.field_components.encodings import HashEncoding, NeRFEncoding, RFFEncoding
from torch import Tensor, nn

Architecture = Literal["relu", "relu-pe", "relu-fourier", "siren", "finer", "gauss", "wire", "hash"]
ARCHITECTURES: tuple[str, ...] = get_args(Architecture)


@dataclass
class InrConfig:
    """Network architecture."""

    arch: Architecture = "relu"
    """relu: plain ReLU MLP on raw coordinates (the paper's headline); relu-pe: NeRF positional
    encoding first; relu-fourier: random Fourier features first; siren: sine activations
    (Sitzmann et al. 2020); finer: variable-periodic sine (Liu et al. 2024); gauss: Gaussian
    activations (Ramasinghe & Lucey 2022); wire: real Gabor wavelet activations (Saragadam et al.
    2023); hash: multiresolution hash grid (Mueller et al. 2022) + ReLU MLP."""
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
    omega0: float = 30.0
    """siren/finer: frequency w0 of sin(w0 * (W x + b)); weights are scaled so w0 * W keeps SIREN's
    distribution."""
    finer_first_bias: float = 20.0
    """finer: first-layer biases ~ U(-k, k); a wide k widens the initial frequency support."""
    gauss_scale: float = 10.0
    """gauss: s in exp(-(s z)^2)."""
    wire_omega: float = 20.0
    """wire: frequency w in cos(w z) exp(-(s z)^2)."""
    wire_scale: float = 10.0
    """wire: width s in cos(w z) exp(-(s z)^2)."""
    hash_levels: int = 16
    """hash: resolution levels of the grid."""
    hash_max_resolution: int = 512
    """hash: finest grid resolution (coarsest is 16)."""
    hash_log2_table_size: int = 15
    """hash: log2 of the hash table entries per level."""


class Sine(nn.Module):
    """sin(w0 z): SIREN's activation."""

    def __init__(self, omega0: float) -> None:
        super().__init__()
        self.omega0 = omega0

    def forward(self, z: Tensor) -> Tensor:
        return torch.sin(self.omega0 * z)


class FinerSine(nn.Module):
    """sin(w0 (|z| + 1) z): FINER's variable-periodic sine. As in the FINER reference code the
    scale |z| + 1 is treated as a constant in the backward pass."""

    def __init__(self, omega0: float) -> None:
        super().__init__()
        self.omega0 = omega0

    def forward(self, z: Tensor) -> Tensor:
        return torch.sin(self.omega0 * (z.detach().abs() + 1) * z)


class Gauss(nn.Module):
    """exp(-(s z)^2): a Gaussian bump, non-periodic but spectrally rich for large s."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, z: Tensor) -> Tensor:
        return torch.exp(-(self.scale * z) ** 2)


class RealGabor(nn.Module):
    """cos(w z) exp(-(s z)^2): the real-valued Gabor wavelet of WIRE."""

    def __init__(self, omega: float, scale: float) -> None:
        super().__init__()
        self.omega, self.scale = omega, scale

    def forward(self, z: Tensor) -> Tensor:
        return torch.cos(self.omega * z) * torch.exp(-(self.scale * z) ** 2)


class HashGrid(nn.Module):
    """nerfstudio's multiresolution hash encoding (pure torch) for coordinates in [-1, 1].

    The encoding is three-dimensional; 2-D inputs get a constant z = 0, which makes trilinear
    interpolation bilinear (the z+1 corners get weight 0). Its tables are plain parameters, not
    linear layers, so the partition leaves them on Adam.
    """

    def __init__(self, in_features: int, levels: int, max_resolution: int, log2_table_size: int) -> None:
        super().__init__()
        if in_features not in (2, 3):
            raise ValueError(f"the hash grid encodes 2-D or 3-D coordinates, got {in_features}-D")
        self.in_features = in_features
        self.grid = HashEncoding(num_levels=levels, min_res=16, max_res=max_resolution,
                                 log2_hashmap_size=log2_table_size, features_per_level=2,
                                 hash_init_scale=1e-4, implementation="torch")

    def get_out_dim(self) -> int:
        return self.grid.get_out_dim()

    def forward(self, coords: Tensor) -> Tensor:
        unit = (coords + 1) / 2
        if self.in_features == 2:
            unit = torch.cat([unit, torch.zeros_like(unit[..., :1])], dim=-1)
        return self.grid(unit)


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

    def linears(self) -> list[nn.Linear]:
        """The linear layers in data-flow order (first, hidden..., output)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def forward(self, coords: Tensor) -> Tensor:
        x = self.encoding(coords) if self.encoding is not None else coords
        return self.layers(x)


@torch.no_grad()
def init_sine_network(model: CoordinateMLP, omega0: float, first_bias: float | None = None) -> None:
    """SIREN initialisation: first layer W ~ U(-1/n, 1/n); later layers W ~ U(-sqrt(6/n)/w0,
    sqrt(6/n)/w0), so that w0 * W x keeps unit-variance pre-activations through depth. FINER adds
    first-layer biases ~ U(-k, k). Other biases keep PyTorch's default, as in both reference codes."""
    first, *rest = model.linears()
    n = first.in_features
    first.weight.uniform_(-1 / n, 1 / n)
    if first_bias is not None:
        first.bias.uniform_(-first_bias, first_bias)
    for layer in rest:
        bound = math.sqrt(6 / layer.in_features) / omega0
        layer.weight.uniform_(-bound, bound)


def _encoding(config: InrConfig, in_features: int) -> tuple[nn.Module | None, int]:
    if config.arch == "relu-pe":
        encoding = NeRFEncoding(in_features, config.pe_frequencies, 0, config.pe_frequencies - 1, include_input=True)
        return encoding, encoding.get_out_dim()
    if config.arch == "relu-fourier":
        encoding = RFFEncoding(in_features, config.fourier_features, config.fourier_scale, include_input=False)
        return encoding, encoding.get_out_dim()
    if config.arch == "hash":
        encoding = HashGrid(in_features, config.hash_levels, config.hash_max_resolution, config.hash_log2_table_size)
        return encoding, encoding.get_out_dim()
    return None, in_features


def _activation(config: InrConfig) -> Callable[[], nn.Module]:
    return {
        "siren": lambda: Sine(config.omega0),
        "finer": lambda: FinerSine(config.omega0),
        "gauss": lambda: Gauss(config.gauss_scale),
        "wire": lambda: RealGabor(config.wire_omega, config.wire_scale),
    }.get(config.arch, nn.ReLU)


def build_inr(config: InrConfig, in_features: int, out_features: int) -> nn.Module:
    """The network named by ``config.arch`` mapping ``in_features`` coordinates to ``out_features``."""
    if config.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {config.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    encoding, dim = _encoding(config, in_features)
    model = CoordinateMLP(encoding, dim, config.width, config.depth, out_features, _activation(config))
    if config.arch == "siren":
        init_sine_network(model, config.omega0)
    elif config.arch == "finer":
        init_sine_network(model, config.omega0, first_bias=config.finer_first_bias)
    return model


def activation_bytes_per_point(config: InrConfig, in_features: int, out_features: int) -> int:
    """Rough float32 memory one input point costs in a training step: each layer keeps its
    pre-activation, activation and their gradients (x4), plus the encoding. Used to refuse sizes
    that cannot fit before any work is done."""
    encoded = {"relu-pe": in_features * (2 * config.pe_frequencies + 1), "relu-fourier": 2 * config.fourier_features,
               "hash": 2 * config.hash_levels * 8}.get(config.arch, in_features)
    units = encoded + config.width * (config.depth - 1) * 4 + out_features
    return 4 * units
