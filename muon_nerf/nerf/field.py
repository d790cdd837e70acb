"""The radiance field: a plain ReLU MLP trunk, a density head and a view-dependent colour branch.

Layer roles matter for the optimizer split: the trunk's inner layers, the feature layer and the colour
branch's hidden layer read and feed other linear layers (Muon); the first layer and the heads do not
(Adam). ``muon_nerf.partition`` finds that from the data flow, so nothing here is hard-coded.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from nerfstudio.cameras.rays import RaySamples
from nerfstudio.data.scene_box import SceneBox
from nerfstudio.field_components.encodings import SHEncoding
from nerfstudio.field_components.field_heads import FieldHeadNames
from nerfstudio.field_components.spatial_distortions import SpatialDistortion
from nerfstudio.fields.base_field import Field
from torch import Tensor, nn

from muon_nerf.nerf.encodings import PositionEncoding, PositionEncodingConfig, positions_inside


class MlpRadianceField(Field):
    """Vanilla-NeRF-style MLP with a selectable position encoding and SH view encoding."""

    def __init__(
        self,
        aabb: Tensor,
        encoding: PositionEncodingConfig,
        trunk_depth: int = 8,
        trunk_width: int = 256,
        skip_connections: Sequence[int] = (4,),
        color_width: int = 128,
        direction_sh_levels: int = 4,
        spatial_distortion: Optional[SpatialDistortion] = None,
    ) -> None:
        super().__init__()
        if trunk_depth < 2:
            raise ValueError("trunk_depth must be >= 2 (Muon needs a hidden layer)")
        self.register_buffer("aabb", aabb)
        self.spatial_distortion = spatial_distortion
        self.position_encoding = PositionEncoding(encoding)
        self.skip_connections = tuple(i for i in skip_connections if 0 < i < trunk_depth)
        in_dim = self.position_encoding.out_dim
        widths = [in_dim] + [trunk_width + (in_dim if i in self.skip_connections else 0) for i in range(1, trunk_depth)]
        self.trunk = nn.ModuleList(nn.Linear(w, trunk_width) for w in widths)
        self.density_head = nn.Linear(trunk_width, 1)
        self.feature_layer = nn.Linear(trunk_width, trunk_width)
        self.direction_encoding = SHEncoding(levels=direction_sh_levels, implementation="torch")
        self.color_layer = nn.Linear(trunk_width + self.direction_encoding.get_out_dim(), color_width)
        self.rgb_head = nn.Linear(color_width, 3)

    def unit_positions(self, ray_samples: RaySamples) -> Tensor:
        """Sample positions mapped into [0, 1]^3 (contracted first for unbounded scenes)."""
        positions = ray_samples.frustums.get_positions()
        if self.spatial_distortion is not None:
            return (self.spatial_distortion(positions) + 2.0) / 4.0
        return SceneBox.get_normalized_positions(positions, self.aabb)

    def density_and_features(self, unit_positions: Tensor) -> Tuple[Tensor, Tensor]:
        encoded = self.position_encoding(unit_positions.reshape(-1, 3))
        hidden = encoded
        for index, layer in enumerate(self.trunk):
            if index in self.skip_connections:
                hidden = torch.cat([hidden, encoded], dim=-1)
            hidden = F.relu(layer(hidden))
        # softplus(x - 1): smooth, never exactly zero-gradient, starts with a thin fog (mip-NeRF)
        density = F.softplus(self.density_head(hidden) - 1.0)
        shape = unit_positions.shape[:-1]
        return density.reshape(*shape, 1), hidden.reshape(*shape, -1)

    def color(self, features: Tensor, directions: Tensor) -> Tensor:
        encoded_directions = self.direction_encoding(directions.reshape(-1, 3))
        hidden = self.feature_layer(features.reshape(-1, features.shape[-1]))
        hidden = F.relu(self.color_layer(torch.cat([hidden, encoded_directions], dim=-1)))
        return torch.sigmoid(self.rgb_head(hidden)).reshape(*directions.shape[:-1], 3)

    def query(self, unit_positions: Tensor, directions: Tensor) -> Tuple[Tensor, Tensor]:
        """(density, rgb) for raw points; used for the optimizer partition's example forward."""
        density, features = self.density_and_features(unit_positions)
        return density, self.color(features, directions)

    def get_density(self, ray_samples: RaySamples) -> Tuple[Tensor, Tensor]:
        unit_positions = self.unit_positions(ray_samples)
        density, features = self.density_and_features(unit_positions)
        inside = positions_inside(unit_positions)[..., None]
        return density * inside, features

    def get_outputs(
        self, ray_samples: RaySamples, density_embedding: Optional[Tensor] = None
    ) -> Dict[FieldHeadNames, Tensor]:
        assert density_embedding is not None
        return {FieldHeadNames.RGB: self.color(density_embedding, ray_samples.frustums.directions)}
