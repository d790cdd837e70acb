"""The partition follows data flow, not declaration order."""

import pytest
import torch
from torch import nn

from muon_nerf.partition import partition_parameters


def muon_set(partition):
    return set(partition.muon_names)


def test_plain_mlp():
    mlp = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                        nn.Linear(32, 3))
    p = partition_parameters(mlp, torch.randn(4, 2))
    assert muon_set(p) == {"2.weight", "4.weight"}
    assert set(p.adam_names) == {"0.weight", "0.bias", "2.bias", "4.bias", "6.weight", "6.bias"}
    assert "Muon" in p.table() and "first layer" in p.table()


class SkipNeRF(nn.Module):
    """NeRF-style trunk: the input is concatenated back in at layer 4 (a 256 x 319 hidden layer)."""

    def __init__(self, width=256, in_dim=63):
        super().__init__()
        # Declared out of order on purpose: registration order must not matter.
        self.head = nn.Linear(width, 4)
        self.layers = nn.ModuleList([nn.Linear(in_dim, width)] + [nn.Linear(width, width) for _ in range(3)]
                                    + [nn.Linear(width + in_dim, width)] + [nn.Linear(width, width) for _ in range(3)])

    def forward(self, x):
        h = x
        for i, layer in enumerate(self.layers):
            if i == 4:
                h = torch.cat([h, x], dim=-1)
            h = torch.relu(layer(h))
        return self.head(h)


def test_skip_connection_layer_is_hidden():
    model = SkipNeRF()
    p = partition_parameters(model, torch.randn(2, 63))
    assert "layers.4.weight" in muon_set(p)
    assert model.layers[4].weight.shape == (256, 319)
    assert muon_set(p) == {f"layers.{i}.weight" for i in range(1, 8)}
    assert "layers.0.weight" in p.adam_names and "head.weight" in p.adam_names


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.density = nn.Linear(64, 1)
        self.color_hidden = nn.Linear(64 + 3, 32)
        self.color_out = nn.Linear(32, 3)
        self.trunk = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())

    def forward(self, x, d):
        h = self.trunk(x)
        color = self.color_out(torch.relu(self.color_hidden(torch.cat([h, d], -1))))
        return self.density(h), color


def test_two_heads():
    p = partition_parameters(TwoHeads(), (torch.randn(5, 3), torch.randn(5, 3)))
    assert muon_set(p) == {"trunk.2.weight", "color_hidden.weight"}
    assert {"density.weight", "color_out.weight", "trunk.0.weight"} <= set(p.adam_names)


class HashGridModel(nn.Module):
    """An embedding table (like a hash grid) feeding a small MLP, plus a second, separate sub-MLP."""

    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(100, 8)
        self.scale = nn.Parameter(torch.ones(()))
        self.mlp = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
        self.other = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, idx, x):
        return self.mlp(self.table(idx) * self.scale), self.other(x)


def test_embedding_table_and_several_sub_mlps():
    model = HashGridModel()
    p = partition_parameters(model, (torch.randint(0, 100, (6,)), torch.randn(6, 3)))
    assert muon_set(p) == {"mlp.2.weight", "other.2.weight"}
    assert {"table.weight", "scale", "mlp.0.weight", "other.0.weight"} <= set(p.adam_names)


def test_callable_example_and_user_overrides():
    mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                        nn.Linear(16, 1))
    x = torch.randn(3, 2)
    p = partition_parameters(mlp, lambda: mlp(x), include=["0.weight"], exclude=["4.*"])
    assert muon_set(p) == {"0.weight", "2.weight"}
    with pytest.raises(ValueError, match="needs a matrix"):
        partition_parameters(mlp, x, include=["0.bias"])


def test_frozen_and_unused_parameters():
    mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    mlp[0].requires_grad_(False)
    unused = nn.ModuleDict({"net": mlp, "spare": nn.Linear(16, 16)})
    p = partition_parameters(unused, lambda: unused["net"](torch.randn(2, 2)))
    assert "net.0.weight" not in p.params
    assert muon_set(p) == {"net.2.weight"}
    assert "spare.weight" in p.adam_names


def test_no_hidden_layer_is_an_error_unless_allowed():
    shallow = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    with pytest.raises(ValueError, match="leaves Muon with no parameters"):
        partition_parameters(shallow, torch.randn(2, 2))
    assert partition_parameters(shallow, torch.randn(2, 2), allow_empty_muon=True).muon_names == []
