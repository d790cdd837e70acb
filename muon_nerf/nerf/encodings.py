"""Position encodings for the MLP field, all nerfstudio components; ``none`` is the paper's headline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nerfstudio.field_components.encodings import HashEncoding, NeRFEncoding, RFFEncoding
from torch import Tensor, nn

EncodingName = Literal["none", "pe", "fourier", "hash"]


@dataclass
class PositionEncodingConfig:
    """Which encoding feeds the trunk, and its size."""

    kind: EncodingName = "none"
    """none: raw coordinates; pe: NeRF sin/cos; fourier: random Fourier features; hash: multires hash grid."""
    pe_num_frequencies: int = 10
    pe_max_freq_exp: float = 8.0
    fourier_num_frequencies: int = 128
    fourier_scale: float = 4.0
    hash_num_levels: int = 16
    hash_min_res: int = 16
    hash_max_res: int = 1024
    hash_log2_size: int = 19
    hash_features_per_level: int = 2


class PositionEncoding(nn.Module):
    """Maps positions in the unit cube [0, 1]^3 to the trunk's input features."""

    def __init__(self, config: PositionEncodingConfig) -> None:
        super().__init__()
        self.kind = config.kind
        if config.kind == "none":
            self.encoding = None
            self.out_dim = 3
        elif config.kind == "pe":
            self.encoding = NeRFEncoding(
                in_dim=3,
                num_frequencies=config.pe_num_frequencies,
                min_freq_exp=0.0,
                max_freq_exp=config.pe_max_freq_exp,
                include_input=True,
            )
            self.out_dim = self.encoding.get_out_dim()
        elif config.kind == "fourier":
            self.encoding = RFFEncoding(
                in_dim=3, num_frequencies=config.fourier_num_frequencies, scale=config.fourier_scale, include_input=True
            )
            self.out_dim = self.encoding.get_out_dim()
        elif config.kind == "hash":
            self.encoding = HashEncoding(
                num_levels=config.hash_num_levels,
                min_res=config.hash_min_res,
                max_res=config.hash_max_res,
                log2_hashmap_size=config.hash_log2_size,
                features_per_level=config.hash_features_per_level,
                implementation="torch",
            )
            self.out_dim = self.encoding.get_out_dim()
        else:
            raise ValueError(f"unknown position encoding {config.kind!r}; choose none, pe, fourier or hash")

    def forward(self, unit_positions: Tensor) -> Tensor:
        if self.kind == "hash":
            return self.encoding(unit_positions)  # the hash grid wants [0, 1]
        centered = unit_positions * 2.0 - 1.0  # the MLP and sinusoids want zero-centred [-1, 1]
        return centered if self.encoding is None else self.encoding(centered)


def positions_inside(unit_positions: Tensor) -> Tensor:
    """True where a point lies inside the unit cube (outside it the field is empty space)."""
    return ((unit_positions >= 0.0) & (unit_positions <= 1.0)).all(dim=-1)


__all__ = ["EncodingName", "PositionEncoding", "PositionEncodingConfig", "positions_inside"]
