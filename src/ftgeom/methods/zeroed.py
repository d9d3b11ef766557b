"""Paper A's Table 3 ablation: full fine-tuning with some parameter positions of the encoder layers set to zero in
the pretrained model and held there (their gradients are zeroed, so AdamW never moves them: zero moments, and weight
decay of zero is zero). The positions are the outlier dimensions found in a subspace run's learned update
(ftgeom.intrinsic.outliers), or as many random positions per layer (one draw per `draw`)."""
from __future__ import annotations

import torch

from ftgeom.methods.freeze import Full


def random_positions(numel: int, count: int, draw: int, layer: int) -> torch.Tensor:
    """`count` distinct flat positions of a layer, a pure function of (draw, layer)."""
    gen = torch.Generator().manual_seed(draw * 7919 + layer)
    return torch.randperm(numel, generator=gen)[:count].sort().values


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
            numel = sum(params[n].numel() for n in names)
            chosen = torch.tensor(flat, dtype=torch.long) if self.positions == "outliers" else \
                random_positions(numel, len(flat), self.draw, i)
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
