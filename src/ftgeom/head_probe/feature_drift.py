"""How far fine-tuning moves the features the task head reads (paper C's feature-adaptation measures).

z is the head's input: the backbone's pooled penultimate features (BERT's pooler output, timm's pooled features).
With z₀ the features of the model fine-tuning starts from and z_t the current ones, per held-out example:
‖z_t − z₀‖₂, cos(z_t, z₀), ⟨z_t, z₀⟩ and ‖z_t‖₂. Runs keep the means and a few quantiles per epoch (the figures
show distributions through the quantiles).
"""
from __future__ import annotations

import torch

from ftgeom.train.hooks import Hook, RunContext

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


class FeatureDrift(Hook):
    """Paper C's measures during a run: the validation features of the model fine-tuning starts from (z₀, before
    the first step) and after every epoch, summarised against z₀; the run's record gets them as `feature_drift`."""
    name = "feature_drift"
    wants_features = True

    def __init__(self):
        self.z0, self.drift = None, []

    def on_start(self, run: RunContext) -> None:
        if self.z0 is None:  # after a resume, z₀ comes back with the checkpoint
            validation, self.z0 = run.validate(features=True)
            self.drift.append({"epoch": 0, "step": run.step, "validation": validation,
                               **drift_summary(self.z0, self.z0)})

    def on_epoch_end(self, run: RunContext, epoch: int, validation: dict, features) -> None:
        self.drift.append({"epoch": epoch, "step": run.step, "validation": validation,
                           **drift_summary(self.z0, features)})

    def after_run(self, run: RunContext) -> dict:
        return {"feature_drift": self.drift}

    def state_dict(self) -> dict:
        return {"z0": self.z0, "drift": self.drift}

    def load_state_dict(self, state: dict) -> None:
        self.z0, self.drift = state["z0"], state["drift"]

