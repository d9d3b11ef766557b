"""The SVD of a fine-tuning trajectory (t points x D parameters, t << D) by the Gram trick, streamed over columns.

A dense SVD of the t x D matrix (LAPACK) costs seconds per MiniLM layer and a copy of the matrix or more; the t x t
Gram matrix G = W Wᵀ holds everything needed: G = U Σ² Uᵀ, and the right singular vectors are V = Wᵀ U Σ⁻¹.

Three matrices W can be built from the points P (t x D) and the start θ₀ (paper A, Sec. 3.2, stacks the raw
checkpoints; the other two are our ablation):
  raw      W = P                       (uncentred: the top direction is ~θ₀ itself)
  updates  W = P − 1θ₀ᵀ                (the moves away from the start)
  centred  W = (I − 11ᵀ/t)(P − 1θ₀ᵀ)    (principal directions of the points)
All three are computed from Δ = P − 1θ₀ᵀ, which fp32 holds accurately (the points are close to θ₀), plus θ₀: the
raw Gram matrix is ΔΔᵀ + b1ᵀ + 1bᵀ + ‖θ₀‖²11ᵀ with b = Δθ₀, and centring is H·G·H on the t x t matrix. So the
column-streamed products run in fp32 (fast), and only t x t work is done in float64 (the eigendecomposition).
Memory: the points plus one chunk; `basis(..., out=P)` writes Vᵀ over P's own rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

VARIANTS = ("raw", "updates", "centred")
CHUNK = 1 << 14  # columns per streamed block: 32 x 16,384 fp32 = 2 MB (measured: faster than 8 MB blocks)
RANK_TOL = 1e-7  # below this fraction of the largest singular value: the float64 Gram matrix's rounding (~1e-8)


@dataclass
class GramSVD:
    """The trajectory's singular values and left singular vectors; V follows from `basis`."""
    variant: str
    sigma: torch.Tensor   # (r,) float64, descending, r = numerical rank
    u: torch.Tensor       # (t, r) float64

    @property
    def explained(self) -> torch.Tensor:
        """Cumulative share of ‖W‖²_F held by the top-1..r directions."""
        energy = self.sigma ** 2
        return torch.cumsum(energy, 0) / energy.sum()


def _deltas(points: torch.Tensor, theta0: torch.Tensor, chunk: int):
    for start in range(0, points.shape[1], chunk):
        cols = slice(start, min(start + chunk, points.shape[1]))
        yield cols, points[:, cols] - theta0[cols]


def gram_svd(points: torch.Tensor, theta0: torch.Tensor, variant: str = "raw", chunk: int = CHUNK) -> GramSVD:
    """SVD of the trajectory matrix `variant` (see module doc) from its t x t Gram matrix."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown trajectory variant '{variant}' (known: {', '.join(VARIANTS)})")
    t = points.shape[0]
    g = torch.zeros(t, t, dtype=torch.float64)
    b = torch.zeros(t, dtype=torch.float64)
    for cols, delta in _deltas(points, theta0, chunk):
        g += (delta @ delta.T).double()
        b += (delta @ theta0[cols]).double()
    if variant == "raw":
        ones = torch.ones(t, dtype=torch.float64)
        norm0 = theta0.double().square().sum()
        g = g + torch.outer(b, ones) + torch.outer(ones, b) + norm0 * torch.outer(ones, ones)
    elif variant == "centred":
        h = torch.eye(t, dtype=torch.float64) - 1.0 / t
        g = h @ g @ h
    lam, u = torch.linalg.eigh((g + g.T) / 2)
    lam, u = lam.flip(0).clamp_min(0), u.flip(1)
    sigma = lam.sqrt()
    rank = int((sigma > RANK_TOL * sigma[0]).sum()) if sigma[0] > 0 else 0
    return GramSVD(variant, sigma[:rank], u[:, :rank])


def coefficients(svd: GramSVD, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, s) with V_d = Δᵀ A + θ₀ sᵀ: the top-d right singular vectors as combinations of the points."""
    if d > len(svd.sigma):
        raise ValueError(f"subspace dimension {d} exceeds the trajectory's rank {len(svd.sigma)}")
    a = svd.u[:, :d] / svd.sigma[:d]
    t = a.shape[0]
    if svd.variant == "centred":
        a = a - a.mean(0, keepdim=True)  # Wᵀ = Δᵀ H and H is symmetric
    s = a.sum(0) if svd.variant == "raw" else torch.zeros(d, dtype=torch.float64)
    assert a.shape == (t, d)
    return a, s


def basis(points: torch.Tensor, theta0: torch.Tensor, svd: GramSVD, d: int, chunk: int = CHUNK,
          out: torch.Tensor | None = None) -> torch.Tensor:
    """Vᵀ (d x D, fp32, orthonormal rows): the top-d right singular vectors of the trajectory matrix.

    out=points writes Vᵀ over the first d rows of the points themselves (each block of columns is read before it is
    overwritten), so forming the basis needs no second matrix of the trajectory's size."""
    a, s = coefficients(svd, d)
    a, s = a.to(points.dtype), s.to(points.dtype)
    vt = out[:d] if out is not None else torch.empty(d, points.shape[1], dtype=points.dtype)
    for cols, delta in _deltas(points, theta0, chunk):
        vt[:, cols] = a.T @ delta + torch.outer(s, theta0[cols])
    return vt
