"""The Muon+Adam optimizer: orthogonalization quality, update geometry, state round trips."""

import copy

import pytest
import torch
from torch import nn

from muon_nerf.optim import MuonAdam, orthogonalize, update_scale_factor


def singular_values(x: torch.Tensor) -> torch.Tensor:
    return torch.linalg.svdvals(x.float())


def matrix_with_spectrum(rows: int, cols: int, singular: torch.Tensor) -> torch.Tensor:
    U, _ = torch.linalg.qr(torch.randn(rows, len(singular), dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(cols, len(singular), dtype=torch.float64))
    return (U * singular) @ V.T


@pytest.mark.parametrize("ns_dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("shape", [(128, 128), (256, 64), (64, 256)])
def test_newton_schulz_lands_singular_values_in_its_band(ns_dtype, shape):
    torch.manual_seed(0)
    k = min(shape)
    # condition number 100: the quintic's slope at 0 (3.4445^5 ~ 480 over 5 steps) lifts all of them
    G = matrix_with_spectrum(*shape, torch.logspace(0, -2, k, dtype=torch.float64)).float()
    s = singular_values(orthogonalize(G, "newton-schulz", steps=5, ns_dtype=ns_dtype))
    # The (3.4445, -4.7750, 2.0315) quintic trades exactness for speed: it puts singular values
    # into roughly [0.68, 1.21], not onto 1.
    assert s.min() > 0.6 and s.max() < 1.25, (s.min(), s.max())


def test_newton_schulz_leaves_near_null_directions_small():
    """Directions with (almost) no gradient must not be blown up to full size."""
    G = matrix_with_spectrum(64, 64, torch.cat([torch.ones(32), torch.full((32,), 1e-9)]).double()).float()
    s = singular_values(orthogonalize(G, ns_dtype="float32"))
    assert s[:32].min() > 0.6 and s[32:].max() < 1e-3


@pytest.mark.parametrize("ns_dtype", ["float32", "bfloat16"])
def test_polar_express_is_tighter_than_newton_schulz(ns_dtype):
    torch.manual_seed(0)
    G = matrix_with_spectrum(128, 96, torch.logspace(0, -2, 96, dtype=torch.float64)).float()
    s = singular_values(orthogonalize(G, "polar-express", steps=5, ns_dtype=ns_dtype))
    assert s.min() > 0.8 and s.max() < 1.15, (s.min(), s.max())


def test_svd_orthogonalizer_is_exact_polar_factor():
    torch.manual_seed(0)
    G = torch.randn(40, 30, dtype=torch.float64)
    Q = orthogonalize(G, "svd")
    assert torch.allclose(Q.T @ Q, torch.eye(30, dtype=torch.float64), atol=1e-10)
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    assert torch.allclose(Q, U @ Vh, atol=1e-10)


def test_orthogonalize_preserves_singular_vectors():
    """NS changes the singular values, not the singular vectors: U^T Q V is (near) diagonal."""
    torch.manual_seed(1)
    G = torch.randn(64, 64, dtype=torch.float64)
    U, _, Vh = torch.linalg.svd(G)
    core = U.T @ orthogonalize(G, "newton-schulz", ns_dtype="float32").double() @ Vh.T
    off_diagonal = core - torch.diag(torch.diagonal(core))
    assert off_diagonal.abs().max() < 1e-3


def test_batched_orthogonalize_matches_one_by_one():
    torch.manual_seed(2)
    G = torch.randn(3, 32, 48)
    batched = orthogonalize(G)
    for i in range(3):
        assert torch.allclose(batched[i], orthogonalize(G[i]), atol=1e-5)


def test_muon_update_of_square_layer_has_unit_singular_values():
    torch.manual_seed(0)
    layer = nn.Linear(64, 64, bias=False)
    before = layer.weight.detach().clone()
    opt = MuonAdam([layer.weight], muon_lr=0.1, orthogonalizer="svd", nesterov=False, momentum=0.0)
    layer.weight.grad = torch.randn(64, 64)
    grad = layer.weight.grad.clone()
    opt.step()
    update = (before - layer.weight.detach()) / 0.1
    assert torch.allclose(singular_values(update), torch.ones(64), atol=1e-4)
    assert torch.equal(layer.weight.grad, grad), "the optimizer must not overwrite p.grad"


def test_update_scale_factors():
    assert update_scale_factor(256, 64, "shape") == pytest.approx(2.0)
    assert update_scale_factor(64, 256, "shape") == 1.0
    assert update_scale_factor(256, 64, "match-adam") == pytest.approx(0.2 * 16)


def test_adam_groups_match_torch_adam():
    torch.manual_seed(0)
    ours, ref = nn.Linear(8, 4), nn.Linear(8, 4)
    ref.load_state_dict(ours.state_dict())
    opt = MuonAdam([{"params": list(ours.parameters()), "use_muon": False, "lr": 1e-2}])
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    x = torch.randn(16, 8)
    for _ in range(5):
        for model, o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            model(x).square().mean().backward()
            o.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_parameters_without_gradient_are_skipped():
    a, b = nn.Parameter(torch.randn(8, 8)), nn.Parameter(torch.randn(8, 8))
    b_before = b.detach().clone()
    opt = MuonAdam([{"params": [a, b], "use_muon": True}])
    a.grad = torch.randn(8, 8)
    opt.step()
    assert torch.equal(b, b_before) and b not in opt.state


def test_muon_group_rejects_vectors():
    with pytest.raises(ValueError, match="Muon needs matrices"):
        MuonAdam([nn.Parameter(torch.zeros(5))])


def _train(model, opt, sched, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(32, 4, generator=gen)
        opt.zero_grad()
        (model(x) - x.sum(1, keepdim=True).sin()).square().mean().backward()
        opt.step()
        sched.step()


def test_state_dict_round_trip_continues_bit_identically(tmp_path):
    torch.manual_seed(0)
    make = lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))  # noqa: E731

    def optimizer_for(model):
        opt = MuonAdam([
            {"params": [model[2].weight], "use_muon": True},
            {"params": [model[0].weight, model[0].bias, model[2].bias, model[4].weight, model[4].bias],
             "use_muon": False},
        ])
        return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))

    model = make()
    opt, sched = optimizer_for(model)
    _train(model, opt, sched, 5, seed=1)
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, path)
    reference = copy.deepcopy(model)
    ref_opt, ref_sched = optimizer_for(reference)
    ref_opt.load_state_dict(opt.state_dict())
    ref_sched.load_state_dict(sched.state_dict())
    _train(model, opt, sched, 5, seed=2)

    loaded = torch.load(path, weights_only=True)  # what torch >= 2.6 does by default
    resumed = make()
    resumed.load_state_dict(loaded["model"])
    res_opt, res_sched = optimizer_for(resumed)
    res_opt.load_state_dict(loaded["opt"])
    res_sched.load_state_dict(loaded["sched"])
    _train(resumed, res_opt, res_sched, 5, seed=2)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert torch.equal(a, b)
