"""Measures of how the singular basis of a weight matrix W0 moves when fine-tuning adds ΔW (W1 = W0 + ΔW).

All math is float64 on thin SVDs (r = min(m, n) singular triplets). Because ΔW is tiny and low rank, raw overlaps
come out ~1.000; ``compare`` puts every measure next to the same measure for null updates of the same size
(see ``ftgeom.nulls``), which is the comparison that carries information.
"""
from __future__ import annotations

import math

from dataclasses import dataclass

import torch

from ftgeom.nulls import perturbation


@dataclass
class Svd:
    """Thin SVD w = u diag(s) vᵀ: u is m×r, s is (r,) descending, v is n×r (right singular vectors as columns)."""
    u: torch.Tensor
    s: torch.Tensor
    v: torch.Tensor


def _f64(w: torch.Tensor) -> torch.Tensor:
    return w.detach().to(torch.float64)


def svd(w: torch.Tensor) -> Svd:
    """Thin float64 SVD of ``w``."""
    u, s, vh = torch.linalg.svd(_f64(w), full_matrices=False)
    return Svd(u, s, vh.mT)


def overlap(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖aᵀb‖²_F / k for two orthonormal m×k column blocks: the mean squared cosine of their principal angles.

    1 means the same subspace, 0 orthogonal subspaces; k/n is the chance level in R^n (``random_overlap``).
    """
    if a.shape != b.shape:
        raise ValueError(f"overlap needs blocks of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return float(torch.linalg.matrix_norm(_f64(a).mT @ _f64(b)) ** 2 / a.shape[1])


def random_overlap(k: int, n: int) -> float:
    """k / n: the expected ``overlap`` of two independent, uniformly random k-dimensional subspaces of R^n."""
    return k / n


def principal_cosines(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosines of the principal angles between span(a) and span(b) (orthonormal columns), descending, in [0, 1]."""
    return torch.linalg.svdvals(_f64(a).mT @ _f64(b)).clamp(0.0, 1.0)


def _indices(r: int, k: int, end: str) -> slice:
    # A slice, not an index tensor: column blocks stay views, which matters when compare() takes dozens of them.
    if end not in ("lead", "tail"):
        raise ValueError(f"end must be 'lead' or 'tail', got {end!r}")
    if not 0 < k <= r:
        raise ValueError(f"k must be in 1..{r}, got {k}")
    return slice(0, k) if end == "lead" else slice(r - k, r)


def _vectors(x: Svd, side: str) -> torch.Tensor:
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return x.u if side == "left" else x.v


def top_subspace(w_or_svd: torch.Tensor | Svd, k: int, end: str = "lead", side: str = "left") -> torch.Tensor:
    """The k leading (``end="lead"``) or trailing (``"tail"``, among the r thin ones) singular vectors, as columns."""
    x = w_or_svd if isinstance(w_or_svd, Svd) else svd(w_or_svd)
    return _vectors(x, side)[:, _indices(x.s.numel(), k, end)]


def matched_cosines(base: Svd, tuned: Svd, k: int, tol: float, *, side: str = "left",
                    end: str = "lead") -> tuple[torch.Tensor, torch.Tensor]:
    """Sign-free, degeneracy-robust |cos| between each tuned singular vector and its pretrained counterpart.

    For each index i of the k leading (or, with ``end="tail"``, the k trailing) indices, the value is the norm of the
    tuned vector's projection onto span{u0_j : |σ0_j − σ0_i| ≤ tol} (the window always holds j = i); ``side`` picks
    left (u) or right (v) vectors. Why a window: by Weyl's inequality singular values move by at most ‖ΔW‖₂, so
    pretrained vectors whose singular values lie within tol = ‖ΔW‖₂ of each other can legitimately mix under the
    update, and a naive per-index |cos| would call that mixing instability. The projection norm is invariant to sign
    flips and to any rotation inside the window. Returns (cosines (k,), window sizes (k,)).
    """
    idx = _indices(base.s.numel(), k, end)
    # A pretrained σ_j is in i's window when it is within tol of σ_i: a k×r mask over all r pretrained vectors.
    window = (base.s[idx, None] - base.s[None, :]).abs() <= tol
    window[torch.arange(k), torch.arange(base.s.numel())[idx]] = True
    coef = _vectors(base, side).mT @ _vectors(tuned, side)[:, idx]  # r×k: coordinates of tuned vectors in base
    cos = ((coef.mT ** 2) * window).sum(dim=1).sqrt().clamp(0.0, 1.0)
    return cos, window.sum(dim=1)


def intruders(base: Svd, tuned: Svd, k: int = 10, threshold: float = 0.5) -> tuple[int, torch.Tensor]:
    """Intruder dimensions (Shuttleworth et al., arXiv 2410.21228) among the k leading tuned left singular vectors.

    A tuned vector is an intruder when its largest |cos| with *every* pretrained left singular vector (all r of the
    thin SVD) stays below ``threshold``: fine-tuning created a new leading direction instead of reusing one. Returns
    (count, the k largest-|cos| values).
    """
    r = base.s.numel()
    if not 0 < k <= r:
        raise ValueError(f"k must be in 1..{r}, got {k}")
    max_cos = (base.u.mT @ tuned.u[:, :k]).abs().amax(dim=0)
    return int((max_cos < threshold).sum()), max_cos


def relative_sv_change(s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
    """(s1 − s0) / s0 per index; NaN where s0 = 0, since a relative change from zero is undefined."""
    s0, s1 = _f64(s0), _f64(s1)
    return torch.where(s0 > 0, (s1 - s0) / torch.where(s0 > 0, s0, 1.0), torch.nan)


def energy_share(base: Svd, dw: torch.Tensor, k: int, end: str = "lead") -> float:
    """‖U_kᵀ ΔW V_k‖²_F / ‖ΔW‖²_F: the fraction of the update's energy inside the top-k (or tail-k) singular block.

    Its expectation for a ΔW whose directions are independent of the basis is k²/(m·n) (``energy_share_random``);
    NaN for ΔW = 0.
    """
    dw = _f64(dw)
    total = torch.linalg.matrix_norm(dw) ** 2
    if total == 0:
        return float("nan")
    uk, vk = top_subspace(base, k, end, "left"), top_subspace(base, k, end, "right")
    return float(torch.linalg.matrix_norm(uk.mT @ dw @ vk) ** 2 / total)


def energy_share_random(k: int, m: int, n: int) -> float:
    """k² / (m·n): the expected ``energy_share`` of an update with directions independent of the basis."""
    return k * k / (m * n)


def stable_rank(w: torch.Tensor) -> float:
    """‖w‖²_F / ‖w‖²_2: a continuous count of the directions carrying w's energy (1 for rank 1); NaN for w = 0."""
    w = _f64(w)
    return _stable_rank(w, _spectral_norm(w))


def _stable_rank(w: torch.Tensor, norm2: float) -> float:
    return float(torch.linalg.matrix_norm(w) ** 2 / norm2 ** 2) if norm2 > 0 else float("nan")


def _spectral_norm(w: torch.Tensor) -> float:
    # λ_max of the smaller Gram matrix is accurate to machine precision relative to itself (only small singular
    # values suffer from squaring), at about half the cost of svdvals; compare() needs it once per source.
    gram = w.mT @ w if w.shape[0] >= w.shape[1] else w @ w.mT
    return float(torch.linalg.eigvalsh(gram)[-1].clamp(min=0.0).sqrt()) if gram.numel() else 0.0


def _source_rows(source: str, w0: torch.Tensor, w1: torch.Tensor, dw: torch.Tensor, base: Svd, ks,
                 intruder_k: int, threshold: float, keep: dict | None = None) -> list[dict]:
    m, n = w0.shape
    r = base.s.numel()
    tuned = svd(w1)
    if keep is not None:
        keep[source] = tuned
    tol = _spectral_norm(dw)  # ‖ΔW‖₂ bounds how far any singular value can move (Weyl)
    sv_change = relative_sv_change(base.s, tuned.s)
    shared = {
        "intruders": intruders(base, tuned, intruder_k, threshold)[0] if 0 < intruder_k <= r else None,
        "rel_update": float(torch.linalg.matrix_norm(dw) / torch.linalg.matrix_norm(w0)),
        "stable_rank": _stable_rank(dw, tol),
        "top_sv_change": float(sv_change[0]),
    }
    rows = []
    for k in ks:
        if not 0 < k <= r:
            continue
        for end in ("lead", "tail"):
            # principal cosines per side: their mean square is the overlap, the smallest gives the largest angle
            cosines = [principal_cosines(top_subspace(base, k, end, side), top_subspace(tuned, k, end, side))
                       for side in ("left", "right")]
            left, right = (float(c.square().sum()) / k for c in cosines)
            angles = [math.degrees(math.acos(float(c.min()))) for c in cosines]
            cos_l = float(matched_cosines(base, tuned, k, tol, side="left", end=end)[0].mean())
            cos_r = float(matched_cosines(base, tuned, k, tol, side="right", end=end)[0].mean())
            mean = (left + right) / 2
            rows.append({
                "source": source, "k": k, "end": end,
                "overlap_left": left, "overlap_right": right, "overlap": mean, "one_minus": max(0.0, 1.0 - mean),
                "max_angle": sum(angles) / 2,
                "random": (random_overlap(k, m) + random_overlap(k, n)) / 2,
                "matched_cos_left": cos_l, "matched_cos_right": cos_r, "matched_cos": (cos_l + cos_r) / 2,
                "sv_change": float(torch.nanmean(sv_change[_indices(r, k, end)])),
                "energy_share": energy_share(base, dw, k, end), "energy_random": energy_share_random(k, m, n),
                **shared,
            })
    return rows


def compare(w0: torch.Tensor, w1: torch.Tensor, ks, *, intruder_k: int = 10, threshold: float = 0.5,
            nulls=("frobenius", "spectrum"), generator: torch.Generator | None = None, base: Svd | None = None,
            keep: dict | None = None) -> list[dict]:
    """Every measure for the real update W1 − W0 and for each null update of it, as one row per (source, k, end).

    Sources are "real" and "null-<kind>" for each kind in ``nulls`` (W1' = W0 + null perturbation of ΔW). ks larger
    than r = min(m, n) are skipped. Per row: "overlap_left"/"overlap_right" of the k lead or tail singular vectors,
    their mean "overlap", "one_minus" (1 − overlap, floored at 0), "max_angle" (the largest principal angle in
    degrees, mean of left and right), "random" (chance overlap, mean of k/m and k/n),
    "matched_cos_left"/"matched_cos_right" and their mean "matched_cos" (mean over the k indices of
    ``matched_cosines`` with tol = ‖ΔW‖₂ of that source), "sv_change" (mean relative change of those k singular
    values), "energy_share" and "energy_random"; repeated per source: "intruders" (count at ``intruder_k``, None if
    intruder_k > r), "rel_update" (‖ΔW‖_F/‖W0‖_F), "stable_rank" (of ΔW) and "top_sv_change" (relative change of σ_1).
    `base`: W0's Svd when the caller has it (several W1 against one W0); `keep`: filled with {source: Svd of W1'}.
    """
    if w0.shape != w1.shape or w0.ndim != 2:
        raise ValueError(f"compare needs two matrices of the same shape, got {tuple(w0.shape)} and {tuple(w1.shape)}")
    w0 = _f64(w0)
    dw = _f64(w1) - w0
    base = base if base is not None else svd(w0)
    rows = _source_rows("real", w0, _f64(w1), dw, base, ks, intruder_k, threshold, keep)
    for kind in nulls:
        dw_null = perturbation(kind, dw, generator)
        rows += _source_rows(f"null-{kind}", w0, w0 + dw_null, dw_null, base, ks, intruder_k, threshold, keep)
    return rows
