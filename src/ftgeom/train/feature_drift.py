"""How far fine-tuning moves the features the task head reads (paper C's feature-adaptation measures).

z is the head's input: the backbone's pooled penultimate features (BERT's pooler output, timm's pooled features).
With z₀ the features of the model fine-tuning starts from and z_t the current ones, per held-out example:
‖z_t − z₀‖₂, cos(z_t, z₀), ⟨z_t, z₀⟩ and ‖z_t‖₂. Runs keep the means and a few quantiles per epoch (the figures
show distributions through the quantiles).
"""
from __future__ import annotations

import torch

MEASURES = ("distance", "cosine", "dot", "norm")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def feature_measures(z0: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-example measures (N,) between start features z0 and current features z (both N × width), in float64."""
    z0, z = z0.double(), z.double()
    return {"distance": (z - z0).norm(dim=1),
            "cosine": torch.nn.functional.cosine_similarity(z, z0, dim=1, eps=1e-12),
            "dot": (z * z0).sum(dim=1),
            "norm": z.norm(dim=1)}


def drift_summary(z0: torch.Tensor, z: torch.Tensor) -> dict[str, dict[str, float]]:
    """{measure: {mean, q05, q25, q50, q75, q95}} plus the start's mean norm (the scale the others compare to)."""
    out = {}
    q = torch.tensor(QUANTILES, dtype=torch.float64)
    for name, values in feature_measures(z0, z).items():
        qs = torch.quantile(values, q)
        out[name] = {"mean": float(values.mean()), **{f"q{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, qs)}}
    out["norm0"] = {"mean": float(z0.double().norm(dim=1).mean())}
    return out


class FeatureCapture:
    """Context manager that records the input of `head` (a module) on every forward pass; inactive for None."""

    def __init__(self, head: torch.nn.Module | None):
        self.head, self.batches, self._hook = head, [], None

    def __enter__(self):
        if self.head is not None:
            self._hook = self.head.register_forward_hook(
                lambda _m, inputs, _out: self.batches.append(inputs[0].detach().float().cpu()))
        return self

    def __exit__(self, *exc):
        if self._hook is not None:
            self._hook.remove()

    def stacked(self) -> torch.Tensor:
        return torch.cat(self.batches)
