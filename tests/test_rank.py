import math

import pytest
import torch

from muon_nerf.rank import effective_rank, layer_rank_stats, rank_stats, stable_rank


def test_rank_one_matrix():
    u, v = torch.randn(20, 1), torch.randn(1, 30)
    stats = rank_stats(u @ v)
    assert stats.stable_rank == pytest.approx(1.0, abs=1e-5)
    assert stats.effective_rank == pytest.approx(1.0, abs=1e-4)
    assert stats.spectral_norm == pytest.approx((u.norm() * v.norm()).item(), rel=1e-5)
    assert stats.condition_number > 1e5


def test_orthogonal_matrix_has_full_rank():
    q, _ = torch.linalg.qr(torch.randn(32, 32, dtype=torch.float64))
    stats = rank_stats(q)
    assert stats.stable_rank == pytest.approx(32, rel=1e-6)
    assert stats.effective_rank == pytest.approx(32, rel=1e-6)
    assert stats.condition_number == pytest.approx(1.0, rel=1e-6)


def test_known_spectrum():
    w = torch.diag(torch.tensor([2.0, 1.0, 1.0, 0.0]))
    assert stable_rank(w) == pytest.approx(6 / 4)
    p = torch.tensor([4 / 6, 1 / 6, 1 / 6])
    assert effective_rank(w) == pytest.approx(math.exp(-(p * p.log()).sum().item()), rel=1e-6)
    assert rank_stats(w).condition_number == math.inf


def test_zero_matrix_and_vector_input():
    assert rank_stats(torch.zeros(3, 3)).stable_rank == 0.0
    with pytest.raises(ValueError, match="matrix"):
        rank_stats(torch.ones(5))


def test_layer_rank_stats_batches_same_shapes_correctly():
    torch.manual_seed(0)
    weights = {"a": torch.randn(16, 16), "b": torch.randn(8, 16), "c": torch.randn(16, 16) * 3}
    batched = layer_rank_stats(weights)
    assert list(batched) == ["a", "b", "c"]
    for name, w in weights.items():
        assert batched[name].stable_rank == pytest.approx(rank_stats(w).stable_rank, rel=1e-5)
