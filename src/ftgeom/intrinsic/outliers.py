"""Outlier dimensions (paper A, Sec. 5, Tables 3/4, Fig. 4): entries of a layer's learned update Vᵀθ^t more than
`sigma` standard deviations from the update's mean.

Two ablations use them. The cheap one, here: zero the outlier entries of the learned update only and re-evaluate
the trained model, against as many random entries per layer. The paper's (Table 3): the `zeroed` method
(ftgeom.methods.zeroed) sets those parameter positions of the pretrained model to zero and fine-tunes in the full
space with them held at zero.

Where an entry sits: its parameter tensor, its kind (attention, FFN, LayerNorm, ...) and, where one of the tensor's
axes is the residual stream (the hidden size), its hidden-dimension index.
"""
from __future__ import annotations

import math
from collections import Counter

import torch

from ftgeom.methods.zeroed import matched_positions
from ftgeom.models.layers import MATRIX_KINDS
from ftgeom.train.hooks import Hook, RunContext
from ftgeom.train.loop import evaluate

# Local weight names whose input axis (columns) is the residual stream; for the others the output axis (rows) is.
READS_RESIDUAL = ("query", "key", "value", "qkv", "ffn_in")


def detect(update: torch.Tensor, sigma: float) -> torch.Tensor:
    """Flat indices of the entries more than `sigma` standard deviations from the mean (none in an all-zero update)."""
    std = update.std()
    if not torch.isfinite(std) or std == 0:
        return torch.zeros(0, dtype=torch.long)
    return torch.nonzero((update - update.mean()).abs() > sigma * std).flatten()


def gaussian_expectation(numel: int, sigma: float) -> float:
    """How many entries a Gaussian update of `numel` entries has beyond `sigma` standard deviations: the 3σ rule
    flags 0.27% of pure noise, about the 0.3% paper A reports, so counts are read against this."""
    return numel * math.erfc(sigma / math.sqrt(2))


def locate(flat: torch.Tensor, names: list[str], shapes: dict[str, tuple[int, ...]], prefix: str,
           hidden: int) -> list[dict]:
    """For flat positions of one layer: tensor name, kind, and the residual-stream index where one axis has it."""
    sizes = [math.prod(shapes[n]) for n in names]
    bounds = torch.tensor([0, *sizes]).cumsum(0)
    which = torch.searchsorted(bounds, flat, right=True) - 1
    out = []
    for pos, t in zip(flat.tolist(), which.tolist()):
        name, local = names[t], pos - int(bounds[t])
        shape = shapes[name]
        module = name[len(prefix):].rsplit(".", 1)[0]
        kind = MATRIX_KINDS.get(module, "layernorm" if "LayerNorm" in module or "norm" in module else module)
        if len(shape) == 2:
            row, col = divmod(local, shape[1])
            index = col if kind in READS_RESIDUAL else row
            axis_ok = (shape[1] if kind in READS_RESIDUAL else shape[0]) == hidden
        else:
            index, axis_ok = local, shape[0] == hidden
        out.append({"tensor": name, "kind": kind if name.endswith("weight") else f"{kind} bias",
                    "hidden_index": index if axis_ok else None})
    return out


def _evaluate_with(model, method, updates: dict[int, torch.Tensor], data, cfg, device) -> dict:
    class Fixed:  # the trained method's weights with some update entries zeroed
        @staticmethod
        def weight_overrides():
            return method.overrides_for(updates)
    return evaluate(model, Fixed, data, data.test, cfg, device)


@torch.no_grad()
def reevaluate(model, method, data, cfg, device, sigma: float, draws: int) -> dict:
    """The trained subspace run with its update's outliers zeroed, and with as many random entries per layer zeroed
    (`draws` draws, matched to the outliers per tensor and |θ0| bin); its outlier positions per layer and where they
    sit."""
    metric = data.info["metric"]
    hidden = int(model.backbone.config.hidden_size) if hasattr(model.backbone, "config") else 0
    updates = {i: method.update(i).detach() for i in method.layers}
    found = {i: detect(u, sigma) for i, u in updates.items()}

    def zeroed(positions):
        return {i: u.index_fill(0, positions[i].to(u.device), 0.0) for i, u in updates.items()}
    scores = {"outliers": _evaluate_with(model, method, zeroed(found), data, cfg, device)[metric]}
    def matched(i: int, k: int) -> torch.Tensor:  # θ0 of the layer, the same flat order as its update
        sizes = [math.prod(method.shapes[n]) for n in method.layers[i]]
        return matched_positions(found[i], getattr(method, f"theta0_{i}"), sizes, k, i)
    scores["random"] = [_evaluate_with(model, method, zeroed({i: matched(i, k) for i in updates}), data, cfg,
                                       device)[metric] for k in range(1, draws + 1)]
    where = []
    for i, flat in found.items():
        prefix = model.layer_map.prefixes[i]
        where += [{"layer": i, **w} for w in locate(flat, method.layers[i], method.shapes, prefix, hidden)]
    total = sum(u.numel() for u in updates.values())
    return {"sigma": sigma, "count": len(where), "fraction": len(where) / total,
            "gaussian_expectation": sum(gaussian_expectation(u.numel(), sigma) for u in updates.values()),
            "per_layer": {i: len(f) for i, f in found.items()}, "test": scores,
            "by_kind": dict(Counter(w["kind"] for w in where).most_common()),
            "by_hidden_index": dict(Counter(w["hidden_index"] for w in where if w["hidden_index"] is not None)
                                    .most_common()),
            "hidden_size": hidden, "positions": {i: f.tolist() for i, f in found.items()}}


class OutlierReevaluation(Hook):
    """After a subspace run's test evaluation: `reevaluate` on the trained model; the record gets `outliers`."""
    name = "outliers"

    def __init__(self, sigma: float, draws: int):
        self.sigma, self.draws = float(sigma), int(draws)

    def options(self) -> dict:
        return {"sigma": self.sigma, "draws": self.draws}

    def after_run(self, run: RunContext) -> dict:
        with run.phases("eval"):
            return {"outliers": reevaluate(run.model, run.method, run.data, run.cfg, run.device, self.sigma,
                                           self.draws)}
