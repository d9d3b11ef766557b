"""Head probing (HP): train only the task head for τ epochs on the frozen backbone, with the shared loop.

One probing run to the largest τ yields the head of every smaller τ (the heads at epoch ends are the same as those
of shorter runs: constant learning rate, batches fixed by (seed, epoch)). The authors' code probes with a constant
learning rate and no weight decay; we do the same. The head at τ = 0 is the seed's fresh head, the one the
shared stage's full fine-tuning run starts from, so τ = 0 is that run. "converged" is τ = `converged_epochs`.
The early-stopped head is the linear probe's head at the epoch of best validation score (the earliest on ties).
"""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.head_probe.energy import head_energy
from ftgeom.head_probe.features import feature_model, feature_task
from ftgeom.head_probe.plan import CONVERGED, EARLY


def tau_epochs(tau, converged_epochs: int) -> int:
    return converged_epochs if tau == CONVERGED else int(tau)


def probe_config(seed: int, settings: dict, epochs: int):
    from ftgeom.train.loop import TrainConfig

    return TrainConfig(epochs=max(1, epochs), batch_size=settings["batch_size"], lr=settings["lr"], weight_decay=0.0,
                       warmup_ratio=0.0, schedule="constant", label_smoothing=settings["label_smoothing"],
                       precision="fp32", seed=seed)


def probe_heads(cache_dir: Path, model_info: dict, seed: int, settings: dict, taus: list,
                keep_every_epoch: bool = False) -> tuple[dict, dict]:
    """Probe one head. settings: lr, batch_size, head, label_smoothing, converged_epochs.

    Returns ({tau: head state_dict}, record) with the energy and validation score of every epoch 0..max τ;
    `keep_every_epoch` also returns the early-stopped head under EARLY.
    """
    from ftgeom.methods import make_method
    from ftgeom.train.hooks import EpochEnd
    from ftgeom.train.loop import fit

    data = feature_task(cache_dir)
    model = feature_model(cache_dir, model_info, seed, settings["head"])
    epochs = {tau_epochs(t, settings["converged_epochs"]) for t in taus}
    last = max(epochs | {1})
    snapshots = {}
    curve = []

    def snapshot(epoch: int, m) -> None:
        curve.append({"epoch": epoch, **head_energy(m.head, data.train.features["features"], data.train.labels)})
        if epoch in epochs or keep_every_epoch:
            snapshots[epoch] = {k: v.detach().clone() for k, v in m.head.state_dict().items()}

    snapshot(0, model)
    # seconds of work: no checkpoints (a killed job simply probes again)
    result = fit(model, make_method("head"), data, probe_config(seed, settings, last), None, progress=False,
                 hooks=[EpochEnd(snapshot)])
    metric = data.info["metric"]
    validation = [None] + [h["validation"][metric] for h in result["history"]]
    for c in curve:
        c["validation"] = validation[c["epoch"]]
    heads = {t: snapshots[tau_epochs(t, settings["converged_epochs"])] for t in taus}
    record = {"seed": seed, "settings": settings, "curve": curve, "epochs": last,
              "energy": {str(t): curve[tau_epochs(t, settings["converged_epochs"])] for t in taus}}
    if keep_every_epoch:
        best = max(range(1, last + 1), key=lambda e: (validation[e], -e))
        heads[EARLY] = snapshots[best]
        record["early_stop_epoch"] = best
        record["energy"][EARLY] = curve[best]
    return heads, record


def same_head(a: dict, b: dict, atol: float = 1e-6) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=atol) for k in a)
