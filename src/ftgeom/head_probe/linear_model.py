"""Our overparameterised linear model of head probing then fine-tuning (the paper's theorem is not reachable
offline, so this design is ours, labelled as such in the generated paper).

Inputs x ∈ R^d, a linear backbone z = Bx ∈ R^k and a linear head ŷ = Vz ∈ R^c, squared loss against one-hot-like
targets y = A*x (a linear teacher). With n < d samples the model has far more parameters (k·d + c·k) than
samples. The "pretrained" backbone B₀ is a perturbation of a teacher backbone B* (A* = V*B*), so its features are
useful but imperfect. Head probing: τ steps of gradient descent on V with B = B₀; fine-tuning: T steps of gradient
descent on (V, B) together. Energy: the mean ‖y − ŷ‖ over the training set at the start of fine-tuning; feature
measures on held-out inputs, as in the real runs (ftgeom.head_probe.feature_drift).

Closed forms that the tests check: head probing on fixed features is linear regression, so the training residual
after τ steps is R_τ = R₀ (I − η/n · ZᵀZ)^τ; the first fine-tuning step moves the backbone by η/n · VᵀR Xᵀ.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ftgeom.head_probe.feature_drift import MEASURES, feature_measures


@dataclass(frozen=True)
class LinearSetting:
    d: int = 200            # input dimension
    k: int = 32             # feature dimension
    c: int = 5              # outputs
    n: int = 64             # training samples (n < d: overparameterised)
    n_test: int = 512
    pretrain_gap: float = 0.6  # ‖B₀ − B*‖ relative to ‖B*‖: how imperfect the pretrained features are
    probe_lr: float = 0.05
    lr: float = 0.02
    steps: int = 200        # fine-tuning steps
    head_init: float = 0.1  # scale of the fresh head


def sample_problem(s: LinearSetting, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    b_star = randn(s.k, s.d) / np.sqrt(s.d)
    v_star = randn(s.c, s.k) / np.sqrt(s.k)
    b0 = b_star + s.pretrain_gap * randn(s.k, s.d) / np.sqrt(s.d)
    x, x_test = randn(s.d, s.n), randn(s.d, s.n_test)
    return {"B*": b_star, "V*": v_star, "B0": b0, "X": x, "Y": v_star @ b_star @ x, "X_test": x_test,
            "V0": s.head_init * randn(s.c, s.k) / np.sqrt(s.k)}


def probe(v0: torch.Tensor, z: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    """Gradient descent on ½‖Y − VZ‖²/n over V (features fixed)."""
    v, n = v0.clone(), z.shape[1]
    for _ in range(steps):
        v = v + lr / n * (y - v @ z) @ z.T
    return v


def probe_residual_closed_form(v0, z, y, lr: float, steps: int) -> torch.Tensor:
    n = z.shape[1]
    step = torch.eye(n, dtype=z.dtype) - lr / n * z.T @ z
    return (y - v0 @ z) @ torch.linalg.matrix_power(step, steps)


def finetune(v: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int):
    """Gradient descent on ½‖Y − VBX‖²/n over (V, B) together."""
    v, b, n = v.clone(), b.clone(), x.shape[1]
    for _ in range(steps):
        r = y - v @ b @ x
        v, b = v + lr / n * r @ (b @ x).T, b + lr / n * v.T @ r @ x.T
    return v, b


def simulate(s: LinearSetting, seed: int, taus: list[int]) -> list[dict]:
    """One problem; for each τ: energy at the start of fine-tuning and the feature measures after it."""
    p = sample_problem(s, seed)
    z_train = p["B0"] @ p["X"]
    z0 = (p["B0"] @ p["X_test"]).T
    y_test = p["V*"] @ p["B*"] @ p["X_test"]
    rows = []
    for tau in taus:
        v = probe(p["V0"], z_train, p["Y"], s.probe_lr, tau)
        residual = p["Y"] - v @ z_train
        v_t, b_t = finetune(v, p["B0"], p["X"], p["Y"], s.lr, s.steps)
        measures = feature_measures(z0, (b_t @ p["X_test"]).T)
        test_loss = float(((y_test - v_t @ b_t @ p["X_test"]) ** 2).sum(0).mean())
        rows.append({"seed": seed, "tau": tau, "energy": float(residual.norm(dim=0).mean()),
                     **{m: float(measures[m].mean()) for m in MEASURES},
                     "norm0": float(z0.norm(dim=1).mean()), "test_loss": test_loss})
    return rows


def run(settings: dict, seeds: list[int], taus: list[int]) -> tuple[list[dict], dict]:
    s = LinearSetting(**settings)
    rows = [r for seed in seeds for r in simulate(s, seed, taus)]
    return rows, asdict(s)
