"""Every architecture builds, is split for Muon with a non-empty hidden group, and trains with both
optimizers; SIREN and FINER start from their papers' initialisations."""

import math

import pytest
import torch

from muon_nerf.config import OptimConfig, build_optimizer, build_scheduler, partition_model
from muon_nerf.inr import ARCHITECTURES, FinerSine, Gauss, InrConfig, RealGabor, build_inr
from muon_nerf.tasks2d.common import effective_optim, muon_lr_factor, pixel_grid
from muon_nerf.tasks2d.image import ImageTaskConfig

SMALL = dict(width=32, depth=5, fourier_features=16, hash_levels=4, hash_max_resolution=32, hash_log2_table_size=10)


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("optimizer", ["adam", "muon"])
def test_every_architecture_trains_with_both_optimizers(arch, optimizer):
    torch.manual_seed(0)
    coords = pixel_grid(8, 8, torch.device("cpu"))
    target = torch.rand(len(coords), 3)
    model_config = InrConfig(arch=arch, **SMALL)
    model = build_inr(model_config, 2, 3)
    optim = effective_optim(ImageTaskConfig(model=model_config, optim=OptimConfig(optimizer=optimizer)))
    partition = partition_model(model, coords[:4], optim)
    assert partition.muon_names == ["layers.2.weight", "layers.4.weight", "layers.6.weight"], partition.table()
    assert not any("encoding" in name for name in partition.muon_names)
    optimizer_ = build_optimizer(partition, optim)
    scheduler = build_scheduler(optimizer_, optim, 30)
    losses = []
    for _ in range(30):
        optimizer_.zero_grad()
        loss = torch.nn.functional.mse_loss(model(coords), target)
        loss.backward()
        optimizer_.step()
        scheduler.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], (arch, optimizer, losses[0], losses[-1])


def test_hash_grid_tables_stay_on_adam_and_accept_2d_and_3d():
    model = build_inr(InrConfig(arch="hash", **SMALL), 2, 1)
    partition = partition_model(model, torch.rand(4, 2) * 2 - 1, OptimConfig())
    assert any("hash_table" in name for name in partition.adam_names)
    assert build_inr(InrConfig(arch="hash", **SMALL), 3, 1)(torch.rand(5, 3)).shape == (5, 1)
    with pytest.raises(ValueError, match="2-D or 3-D"):
        build_inr(InrConfig(arch="hash", **SMALL), 4, 1)


def test_three_dimensional_inputs_keep_working():
    for arch in ARCHITECTURES:
        assert build_inr(InrConfig(arch=arch, **SMALL), 3, 1)(torch.rand(7, 3)).shape == (7, 1)


def test_unknown_architecture_names_the_choices():
    with pytest.raises(ValueError, match="unknown architecture 'mlp'.*siren"):
        build_inr(InrConfig(arch="mlp"), 2, 3)


def uniform_std(bound: float) -> float:
    return bound / math.sqrt(3)


@pytest.mark.parametrize("arch", ["siren", "finer"])
def test_sine_initialisation_matches_the_papers(arch):
    torch.manual_seed(0)
    omega0, n = 30.0, 256
    model = build_inr(InrConfig(arch=arch, width=n, depth=5, omega0=omega0), 2, 3)
    first, *rest = model.linears()
    # first layer: U(-1/fan_in, 1/fan_in) with fan_in = 2
    assert first.weight.abs().max() <= 0.5 and first.weight.abs().max() > 0.45
    for layer in rest:  # hidden and output: U(-sqrt(6/n)/w0, sqrt(6/n)/w0)
        bound = math.sqrt(6 / n) / omega0
        assert layer.weight.abs().max() <= bound
        assert layer.weight.std().item() == pytest.approx(uniform_std(bound), rel=0.03)
    k = 20.0
    if arch == "finer":  # first-layer bias U(-k, k)
        assert first.bias.abs().max() <= k and first.bias.std().item() == pytest.approx(uniform_std(k), rel=0.15)
    else:  # SIREN keeps PyTorch's bias init U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert first.bias.abs().max() <= 1 / math.sqrt(2)


def test_activation_formulas():
    z = torch.linspace(-1, 1, 11, requires_grad=True)
    out = FinerSine(3.0)(z)
    assert torch.allclose(out, torch.sin(3.0 * (z.abs() + 1) * z))
    out.sum().backward()  # the |z| + 1 scale is a constant in the backward pass (FINER reference code)
    assert torch.allclose(z.grad, 3.0 * (z.abs() + 1) * torch.cos(3.0 * (z.abs() + 1) * z))
    zd = z.detach()
    assert torch.allclose(Gauss(2.0)(zd), torch.exp(-(2.0 * zd) ** 2))
    assert torch.allclose(RealGabor(5.0, 2.0)(zd), torch.cos(5.0 * zd) * torch.exp(-(2.0 * zd) ** 2))


def test_muon_lr_is_divided_by_the_activation_frequency():
    assert muon_lr_factor(InrConfig(arch="relu")) == 1.0
    assert muon_lr_factor(InrConfig(arch="siren", omega0=30)) == pytest.approx(1 / 30)
    config = ImageTaskConfig(model=InrConfig(arch="wire", wire_omega=20, wire_scale=10), optim=OptimConfig(muon_lr=0.1))
    assert effective_optim(config).muon_lr == pytest.approx(0.005)
    config.scale_muon_lr = False
    assert effective_optim(config).muon_lr == 0.1
