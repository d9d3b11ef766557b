"""Null perturbations of a fine-tuning update ΔW, for judging how special the real update is. Shared: paper B's
stability measures and paper C's weight geometry (ftgeom.head_probe.weight_geometry) both draw them.

A raw overlap of ~1.000 between the singular bases of W0 and W0 + ΔW says little when ‖ΔW‖ is ~2 % of ‖W0‖: almost any
update that small leaves the leading singular vectors in place. Each null therefore replaces ΔW by a random update that
shares part of its description, so that any gap between real and null is due to the update's *direction*:

- ``frobenius``: same size (‖·‖_F) only; i.i.d. Gaussian, hence generically full rank and spread over all directions.
- ``spectrum``: same size *and* same rank profile (all singular values of ΔW), with Haar-random singular bases; it
  isolates the alignment of ΔW's singular vectors with those of W0 from the mere fact that ΔW is low rank.
"""
from __future__ import annotations

import torch


def _gaussian(shape, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # The generator's device must match the sample's, so draw where the generator lives and move afterwards.
    device = generator.device if generator is not None else like.device
    return torch.randn(*shape, dtype=torch.float64, device=device, generator=generator).to(like.device)


def haar_orthonormal(m: int, r: int, generator: torch.Generator | None = None,
                     like: torch.Tensor | None = None) -> torch.Tensor:
    """An m×r matrix with orthonormal columns, uniformly (Haar) distributed on the Stiefel manifold.

    Plain QR of a Gaussian is not Haar: LAPACK's sign convention for R's diagonal biases Q. Multiplying each column of
    Q by the sign of the matching diagonal entry of R removes that bias (Mezzadri 2007).
    """
    like = like if like is not None else torch.empty(0, dtype=torch.float64)
    q, r_ = torch.linalg.qr(_gaussian((m, r), like, generator))
    signs = torch.sign(torch.diagonal(r_))
    signs[signs == 0] = 1.0  # a zero has probability 0, but must not zero out a column if it happens
    return q * signs


def same_frobenius(dw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """An i.i.d. Gaussian matrix shaped like ``dw``, rescaled to exactly ‖dw‖_F (float64)."""
    dw = dw.detach().to(torch.float64)
    g = _gaussian(dw.shape, dw, generator)
    return g * (torch.linalg.matrix_norm(dw) / torch.linalg.matrix_norm(g))


def same_spectrum(dw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Q1 diag(σ(dw)) Q2ᵀ with Haar-random Q1 (m×r) and Q2 (n×r): exactly dw's singular values, random directions."""
    dw = dw.detach().to(torch.float64)
    m, n = dw.shape
    s = torch.linalg.svdvals(dw)
    q1 = haar_orthonormal(m, s.numel(), generator, like=dw)
    q2 = haar_orthonormal(n, s.numel(), generator, like=dw)
    return (q1 * s) @ q2.mT


_KINDS = {"frobenius": same_frobenius, "spectrum": same_spectrum}


def perturbation(kind: str, dw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The null update of the given kind ("frobenius" or "spectrum") for the real update ``dw``."""
    if kind not in _KINDS:
        raise ValueError(f"unknown null kind {kind!r}; expected one of {sorted(_KINDS)}")
    return _KINDS[kind](dw, generator)
