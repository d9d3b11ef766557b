"""What the synthesis measures on one traced full fine-tuning run (paper A's trajectory, seed 0), matrix by matrix
against the pretrained weights W0 = θ0 (rule synthesis_task):

- S2: the share of the energy of paper A's top trajectory directions (the `updates` variant: moves away from θ0,
  reshaped per matrix) inside W0's top-k singular block U_kᵀ·V_k, next to the share of the whole update ΔW (last
  point − θ0) and to the share k²/(mn) of a direction independent of the basis. The paper's own `raw` variant is not
  used here: its top direction is ≈ θ0 itself, which lies in W0's top block by construction.
- S4: where paper A's outlier positions (when the task has them) fall: among the same number of largest |W0| entries,
  and of largest |U_kΣ_kV_kᵀ| entries (the rank-k reconstruction), against the N/(mn) a random set would hit.
  S4c repeats it with the outliers of the learned update once its component along θ0 is removed: paper A's
  subspace (`raw` variant) has ≈ θ0 itself as its top direction, so any update that uses it moves large |θ0|
  entries most, by construction of the basis (the run's coordinates and the trajectory give the update exactly).
- S5: the top-k left singular vectors of each matrix's ΔW, for the cross-task overlaps.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

from ftgeom.intrinsic.gram import basis, gram_svd
from ftgeom.intrinsic.outliers import detect
from ftgeom.provenance import read_json
from ftgeom.spectral.measures import energy_share, energy_share_random, svd
from ftgeom.train.trajectory import load_layer


def block_share(w0_svd, x: torch.Tensor, k: int) -> float:
    """‖U_kᵀ X V_k‖²_F / ‖X‖²_F (paper B's energy share) of any matrix X shaped like W0."""
    return energy_share(w0_svd, x.reshape(x.shape[0], -1), k)


def top_entries(w: torch.Tensor, n: int) -> set[int]:
    """Flat indices of the n largest |w| entries."""
    if n <= 0:
        return set()
    return set(torch.topk(w.reshape(-1).abs(), n).indices.tolist())


def outlier_hits(positions: set[int], w0: torch.Tensor, w0_svd, k: int) -> dict:
    """How many of N outlier positions (flat indices into w0) are among the N largest |W0| entries, and among the N
    largest entries of the rank-k reconstruction; `chance` = N/(mn), the fraction a random set of N would hit."""
    n = len(positions)
    r = min(k, w0_svd.s.numel())
    low_rank = (w0_svd.u[:, :r] * w0_svd.s[:r]) @ w0_svd.v[:, :r].mT
    return {"outliers": n, "hits_w0": len(positions & top_entries(w0, n)),
            "hits_low_rank": len(positions & top_entries(low_rank, n)), "chance": n / w0.numel()}


def without_start(update: torch.Tensor, theta0: torch.Tensor) -> torch.Tensor:
    """The update less its component along θ0 (the direction the `raw` subspace's top vector nearly is)."""
    unit = theta0.double() / theta0.double().norm()
    return (update.double() - (update.double() @ unit) * unit).float()


def learned_update(points: torch.Tensor, theta0: torch.Tensor, coordinates: list[float]) -> torch.Tensor:
    """Paper A's learned update z·Vᵀ of one layer, from its run's coordinates z and the `raw` subspace of this
    trajectory (what its intrinsic method trained in)."""
    raw = gram_svd(points, theta0, "raw")
    z = torch.tensor(coordinates, dtype=points.dtype)
    return z @ basis(points, theta0, raw, len(coordinates))


def _layers(traj_dir: Path) -> dict[int, dict]:
    info = read_json(traj_dir / "trajectory.json")["layers"]
    return {int(key[len("layer"):]): value for key, value in info.items()}


def measure(traj_dir: str | Path, k: int, directions: int, outliers: dict | None = None
            ) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """(one row per encoder weight matrix, {matrix name: top-k left singular vectors of its ΔW}).

    outliers: paper A's outlier record of the task ({"positions": {"0": [flat indices into the layer's vector],
    ...}, "sigma", "coordinates": {"0": z, ...}}) or None."""
    traj_dir = Path(traj_dir)
    rows, subspaces = [], {}
    for layer, info in sorted(_layers(traj_dir).items()):
        points, theta0 = load_layer(traj_dir, layer)
        trajectory = gram_svd(points, theta0, "updates")
        d = min(directions, len(trajectory.sigma))
        vt = basis(points, theta0, trajectory, d)  # d x D, the top update directions of this layer
        update = points[-1] - theta0
        start = 0
        found = {"": torch.tensor(sorted((outliers or {}).get("positions", {}).get(str(layer), [])),
                                  dtype=torch.long)}
        if outliers is not None:
            learned = learned_update(points, theta0, outliers["coordinates"][str(layer)])
            found["_perp"] = detect(without_start(learned, theta0), outliers["sigma"])
        for name, shape in zip(info["names"], info["shapes"]):
            size = math.prod(shape)
            part = slice(start, start + size)
            here = {tag: f[(f >= start) & (f < start + size)] - start for tag, f in found.items()}
            start += size
            if len(shape) < 2 or not name.endswith(".weight"):
                continue
            w0 = theta0[part].reshape(shape[0], -1).double()
            m, n = w0.shape
            if min(m, n) <= k:
                continue
            base = svd(w0)
            dirs = [block_share(base, vt[j, part].reshape(m, n), k) for j in range(d)]
            dw = update[part].reshape(m, n).double()
            row = {"layer": layer, "name": name, "m": m, "n": n, "k": k, "top_direction": dirs[0],
                   "top_directions": sum(dirs) / d, "update": block_share(base, dw, k),
                   "random": energy_share_random(k, m, n),
                   "update_norm": float(torch.linalg.matrix_norm(dw))}
            if outliers is not None:
                for tag, positions in here.items():
                    row.update({f"{key}{tag}": v for key, v in
                                outlier_hits(set(positions.tolist()), w0, base, k).items()})
            rows.append(row)
            subspaces[name] = svd(dw).u[:, :k].float().contiguous()
        del points, vt
    return rows, subspaces
