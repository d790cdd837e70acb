"""Muon for hidden weight matrices and Adam for everything else, in one ``torch.optim.Optimizer``.

Muon (Jordan et al., 2024) replaces a hidden layer's gradient step by the *orthogonalized* momentum:
every singular value of the update is pushed to ~1, so no direction of the weight matrix is starved
and its stable rank cannot collapse the way it does under Adam (McGinnis et al., 2025).

Each parameter group says ``use_muon=True`` or ``False``; the whole thing is one optimizer, so a
training loop, an LR scheduler, a GradScaler and ``state_dict()`` treat it like any other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable, Literal

import torch
from torch import Tensor

Orthogonalizer = Literal["newton-schulz", "polar-express", "svd"]
UpdateScale = Literal["shape", "match-adam"]
NsDtype = Literal["auto", "float32", "bfloat16", "float16"]

# Keller Jordan's quintic: steep at 0, so tiny singular values grow fast; lands them in ~[0.7, 1.2].
NEWTON_SCHULZ_COEFFICIENTS = (3.4445, -4.7750, 2.0315)

# Polar Express (Amsel et al., 2025): a different, minimax-optimal quintic for each step. The
# first steps are divided by a 1.01 safety factor (a/s, b/s^3, c/s^5) to stay stable in bf16.
_POLAR_EXPRESS_RAW = (
    (8.28721201814563, -23.595886519098837, 17.300387312530933),
    (4.107059111542203, -2.9478499167379106, 0.5448431082926601),
    (3.9486908534822946, -2.908902115962949, 0.5518191394370137),
    (3.3184196573706015, -2.488488024314874, 0.51004894012372),
    (2.300652019954817, -1.6689039845747493, 0.4188073119525673),
    (1.891301407787398, -1.2679958271945868, 0.37680408948524835),
    (1.8750014808534479, -1.2500016453999487, 0.3750001645474248),
    (1.875, -1.25, 0.375),
)
POLAR_EXPRESS_COEFFICIENTS = tuple(
    (a / 1.01, b / 1.01**3, c / 1.01**5) for a, b, c in _POLAR_EXPRESS_RAW[:-1]
) + (_POLAR_EXPRESS_RAW[-1],)

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_ns_dtype(ns_dtype: NsDtype, device: torch.device) -> torch.dtype:
    """bf16 where it is fast (CUDA); fp32 on CPUs, where bf16 matmuls are emulated and ~15x slower."""
    if ns_dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _DTYPES[ns_dtype]


def orthogonalize(
    G: Tensor,
    method: Orthogonalizer = "newton-schulz",
    steps: int = 5,
    ns_dtype: NsDtype = "auto",
) -> Tensor:
    """Approximate the polar factor U V^T of ``G`` (shape ``(..., m, n)``, batched over leading dims)."""
    if G.ndim < 2:
        raise ValueError(f"orthogonalize needs a matrix, got shape {tuple(G.shape)}")
    if method == "svd":
        work = G if G.dtype == torch.float64 else G.float()
        U, _, Vh = torch.linalg.svd(work, full_matrices=False)
        return (U @ Vh).to(G.dtype)
    if method == "newton-schulz":
        coefficients = [NEWTON_SCHULZ_COEFFICIENTS] * steps
        safety = 1.0
    elif method == "polar-express":
        table = POLAR_EXPRESS_COEFFICIENTS
        coefficients = [table[min(i, len(table) - 1)] for i in range(steps)]
        safety = 1.01
    else:
        raise ValueError(f"unknown orthogonalizer {method!r}; choose newton-schulz, polar-express or svd")

    batch_shape = G.shape[:-2]
    X = G.reshape(-1, *G.shape[-2:]).to(resolve_ns_dtype(ns_dtype, G.device))
    transposed = X.size(-2) > X.size(-1)
    if transposed:  # iterate on the wide side: X X^T is then the smaller Gram matrix
        X = X.mT
    # Frobenius norm >= spectral norm, so every singular value starts in (0, 1].
    X = X / (X.norm(dim=(-2, -1), keepdim=True) * safety + 1e-7)
    for a, b, c in coefficients:
        A = X @ X.mT
        B = torch.baddbmm(A, A, A, beta=b, alpha=c)  # b*A + c*A@A
        X = torch.baddbmm(X, B, X, beta=a, alpha=1.0)  # a*X + B@X
    if transposed:
        X = X.mT
    return X.reshape(*batch_shape, *X.shape[-2:]).to(G.dtype)


def update_scale_factor(rows: int, cols: int, scale: UpdateScale) -> float:
    """``shape``: sqrt(max(1, rows/cols)) (Keller Jordan); ``match-adam``: 0.2*sqrt(max(rows, cols))
    (Moonshot), which gives the update Adam's typical RMS so Adam learning rates transfer."""
    if scale == "shape":
        return max(1.0, rows / cols) ** 0.5
    if scale == "match-adam":
        return 0.2 * math.sqrt(max(rows, cols))
    raise ValueError(f"unknown update scale {scale!r}; choose shape or match-adam")


class MuonAdam(torch.optim.Optimizer):
    """Muon on groups with ``use_muon=True``, Adam on the others.

    Muon group keys: ``lr, momentum, nesterov, ns_steps, orthogonalizer, ns_dtype, update_scale,
    weight_decay``. Adam group keys: ``lr, betas, eps, weight_decay``. Weight decay is decoupled
    (AdamW style) for both. A group without ``lr`` gets ``muon_lr`` or ``adam_lr``.
    A plain iterable of tensors becomes one Muon group.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        *,
        muon_lr: float = 0.02,
        adam_lr: float = 1e-3,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
        orthogonalizer: Orthogonalizer = "newton-schulz",
        ns_dtype: NsDtype = "auto",
        update_scale: UpdateScale = "shape",
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups, "use_muon": True}]
        for group in groups:
            group.setdefault("use_muon", True)
            group.setdefault("lr", muon_lr if group["use_muon"] else adam_lr)
        defaults = dict(
            momentum=momentum,
            nesterov=nesterov,
            ns_steps=ns_steps,
            orthogonalizer=orthogonalizer,
            ns_dtype=ns_dtype,
            update_scale=update_scale,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
        )
        super().__init__(groups, defaults)
        for group in self.param_groups:
            if group["use_muon"]:
                for p in group["params"]:
                    if p.ndim < 2:
                        raise ValueError(
                            f"Muon needs matrices, got a parameter of shape {tuple(p.shape)}; "
                            "put biases, norms and scalars in a use_muon=False group"
                        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if group["use_muon"]:
                self._muon_step(group)
            else:
                self._adam_step(group)
        return loss

    def _muon_step(self, group: dict[str, Any]) -> None:
        beta = group["momentum"]
        # Same-shaped matrices are orthogonalized as one batch: one bmm chain instead of many.
        by_shape: dict[tuple, list[tuple[Tensor, Tensor]]] = defaultdict(list)
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p)
            buf = state["momentum_buffer"]
            buf.lerp_(p.grad, 1 - beta)
            update = p.grad.lerp(buf, beta) if group["nesterov"] else buf
            matrix = update.reshape(update.size(0), -1)
            by_shape[(matrix.shape, matrix.dtype, matrix.device)].append((p, matrix))

        for (shape, _, _), members in by_shape.items():
            stacked = torch.stack([m for _, m in members])
            ortho = orthogonalize(stacked, group["orthogonalizer"], group["ns_steps"], group["ns_dtype"])
            ortho = ortho * update_scale_factor(shape[0], shape[1], group["update_scale"])
            for (p, _), o in zip(members, ortho):
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(o.view_as(p), alpha=-group["lr"])

    def _adam_step(self, group: dict[str, Any]) -> None:
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "step" not in state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            state["step"] += 1
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        if not params:
            return
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        if group["weight_decay"]:
            torch._foreach_mul_(params, 1 - lr * group["weight_decay"])
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        denominators = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denominators, [math.sqrt(1 - beta2**s) for s in steps])
        torch._foreach_add_(denominators, group["eps"])
        torch._foreach_addcdiv_(params, exp_avgs, denominators, [-lr / (1 - beta1**s) for s in steps])
