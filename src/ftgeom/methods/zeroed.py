"""Paper A's Table 3 ablation: full fine-tuning with some parameter positions of the encoder layers set to zero in
the pretrained model and held there (their gradients are zeroed, so AdamW never moves them: zero moments, and weight
decay of zero is zero). The positions are the outlier dimensions found in a subspace run's learned update
(ftgeom.intrinsic.outliers), or as many random positions per layer matched to them (same count per tensor and per
|θ0| quantile bin; one draw per `draw`)."""
from __future__ import annotations

import torch

from ftgeom.methods.freeze import Full


BINS = 10  # |θ0| quantile bins per tensor that the random control matches


def matched_positions(outliers: torch.Tensor, theta0: torch.Tensor, sizes: list[int], draw: int, layer: int,
                      bins: int = BINS) -> torch.Tensor:
    """As many flat positions of a layer as `outliers`, drawn among its other positions with the same count per
    parameter tensor and per |θ0| quantile bin of that tensor: the outliers sit in particular tensors (LayerNorm
    holds a large share of them) and among large |θ0|, so a uniform draw would compare unlike positions. A bin with
    too few other positions is topped up from the rest of its tensor (fewer only when the tensor has no other
    positions left). A pure function of (draw, layer)."""
    gen = torch.Generator().manual_seed(draw * 7919 + layer)
    chosen, lo = [], 0
    for size in sizes:
        inside = outliers[(outliers >= lo) & (outliers < lo + size)] - lo
        if len(inside):
            mag = theta0[lo:lo + size].detach().abs().float()
            edges = torch.quantile(mag, torch.linspace(0, 1, bins + 1)[1:-1]) if size > 1 else torch.zeros(0)
            bin_of = torch.bucketize(mag, edges)
            free = torch.ones(size, dtype=torch.bool)
            free[inside] = False
            for b, need in zip(*torch.unique(bin_of[inside], return_counts=True)):
                pool = torch.nonzero(free & (bin_of == b)).flatten()
                pick = pool[torch.randperm(len(pool), generator=gen)[:int(need)]]
                free[pick] = False
                if len(pick) < need:
                    rest = torch.nonzero(free).flatten()
                    extra = rest[torch.randperm(len(rest), generator=gen)[:int(need) - len(pick)]]
                    free[extra] = False
                    pick = torch.cat([pick, extra])
                chosen.append(pick + lo)
        lo += size
    return torch.cat(chosen).sort().values if chosen else torch.zeros(0, dtype=torch.long)


class Zeroed(Full):
    name = "zeroed"

    def __init__(self, source: str, found: dict[int, list[int]], positions: str = "outliers", draw: int = 0):
        super().__init__()
        if positions not in ("outliers", "random"):
            raise ValueError(f"zeroed positions must be 'outliers' or 'random', not {positions!r}")
        self.source, self.positions, self.draw = source, positions, int(draw)
        self.found = {int(i): p for i, p in found.items()}  # the source's positions per layer (data, not a path)
        self.zeroed = 0
        self.chosen: dict[int, torch.Tensor] = {}  # flat positions per layer, in the layer map's order

    def options(self) -> dict:
        return {"source": self.source, "positions": self.positions, "draw": self.draw}

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model = super().prepare(model)
        params = dict(model.named_parameters())
        for i, flat in self.found.items():
            names = model.layer_map.layers[i]
            sizes = [params[n].numel() for n in names]
            numel = sum(sizes)
            chosen = torch.tensor(flat, dtype=torch.long)
            if self.positions == "random":
                theta0 = torch.cat([params[n].detach().reshape(-1) for n in names])
                chosen = matched_positions(chosen, theta0, sizes, self.draw, i)
            self.chosen[i] = chosen
            mask = torch.zeros(numel, dtype=torch.bool)
            mask[chosen] = True
            offset = 0
            for n in names:
                p, k = params[n], params[n].numel()
                local = mask[offset:offset + k].view_as(p)
                offset += k
                if local.any():
                    with torch.no_grad():
                        p.masked_fill_(local, 0.0)
                    p.register_hook(lambda g, m=local: g.masked_fill(m.to(g.device), 0.0))
            self.zeroed += int(mask.sum())
        return model

    def describe(self, model: torch.nn.Module) -> dict:
        return {**super().describe(model), "zeroed_positions": self.zeroed}
