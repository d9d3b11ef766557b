"""How far a run moved its encoder weights, measured at its end (`head_probe.weight_geometry`): per weight matrix,
‖ΔW‖_F/‖W0‖_F, the effective rank of ΔW, and 1 − overlap of the top-k left singular subspaces of W0 and W1 = W0 + ΔW,
next to the same for a same-spectrum null update (ΔW's singular values, Haar-random directions: ftgeom.nulls).

Measured inside the run because the alternative, keeping each run's final weights, costs 174 MB per MiniLM run;
these numbers are what the synthesis (head energy against weight geometry across the τ sweep) reads.
"""
from __future__ import annotations

import math
import zlib

import torch

from ftgeom.models.weights import effective_parameters
from ftgeom.nulls import same_spectrum
from ftgeom.train.hooks import Hook, RunContext


def effective_rank(s: torch.Tensor) -> float:
    """exp of the entropy of the normalised singular values (Roy & Vetterli 2007): 1 for rank one, r for r equal
    values; NaN for a zero matrix."""
    s = s.double()
    total = s.sum()
    if total <= 0:
        return float("nan")
    p = s[s > 0] / total
    return float(torch.exp(-(p * p.log()).sum()))


def _top_left(w: torch.Tensor, k: int) -> torch.Tensor:
    return torch.linalg.svd(w, full_matrices=False)[0][:, :k]


def rotation(u0: torch.Tensor, w1: torch.Tensor, k: int) -> float:
    """1 − ‖U0ᵀU1‖²_F / k for the top-k left singular vectors U0 (given) and U1 (of w1)."""
    return float(1.0 - torch.linalg.matrix_norm(u0.mT @ _top_left(w1, k)) ** 2 / k)


def matrix_geometry(w0: torch.Tensor, w1: torch.Tensor, k: int, generator: torch.Generator) -> dict:
    """The measures of one matrix (conv kernels read as out x in*kh*kw), in float64."""
    w0, w1 = w0.reshape(w0.shape[0], -1).double(), w1.reshape(w1.shape[0], -1).double()
    dw = w1 - w0
    u0 = _top_left(w0, k)
    return {"m": w0.shape[0], "n": w0.shape[1],
            "relative_update": float(torch.linalg.matrix_norm(dw) / torch.linalg.matrix_norm(w0)),
            "effective_rank": effective_rank(torch.linalg.svdvals(dw)),
            "rotation": rotation(u0, w1, k),
            "null_rotation": rotation(u0, w0 + same_spectrum(dw, generator), k)}


class WeightGeometry(Hook):
    """Keeps W0 of every encoder weight matrix of rank > k at the start; `after_run` adds `weight_geometry`."""
    name = "weight_geometry"

    def __init__(self, k: int, seed: int):
        self.k, self.seed = int(k), int(seed)
        self.start: dict[str, torch.Tensor] = {}

    def options(self) -> dict:
        return {"k": self.k}

    def _weights(self, run: RunContext) -> dict[str, torch.Tensor]:
        layer_map = run.model.layer_map
        names = [m.name for m in layer_map.matrices() if min(m.shape[0], math.prod(m.shape[1:])) > self.k]
        with torch.no_grad():
            return {k: v.cpu().clone() for k, v in
                    effective_parameters(run.model, run.method.effective_weights(), names).items()}

    def on_start(self, run: RunContext) -> None:
        if not self.start:  # a resumed run restores W0 from its checkpoint (state_dict)
            self.start = self._weights(run)

    def after_run(self, run: RunContext) -> dict:
        with run.phases("weight_geometry"):  # its cost shows in the record's timing.phases
            final, rows = self._weights(run), []
            for name, w0 in self.start.items():
                gen = torch.Generator().manual_seed(self.seed * 1_000_003 + zlib.crc32(name.encode()))
                rows.append({"name": name, "layer": run.model.layer_map.layer_of(name),
                             **matrix_geometry(w0, final[name], self.k, gen)})
        return {"weight_geometry": {"k": self.k, "matrices": rows}}

    def state_dict(self) -> dict:
        return {"start": self.start}

    def load_state_dict(self, state: dict) -> None:
        self.start = dict(state.get("start", {}))

